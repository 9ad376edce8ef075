"""Event detectors of the artifacts group: clipped runs, clicks, dropouts.

Each detector is fed block by block (clipping) or cell by cell (clicks, dropouts; see
``CELLS_PER_S``), keeps a bounded carry between calls, and records its events in an
``EventLog``: counts per 100 ms tick (for the time-resolved series) and the first
``MAX_LISTED`` event times (for the report). Memory is bounded by the number of ticks.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from expert.features.base import running
from expert.features.detectors import ClickThresholds, ClipThresholds, DropoutThresholds

#: The detectors' fine time grid: 1 ms cells, a hundred to each 100 ms tick of ``TimeGrid``
#: (one rounding for both: ``segments.Segments``).
CELLS_PER_S = 1000
CELLS_PER_TICK = 100
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


class ClipTracker:
    """Runs of >= ``min_run_samples`` samples stuck at a channel's extreme value, one polarity.

    Criterion: consecutive samples whose value is within ``REL_TOL`` (relative) of the
    channel's most positive (or most negative) sample in the file, provided that extreme
    is above ``min_level_dbfs`` (rules/detectors/detectors.yaml). Taking the file's own
    extreme, not full scale, also catches audio that was clipped and then turned down. The
    extreme is known only at the end, so the tracker follows the running extreme and
    restarts its count whenever a sample exceeds the level it counts at by more than the
    tolerance.
    """

    REL_TOL = 2e-5  # under one 16-bit step at full scale (3.05e-5): "the same sample value"

    def __init__(self, rate_hz: int, sign: float, cells: set[int],
                 limits: ClipThresholds) -> None:
        """``cells``: a set shared with the click finder, which receives the 1 ms cells where
        runs start and end (the corners of the flat tops) and prunes it."""
        self.min_run = limits.min_run_samples
        self.min_level = 10 ** (limits.min_level_dbfs / 20)
        self.rate = rate_hz
        self.sign = sign
        self.cells = cells
        self.level = 0.0  # the value runs are counted at (0 = none yet)
        self.log = EventLog()
        self.samples = 0
        self._open_start = -1  # global start of a run touching the end of the last block
        self._open_len = 0

    def process(self, x: np.ndarray, position: int, block_extreme: float, work: np.ndarray) -> None:
        """``x``: one channel of the block; ``block_extreme``: max of sign * x over it."""
        if block_extreme < self.min_level and self.level == 0.0:
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
        keep = ends - starts >= self.min_run
        starts, ends = starts[keep], ends[keep]
        if starts.size:
            self.cells.update((starts * 1000 // self.rate).tolist())
            self.cells.update(((ends - 1) * 1000 // self.rate).tolist())
            ticks = (starts * 10) // self.rate
            self.log.add(ticks, starts / self.rate, ends - starts)
            self.samples += int((ends - starts).sum())

    def finish(self) -> None:
        self._close()


def _context_max(a: np.ndarray, w: int) -> np.ndarray:
    """For each column i of ``a`` (rows, n, values >= 0) with w columns on both sides: the
    largest value of columns i-w..i-2 and i+2..i+w. Shape (rows, n - 2w)."""
    n = a.shape[1]
    # Running max over w - 1 columns, anchored at its last column.
    run = running(np.maximum, a, w - 1, w - 2)
    # Columns i-w..i-2 end at i-2; columns i+2..i+w end at i+w.
    return np.maximum(run[:, w - 2:n - w - 2], run[:, 2 * w:])


def _context_mean(a: np.ndarray, w: int) -> np.ndarray:
    """As ``_context_max``, the mean of those 2(w - 1) columns."""
    n = a.shape[1]
    c = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    i = np.arange(w, n - w)
    total = (c[:, i - 1] - c[:, i - w]) + (c[:, i + w + 1] - c[:, i + 2])
    return total / (2 * (w - 1))


class ClickFinder:
    """Impulsive discontinuities: one-off impulses in a high-pass residual.

    The residual is the 3rd-order difference e[n] = x[n] - 3x[n-1] + 3x[n-2] - x[n-3]
    (gain |2 sin(pi f / fs)|^3: -51 dB at 1 kHz, +2 dB at 8 kHz, at 44.1 kHz), which
    removes the tonal body of music and keeps impulses (an impulse of height a gives peaks
    of 3a). Per 1 ms cell and channel, the residual peak is

    - an *impulse* when it exceeds ``impulse_ratio`` times every other residual peak within
      ``LOCAL`` cells on either side (the adjacent cells, which an impulse may spill into,
      excepted): noise bursts (hi-hats, snares, fricatives, distortion) have many peaks of
      one size and are no impulses;
    - a *click* when it is an impulse, stands ``impulse_ratio`` times over every other sharp
      edge within ``CONTEXT`` cells, and exceeds ``min_residual_peak``. A sharp edge is a
      peak ``edge_ratio`` times the mean peak of its own ``LOCAL`` surroundings (a mean, so
      that an edge stays an edge when a click lands next to it; noise peaks are no edges).
      A click is a one-off; the sharp edges of music recur: the edge of a sawtooth or
      pulse-wave bass comes back every period (at most 25 ms: 40 Hz, below the lowest bass
      fundamental in use, E1 = 41.2 Hz), and a drum onset comes with the bass notes it is
      played with.

    Adjacent cells are one click. The cells found are *candidates* (``candidates``, taken
    by ``take``): ``declick.ClickVerifier`` judges them on the samples around them.
    Impulses hidden in the noise of a simultaneous hi-hat or
    snare are missed, as they are by ear. Edges that other detectors own are not clicks: an
    impulse with near-silence (a cell peak under the dropouts' ``quiet_dbfs``) among the
    ``EDGE_CELLS`` on one side only (the edge of a dropout or of the silence at either
    end), or within ``EDGE_CELLS`` of a corner of a clipped run (``clipped_cells``, filled
    by the clip trackers), is left to those detectors. The thresholds are
    rules/detectors/detectors.yaml's.
    """

    LOCAL = 5  # cells on each side for the impulse test
    CONTEXT = 25  # cells on each side for the one-off test (25 ms: one period of 40 Hz)
    EDGE_CELLS = 2

    def __init__(self, rate_hz: int, clipped_cells: set[int], limits: ClickThresholds, *,
                 quiet_dbfs: float) -> None:
        self.ratio, self.edge_ratio = limits.impulse_ratio, limits.edge_ratio
        self.floor = limits.min_residual_peak
        self.quiet = 10 ** (quiet_dbfs / 20)
        self.rate = rate_hz
        self.candidates: list[int] = []
        self.clipped_cells = clipped_cells
        self._reach = self.LOCAL + self.CONTEXT  # cells needed on each side of a judged cell
        self._peak = np.zeros((0, 0))  # carried cells: residual peak per channel
        self._level = np.zeros(0)  # carried cells: sample peak, max over channels
        self._first = 0  # cell index of the first carried cell
        self._last_hit = -10

    def process(self, first_cell: int, peak: np.ndarray, level: np.ndarray) -> None:
        """``peak``: (channels, cells) residual peaks of complete cells; ``level``: (cells,)
        their sample peaks, max over channels."""
        if peak.shape[1] == 0:
            return
        r = self._reach
        if self._peak.size == 0:  # before the file: no context (0), not silence
            self._peak = np.zeros((peak.shape[0], r))
            self._level = np.full(r, np.inf)
            self._first = first_cell - r
        p = np.concatenate([self._peak, peak], axis=1)
        lv = np.concatenate([self._level, level])
        self._evaluate(p, lv, self._first)
        keep = min(2 * r, p.shape[1])
        self._first += p.shape[1] - keep
        self._peak, self._level = p[:, -keep:], lv[-keep:]

    def _evaluate(self, p: np.ndarray, lv: np.ndarray, first: int) -> None:
        """Judge the cells of ``p`` (cell ``first`` onwards) that have their full reach."""
        r, e = self._reach, self.EDGE_CELLS
        k = p.shape[1] - 2 * r
        if k <= 0:
            return
        local = _context_max(p, self.LOCAL)  # cells LOCAL .. n - LOCAL
        core = p[:, self.LOCAL:p.shape[1] - self.LOCAL]
        impulses = np.where(core > self.edge_ratio * _context_mean(p, self.LOCAL), core, 0.0)
        neighbours = _context_max(impulses, self.CONTEXT)  # cells r .. n - r
        centre = p[:, r:r + k]
        impulse = centre > self.ratio * local[:, self.CONTEXT:self.CONTEXT + k]
        hit = np.any(impulse & (centre > self.ratio * neighbours) & (centre > self.floor), axis=0)
        # The edge of near-silence: a quiet cell on one side only (a click in a quiet
        # passage has quiet on both sides and stays a click).
        sides = sliding_window_view(lv, e)  # side j covers cells j .. j + e - 1
        before = sides[r - e:r - e + k].min(axis=1) < self.quiet
        after = sides[r + 1:r + 1 + k].min(axis=1) < self.quiet
        cells = np.flatnonzero(hit & (before == after)) + first + r
        # Clipped runs before the next cell to judge, less the edge, can no longer matter.
        horizon = first + r + k - e
        if cells.size:
            self._record(cells)
        self.clipped_cells.difference_update([j for j in self.clipped_cells if j < horizon])

    def _record(self, cells: np.ndarray) -> None:
        # Adjacent cells are one click (a residual spans 4 samples and may straddle cells).
        fresh = np.concatenate([[cells[0] - self._last_hit > 1], np.diff(cells) > 1])
        self._last_hit = int(cells[-1])
        cells = cells[fresh]
        e = self.EDGE_CELLS
        if self.clipped_cells:
            near = np.array([any(j + d in self.clipped_cells for d in range(-e, e + 1))
                             for j in cells.tolist()], dtype=bool)
            cells = cells[~near]
        self.candidates.extend(cells.tolist())

    def take(self) -> list[int]:
        """The candidate cells found since the last call."""
        out, self.candidates = self.candidates, []
        return out

    def finish(self) -> None:
        if self._peak.size:
            pad = np.zeros((self._peak.shape[0], self._reach))
            self._evaluate(np.concatenate([self._peak, pad], axis=1),
                           np.concatenate([self._level, np.full(self._reach, np.inf)]),
                           self._first)
            self._peak = np.zeros((0, 0))


class GapFinder:
    """Dropouts: runs of cells that fall to near silence inside the programme.

    A dropout is a run of ``min_ms``..``max_ms`` consecutive 1 ms cells whose peak (over all
    channels) stays under ``quiet_dbfs`` (digital silence included), with signal above
    ``loud_dbfs`` within ``EDGE_CELLS`` ms before and after it: a sudden drop and a sudden
    return (rules/detectors/detectors.yaml: -60 and -40 dBFS, 5 ms to 1 s). Reverb tails
    fade over far more than 5 ms and are not counted; neither are the leading and trailing
    silence (no signal before or after them). Longer runs are musical pauses or edits.
    """

    EDGE_CELLS = 5

    def __init__(self, rate_hz: int, limits: DropoutThresholds) -> None:
        self.quiet = 10 ** (limits.quiet_dbfs / 20)
        self.loud = 10 ** (limits.loud_dbfs / 20)
        self.min_cells, self.max_cells = limits.min_ms, limits.max_ms  # 1 ms cells
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
        starts, ends = _runs(p < self.quiet)
        e = self.EDGE_CELLS
        # A run is judged once the cells after it are in; the last open run waits.
        done = ends + e <= p.size
        self._judge(p, starts[done], ends[done])
        if np.any(~done):
            keep_from = max(int(starts[~done][0]) - e, 0)
            if p.size - keep_from > self.max_cells + 3 * e:
                # Already too long to be a dropout: keep only its tail, marked by no context.
                keep_from = p.size - e
        else:
            keep_from = max(p.size - e, 0)
        self._carry = p[keep_from:]
        self._first += keep_from

    def _judge(self, p: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        e = self.EDGE_CELLS
        length = ends - starts
        ok = (length >= self.min_cells) & (length <= self.max_cells) & (starts >= e)
        starts, ends, length = starts[ok], ends[ok], length[ok]
        if starts.size == 0:
            return
        offsets = np.arange(e)
        before = p[starts[:, None] - e + offsets].max(axis=1)
        after = p[ends[:, None] + offsets].max(axis=1)
        real = (before >= self.loud) & (after >= self.loud)
        cells = starts[real] + self._first
        durations_s = (np.rint((ends[real] + self._first) * self.rate / 1000)
                       - np.rint(cells * self.rate / 1000)) / self.rate
        starts_s = np.rint(cells * self.rate / 1000) / self.rate
        self.log.add(cells // CELLS_PER_TICK, starts_s, durations_s)
