"""``ArtifactsAnalyzer``: DC offset, clipping, clicks, dropouts, hum, noise, edge silence.

One pass, block by block, all vectorized. Each block is transposed once into a reusable
work buffer (channels, n); 1 ms cells (a ``SegmentReducer``) carry the per-cell peaks,
energies and click-residual statistics that the event detectors (``artifacts_events``)
work on; hum (``artifacts_hum``) and noise (``artifacts_noise``) keep a few numbers per
segment or tick. The work buffers are allocated once: fresh large temporaries per block
cost more in page faults than the arithmetic.

Essentia's detectors were checked against injected faults (tests/features/
test_essentia_detectors.py); none is called here, for the reasons those tests document.
"""

from __future__ import annotations

import math

import numpy as np

from expert.features.artifacts.declick import ClickVerifier
from expert.features.artifacts.events import (
    CELLS_PER_S,
    CELLS_PER_TICK,
    ClickFinder,
    ClipTracker,
    EventLog,
    GapFinder,
)
from expert.features.artifacts.hum import HumMeter
from expert.features.artifacts.noise import SILENT_DBFS, TickSpectra
from expert.features.base import AnalysisContext, Analyzer, Measurements, TimeGrid
from expert.features.segments import SegmentReducer, Segments

#: Leading/trailing silence ends at the first/last sample above this level (as StartStopCut).
SILENCE_THRESHOLD_DBFS = -60.0
#: A steady DC offset: the mean of each second (10 ticks), at its 10th percentile.
DC_SECOND_TICKS = 10
DC_HELD_PERCENTILE = 10.0


