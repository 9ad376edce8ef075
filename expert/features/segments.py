"""The file cut into fixed segments, and per-segment reductions of sample streams.

Every time-resolved quantity of the analyzers is a reduction (sum, maximum, minimum) of
per-sample values over segments of 1/``per_second`` s: 1 ms cells (artifact detectors),
10 ms steps (momentary and short-term loudness), 100 ms ticks (the ``TimeGrid`` of the
windowed descriptors). One rounding for all of them, so a tick holds exactly ten steps and
a hundred cells; one reducer, so a segment split over two blocks is reduced exactly as if it
had arrived whole. Arrays are (rows, samples): channels or quantities first, time last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class Segments:
    """Segment k covers samples [rint(k * rate / per_second), rint((k + 1) * rate / per_second))."""

    def __init__(self, rate_hz: int, per_second: int) -> None:
        self.rate_hz = rate_hz
        self.per_second = per_second

    def start(self, index: np.ndarray | int) -> np.ndarray:
        """First sample of each segment index."""
        scaled = np.asarray(index, dtype=np.int64) * self.rate_hz / self.per_second
        return np.rint(scaled).astype(np.int64)

    def index(self, sample: np.ndarray | int) -> np.ndarray:
        """Index of the segment holding each sample."""
        # Invert rint(k * rate / per_second) <= s exactly, in integer arithmetic.
        s = np.asarray(sample, dtype=np.int64)
        k = (s * self.per_second) // self.rate_hz
        k = k + (self.start(k + 1) <= s)
        return k - (self.start(k) > s)

    def lengths(self, frames: int) -> np.ndarray:
        """Samples in each segment of a file of ``frames`` samples (the last may be partial)."""
        if frames <= 0:
            return np.zeros(0, dtype=np.int64)
        edges = np.minimum(self.start(np.arange(int(self.index(frames - 1)) + 2)), frames)
        return np.diff(edges)

    def complete(self, frames: int) -> int:
        """Number of leading segments that lie wholly inside the file."""
        if frames <= 0:
            return 0
        count = int(self.index(frames - 1)) + 1
        return count if int(self.start(count)) == frames else count - 1

    def block_starts(self, position: int, n: int) -> tuple[int, np.ndarray]:
        """Index of the segment holding sample ``position``, and the offsets within the block
        [position, position + n) where its segments start (the first is always 0)."""
        first = int(self.index(position))
        last = int(self.index(position + n - 1))
        starts = self.start(np.arange(first, last + 1)) - position
        starts[0] = 0
        return first, starts


@dataclass
class BlockSegments:
    """One block's own segments: their offsets in the block and each quantity's reductions
    (the first and last segment may be partial: they continue into neighbouring blocks)."""

    starts: np.ndarray
    reduced: list[np.ndarray]


@dataclass
class SegmentReducer:
    """Per-segment reductions of consecutive blocks, one ufunc per quantity.

    ``add(position, *values)`` takes each quantity's per-sample rows, shape (rows, n), for
    samples [position, position + n), in file order. ``result()`` gives every segment so
    far; ``take_complete()`` hands over the segments that cannot grow any more (all but the
    last, which the next block may continue) and forgets them, for detectors that stream.
    """

    segments: Segments
    reduces: tuple[np.ufunc, ...]
    _chunks: list[list[np.ndarray]] = field(default_factory=list)
    _next: int = 0  # index of the first segment not yet started
    _taken: int = 0  # index of the first segment not yet handed over

    def add(self, position: int, *values: np.ndarray) -> BlockSegments:
        n = values[0].shape[1]
        if n == 0:
            return BlockSegments(np.zeros(0, np.int64), [v[:, :0] for v in values])
        if not self._chunks:
            self._chunks = [[] for _ in self.reduces]
        first, starts = self.segments.block_starts(position, n)
        reduced = [ufunc.reduceat(v, starts, axis=1) for ufunc, v in zip(self.reduces, values,
                                                                          strict=True)]
        continues = first < self._next  # the first segment continues the previous block's last
        for ufunc, chunks, seg in zip(self.reduces, self._chunks, reduced, strict=True):
            if continues:
                previous = chunks[-1]
                previous[:, -1] = ufunc(previous[:, -1], seg[:, 0])
                seg = seg[:, 1:]
            if seg.shape[1]:
                chunks.append(seg)
        self._next = first + len(starts)
        return BlockSegments(starts, reduced)

    def result(self, rows: int = 1) -> list[np.ndarray]:
        """Each quantity's reductions, (rows, segments); ``rows`` shapes the empty result.

        The chunks are merged into the arrays returned, which the reducer keeps in their
        place (a long file's per-step sums are held once, not twice): read them before the
        next ``add``, which may extend their last segment.
        """
        if not self._chunks:
            return [np.zeros((rows, 0)) for _ in self.reduces]
        merged = [np.concatenate(chunks, axis=1) for chunks in self._chunks]
        self._chunks = [[m] for m in merged]
        return merged

    def take_complete(self, *, final: bool = False) -> tuple[int, list[np.ndarray]]:
        """(index of the first, reductions) of the segments not handed over yet that are
        complete; with ``final`` (after the last block) the open last segment too."""
        first = self._taken
        if not self._chunks:
            return first, []
        merged = [np.concatenate(chunks, axis=1) for chunks in self._chunks]
        keep = 0 if final else 1
        count = merged[0].shape[1] - keep
        self._chunks = [[m[:, count:].copy()] if keep else [] for m in merged]
        self._taken += count
        return first, [m[:, :count] for m in merged]
