"""Sibilance: short bursts of 5-10 kHz energy standing above the bands around them.

``SibilanceMeter`` is fed the signals the ``SpectralAnalyzer`` transforms (M and S, or the
mono channel) and frames them on its own short grid (Hann, ~23 ms: 1024 samples at 44.1 kHz,
50 % overlap), because a sibilant lasts 50-200 ms and disappears in the 186 ms frames of the
long-term spectrum. Per frame it keeps five float32 numbers (the powers of the sibilance band, of
the band below, of the band above and of 1-16 kHz, and the sibilance band's frequency-weighted
power), about 9 frames per 100 ms tick, so memory stays a few MB per hour of audio.

At the end each frame's sibilance ratio is

    r = P(5-10 kHz) / max(P(1-4 kHz), AIR_WEIGHT * P(10-16 kHz))

with the powers smoothed over ``SMOOTH_FRAMES`` frames (~46 ms: shorter events are clicks or
single drum transients, not sibilants). The 5-10 kHz band must stand above the high mids
where a voice's vowels and the instruments' presence live (the split-band detector of a
de-esser compares the same bands), and above the air band too: cymbals and hi-hats spread
their energy evenly up to 16 kHz and beyond, while the fricatives /s/, /z/, /sh/ peak at
4-10 kHz and fall above it. The descriptor is the level (dB) of that ratio exceeded during
the loudest ``PERCENTILE`` % of the non-silent time: a steady bright mix, hiss or a shelf
boost lifts the median, not the short bursts above the bands around them.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from expert.descriptors.spectrum import (
    SIBILANCE_AIR_HZ,
    SIBILANCE_AIR_WEIGHT,
    SIBILANCE_BAND_HZ,
    SIBILANCE_FRAME_AT_44K1,
    SIBILANCE_HIGH_MID_HZ,
    SIBILANCE_PERCENTILE,
    SIBILANCE_SMOOTH_FRAMES,
    SILENCE_DBFS,
)
from expert.features.base import TimeGrid

_SILENCE_POWER = 10.0 ** (SILENCE_DBFS / 10.0)
#: Longest piece framed at once, in frames (bounds the temporary arrays).
_CHUNK_FRAMES = 512


class SibilanceMeter:
    """Per-frame sibilance band powers, reduced at the end to track and window levels.

    ``process`` takes (signals, n) float32 blocks whose powers add up to the mean channel
    power (M and S of a stereo file, or the mono channel). Frames are centred on multiples of
    the hop with half a frame of zeros before the first sample, as in the spectral analyzer.
    """

    def __init__(self, sample_rate_hz: int, signals: int) -> None:
        self.rate = sample_rate_hz
        n = scipy.fft.next_fast_len(round(SIBILANCE_FRAME_AT_44K1 * sample_rate_hz / 44100))
        self.n_fft = n + n % 2
        self.hop = self.n_fft // 2
        k = np.arange(self.n_fft)
        window = 0.5 - 0.5 * np.cos(2 * np.pi * k / self.n_fft)
        self.window = window.astype(np.float32)
        bins_hz = np.fft.rfftfreq(self.n_fft, 1.0 / sample_rate_hz)
        nyquist = sample_rate_hz / 2
        #: Undefined when the sibilance band does not fit below the Nyquist frequency.
        self.defined = nyquist >= SIBILANCE_BAND_HZ[1]
        # One-sided power of the bins (none of them DC or Nyquist) as a mean square.
        self.scale = 2.0 / (self.n_fft * float(np.sum(window**2)))
        # Contiguous bin ranges: high mids, (gap), sibilance band, air, summed with reduceat.
        edges_hz = (SIBILANCE_HIGH_MID_HZ[0], SIBILANCE_HIGH_MID_HZ[1], SIBILANCE_BAND_HZ[0],
                    SIBILANCE_AIR_HZ[0], SIBILANCE_AIR_HZ[1])
        edges = np.searchsorted(bins_hz, edges_hz)
        self.first, self.last = int(edges[0]), int(edges[-1])
        self.starts = edges[:-1] - edges[0]
        self.band_hz = bins_hz[edges[2] : edges[3]].astype(np.float32)
        self._carry = np.zeros((signals, self.n_fft // 2), dtype=np.float32)
        self._frames: list[np.ndarray] = []
        self._samples = 0

    def process(self, x: np.ndarray) -> None:
        """Consume the next samples, (signals, n) float32."""
        self._samples += x.shape[1]
        if self.defined:
            self._add(np.concatenate([self._carry, x], axis=1))

    def _add(self, buf: np.ndarray) -> None:
        n_fft, hop = self.n_fft, self.hop
        count = (buf.shape[1] - n_fft) // hop + 1 if buf.shape[1] >= n_fft else 0
        self._carry = buf[:, count * hop :].copy()
        for start in range(0, count, _CHUNK_FRAMES):
            stop = min(start + _CHUNK_FRAMES, count)
            piece = buf[:, start * hop : (stop - 1) * hop + n_fft]
            frames = sliding_window_view(piece, n_fft, axis=1)[:, ::hop]
            spectra = scipy.fft.rfft(frames * self.window, axis=-1)[..., self.first : self.last]
            # Re and Im side by side: the power summed over the signals as sums of products.
            parts = spectra.view(np.float32)
            pairs = np.einsum("cfk,cfk->fk", parts, parts)
            power = pairs[:, 0::2] + pairs[:, 1::2]
            sums = np.add.reduceat(power, self.starts, axis=1)
            lo, hi = self.starts[2], self.starts[3]
            weighted = power[:, lo:hi] @ self.band_hz
            # Columns: high mids, sibilance band, air, sibilance band x frequency, 1-16 kHz.
            columns = [sums[:, 0], sums[:, 2], sums[:, 3], weighted, sums.sum(axis=1)]
            self._frames.append(np.stack(columns, axis=1).astype(np.float32) * self.scale)

    def finish(self, grid: TimeGrid) -> tuple[float | None, float | None, np.ndarray]:
        """(track level dB, its frequency Hz, per-window levels dB with NaN where undefined)."""
        n = self._samples
        spans = grid.windows(grid.n_ticks(n))
        if n > 0 and self.defined:
            # Flush: frames up to the one centred at or after the last sample.
            total_frames = (n - 1) // self.hop + 2
            done = sum(len(f) for f in self._frames)
            length = (total_frames - done - 1) * self.hop + self.n_fft
            pad = np.zeros((self._carry.shape[0], max(length - self._carry.shape[1], 0)),
                           dtype=np.float32)
            self._add(np.concatenate([self._carry, pad], axis=1))
        empty = np.full(len(spans), np.nan)
        if not self.defined or not self._frames:
            return None, None, empty
        kernel = np.ones(SIBILANCE_SMOOTH_FRAMES) / SIBILANCE_SMOOTH_FRAMES
        # One column at a time: an hour of frames is 12 MB per float64 copy of all five.
        high_mid, band, air, weighted, total = (
            np.convolve(np.concatenate([f[:, j] for f in self._frames]).astype(np.float64),
                        kernel, mode="same")
            for j in range(self._frames[0].shape[1]))
        self._frames = []
        reference = np.maximum(high_mid, SIBILANCE_AIR_WEIGHT * air)
        active = (total >= _SILENCE_POWER) & (band > 0) & (reference > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_db = np.where(active, 10.0 * np.log10(band / reference), np.nan)
        centres = np.minimum(np.arange(len(ratio_db)) * self.hop, max(n - 1, 0))
        ticks = grid.ticks.index(centres)
        windows = np.array([_upper_level(ratio_db[np.searchsorted(ticks, a) :
                                                  np.searchsorted(ticks, b)])
                            for a, b in spans])
        track = _upper_level(ratio_db)
        if math.isnan(track):
            return None, None, windows
        # Where the bursts sit: the sibilance band's centroid over the frames at the level.
        loud = active & (ratio_db >= track)
        frequency = float(weighted[loud].sum() / band[loud].sum())
        return track, frequency, windows


def _upper_level(ratio_db: np.ndarray) -> float:
    """The SIBILANCE_PERCENTILE of the defined values (NaN if none)."""
    values = ratio_db[~np.isnan(ratio_db)]
    if values.size == 0:
        return math.nan
    return float(np.percentile(values, SIBILANCE_PERCENTILE))