class ArtifactsAnalyzer(Analyzer):
    """Defects of the file itself, as opposed to balance decisions of the mix."""


    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        rate, ch = context.sample_rate_hz, context.channels
        self.rate, self.channels = rate, ch
        self.grid = TimeGrid(rate)
        self.frames = 0
        self._sum = np.zeros(ch)
        # Per 1 ms cell: peak, trough, energy, peak residual and sum of each channel.
        self._cell_grid = Segments(rate, CELLS_PER_S)
        self._cells = SegmentReducer(
            self._cell_grid, (np.maximum, np.minimum, np.add, np.maximum, np.add))
        clipped_cells: set[int] = set()
        limits = context.thresholds
        self._clips = [ClipTracker(rate, s, clipped_cells, limits.clipping)
                       for _ in range(ch) for s in (1.0, -1.0)]
        self._clicks = ClickFinder(rate, clipped_cells, limits.clicks,
                                   quiet_dbfs=limits.dropouts.quiet_dbfs)
        self._declick = ClickVerifier(rate, ch, limits.clicks)
        self._gaps = GapFinder(rate, limits.dropouts)
        self._hum = HumMeter(rate)
        self._spectra = TickSpectra(rate, ch)
        # Per tick: mean square (mean over channels) and each channel's mean (for a steady
        # DC offset); chunks of complete ticks, rows (1 + channels, ticks).
        self._tick_stats: list[np.ndarray] = []
        self._tick_open = np.zeros(2 + ch)  # sums (energy, channel sums) and samples
        self._tick_open_index = 0
        self._first_loud: int | None = None
        self._last_loud: int | None = None
        self._history = np.zeros((ch, 3), np.float32)  # last samples, for the residual
        self._work_n = 0
        self._alloc(1 << 16)

    def _alloc(self, n: int) -> None:
        ch = self.channels
        self._work_n = n
        self._x = np.empty((ch, n + 3), np.float32)  # 3 samples of history, then the block
        self._sq = np.empty((ch, n), np.float32)
        self._res = np.empty((ch, n), np.float32)
        self._tmp = np.empty((ch, n), np.float32)
        self._flat = np.empty(n, np.float32)

    # -- per block -------------------------------------------------------------------------
    def process(self, block: np.ndarray) -> None:
        n = block.shape[0]
        if n == 0:
            return
        if n > self._work_n:
            self._alloc(n)
        xh = self._x[:, :n + 3]
        xh[:, :3] = self._history
        np.copyto(xh[:, 3:], block.T)
        x = xh[:, 3:]
        position = self.frames
        self._history = xh[:, -3:].copy()

        self._sum += x.sum(axis=1, dtype=np.float64)
        sq = np.multiply(x, x, out=self._sq[:, :n])
        # 3rd-order difference residual |x[n] - 3x[n-1] + 3x[n-2] - x[n-3]|.
        res, tmp = self._res[:, :n], self._tmp[:, :n]
        np.subtract(xh[:, 3:], xh[:, :n], out=res)
        np.subtract(xh[:, 1:n + 1], xh[:, 2:n + 2], out=tmp)
        tmp *= 3.0
        res += tmp
        np.abs(res, out=res)

        block = self._cells.add(position, x, x, sq, res, x)
        self._edges(x, block.starts, block.reduced[0], block.reduced[1], position)
        self._clipping(x, block.reduced[0], block.reduced[1], position)
        self._cell_stats(*self._cells.take_complete())
        self._declick.process(x, position, self._clicks.take())
        self._hum.process(x)
        self._spectra.process(x, position)
        self.frames += n

    def _edges(self, x: np.ndarray, starts: np.ndarray, seg_max: np.ndarray,
               seg_min: np.ndarray, position: int) -> None:
        """First and last sample above the silence threshold (leading/trailing silence)."""
        threshold = 10 ** (SILENCE_THRESHOLD_DBFS / 20)
        loud = np.flatnonzero(np.maximum(seg_max, -seg_min).max(axis=0) > threshold)
        if loud.size == 0:
            return
        bounds = np.append(starts, x.shape[1])
        if self._first_loud is None:
            a, b = bounds[loud[0]], bounds[loud[0] + 1]
            hit = np.abs(x[:, a:b]).max(axis=0) > threshold
            self._first_loud = position + int(a + np.argmax(hit))
        a, b = bounds[loud[-1]], bounds[loud[-1] + 1]
        hit = np.abs(x[:, a:b]).max(axis=0) > threshold
        self._last_loud = position + int(b - 1 - np.argmax(hit[::-1]))

    def _clipping(self, x: np.ndarray, seg_max: np.ndarray, seg_min: np.ndarray,
                  position: int) -> None:
        for c in range(self.channels):
            pos_tracker, neg_tracker = self._clips[2 * c], self._clips[2 * c + 1]
            pos_tracker.process(x[c], position, float(seg_max[c].max()), self._flat)
            neg_tracker.process(x[c], position, float(-seg_min[c].min()), self._flat)

    def _cell_stats(self, first_cell: int, cells: list[np.ndarray]) -> None:
        cmax, cmin, energy, rmax, total = cells
        k = cmax.shape[1]
        if k == 0:
            return
        bounds = self._cell_grid.start(np.arange(first_cell, first_cell + k + 1))
        sizes = np.diff(bounds).astype(np.float64)
        level = np.maximum(cmax, -cmin).max(axis=0)
        self._clicks.process(first_cell, rmax, level)
        self._gaps.process(first_cell, level)
        rows = np.vstack([energy.mean(axis=0), total]).astype(np.float64)
        self._add_tick_stats(first_cell, rows, sizes)

    def _add_tick_stats(self, first_cell: int, rows: np.ndarray, sizes: np.ndarray) -> None:
        """Sum cell sums ``rows`` (r, cells) into ticks (100 cells each), as means per
        sample; the last tick stays open."""
        ticks = (first_cell + np.arange(rows.shape[1])) // CELLS_PER_TICK
        base = int(ticks[0])
        sums = np.stack([np.bincount(ticks - base, weights=row) for row in rows])
        counts = np.bincount(ticks - base, weights=sizes)
        if base == self._tick_open_index:
            sums[:, 0] += self._tick_open[:-1]
            counts[0] += self._tick_open[-1]
        else:  # the open tick ended exactly at a block edge
            self._close_tick()
        if counts.size > 1:
            self._tick_stats.append(sums[:, :-1] / counts[:-1])
        self._tick_open = np.append(sums[:, -1], counts[-1])
        self._tick_open_index = int(ticks[-1])

    def _close_tick(self) -> None:
        if self._tick_open[-1]:
            self._tick_stats.append((self._tick_open[:-1] / self._tick_open[-1])[:, None])
        self._tick_open = np.zeros_like(self._tick_open)

    # -- end ---------------------------------------------------------------------------------
    def finish(self) -> Measurements:
        first, last = self._cells.take_complete(final=True)
        if last:
            self._cell_stats(first, last)
        self._clicks.finish()
        self._declick.process(np.zeros((self.channels, 0), np.float32), self.frames,
                              self._clicks.take())
        self._declick.finish()
        for tracker in self._clips:
            tracker.finish()
        self._close_tick()
        stats = (np.concatenate(self._tick_stats, axis=1) if self._tick_stats
                 else np.zeros((1 + self.channels, 0)))
        m = Measurements()
        v = m.values
        frames, rate = self.frames, self.rate
        duration = frames / rate if rate else 0.0
        n_ticks = self.grid.n_ticks(frames)

        # DC offset: mean sample value per channel (fraction of full scale, signed); the
        # steady offset is the part every second of the file holds.
        dc = self._sum / max(frames, 1)
        v["artifacts.dc_offset_left"] = float(dc[0]) if frames else None
        v["artifacts.dc_offset_right"] = float(dc[1]) if frames and self.channels > 1 else None
        with np.errstate(divide="ignore"):
            sounding = 10 * np.log10(stats[0]) > SILENT_DBFS
        steady = _steady_offset(stats[1:, sounding])
        v["artifacts.dc_offset_dbfs"] = 20 * math.log10(steady) if steady > 0 else None

        # Clipping: runs at each channel's positive and negative extreme.
        clip_log = _merge([t.log for t in self._clips])
        v["artifacts.clipped_samples"] = int(sum(t.samples for t in self._clips))
        v["artifacts.clipped_runs"] = clip_log.count
        v["artifacts.clipped_times_s"] = sorted(set(clip_log.times_s))[:50]
        m.series["artifacts.clipped_samples"] = self.grid.reduce_windows(
            clip_log.per_tick(n_ticks, weighted=True))

        # Clicks.
        clicks = self._declick.log
        v["artifacts.click_count"] = clicks.count
        v["artifacts.click_times_s"] = clicks.times_s
        v["artifacts.click_rate_per_min"] = clicks.count / duration * 60 if duration > 0 else None
        m.series["artifacts.click_count"] = self.grid.reduce_windows(clicks.per_tick(n_ticks))

        # Dropouts.
        gaps = self._gaps.log
        v["artifacts.dropout_count"] = gaps.count
        v["artifacts.dropout_total_s"] = round(gaps.weight, 4)
        v["artifacts.dropout_times_s"] = gaps.times_s
        m.series["artifacts.dropout_count"] = self.grid.reduce_windows(gaps.per_tick(n_ticks))

        # Hum.
        hum = self._hum.result()
        v["artifacts.hum_frequency_hz"] = hum.frequency_hz
        v["artifacts.hum_salience_db"] = hum.salience_db
        v["artifacts.hum_harmonics"] = hum.harmonics
        v["artifacts.hum_family_salience_db"] = hum.family_salience_db
        v["artifacts.hum_fine_salience_db"] = hum.fine_salience_db
        v["artifacts.hum_comb_db"] = hum.comb_db
        if hum.salience_db is None:
            m.notes.append("hum: under ~1.5 s of signal, too short to resolve 50/60 Hz lines")

        # Noise floor, SNR, hiss.
        self._noise(stats[0], v, m)

        # Leading / trailing silence.
        if self._first_loud is None:
            v["artifacts.leading_silence_s"] = duration
            v["artifacts.trailing_silence_s"] = duration
            m.notes.append(f"no sample above {SILENCE_THRESHOLD_DBFS:.0f} dBFS: the file is silent")
        else:
            v["artifacts.leading_silence_s"] = self._first_loud / rate
            v["artifacts.trailing_silence_s"] = (frames - 1 - self._last_loud) / rate
        return m

    def _noise(self, tick_ms: np.ndarray, v: dict, m: Measurements) -> None:
        """Noise floor, SNR and hiss from the tick spectra; ``tick_ms``: tick mean squares."""
        with np.errstate(divide="ignore"):
            level = 10 * np.log10(tick_ms)
        active = level > SILENT_DBFS
        found = self._spectra.floors(level)
        v.update(dict.fromkeys(("artifacts.noise_floor_dbfs", "artifacts.snr_db",
                                "artifacts.hiss_db", "artifacts.hiss_snr_db",
                                "artifacts.noise_bands")))
        if found is None or not np.any(active):
            return
        quiet_floor, steady = found
        floors = np.where(steady, quiet_floor, 0.0)
        v["artifacts.noise_bands"] = int(steady.sum())
        if not np.any(steady):
            m.notes.append("noise floor: no band shows a steady floor; any noise lies under "
                           "the music throughout")
            return
        programme = 10 * math.log10(float(np.mean(tick_ms[active])))
        floor_db = 10 * math.log10(float(floors.sum()))
        v["artifacts.noise_floor_dbfs"] = floor_db
        v["artifacts.snr_db"] = programme - floor_db
        hiss = self._spectra.hiss_power(quiet_floor, steady)
        if hiss is not None:
            v["artifacts.hiss_db"] = 10 * math.log10(hiss)
            v["artifacts.hiss_snr_db"] = programme - v["artifacts.hiss_db"]


