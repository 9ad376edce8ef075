"""How far a mix sits from each reference track: arithmetic on the two files' descriptors.

The loudness difference is of ITU-R BS.1770 integrated loudness (LU); the tonal distance
is the root mean square of the differences of the catalogue's seven band shares (each dB
relative to its own track's total power, so a level difference does not count as EQ), and
each band's difference is given too, so the report can say where the mix departs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from expert.descriptors.values import number_or_none

#: The band shares compared, low to high (expert/descriptors/spectrum.py).
BANDS: tuple[str, ...] = ("sub_db", "bass_db", "low_mid_db", "mid_db", "high_mid_db",
                          "presence_db", "brilliance_db")
_DECIMALS = 2


class ReferenceDistance(BaseModel):
    """The mix against one reference track (``reports[].references[]``)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    loudness_difference_lu: float | None = Field(description=(
        "Mix minus reference integrated loudness, LU; null when either is undefined."))
    tonal_distance_db: float | None = Field(description=(
        "RMS over the seven band shares of mix minus reference, dB; null when none is "
        "defined on both."))
    band_differences_db: dict[str, float] = Field(default_factory=dict, description=(
        "Band share (spectrum.<band>) of the mix minus the reference's, dB."))


def reference_distance(descriptors: Mapping[str, Any], path: str,
                       reference: Mapping[str, Any]) -> ReferenceDistance:
    """The mix's ``descriptors`` against one reference's."""
    def diff(name: str) -> float | None:
        a, b = number_or_none(descriptors.get(name)), number_or_none(reference.get(name))
        return None if a is None or b is None else a - b

    bands = {b: round(d, _DECIMALS) + 0.0 for b in BANDS
             if (d := diff(f"spectrum.{b}")) is not None}
    loud = diff("loudness.integrated_lufs")
    tonal = math.sqrt(sum(d * d for d in bands.values()) / len(bands)) if bands else None
    return ReferenceDistance(
        path=path, loudness_difference_lu=None if loud is None else round(loud, _DECIMALS) + 0.0,
        tonal_distance_db=None if tonal is None else round(tonal, _DECIMALS),
        band_differences_db=bands)


def reference_distances(descriptors: Mapping[str, Any],
                        references: Sequence[tuple[str, Mapping[str, Any]]]
                        ) -> list[ReferenceDistance]:
    """The mix against every reference, in the order they were given."""
    return [reference_distance(descriptors, path, ref) for path, ref in references]
