"""``Facts``: what the engine reasons over, independent of how it was measured."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from expert.descriptors import FeatureSet

Scalar = float | int | bool | str | None


@dataclass
class Facts:
    """Descriptor values of one file, plus the per-window series.

    ``descriptors``: catalogue name -> track value (None = undefined / not applicable).
    ``window_s``: window length in seconds; ``window_starts_s``: start of each window.
    ``series``: catalogue name -> one value per window (None = undefined in that window).
    """

    descriptors: dict[str, Scalar | list[Any]]
    window_s: float = 3.0
    window_starts_s: list[float] = field(default_factory=list)
    series: dict[str, list[float | None]] = field(default_factory=dict)

    @classmethod
    def from_featureset(cls, features: FeatureSet) -> Facts:
        timeline = features.timeline
        return cls(descriptors=dict(features.descriptors), window_s=timeline.window_s,
                   window_starts_s=list(timeline.starts_s), series=dict(timeline.series))

    def track_env(self) -> dict[str, Any]:
        """Descriptor values in the engine's representation (see ``expert.rules.expr``)."""
        env: dict[str, Any] = {}
        for name, value in self.descriptors.items():
            if isinstance(value, bool):
                env[name] = 1.0 if value else 0.0
            elif isinstance(value, Real):
                f = float(value)
                env[name] = f if math.isfinite(f) else math.nan
            elif isinstance(value, str):
                env[name] = value
        return env

    def window_arrays(self) -> tuple[dict[str, Any], list[str]]:
        """Series as float arrays (NaN = undefined); notes name series of the wrong length."""
        import numpy as np

        n = len(self.window_starts_s)
        arrays: dict[str, Any] = {}
        notes: list[str] = []
        for name, values in self.series.items():
            if len(values) != n:
                notes.append(f"series {name} has {len(values)} values for {n} windows; ignored")
                continue
            arr = np.array(values, dtype=float)
            arr[~np.isfinite(arr)] = np.nan
            arrays[name] = arr
        return arrays, notes