def _steady_offset(tick_means: np.ndarray) -> float:
    """The DC offset held through the file (full-scale units, >= 0), largest over channels.

    ``tick_means``: (channels, ticks) mean sample value per 100 ms tick, the ticks of
    digital silence left out (an edited head or tail of zeros holds no offset, however much
    of the file it takes). Per second (10 ticks; the whole file if shorter) the channel's
    mean; the steady offset is the 10th percentile of those means on the side of their
    median, or 0. A converter's offset is the same in every second, quiet ones included;
    the mean that asymmetric clipping or limiting of asymmetric waveforms (kick drums)
    leaves comes and goes with the loud passages and reads near 0 here.
    """
    ticks = tick_means.shape[1]
    if ticks == 0:
        return 0.0
    per = min(DC_SECOND_TICKS, ticks)
    whole = ticks // per * per
    seconds = tick_means[:, :whole].reshape(tick_means.shape[0], -1, per).mean(axis=2)
    side = np.sign(np.median(seconds, axis=1, keepdims=True))
    held = np.percentile(seconds * side, DC_HELD_PERCENTILE, axis=1)
    return float(max(np.max(held), 0.0))


def _merge(logs: list[EventLog]) -> EventLog:
    """One log of the events of several channels and polarities."""
    out = EventLog()
    for log in logs:
        out.count += log.count
        out.weight += log.weight
        for tick, value in log.per_tick_count.items():
            out.per_tick_count[tick] += value
        for tick, value in log.per_tick_weight.items():
            out.per_tick_weight[tick] += value
        out.times_s.extend(log.times_s)
    return out
