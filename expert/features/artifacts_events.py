"""Event detectors of the artifacts group: clipped runs, clicks, dropouts.

Each detector is fed block by block (clipping) or cell by cell (clicks, dropouts; see
``artifacts_cells``), keeps a bounded carry between calls, and records its events in an
``EventLog``: counts per 100 ms tick (for the time-resolved series) and the first
``MAX_LISTED`` event times (for the report). Memory is bounded by the number of ticks.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from expert.features.artifacts_cells import CELLS_PER_TICK

#: How many event times a list descriptor holds (the first ones in the file).
MAX_LISTED = 50


class EventLog:
    """Events of one kind: per-tick counts and weights, the first ``MAX_LISTED`` times."""

    def __init__(self) -> None:
        self.count = 0
        self.weight = 0.0  # e.g. clipped samples or dropout seconds
        self.per_tick_count: dict[int, int] = defaultdict(int)
        self.per_tick_weight: dict[int, float] = defaultdict(float)
        self.times_s: list[float] = []

    def add(self, ticks: np.ndarray, times_s: np.ndarray,
            weights: np.ndarray | None = None) -> None:
        if ticks.size == 0:
            return
        w = np.ones(ticks.size) if weights is None else np.asarray(weights, dtype=np.float64)
        self.count += int(ticks.size)
        self.weight += float(w.sum())
        for tick, weight in zip(ticks.tolist(), w.tolist(), strict=True):
            self.per_tick_count[tick] += 1
            self.per_tick_weight[tick] += weight
        room = MAX_LISTED - len(self.times_s)
        if room > 0:
            self.times_s.extend(round(float(t), 4) for t in times_s[:room])

    def per_tick(self, n_ticks: int, *, weighted: bool = False) -> np.ndarray:
        out = np.zeros(n_ticks)
        source = self.per_tick_weight if weighted else self.per_tick_count
        for tick, value in source.items():
            if tick < n_ticks:
                out[tick] += value
        return out


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) ends of the runs of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _pair_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of two arrays where NaN means "missing" (the other one counts alone)."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))


class ClipTracker:
    """Runs of >= ``MIN_RUN`` samples stuck at a channel's extreme value, one polarity.

    Criterion: consecutive samples whose value is within ``REL_TOL`` (relative) of the
    channel's most positive (or most negative) sample in the file, provided that extreme
    is above ``MIN_LEVEL`` (-6 dBFS). Taking the file's own extreme, not full scale, also
    catches audio that was clipped and then turned down. The extreme is known only at the
    end, so the tracker follows the running extreme and restarts its count whenever a
    sample exceeds the level it counts at by more than the tolerance.
    """

    MIN_RUN = 3
    REL_TOL = 2e-5  # under one 16-bit step at full scale (3.05e-5): "the same sample value"
    MIN_LEVEL = 10 ** (-6 / 20)

    def __init__(self, rate_hz: int, sign: float) -> None:
        self.rate = rate_hz
        self.sign = sign
        self.level = 0.0  # the value runs are counted at (0 = none yet)
        self.log = EventLog()
        self.samples = 0
        self._open_start = -1  # global start of a run touching the end of the last block
        self._open_len = 0

    def process(self, x: np.ndarray, position: int, block_extreme: float, work: np.ndarray) -> None:
        """``x``: one channel of the block; ``block_extreme``: max of sign * x over it."""
        if block_extreme < self.MIN_LEVEL and self.level == 0.0:
            return
        if block_extreme > self.level * (1 + self.REL_TOL):
            self.level = block_extreme
            self.log = EventLog()
            self.samples = 0
            self._open_len = 0
        threshold = self.level * (1 - self.REL_TOL)
        if block_extreme < threshold:
            self._close()
            return
        np.multiply(x, self.sign, out=work[: x.size])
        idx = np.flatnonzero(work[: x.size] >= threshold)
        if idx.size == 0:
            self._close()
            return
        breaks = np.flatnonzero(np.diff(idx) != 1)
        starts = idx[np.concatenate([[0], breaks + 1])] + position
        ends = idx[np.concatenate([breaks, [idx.size - 1]])] + 1 + position
        if self._open_len and starts[0] == position:
            starts[0] = self._open_start
        else:
            self._close()
        self._open_len = 0
        if ends[-1] == position + x.size:  # still running at the block end
            self._open_start, self._open_len = int(starts[-1]), int(ends[-1] - starts[-1])
            starts, ends = starts[:-1], ends[:-1]
        self._record(starts, ends)

    def _close(self) -> None:
        if self._open_len:
            start = self._open_start
            self._record(np.array([start]), np.array([start + self._open_len]))
        self._open_len = 0

    def _record(self, starts: np.ndarray, ends: np.ndarray) -> None:
        keep = ends - starts >= self.MIN_RUN
        starts, ends = starts[keep], ends[keep]
        if starts.size:
            ticks = (starts * 10) // self.rate
            self.log.add(ticks, starts / self.rate, ends - starts)
            self.samples += int((ends - starts).sum())

    def finish(self) -> None:
        self._close()


class ClickFinder:
    """Impulsive discontinuities: cells whose high-pass residual peak towers over the
    residual of the cells around them.

    The residual is the 3rd-order difference e[n] = x[n] - 3x[n-1] + 3x[n-2] - x[n-3]
    (gain |2 sin(pi f / fs)|^3: -51 dB at 1 kHz, +2 dB at 8 kHz, at 44.1 kHz), which
    removes the tonal body of music and keeps impulses (an impulse of height a gives peaks
    of 3a). A cell (1 ms) holds a click when its residual peak exceeds ``RATIO`` times the
    mean absolute residual on *both* sides (cells k-3..k-2 and k+2..k+3, skipping the
    neighbours a click may spill into) and the ``FLOOR``. Requiring both sides is what
    spares drum hits: after an onset the drum's own residual continues, after a click it
    does not. Calibrated on ``tests/features/signals.py`` (music) (drums, hats, bass): ratio 8 gives
    false alarms on hi-hat onsets, 10 none, at 8-96 kHz.
    """

    RATIO = 10.0
    FLOOR = 2e-3  # residual peak, full-scale units (an impulse of about -63 dBFS)
    CONTEXT = 3  # cells on each side

    def __init__(self, rate_hz: int) -> None:
        self.rate = rate_hz
        self.log = EventLog()
        self._peak = np.zeros((0,))  # carried cells: residual peak (max over channels), mean
        self._mean = np.zeros((0, 1))
        self._first = 0  # cell index of the first carried cell
        self._last_hit = -10

    def process(self, first_cell: int, peak: np.ndarray, mean: np.ndarray) -> None:
        """``peak``/``mean``: (channels, cells) residual statistics of complete cells."""
        if peak.shape[1] == 0:
            return
        if self._peak.size == 0:
            self._mean = np.full((peak.shape[0], self.CONTEXT), np.nan)
            self._peak = np.full((peak.shape[0], self.CONTEXT), np.nan)
            self._first = first_cell - self.CONTEXT
        p = np.concatenate([self._peak, peak], axis=1)
        m = np.concatenate([self._mean, mean], axis=1)
        self._evaluate(p, m, self._first)
        keep = 2 * self.CONTEXT
        self._first += p.shape[1] - keep
        self._peak, self._mean = p[:, -keep:], m[:, -keep:]

    def _evaluate(self, p: np.ndarray, m: np.ndarray, first: int) -> None:
        c = self.CONTEXT
        k = p.shape[1] - 2 * c
        if k <= 0:
            return
        before = _pair_mean(m[:, 0:k], m[:, 1:1 + k])
        after = _pair_mean(m[:, 2 * c - 1:2 * c - 1 + k], m[:, 2 * c:2 * c + k])
        background = np.fmax(before, after)  # one side missing (file edge): the other
        centre = p[:, c:c + k]
        hit = np.any((centre > self.RATIO * background) & (centre > self.FLOOR), axis=0)
        cells = np.flatnonzero(hit) + first + c
        if cells.size == 0:
            return
        # Adjacent cells are one click (a residual spans 4 samples and may straddle cells).
        fresh = np.concatenate([[cells[0] - self._last_hit > 1], np.diff(cells) > 1])
        self._last_hit = int(cells[-1])
        cells = cells[fresh]
        starts = np.rint(cells * self.rate / 1000).astype(np.int64)
        self.log.add(cells // CELLS_PER_TICK, starts / self.rate)

    def finish(self) -> None:
        if self._peak.size:
            pad = np.full((self._peak.shape[0], self.CONTEXT), np.nan)
            self._evaluate(np.concatenate([self._peak, pad], axis=1),
                           np.concatenate([self._mean, pad], axis=1), self._first)
            self._peak = np.zeros((0,))


class GapFinder:
    """Dropouts: runs of cells that fall to near silence inside the programme.

    A dropout is a run of ``MIN_CELLS``..``MAX_CELLS`` consecutive 1 ms cells whose peak
    (over all channels) stays under ``QUIET`` (-60 dBFS; digital silence included), with
    signal above ``LOUD`` (-40 dBFS) within ``EDGE_CELLS`` ms before and after it: a sudden
    drop of at least 20 dB, usually much more, and a sudden return. Reverb tails fade over
    far more than 5 ms and are not counted; neither are the leading and trailing silence
    (no signal before or after them). Runs longer than ``MAX_CELLS`` are musical pauses or
    edits, not dropouts.
    """

    QUIET = 10 ** (-60 / 20)
    LOUD = 10 ** (-40 / 20)
    MIN_CELLS = 5
    MAX_CELLS = 1000
    EDGE_CELLS = 5

    def __init__(self, rate_hz: int) -> None:
        self.rate = rate_hz
        self.log = EventLog()
        self._carry = np.zeros(0)
        self._first = 0

    def process(self, first_cell: int, peak: np.ndarray) -> None:
        """``peak``: (cells,) peak magnitude of complete cells, max over channels."""
        if peak.size == 0:
            return
        if self._carry.size == 0:
            self._first = first_cell
        p = np.concatenate([self._carry, peak])
        starts, ends = _runs(p < self.QUIET)
        e = self.EDGE_CELLS
        # A run is judged once the cells after it are in; the last open run waits.
        done = ends + e <= p.size
        self._judge(p, starts[done], ends[done])
        if np.any(~done):
            keep_from = max(int(starts[~done][0]) - e, 0)
            if p.size - keep_from > self.MAX_CELLS + 3 * e:
                # Already too long to be a dropout: keep only its tail, marked by no context.
                keep_from = p.size - e
        else:
            keep_from = max(p.size - e, 0)
        self._carry = p[keep_from:]
        self._first += keep_from

    def _judge(self, p: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        e = self.EDGE_CELLS
        length = ends - starts
        ok = (length >= self.MIN_CELLS) & (length <= self.MAX_CELLS) & (starts >= e)
        starts, ends, length = starts[ok], ends[ok], length[ok]
        if starts.size == 0:
            return
        offsets = np.arange(e)
        before = p[starts[:, None] - e + offsets].max(axis=1)
        after = p[ends[:, None] + offsets].max(axis=1)
        real = (before >= self.LOUD) & (after >= self.LOUD)
        cells = starts[real] + self._first
        durations_s = (np.rint((ends[real] + self._first) * self.rate / 1000)
                       - np.rint(cells * self.rate / 1000)) / self.rate
        starts_s = np.rint(cells * self.rate / 1000) / self.rate
        self.log.add(cells // CELLS_PER_TICK, starts_s, durations_s)
