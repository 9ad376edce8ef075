"""Spectrum and stereo descriptors from one short-time Fourier transform pass.

``SpectralAnalyzer`` frames the signal once (Hann, ~186 ms, 50 % overlap: 8192 samples at
44.1 kHz, scaled with the rate so that bins stay ~5.4 Hz apart), carrying the partial frame
across blocks, and transforms all frames of a block in one call. A stereo file is transformed
as M = (L + R) / 2 and S = (L - R) / 2: the mean power of L and R is |M|^2 + |S|^2, every L/R
quantity follows from |M|^2, |S|^2 and Re(M S*), and S keeps its precision when the channels
are nearly identical. With memory bounded by a few numbers per second of audio it keeps:

* per 1 s group of the ``TimeGrid`` (frames assigned by their centre): the power in the
  1/3-octave bands, the named bands, 20-150 Hz and 20 Hz-20 kHz, the frequency-weighted power
  for the centroid, and |M|^2, |S|^2, Re(M S*) over 20 Hz-20 kHz; a 3 s window is the sum of
  three groups;
* per FFT bin, over the whole file: |M|^2, |S|^2 and Re(M S*) (the long-term spectra, for the
  cutoff and the per-band correlations);
* per 1/48-octave cell, summed over the non-silent groups: the excess (dB) of the group's
  line-free spectrum over its running median, and how often it stood out by 3 dB (the
  persistence that separates resonances from passing notes);
* sum L^2, sum R^2 and sum (L - R)^2 over the samples, for the exact channel difference;
* the short-frame band powers of the sibilance meter (``spectral_sibilance``), which frames the
  same M and S signals on its own ~23 ms grid.

Frames are centred on multiples of the hop, with half a frame of zeros before the first
sample and after the last, so every sample is weighted alike (Hann at 50 % overlap sums to 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from expert.descriptors.spectrum import (
    AUDIBLE_HZ,
    DEEP_SUB_HZ,
    INFRASONIC_HZ,
    NAMED_BANDS_HZ,
    PARTIAL_WIDTH_HZ,
    RESONANCE_RANGE_HZ,
    ROLLOFF_FRACTION,
    SILENCE_DBFS,
    THIRD_OCTAVE_INDICES,
    THIRD_OCTAVE_NOMINAL_HZ,
    TILT_RANGE_HZ,
)
from expert.descriptors.spectrum import SPECS as SPECTRUM_SPECS
from expert.descriptors.stereo import (
    IDENTICAL_DIFFERENCE_DB,
    LOW_BAND_HZ,
    RATIO_LIMIT_DB,
)
from expert.descriptors.stereo import SPECS as STEREO_SPECS
from expert.descriptors.values import finite_or_none
from expert.features.base import AnalysisContext, Analyzer, Measurements, TimeGrid, running
from expert.features.spectrum.key import (
    KEY_TABLE,
    cents_off_pitch,
    degree_above,
    key_of,
    key_without,
    line_pitch_hz,
)
from expert.features.spectrum.shape import (
    SEGMENT_EXCESS_DB,
    cutoff,
    level_db,
    log_grid,
    overlap_weights,
    peak_excess_db,
    resonances,
    rolloff_hz,
    tilt_db_per_octave,
)
from expert.features.spectrum.sibilance import SibilanceMeter

#: Frame length at 44.1 kHz; other rates scale it to keep the same resolution in Hz.
FRAME_AT_44K1 = 8192
#: Every how many windows the cutoff's persistence is read: windows that do not overlap.
WINDOWS_PER_SEGMENT = TimeGrid.WINDOW_TICKS // TimeGrid.HOP_TICKS
#: Ticks per group: the largest unit of which every window is a whole number.
GROUP_TICKS = math.gcd(TimeGrid.WINDOW_TICKS, TimeGrid.HOP_TICKS)
#: Completed groups held before their per-group work is done in one vectorized batch.
BATCH_GROUPS = 32
#: Longest piece of a block framed at once, in frames (bounds the temporary arrays).
MAX_CHUNK_FRAMES = 64
#: Resolution of the resonance and cutoff grids.
CELLS_PER_OCTAVE = 48

_SILENCE_POWER = 10.0 ** (SILENCE_DBFS / 10.0)
_BAND_NAMES = tuple(NAMED_BANDS_HZ)


def frame_length(sample_rate_hz: int) -> int:
    """Even FFT length of ~186 ms at ``sample_rate_hz`` that the FFT computes fast."""
    n = scipy.fft.next_fast_len(round(FRAME_AT_44K1 * sample_rate_hz / 44100), real=True)
    while n % 2:
        n = scipy.fft.next_fast_len(n + 1, real=True)
    return n


class _Layout:
    """The frequency bands of one sample rate as sparse weight matrices over the FFT bins.

    Columns of ``bands``: the 31 1/3-octave bands, the named bands, 20-150 Hz, 20 Hz-20 kHz,
    the outer 1/3-octave bands cut at 20 Hz and 20 kHz, the deep sub and infrasonic bands
    and, last, the same 20 Hz-20 kHz weighted by the bin frequency (the centroid's numerator).
    """

    def __init__(self, bins_hz: np.ndarray, nyquist_hz: float) -> None:
        centres = 1000.0 * 10.0 ** (np.asarray(THIRD_OCTAVE_INDICES) / 10.0)
        self.third_lo = centres * 10.0 ** (-1 / 20)
        self.third_hi = centres * 10.0 ** (1 / 20)
        self.third_centres = centres
        self.third_defined = centres <= nyquist_hz
        named = np.array(list(NAMED_BANDS_HZ.values()))
        self.named_defined = np.sqrt(named[:, 0] * named[:, 1]) <= nyquist_hz
        # The outer 1/3-octave bands cut at 20 Hz and 20 kHz, so the roll-off sees 20 Hz-20 kHz.
        self.third_lo_cut = np.maximum(self.third_lo, AUDIBLE_HZ[0])
        self.third_hi_cut = np.minimum(self.third_hi, AUDIBLE_HZ[1])
        lo = np.concatenate([
            self.third_lo, named[:, 0],
            [LOW_BAND_HZ[0], AUDIBLE_HZ[0], self.third_lo_cut[0], self.third_lo_cut[-1],
             DEEP_SUB_HZ[0], INFRASONIC_HZ[0]],
        ])
        hi = np.concatenate([
            self.third_hi, named[:, 1],
            [LOW_BAND_HZ[1], AUDIBLE_HZ[1], self.third_hi_cut[0], self.third_hi_cut[-1],
             DEEP_SUB_HZ[1], INFRASONIC_HZ[1]],
        ])
        weights = overlap_weights(bins_hz, lo, hi)
        n3, nn = len(centres), len(named)
        self.third = slice(0, n3)
        self.named = slice(n3, n3 + nn)
        self.low = n3 + nn
        self.total = n3 + nn + 1
        self.outer_cut = [n3 + nn + 2, n3 + nn + 3]
        self.deep_sub = n3 + nn + 4
        self.infrasonic = n3 + nn + 5
        self.centroid = n3 + nn + 6
        #: Dense weights of 20 Hz-20 kHz (for the stereo sums).
        self.audible = weights[:, [self.total]].toarray()[:, 0]
        self.bands = _hstack_column(weights, self.audible * bins_hz)
        # Bands of the tilt fit: 31.5 Hz-16 kHz, entirely below Nyquist (and a cutoff, later).
        self.tilt_candidates = (
            (centres >= TILT_RANGE_HZ[0] / 1.01)
            & (centres <= TILT_RANGE_HZ[1] * 1.01)
            & (self.third_hi <= nyquist_hz)
        )
        # 1/48-octave cells for resonances (with half an octave of context either side).
        top = min(RESONANCE_RANGE_HZ[1] * 2**0.5, nyquist_hz)
        edges, self.cell_centres = log_grid(RESONANCE_RANGE_HZ[0] / 2**0.5, top, CELLS_PER_OCTAVE)
        self.cell_width = np.diff(edges)
        self.cells = overlap_weights(bins_hz, edges[:-1], edges[1:])
        # 1/48-octave cells from 250 Hz to Nyquist for the cutoff search.
        self.cut_edges, self.cut_centres = log_grid(250.0, nyquist_hz, CELLS_PER_OCTAVE)
        self.cut = overlap_weights(bins_hz, self.cut_edges[:-1], self.cut_edges[1:])
        self.cut_width = np.diff(self.cut_edges)


@lru_cache(maxsize=4)
def _layout_for(rate_hz: int) -> _Layout:
    """The (read-only) layout of a sample rate: 30 ms to build, so a batch builds it once."""
    return _Layout(np.fft.rfftfreq(frame_length(rate_hz), 1.0 / rate_hz), rate_hz / 2)


def _hstack_column(matrix: Any, column: np.ndarray) -> Any:
    from scipy import sparse

    return sparse.hstack([matrix, sparse.csr_array(column[:, None])], format="csr")


class SpectralAnalyzer(Analyzer):
    """Spectrum (long-term and per window) and stereo image, from one STFT pass; the key
    from a ``key.KeyProfile`` (its table, through ``receive``; without it, no key)."""

    consumes = (KEY_TABLE,)

    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        self._key_table: np.ndarray | None = None
        rate = context.sample_rate_hz
        self.grid = TimeGrid(rate)
        self.stereo = context.channels == 2
        self.n_fft = frame_length(rate)
        self.hop = self.n_fft // 2
        n = np.arange(self.n_fft)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * n / self.n_fft)).astype(np.float32)
        self.bins_hz = np.fft.rfftfreq(self.n_fft, 1.0 / rate)
        self.nyquist_hz = rate / 2
        self.layout = _layout_for(rate)
        self.opening_bins = max(round(PARTIAL_WIDTH_HZ / self.bins_hz[1]), 2)
        # One-sided power normalised so a frame's bins sum to its window-weighted mean square.
        scale = np.full(len(self.bins_hz), 2.0)
        scale[0] = scale[-1] = 1.0
        self.bin_scale = scale / (self.n_fft * float(np.sum(self.window.astype(np.float64) ** 2)))
        # Signals transformed: M and S for stereo (S exact, not a difference of spectra), else L.
        channels = context.channels
        n_bins = len(self.bins_hz)
        self._carry = np.zeros((channels, self.n_fft // 2), dtype=np.float32)
        self._samples = 0
        self._frames_done = 0
        # Open group (power per signal and bin, Re(M S*) per bin, frames) and finished groups
        # awaiting their batch.
        self._open_group = -1
        self._open = (np.zeros((channels, n_bins)), np.zeros(n_bins))
        self._open_frames = 0
        self._pending: list[tuple[int, np.ndarray, np.ndarray, int]] = []
        # Per group results: ids, band sums, stereo sums [M^2, S^2, Re(M S*)], frames, and
        # the power of the cutoff grid's cells (float32: some 1.2 kB per second).
        self._group_ids: list[np.ndarray] = []
        self._group_bands: list[np.ndarray] = []
        self._group_cut: list[np.ndarray] = []
        self._group_stereo: list[np.ndarray] = []
        self._group_frames: list[np.ndarray] = []
        # Whole file: per-bin sums, resonance statistics, sample sums L^2, R^2, (L-R)^2.
        self._long_power = np.zeros((channels, n_bins))
        self._long_cross = np.zeros(n_bins)
        self._stand_out = np.zeros(len(self.layout.cell_centres))
        self._excess_sum = np.zeros(len(self.layout.cell_centres))
        self._active_groups = 0
        self._sample_sums = np.zeros(3)
        self._sibilance = SibilanceMeter(rate, channels)

    # -- streaming -----------------------------------------------------------------
    def process(self, block: np.ndarray) -> None:
        step = MAX_CHUNK_FRAMES * self.hop
        for start in range(0, block.shape[0], step):
            x = np.ascontiguousarray(block[start : start + step].T, dtype=np.float32)
            if self.stereo:
                left, right = x
                diff = left - right
                self._sample_sums += (np.dot(left, left), np.dot(right, right), np.dot(diff, diff))
                x = np.stack([(left + right) * 0.5, diff * 0.5])
            self._samples += x.shape[1]
            self._sibilance.process(x)
            self._add_frames(np.concatenate([self._carry, x], axis=1), last_sample=None)

    def _add_frames(self, buf: np.ndarray, last_sample: int | None) -> None:
        """Analyse every whole frame of ``buf`` (channels, n); keep the rest as the carry.

        ``last_sample`` (at the end of the file) clamps frame centres that fall past it.
        """
        n_fft, hop = self.n_fft, self.hop
        count = (buf.shape[1] - n_fft) // hop + 1 if buf.shape[1] >= n_fft else 0
        self._carry = buf[:, count * hop :].copy()
        if count == 0:
            return
        frames = sliding_window_view(buf, n_fft, axis=1)[:, ::hop][:, :count]
        # Re and Im side by side (signals, frames, 2 x bins): a group's power and Re(M S*)
        # are sums of products of these pairs, with no per-frame arrays (a third of the time).
        parts = scipy.fft.rfft(frames * self.window, axis=-1).view(np.float32)
        centres = (self._frames_done + np.arange(count)) * hop
        if last_sample is not None:
            centres = np.minimum(centres, last_sample)
        self._frames_done += count
        groups = self.grid.ticks.index(centres) // GROUP_TICKS
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(groups)) + 1, [count]])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            if groups[a] != self._open_group:
                self._close_group()
                self._open_group = int(groups[a])
            power = np.einsum("cfk,cfk->ck", parts[:, a:b], parts[:, a:b])
            self._open[0][:] += power[:, 0::2] + power[:, 1::2]
            if self.stereo:
                cross = np.einsum("fk,fk->k", parts[0, a:b], parts[1, a:b])
                self._open[1][:] += cross[0::2] + cross[1::2]
            self._open_frames += int(b - a)

    def _close_group(self) -> None:
        if self._open_frames:
            self._pending.append((self._open_group, *self._open, self._open_frames))
            self._open = (np.zeros_like(self._open[0]), np.zeros_like(self._open[1]))
            self._open_frames = 0
        if len(self._pending) >= BATCH_GROUPS:
            self._flush()

    def _flush(self) -> None:
        """Per-group work for the completed groups: band sums and resonance persistence."""
        if not self._pending:
            return
        ids = np.array([g for g, _, _, _ in self._pending])
        power = np.stack([p for _, p, _, _ in self._pending])  # (groups, signals, bins)
        cross = np.stack([c for _, _, c, _ in self._pending])  # (groups, bins)
        frames = np.array([f for _, _, _, f in self._pending], dtype=np.float64)
        self._pending = []
        self._long_power += power.sum(axis=0)
        self._long_cross += cross.sum(axis=0)
        # Mean power of L and R: (|L|^2 + |R|^2) / 2 = |M|^2 + |S|^2, or |L|^2 for mono.
        mean = power.sum(axis=1) * self.bin_scale
        bands = np.asarray(mean @ self.layout.bands)
        audible = self.layout.audible * self.bin_scale
        stereo = np.column_stack([power[:, 0] @ audible, power[:, -1] @ audible, cross @ audible])
        self._group_ids.append(ids)
        self._group_bands.append(bands)
        self._group_cut.append(np.asarray(mean @ self.layout.cut, dtype=np.float32))
        self._group_stereo.append(stereo)
        self._group_frames.append(frames)
        active = bands[:, self.layout.total] / frames >= _SILENCE_POWER
        if active.any():
            envelope = _opening(mean[active], self.opening_bins)
            cells = np.asarray(envelope @ self.layout.cells) / self.layout.cell_width
            excess = peak_excess_db(_db(cells), CELLS_PER_OCTAVE)
            self._stand_out += (excess >= SEGMENT_EXCESS_DB).sum(axis=0)
            self._excess_sum += excess.sum(axis=0)
            self._active_groups += int(active.sum())

    # -- the end -------------------------------------------------------------------
    def finish(self) -> Measurements:
        n = self._samples
        n_ticks = self.grid.n_ticks(n)
        spans = [(a // GROUP_TICKS, -(-b // GROUP_TICKS)) for a, b in self.grid.windows(n_ticks)]
        if n > 0:
            # Frames up to the one centred after the last sample, with zeros past the end.
            total_frames = (n - 1) // self.hop + 2
            length = (total_frames - self._frames_done - 1) * self.hop + self.n_fft
            pad = np.zeros((self._carry.shape[0], length - self._carry.shape[1]), np.float32)
            self._add_frames(np.concatenate([self._carry, pad], axis=1), last_sample=n - 1)
        self._close_group()
        self._flush()
        n_groups = -(-n_ticks // GROUP_TICKS)
        bands = np.zeros((n_groups, self.layout.centroid + 1))
        frames = np.zeros(n_groups)
        if self._group_ids:
            ids = np.concatenate(self._group_ids)
            np.add.at(bands, ids, np.concatenate(self._group_bands))
            np.add.at(frames, ids, np.concatenate(self._group_frames))
        stereo = np.zeros((n_groups, 3))
        cut = np.zeros((n_groups, len(self.layout.cut_centres)), dtype=np.float32)
        if self._group_ids:
            np.add.at(stereo, ids, np.concatenate(self._group_stereo))
            np.add.at(cut, ids, np.concatenate(self._group_cut))
            self._group_cut = []
        win_bands = _window_sums(bands, spans)
        with np.errstate(divide="ignore", invalid="ignore"):
            silent = ~(_window_sums(bands[:, [self.layout.total]], spans)[:, 0]
                       / _window_sums(frames[:, None], spans)[:, 0] >= _SILENCE_POWER)

        out = Measurements()
        cut_hz = self._spectrum_track(bands.sum(axis=0), out)
        out.values["spectrum.cutoff_segments_pct"] = self._cutoff_segments_pct(
            cut, spans, silent) if cut_hz is not None else None
        self._spectrum_windows(win_bands, silent, cut_hz, out)
        self._sibilance_values(silent, out)
        self._stereo(stereo.sum(axis=0), _window_sums(stereo, spans), silent, out)
        return out

    def _cutoff_segments_pct(self, groups_cut: np.ndarray, spans: list[tuple[int, int]],
                             silent: np.ndarray) -> float | None:
        """Share of the non-silent, non-overlapping 3 s windows whose own spectrum ends in a
        cliff (a cutoff by the track's test, at any frequency)."""
        lay = self.layout
        segments = [spans[w] for w in range(0, len(spans), WINDOWS_PER_SEGMENT) if not silent[w]]
        if not segments:
            return None
        cliffs = sum(cutoff(groups_cut[a:b].sum(axis=0, dtype=np.float64) / lay.cut_width,
                            lay.cut_centres, lay.cut_edges, self.nyquist_hz)[0] is not None
                     for a, b in segments)
        return round(100.0 * cliffs / len(segments), 1)

    def receive(self, partials: Mapping[str, np.ndarray]) -> None:
        self._key_table = partials.get(KEY_TABLE)

    def _long_term_mean(self) -> np.ndarray:
        """Long-term power per bin, the mean of L and R (|M|^2 + |S|^2)."""
        return self._long_power.sum(axis=0) * self.bin_scale

    def _spectrum_track(self, track: np.ndarray, out: Measurements) -> float | None:
        lay = self.layout
        values = out.values
        values["spectrum.third_octave_centers_hz"] = list(THIRD_OCTAVE_NOMINAL_HZ)
        total = track[lay.total]
        names = [s.name for s in SPECTRUM_SPECS if s.name != "spectrum.third_octave_centers_hz"]
        if not total > 0:
            values.update(dict.fromkeys(names))
            values["spectrum.resonances"] = []
            out.notes.append("spectrum: the file holds no energy 20 Hz-20 kHz; spectrum undefined")
            return None
        if self.nyquist_hz < AUDIBLE_HZ[1]:
            out.notes.append(
                f"spectrum: bands above the Nyquist frequency ({self.nyquist_hz:g} Hz) are null"
            )
        long_term = self._long_term_mean()
        cut_power = np.asarray(long_term @ lay.cut) / lay.cut_width
        cut_hz, drop_db, slope_db = cutoff(cut_power, lay.cut_centres, lay.cut_edges,
                                           self.nyquist_hz)
        values["spectrum.cutoff_hz"] = cut_hz
        values["spectrum.cutoff_drop_db"] = drop_db
        values["spectrum.cutoff_slope_db"] = slope_db
        shape = self._shape(track[None, :], cut_hz)
        third = level_db(track[lay.third], total)
        values["spectrum.third_octave_db"] = [
            float(v) if ok else None for v, ok in zip(third, lay.third_defined, strict=True)
        ]
        values.update({name: finite_or_none(series[0]) for name, series in shape.items()})
        # Resonances: average over the seconds of each 1/48-octave cell's excess (dB) over
        # the running median, and the share of seconds in which it stood out.
        active = max(self._active_groups, 1)
        found = resonances(
            self._excess_sum / active, lay.cell_centres, 100.0 * self._stand_out / active,
            RESONANCE_RANGE_HZ, cells_per_octave=CELLS_PER_OCTAVE,
            partials_db=peak_excess_db(_db(np.asarray(long_term @ lay.cells) / lay.cell_width),
                                       CELLS_PER_OCTAVE),
        )
        strongest = found[0] if found else None
        values["spectrum.resonance_hz"] = strongest and round(strongest.frequency_hz, 1)
        values["spectrum.resonance_prominence_db"] = strongest and strongest.prominence_db
        values["spectrum.resonance_q"] = strongest and strongest.q
        values["spectrum.resonance_persistence_pct"] = strongest and strongest.persistence_pct
        values["spectrum.resonance_suboctave_db"] = strongest and strongest.suboctave_db
        values["spectrum.resonances"] = [
            [round(r.frequency_hz, 1), round(r.prominence_db, 2)] for r in found
        ]
        key = key_of(self._key_table)
        values["spectrum.key"] = key and f"{key[0]} {key[1]}"
        values["spectrum.key_strength"] = key and key[2]
        pitch_hz = strongest and line_pitch_hz(long_term, self.bins_hz, strongest.frequency_hz,
                                               cells_per_octave=CELLS_PER_OCTAVE)
        placed = strongest and key_without(self._key_table, strongest.frequency_hz)
        values["spectrum.resonance_key_degree"] = (
            degree_above(placed[0], pitch_hz) if strongest and placed else None)
        values["spectrum.resonance_cents"] = strongest and cents_off_pitch(pitch_hz)
        return cut_hz

    def _sibilance_values(self, silent: np.ndarray, out: Measurements) -> None:
        track_db, frequency_hz, windows = self._sibilance.finish(self.grid)
        defined = out.values.get("spectrum.centroid_hz") is not None
        out.values["spectrum.sibilance_db"] = track_db if defined else None
        out.values["spectrum.sibilance_hz"] = frequency_hz if defined else None
        out.series["spectrum.sibilance_db"] = np.where(silent, np.nan, windows)

    def _spectrum_windows(
        self, win_bands: np.ndarray, silent: np.ndarray, cut_hz: float | None, out: Measurements
    ) -> None:
        for name, series in self._shape(win_bands, cut_hz).items():
            out.series[name] = np.where(silent, np.nan, series)

    def _shape(self, bands: np.ndarray, cut_hz: float | None) -> dict[str, np.ndarray]:
        """Named-band levels, tilt, centroid and roll-off for each row of band sums."""
        lay = self.layout
        total = bands[:, lay.total]
        result: dict[str, np.ndarray] = {}
        named = level_db(bands[:, lay.named], total[:, None])
        for j, name in enumerate(_BAND_NAMES):
            result[f"spectrum.{name}_db"] = np.where(lay.named_defined[j], named[:, j], np.nan)
        result["spectrum.deep_sub_db"] = level_db(bands[:, lay.deep_sub], total)
        result["spectrum.infrasonic_db"] = level_db(bands[:, lay.infrasonic], total)
        use = lay.tilt_candidates & (lay.third_hi <= (cut_hz or np.inf))
        third = level_db(bands[:, lay.third], total[:, None])
        result["spectrum.tilt_db_per_octave"] = tilt_db_per_octave(
            third[:, use], lay.third_centres[use]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            result["spectrum.centroid_hz"] = bands[:, lay.centroid] / total
        third_cut = bands[:, lay.third].copy()
        third_cut[:, [0, -1]] = bands[:, lay.outer_cut]
        defined = lay.third_defined
        result["spectrum.rolloff_hz"] = rolloff_hz(
            third_cut[:, defined], lay.third_lo_cut[defined],
            np.minimum(lay.third_hi_cut[defined], self.nyquist_hz), ROLLOFF_FRACTION,
        )
        return result

    def _stereo(
        self, track: np.ndarray, windows: np.ndarray, silent: np.ndarray, out: Measurements
    ) -> None:
        names = [spec.name for spec in STEREO_SPECS]
        if not self.stereo:
            out.values.update(dict.fromkeys(names))
            for spec in STEREO_SPECS:
                if spec.scope != "track":
                    out.series[spec.name] = np.full(len(windows), np.nan)
            return
        track_values = _stereo_from_sums(track[None, :])
        for name, series in _stereo_from_sums(windows).items():
            out.values[name] = finite_or_none(track_values[name][0])
            out.series[name] = np.where(silent, np.nan, series)
        correlation = out.series["stereo.correlation"]
        out.values["stereo.correlation_min"] = (
            None if np.all(np.isnan(correlation)) else float(np.nanmin(correlation))
        )
        difference = _channel_difference_db(*self._sample_sums)
        out.values["stereo.channel_difference_db"] = finite_or_none(difference)
        out.values["stereo.identical_channels"] = (
            None if np.isnan(difference) else bool(difference <= IDENTICAL_DIFFERENCE_DB)
        )
        self._band_stereo(out)

    def _band_stereo(self, out: Measurements) -> None:
        """Per-band correlation and side-to-mid ratio from the long-term spectra."""
        lay = self.layout
        columns = list(range(lay.named.start, lay.named.stop)) + [lay.low]
        weights = lay.bands[:, columns]
        sums = np.stack([
            np.asarray(self._long_power[0] @ weights),
            np.asarray(self._long_power[1] @ weights),
            np.asarray(self._long_cross @ weights),
        ], axis=1)
        measures = _stereo_from_sums(sums)
        defined = np.append(lay.named_defined, True)
        for j, name in enumerate((*_BAND_NAMES, "low")):
            for measure, key in (("stereo.correlation", f"stereo.correlation_{name}"),
                                 ("stereo.side_to_mid_db", f"stereo.side_to_mid_{name}_db")):
                out.values[key] = finite_or_none(measures[measure][j] if defined[j] else np.nan)


def _stereo_from_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Stereo measures from rows of spectral sums [|M|^2, |S|^2, Re(M S*)].

    With L = M + S and R = M - S: |L|^2 = M^2 + S^2 + 2 Re(M S*), |R|^2 = M^2 + S^2 - 2 Re(M S*)
    and Re(L R*) = M^2 - S^2.
    """
    mid, side, cross = sums[:, 0], sums[:, 1], sums[:, 2]
    left, right = mid + side + 2 * cross, mid + side - 2 * cross
    with np.errstate(divide="ignore", invalid="ignore"):
        correlation = np.clip((mid - side) / np.sqrt(left * right), -1.0, 1.0)
        width = 100.0 * side / (mid + side)
    return {
        "stereo.correlation": correlation,
        "stereo.side_to_mid_db": _limited_ratio_db(side, mid),
        "stereo.balance_db": _limited_ratio_db(left, right),
        "stereo.width_pct": width,
    }


def _channel_difference_db(left: float, right: float, diff: float) -> float:
    """10*log10(sum (L-R)^2 / mean channel energy), floored at -RATIO_LIMIT_DB; NaN if silent."""
    if left + right <= 0:
        return math.nan
    return 10.0 * math.log10(max(diff / ((left + right) / 2), 10.0 ** (-RATIO_LIMIT_DB / 10.0)))


def _limited_ratio_db(numerator: Any, denominator: Any) -> Any:
    """10*log10(numerator / denominator) within +-RATIO_LIMIT_DB; NaN when both are zero."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    limit = 10.0 ** (RATIO_LIMIT_DB / 10.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.clip(numerator / denominator, 1 / limit, limit)
        out = 10.0 * np.log10(ratio)
    return np.where((numerator > 0) | (denominator > 0), out, np.nan)


def _opening(power: np.ndarray, width: int) -> np.ndarray:
    """Morphological opening along the last axis (running min, then running max, ``width``).

    Removes every peak narrower than ``width`` bins (the lines of notes and hum) and keeps
    broader bumps such as resonances at their full height.
    """
    low = (width - 1) // 2
    eroded = running(np.minimum, power, width, low)
    return running(np.maximum, eroded, width, width - 1 - low)


def _window_sums(per_group: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Sum the group rows of each window (spans in groups)."""
    cum = np.vstack([np.zeros((1, per_group.shape[1])), np.cumsum(per_group, axis=0)])
    lo = np.array([a for a, _ in spans])
    hi = np.minimum(np.array([b for _, b in spans]), per_group.shape[0])
    return cum[hi] - cum[lo]


def _db(power: np.ndarray) -> np.ndarray:
    """10*log10 of a power array, with zeros floored far below anything audible."""
    return 10.0 * np.log10(np.maximum(power, 1e-30))
