"""Playback per platform: the gain each streaming service applies to a master, and its result.

Arithmetic on two facts of the file (integrated loudness and true peak, ITU-R BS.1770) and
the knowledge of each service's normalisation (``rules/profiles/destinations.yaml``):

- louder than the reference: turned down by the difference (``gain_db`` < 0);
- quieter, on a service that does not raise it: left alone (``limited_by: turn_down_only``);
- quieter, raised within the true-peak headroom: gain = min(reference - loudness,
  ceiling - true peak), never negative (``limited_by: true_peak`` when the headroom, not
  the reference, sets it);
- quieter, raised through a limiter: the whole difference; the peaks stop at the limiter's
  ceiling (``limited_by: limiter`` when it has work to do).

The same figures as Loudness Penalty-style meters compute; no audio is touched here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from expert.descriptors.values import number_or_none
from expert.rules.model import Normalisation

LimitedBy = Literal["true_peak", "limiter", "turn_down_only"]
#: Figures are rounded to this many decimals (0.01 dB: far below any meter's accuracy).
_DECIMALS = 2


class Playback(BaseModel):
    """What one service will do to the master (contract 1.1, ``reports[].playback[]``)."""

    model_config = ConfigDict(extra="forbid")

    platform: str
    reference_lufs: float = Field(description="The service's playback reference, LUFS.")
    gain_db: float = Field(description="Gain the service applies; negative = turned down, dB.")
    limited_by: LimitedBy | None = Field(description=(
        "What stops the gain short of the reference: null when nothing does."))
    true_peak_after_dbtp: float | None = Field(description=(
        "True peak after the gain (after the limiter, where one is used), dBTP; null when "
        "the true peak is undefined."))


def playback_of(name: str, norm: Normalisation, loudness_lufs: float,
                true_peak_dbtp: float | None) -> Playback:
    """The playback of one master on one service (see the module docstring)."""
    wanted_db = norm.reference_lufs - loudness_lufs
    limited_by: LimitedBy | None = None
    gain_db = wanted_db
    peak_after = None if true_peak_dbtp is None else true_peak_dbtp + wanted_db
    if wanted_db > 0:
        if not norm.turns_up:
            gain_db, limited_by = 0.0, "turn_down_only"
            peak_after = true_peak_dbtp
        elif norm.turn_up_limit == "true_peak" and norm.ceiling_dbtp is not None:
            if true_peak_dbtp is None:  # headroom unknown: the service would not raise it
                gain_db, limited_by = 0.0, "true_peak"
            else:
                headroom_db = max(0.0, norm.ceiling_dbtp - true_peak_dbtp)
                if headroom_db < wanted_db:
                    gain_db, limited_by = headroom_db, "true_peak"
                peak_after = true_peak_dbtp + gain_db
        elif norm.turn_up_limit == "limiter" and norm.ceiling_dbtp is not None:
            if peak_after is not None and peak_after > norm.ceiling_dbtp:
                peak_after, limited_by = norm.ceiling_dbtp, "limiter"
    return Playback(
        platform=name,
        reference_lufs=norm.reference_lufs,
        gain_db=round(gain_db, _DECIMALS) + 0.0,  # + 0.0: never "-0.0"
        limited_by=limited_by,
        true_peak_after_dbtp=None if peak_after is None else round(peak_after, _DECIMALS) + 0.0,
    )


def playback(descriptors: Mapping[str, Any],
             destinations: Iterable[tuple[str, Normalisation]]) -> list[Playback]:
    """Playback on every destination, in their order; [] when the loudness is undefined."""
    loudness = number_or_none(descriptors.get("loudness.integrated_lufs"))
    if loudness is None:
        return []
    peak = number_or_none(descriptors.get("loudness.true_peak_dbtp"))
    return [playback_of(name, norm, loudness, peak) for name, norm in destinations]
