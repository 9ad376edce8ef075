"""What every analyzer is: a sequential accumulator fed block by block.

An ``Analyzer`` sees the file once, as consecutive float32 blocks of shape (n, channels),
keeps only bounded state (filter memories, per-tick sums, running histograms) and on
``finish`` returns its ``Measurements``: track-level values and per-window series. Memory
therefore does not grow with the duration beyond a few numbers per 100 ms tick.

Time-resolved descriptors share one ``TimeGrid``: ticks of 100 ms, windows of 3 s that
advance by 1 s. An analyzer reduces what it needs per tick (``segments.SegmentReducer``) and
reduces the ticks of each window at the end.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from expert.features.detectors import DetectorThresholds, builtin_detector_thresholds
from expert.features.segments import Segments

Value = float | int | bool | str | None | list[Any]


@dataclass(frozen=True)
class AnalysisContext:
    """What an analyzer knows before the first block arrives."""

    sample_rate_hz: int
    channels: int
    #: Frames announced by the container (exact for PCM, approximate for some lossy files).
    expected_frames: int
    #: The detectors' decision thresholds (rules/detectors/detectors.yaml).
    thresholds: DetectorThresholds = field(default_factory=builtin_detector_thresholds)


@dataclass
class Measurements:
    """The output of one analyzer.

    ``values``: track-level descriptors by catalogue name (None = undefined/not applicable).
    ``series``: per-window descriptors by catalogue name, one float per window of the
    ``TimeGrid`` (NaN = undefined in that window).
    ``notes``: one-line remarks for the report (e.g. why a value is undefined).
    ``partials``: intermediate results by name that another analyzer's ``finish`` consumes
    (see ``Analyzer.consumes``); never descriptors.
    """

    values: dict[str, Value] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    partials: dict[str, np.ndarray] = field(default_factory=dict)


class Analyzer(ABC):
    """Base class of the block-wise extractors.

    ``consumes`` names the partial results of other analyzers (their
    ``Measurements.partials``, perhaps computed in the other process group) that this one's
    ``finish`` needs; they are handed over by ``receive`` just before ``finish``.
    """

    consumes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    @abstractmethod
    def process(self, block: np.ndarray) -> None:
        """Consume the next block, float32 of shape (n, channels), full scale = 1.0."""

    @abstractmethod
    def finish(self) -> Measurements:
        """Return the measurements after the last block."""

    def receive(self, partials: Mapping[str, np.ndarray]) -> None:
        """Take the partial results named in ``consumes`` (before ``finish``)."""
        raise NotImplementedError(f"{type(self).__name__} consumes {self.consumes} but does "
                                  "not take them")


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
        self.ticks = Segments(sample_rate_hz, round(1.0 / self.TICK_S))

    @property
    def window_s(self) -> float:
        return self.WINDOW_TICKS * self.TICK_S

    @property
    def hop_s(self) -> float:
        return self.HOP_TICKS * self.TICK_S

    def n_ticks(self, n_frames: int) -> int:
        """Number of ticks touched by a file of ``n_frames`` samples (last one may be partial)."""
        return 0 if n_frames <= 0 else int(self.ticks.index(n_frames - 1)) + 1

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


def db(power_ratio: float | np.ndarray, floor_db: float = -200.0) -> Any:
    """10*log10 of a power ratio, floored at ``floor_db`` instead of -inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 10.0 * np.log10(np.maximum(power_ratio, 10.0 ** (floor_db / 10.0)))
    return float(out) if np.ndim(out) == 0 else out


def running(ufunc: np.ufunc, x: np.ndarray, width: int, before: int) -> np.ndarray:
    """Running ``ufunc`` (min or max) over ``width`` values along the last axis, ``before``
    of them to the left; the edges repeat the first and last values.

    By doubling: the extreme of spans of 1, 2, 4 ... values, then of the two largest spans
    that together cover the window (they may overlap: min and max do not mind), in about
    log2(width) array operations instead of width.
    """
    n = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(before, width - 1 - before)]
    span = np.pad(x, pad, mode="edge")  # span[i]: the extreme of padded[i : i + size]
    size = 1
    while 2 * size <= width:
        span = ufunc(span[..., :-size], span[..., size:])
        size *= 2
    return ufunc(span[..., :n], span[..., width - size:width - size + n])
