"""Loudness, peak levels and dynamics of a mix, measured block by block.

Standards followed (equations quoted by number in the code):

- ITU-R BS.1770-4 (2015), Annex 1: K-weighting, mean square per 400 ms block, loudness
  l = -0.691 + 10 log10(sum_i G_i z_i) (eq. 2 and 4) with G = 1 for left, right and mono,
  gating with blocks of 400 ms overlapping by 75 %, absolute gate -70 LUFS, relative gate
  -10 LU (eq. 5-7). Annex 2: true peak (see ``expert.features.loudness.truepeak``).
- EBU Tech 3341 (2016): momentary loudness (400 ms) and short-term loudness (3 s),
  ungated. Both are evaluated every 10 ms: Tech 3341 cases 13-14 place 400 ms bursts at
  20 ms offsets, and a 100 ms evaluation step reads them up to 0.46 LU low.
- EBU Tech 3342 (2016): loudness range = 95th minus 10th percentile of the short-term
  loudness (3 s windows every 100 ms) after an absolute gate of -70 LUFS and a relative
  gate 20 LU below the mean of the absolute-gated windows.

A mono file is measured as one channel (BS.1770-4: G = 1), so a mono file reads 3.01 LU
below the same signal played identically on both channels of a stereo file.

State kept per file: filter memories and, per 10 ms, two float64 sums (K-weighted power
of the stereo signal and of its mono fold-down); per 100 ms tick a few sums and maxima.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from expert.audio.reader import DEFAULT_BLOCK_FRAMES
from expert.descriptors.loudness import (
    ABSOLUTE_GATE_LUFS,
    LOUDNESS_OFFSET_DB,
    LOUDNESS_STEP_S,
    LRA_PERCENTILES,
    LRA_RELATIVE_GATE_LU,
    MONO_FOLD_LOSS_CAP_DB,
    OVER_LEVEL_DBTP,
    RELATIVE_GATE_LU,
)
from expert.features.base import AnalysisContext, Analyzer, Measurements, TimeGrid, db
from expert.features.loudness.kweighting import KWeighting
from expert.features.loudness.truepeak import TruePeakEnvelope
from expert.features.segments import SegmentReducer, Segments

STEPS_PER_S = round(1.0 / LOUDNESS_STEP_S)  # momentary and short-term evaluated every 10 ms
MOMENTARY_STEPS = 40  # 400 ms
SHORT_TERM_STEPS = 300  # 3 s
BLOCK_HOP_STEPS = 10  # gating blocks (BS.1770-4) and LRA windows (Tech 3342) every 100 ms
OVER_LEVEL = 10.0 ** (OVER_LEVEL_DBTP / 20.0)
#: The partial result of ``TruePeakTicks``.
TRUE_PEAK_TICKS = "loudness.true_peak_ticks"


def _power_db(power: float) -> float | None:
    """10 log10 of a power ratio; None (undefined) for zero."""
    return None if power <= 0.0 else 10.0 * float(np.log10(power))


def _lufs(mean_power: float) -> float | None:
    """BS.1770-4 eq. 2 for a mean square already summed over channels; None for silence."""
    level = _power_db(mean_power)
    return None if level is None else LOUDNESS_OFFSET_DB + level


def _dbfs(amplitude: float) -> float | None:
    """Peak amplitude (1.0 = full scale) in dB; None for zero."""
    return None if amplitude <= 0.0 else 20.0 * float(np.log10(amplitude))


def _levels(mean_power: np.ndarray) -> np.ndarray:
    """BS.1770-4 eq. 2 elementwise; NaN (undefined) where the power is zero."""
    with np.errstate(divide="ignore"):
        return np.where(mean_power > 0, LOUDNESS_OFFSET_DB + db(mean_power), np.nan)


def _sliding_power(sums: np.ndarray, counts: np.ndarray, width: int, hop: int) -> np.ndarray:
    """Mean power of windows of ``width`` steps every ``hop`` steps, per row of ``sums``."""
    total = np.concatenate([np.zeros((sums.shape[0], 1)), np.cumsum(sums, axis=1)], axis=1)
    frames = np.concatenate([[0], np.cumsum(counts)])
    starts = np.arange(0, sums.shape[1] - width + 1, hop)
    return (total[:, starts + width] - total[:, starts]) / (frames[starts + width] - frames[starts])


def _gate(block_power: np.ndarray, relative_lu: float) -> np.ndarray | None:
    """Blocks kept by the absolute gate and the relative gate (BS.1770-4 eq. 5-7).

    Returns a boolean mask, or None when no block passes the absolute gate.
    """
    with np.errstate(divide="ignore"):
        level = LOUDNESS_OFFSET_DB + 10.0 * np.log10(block_power)
    loud = level > ABSOLUTE_GATE_LUFS
    if not loud.any():
        return None
    relative = LOUDNESS_OFFSET_DB + 10.0 * np.log10(block_power[loud].mean()) + relative_lu
    return loud & (level > relative)


class LoudnessAnalyzer(Analyzer):
    """BS.1770-4 / EBU R 128 loudness, true and sample peaks, RMS and crest factor.

    Fed float32 blocks (n, channels) with 1 or 2 channels at 8-192 kHz. Stereo-only
    values (per-channel true peaks, mono fold-down) are None for mono files.
    """


    def __init__(self, context: AnalysisContext, *, true_peak: bool = True) -> None:
        """``true_peak=False``: no 4x oversampling (a third of the cost); the true-peak
        values are None, for meters whose peaks nobody reads (the stems of a song), unless
        received from a ``TruePeakTicks`` (``SplitLoudnessAnalyzer``)."""
        super().__init__(context)
        rate, channels = context.sample_rate_hz, context.channels
        self._stereo = channels == 2
        self._channels = channels
        self._grid = TimeGrid(rate)
        self._steps = Segments(rate, STEPS_PER_S)
        self._ticks = self._grid.ticks
        self._weighting = KWeighting(rate, channels)
        self._true_peak_meter = TruePeakTicks(context) if true_peak else None
        # Per 10 ms: K-weighted power summed over channels, and (stereo) of the mono fold-down.
        self._weighted = SegmentReducer(self._steps, (np.add,))
        self._weighted_rows = 2 if self._stereo else 1
        # Per 100 ms tick: unweighted sum of squares, sample peak and true peak per channel
        # (the true peak: (channels, ticks) after ``finish``, or ``receive``, None unmeasured).
        self._squares = SegmentReducer(self._ticks, (np.add,))
        self._sample_peak = SegmentReducer(self._ticks, (np.maximum,))
        self._true_peak: np.ndarray | None = None
        self._frames = 0
        #: After ``finish``: momentary and short-term loudness (LUFS) every 10 ms, for
        #: complete windows only (entry k covers the window starting at k x 10 ms); NaN
        #: where the window is digital silence. Kept for inspection (tests, plots).
        self.momentary_lufs = np.zeros(0)
        self.short_term_lufs = np.zeros(0)
        self._momentary_power = np.zeros(0)  # entry k: the 400 ms window from k x 10 ms

    def process(self, block: np.ndarray) -> None:
        n = block.shape[0]
        if n == 0:
            return
        position = self._frames
        signal = np.ascontiguousarray(block.T, dtype=np.float32)  # (channels, n)
        weighted = self._weighting.apply(signal)
        rows = [np.einsum("cn,cn->n", weighted, weighted)]
        if self._stereo:
            # Mono fold-down (L+R)/2 fed to both channels: 2 * ((l + r) / 2)^2.
            folded = weighted[0] + weighted[1]
            rows.append(0.5 * folded * folded)
        self._weighted.add(position, np.stack(rows, dtype=np.float64))
        wide = signal.astype(np.float64)
        self._squares.add(position, np.einsum("cn,cn->n", wide, wide)[None, :])
        self._sample_peak.add(position, np.abs(signal))
        if self._true_peak_meter is not None:
            self._true_peak_meter.push(signal)
        self._frames += n

    def finish(self) -> Measurements:
        if self._true_peak_meter is not None:
            self._true_peak = self._true_peak_meter.per_tick()
        out = Measurements()
        self._loudness(out)
        self._peaks_and_dynamics(out)
        self._series(out)
        return out

    # -- loudness (BS.1770-4, Tech 3341, Tech 3342) -----------------------------------
    def _loudness(self, out: Measurements) -> None:
        values = out.values
        frames, rate = self._frames, self.context.sample_rate_hz
        complete = self._steps.complete(frames)
        sums = self._weighted.result(self._weighted_rows)[0][:, :complete]
        counts = self._steps.lengths(frames)[:complete]
        for name in ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs",
                     "range_lu", "mono_integrated_lufs", "mono_fold_loss_db"):
            values[f"loudness.{name}"] = None
        if complete < MOMENTARY_STEPS:
            out.notes.append(
                f"gated loudness undefined: the file lasts {frames / rate:.3f} s, shorter than "
                "one 400 ms block (ITU-R BS.1770-4)"
            )
            return
        momentary = _sliding_power(sums, counts, MOMENTARY_STEPS, 1)
        self._momentary_power = momentary[0]
        self.momentary_lufs = _levels(momentary[0])
        values["loudness.momentary_max_lufs"] = _lufs(float(momentary[0].max()))
        blocks = momentary[:, ::BLOCK_HOP_STEPS]  # 400 ms gating blocks every 100 ms
        kept = _gate(blocks[0], RELATIVE_GATE_LU)
        if kept is None:
            out.notes.append(
                "gated loudness undefined: no 400 ms block rises above the -70 LUFS "
                "absolute gate (silent or near-silent file)"
            )
        else:
            values["loudness.integrated_lufs"] = _lufs(float(blocks[0][kept].mean()))
        if self._stereo:
            self._mono_fold(blocks, kept, out)
        if complete < SHORT_TERM_STEPS:
            out.notes.append(
                "short-term loudness and loudness range undefined: the file is shorter than "
                "one 3 s window"
            )
            return
        short_term = _sliding_power(sums[:1], counts, SHORT_TERM_STEPS, 1)[0]
        self.short_term_lufs = _levels(short_term)
        values["loudness.short_term_max_lufs"] = _lufs(float(short_term.max()))
        values["loudness.range_lu"] = self._loudness_range(short_term[::BLOCK_HOP_STEPS], out)

    @staticmethod
    def _loudness_range(short_term: np.ndarray, out: Measurements) -> float | None:
        """EBU Tech 3342 loudness range of short-term mean powers taken every 100 ms."""
        kept = _gate(short_term, LRA_RELATIVE_GATE_LU)
        if kept is None:
            out.notes.append(
                "loudness range undefined: no 3 s window rises above the -70 LUFS absolute gate"
            )
            return None
        levels = _levels(short_term[kept])
        low, high = np.percentile(levels, LRA_PERCENTILES)
        return float(high - low)

    @staticmethod
    def _mono_fold(blocks: np.ndarray, kept: np.ndarray | None, out: Measurements) -> None:
        """Loudness of the mono fold-down, on its own gates and on the stereo gates."""
        mono_kept = _gate(blocks[1], RELATIVE_GATE_LU)
        if mono_kept is not None:
            out.values["loudness.mono_integrated_lufs"] = _lufs(float(blocks[1][mono_kept].mean()))
        if kept is None:
            return
        stereo_power = float(blocks[0][kept].mean())
        mono_power = float(blocks[1][kept].mean())
        loss = MONO_FOLD_LOSS_CAP_DB
        if mono_power > 0.0:
            loss = min(10.0 * float(np.log10(stereo_power / mono_power)), MONO_FOLD_LOSS_CAP_DB)
        if loss >= MONO_FOLD_LOSS_CAP_DB:
            out.notes.append(
                "mono fold-down cancels: left and right are (nearly) polarity-inverted copies, "
                f"mono fold loss capped at {MONO_FOLD_LOSS_CAP_DB:.0f} dB"
            )
        out.values["loudness.mono_fold_loss_db"] = loss

    def _true_peak_per_tick(self) -> np.ndarray:
        """(channels, ticks) true peaks; no ticks when the true peak was not measured."""
        if self._true_peak is None:
            return np.zeros((self._channels, 0))
        return self._true_peak

    # -- peaks, RMS, crest factor -----------------------------------------------------
    def _peaks_and_dynamics(self, out: Measurements) -> None:
        values = out.values
        channels = self.context.channels
        per_channel_tick = self._true_peak_per_tick()
        true_peak = per_channel_tick.max(axis=1, initial=0.0)
        sample_peak = float(self._sample_peak.result(self._channels)[0].max(initial=0.0))
        squares = float(self._squares.result()[0].sum())
        values["loudness.true_peak_dbtp"] = _dbfs(float(true_peak.max()))
        for side, name in enumerate(("left", "right")):
            values[f"loudness.true_peak_{name}_dbtp"] = (
                _dbfs(float(true_peak[side])) if self._stereo else None
            )
        values["loudness.sample_peak_dbfs"] = _dbfs(sample_peak)
        # 0 dBFS RMS = a full-scale square wave; a full-scale sine reads -3.01 dBFS.
        values["loudness.rms_dbfs"] = (
            _power_db(squares / (self._frames * channels)) if self._frames else None
        )
        peak_db, rms_db = values["loudness.sample_peak_dbfs"], values["loudness.rms_dbfs"]
        values["loudness.crest_factor_db"] = (
            None if peak_db is None or rms_db is None else peak_db - rms_db
        )
        integrated = values["loudness.integrated_lufs"]
        true_peak_db = values["loudness.true_peak_dbtp"]
        values["loudness.plr_db"] = (
            None if integrated is None or true_peak_db is None else true_peak_db - integrated
        )
        per_tick = per_channel_tick.max(axis=0, initial=0.0)
        values["loudness.true_peak_over_count"] = (
            int(np.count_nonzero(per_tick > OVER_LEVEL)) if self._true_peak is not None
            else None)
        if sample_peak == 0.0:
            out.notes.append("peak and RMS levels undefined: every sample is zero")

    # -- time-resolved ----------------------------------------------------------------
    def _series(self, out: Measurements) -> None:
        grid, frames, channels = self._grid, self._frames, self.context.channels
        weighted = self._weighted.result(self._weighted_rows)[0][0]
        tick_count = self._ticks.lengths(frames).astype(np.float64)
        tick_power = (np.add.reduceat(weighted, np.arange(0, weighted.size, 10))
                      if weighted.size else np.zeros(0))
        power = grid.reduce_windows(tick_power, "sum")
        count = grid.reduce_windows(tick_count, "sum")
        squares = grid.reduce_windows(self._squares.result()[0][0], "sum")
        true_peak = grid.reduce_windows(self._true_peak_per_tick().max(axis=0, initial=0.0),
                                        "max")
        sample_peak = grid.reduce_windows(
            self._sample_peak.result(self._channels)[0].max(axis=0, initial=0.0),
                                          "max")
        with np.errstate(divide="ignore", invalid="ignore"):
            short_term = _levels(power / count)
            rms_db = np.where(squares > 0, db(squares / (count * channels)), np.nan)
            true_peak_db = np.where(true_peak > 0, 2.0 * db(true_peak), np.nan)
            sample_peak_db = np.where(sample_peak > 0, 2.0 * db(sample_peak), np.nan)
        expected = len(grid.windows(grid.n_ticks(self.context.expected_frames)))
        out.series["loudness.momentary_max_lufs"] = _fit(self._momentary_max(), expected)
        for name, series in (("short_term_lufs", short_term), ("true_peak_dbtp", true_peak_db),
                             ("sample_peak_dbfs", sample_peak_db),
                             ("crest_factor_db", sample_peak_db - rms_db)):
            out.series[f"loudness.{name}"] = _fit(series, expected)


    def _momentary_max(self) -> np.ndarray:
        """Per 3 s window, the loudest 400 ms inside it (LUFS; NaN when none fits or all
        are silent): the momentary windows that start at least 400 ms before its end."""
        power = self._momentary_power
        steps_per_tick = STEPS_PER_S // round(1.0 / TimeGrid.TICK_S)
        spans = self._grid.windows(self._grid.n_ticks(self._frames))
        loudest = np.full(len(spans), np.nan)
        for j, (first, end) in enumerate(spans):
            starts = power[first * steps_per_tick:
                           max(end * steps_per_tick - MOMENTARY_STEPS + 1, first * steps_per_tick)]
            if starts.size:
                loudest[j] = starts.max()
        return _levels(loudest)


class TruePeakTicks(Analyzer):
    """The true peak of each channel per 100 ms tick (BS.1770-4 Annex 2), as a partial result
    (``TRUE_PEAK_TICKS``) for the loudness family's finish.

    A third of the loudness family's cost, run on its own so that the extraction can give it
    to the other process group, which has time to spare (see ``registry.FAMILIES``).
    """

    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        self._envelope = TruePeakEnvelope(context.sample_rate_hz, context.channels)
        self._peaks = SegmentReducer(TimeGrid(context.sample_rate_hz).ticks, (np.maximum,))

    def process(self, block: np.ndarray) -> None:
        self.push(np.ascontiguousarray(block.T, dtype=np.float32))

    def push(self, signal: np.ndarray) -> None:
        """``process`` for channel-major float32 (channels, n)."""
        first = self._envelope.emitted
        self._peaks.add(first, self._envelope.push(signal))

    def per_tick(self) -> np.ndarray:
        """After the last block: (channels, ticks) true peaks."""
        first = self._envelope.emitted
        self._peaks.add(first, self._envelope.flush())
        return self._peaks.result(self.context.channels)[0]

    def finish(self) -> Measurements:
        return Measurements(partials={TRUE_PEAK_TICKS: self.per_tick()})


class SplitLoudnessAnalyzer(LoudnessAnalyzer):
    """The loudness family as the extraction runs it: its true peak comes from a
    ``TruePeakTicks`` (maybe in the other process) through ``receive``."""

    consumes = (TRUE_PEAK_TICKS,)

    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context, true_peak=False)

    def receive(self, partials: Mapping[str, np.ndarray]) -> None:
        self._true_peak = partials[TRUE_PEAK_TICKS]


def _fit(series: np.ndarray, windows: int) -> np.ndarray:
    """Match the window count the container announced (decoders of lossy files may
    deliver a few frames more or fewer): cut, or pad with NaN (undefined)."""
    fitted = np.full(windows, np.nan)
    keep = min(windows, series.size)
    fitted[:keep] = series[:keep]
    return fitted


def measure_loudness(samples: np.ndarray, rate_hz: int, *,
                     block_frames: int = DEFAULT_BLOCK_FRAMES,
                     ) -> tuple[LoudnessAnalyzer, Measurements]:
    """Run a ``LoudnessAnalyzer`` over an in-memory signal, block by block.

    ``samples``: (n,) mono or (n, channels) with 1 or 2 channels, full scale = 1.0.
    Returns the finished analyzer (for its 10 ms level series) and its measurements.
    """
    frames = np.asarray(samples, dtype=np.float32)
    frames = frames[:, None] if frames.ndim == 1 else frames
    analyzer = LoudnessAnalyzer(AnalysisContext(rate_hz, frames.shape[1], frames.shape[0]))
    for start in range(0, frames.shape[0], block_frames):
        analyzer.process(frames[start:start + block_frames])
    return analyzer, analyzer.finish()
