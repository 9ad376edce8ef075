"""What every analyzer is: a sequential accumulator fed block by block.

An ``Analyzer`` sees the file once, as consecutive float32 blocks of shape (n, channels),
keeps only bounded state (filter memories, per-tick sums, running histograms) and on
``finish`` returns its ``Measurements``: track-level values and per-window series. Memory
therefore does not grow with the duration beyond a few numbers per 100 ms tick.

Time-resolved descriptors share one ``TimeGrid``: ticks of 100 ms, windows of 3 s that
advance by 1 s. An analyzer sums what it needs per tick (``TickSums``) and reduces the
ticks of each window at the end.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

Value = float | int | bool | str | None | list[Any]


@dataclass(frozen=True)
class AnalysisContext:
    """What an analyzer knows before the first block arrives."""

    sample_rate_hz: int
    channels: int
    #: Frames announced by the container (exact for PCM, approximate for some lossy files).
    expected_frames: int


@dataclass
class Measurements:
    """The output of one analyzer.

    ``values``: track-level descriptors by catalogue name (None = undefined/not applicable).
    ``series``: per-window descriptors by catalogue name, one float per window of the
    ``TimeGrid`` (NaN = undefined in that window).
    ``notes``: one-line remarks for the report (e.g. why a value is undefined).
    """

    values: dict[str, Value] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Analyzer(ABC):
    """Base class of the block-wise extractors."""


    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    @abstractmethod
    def process(self, block: np.ndarray) -> None:
        """Consume the next block, float32 of shape (n, channels), full scale = 1.0."""

    @abstractmethod
    def finish(self) -> Measurements:
        """Return the measurements after the last block."""


class TimeGrid:
    """The shared grid of the time-resolved descriptors.

    Tick k covers samples [round(k * rate / 10), round((k + 1) * rate / 10)).
    Window j covers ticks [j * 10, j * 10 + 30), i.e. 3 s starting at j seconds. A file
    shorter than one window gets a single window over all of it.
    """

    TICK_S: ClassVar[float] = 0.1
    WINDOW_TICKS: ClassVar[int] = 30
    HOP_TICKS: ClassVar[int] = 10

    def __init__(self, sample_rate_hz: int) -> None:
        self.sample_rate_hz = sample_rate_hz

    @property
    def window_s(self) -> float:
        return self.WINDOW_TICKS * self.TICK_S

    @property
    def hop_s(self) -> float:
        return self.HOP_TICKS * self.TICK_S

    def tick_of_sample(self, sample: np.ndarray | int) -> np.ndarray:
        """Index of the tick holding each sample index."""
        rate = self.sample_rate_hz
        # Invert round(k * rate / 10) <= s exactly, in integer arithmetic.
        s = np.asarray(sample, dtype=np.int64)
        k = (s * 10) // rate
        k = k + (np.rint((k + 1) * rate / 10).astype(np.int64) <= s)
        k = k - (np.rint(k * rate / 10).astype(np.int64) > s)
        return k

    def tick_start(self, tick: np.ndarray | int) -> np.ndarray:
        return np.rint(np.asarray(tick, dtype=np.int64) * self.sample_rate_hz / 10).astype(np.int64)

    def n_ticks(self, n_frames: int) -> int:
        """Number of ticks touched by a file of ``n_frames`` samples (last one may be partial)."""
        return 0 if n_frames <= 0 else int(self.tick_of_sample(n_frames - 1)) + 1

    def windows(self, n_ticks: int) -> list[tuple[int, int]]:
        """(first tick, end tick) of each window; one window over everything if short."""
        if n_ticks <= self.WINDOW_TICKS:
            return [(0, max(n_ticks, 0))]
        count = (n_ticks - self.WINDOW_TICKS) // self.HOP_TICKS + 1
        return [(j * self.HOP_TICKS, j * self.HOP_TICKS + self.WINDOW_TICKS) for j in range(count)]

    def window_starts_s(self, n_ticks: int) -> list[float]:
        return [round(a * self.TICK_S, 3) for a, _ in self.windows(n_ticks)]

    def reduce_windows(self, per_tick: np.ndarray, how: str = "sum") -> np.ndarray:
        """Reduce a per-tick array (ticks first) over each window: sum, max, min or mean."""
        per_tick = np.asarray(per_tick, dtype=np.float64)
        spans = self.windows(per_tick.shape[0])
        reducer = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean}[how]
        if per_tick.shape[0] == 0:
            return np.full((1,) + per_tick.shape[1:], np.nan)
        return np.stack([reducer(per_tick[a:b], axis=0) for a, b in spans])


class TickSums:
    """Running per-tick sums of per-sample quantities, fed block by block.

    ``add(x)`` takes an array whose first axis is samples (the next ``len(x)`` samples of
    the file) and adds each sample's row into the sum of its tick. ``count`` holds the
    number of samples per tick, so means are ``sums / count``.
    """

    def __init__(self, grid: TimeGrid, width: int = 1) -> None:
        self.grid = grid
        self.width = width
        self.position = 0
        self._chunks: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._first_tick_open = 0  # index of the first tick not yet appended

    def add(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        n = x.shape[0]
        if n == 0:
            return
        first = int(self.grid.tick_of_sample(self.position))
        last = int(self.grid.tick_of_sample(self.position + n - 1))
        starts = self.grid.tick_start(np.arange(first, last + 1)) - self.position
        starts[0] = 0
        sums = np.add.reduceat(x, starts, axis=0)
        counts = np.diff(np.append(starts, n)).astype(np.float64)
        if first < self._first_tick_open:  # the first tick continues the previous block's last
            self._chunks[-1][-1] += sums[0]
            self._counts[-1][-1] += counts[0]
            sums, counts = sums[1:], counts[1:]
        if len(sums):
            self._chunks.append(sums)
            self._counts.append(counts)
        self._first_tick_open = last + 1
        self.position += n

    @property
    def sums(self) -> np.ndarray:
        """Array (n_ticks, width) of per-tick sums."""
        if not self._chunks:
            return np.zeros((0, self.width))
        return np.concatenate(self._chunks)

    @property
    def count(self) -> np.ndarray:
        """Array (n_ticks,) of samples per tick."""
        if not self._counts:
            return np.zeros(0)
        return np.concatenate(self._counts)


def db(power_ratio: float | np.ndarray, floor_db: float = -200.0) -> Any:
    """10*log10 of a power ratio, floored at ``floor_db`` instead of -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 10.0 * np.log10(np.maximum(power_ratio, 10.0 ** (floor_db / 10.0)))
    return float(out) if np.ndim(out) == 0 else out


def finite_or_none(value: float | None) -> float | None:
    """A float for JSON and rules: NaN and infinities become None (undefined)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
