"""Album facts: each track against the album's median track, and the album as a whole,
from the members' descriptors (``expert.descriptors.album`` documents every name). No
audio is touched."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from expert.descriptors.values import number_or_none

_DECIMALS = 2

Value = Callable[[Mapping[str, Any]], float | None]


def _get(name: str) -> Value:
    return lambda d: number_or_none(d.get(name))


def _contrast(a: str, b: str) -> Value:
    def value(d: Mapping[str, Any]) -> float | None:
        va, vb = number_or_none(d.get(a)), number_or_none(d.get(b))
        return None if va is None or vb is None else va - vb
    return value


#: album.track_<x>_vs_album_<unit> <- the member value it compares.
_VS_ALBUM: dict[str, Value] = {
    "album.track_vs_album_lu": _get("loudness.integrated_lufs"),
    "album.track_brightness_vs_album_db": _contrast("spectrum.brilliance_db", "spectrum.mid_db"),
    "album.track_bass_vs_album_db": _contrast("spectrum.bass_db", "spectrum.mid_db"),
    "album.track_width_vs_album_pct": _get("stereo.width_pct"),
    "album.track_plr_vs_album_db": _get("loudness.plr_db"),
}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, _DECIMALS) + 0.0


def album_facts(members: Sequence[Mapping[str, Any]], numbers: Sequence[int] | None = None
                ) -> tuple[dict[str, float | None], list[dict[str, float | None]]]:
    """(album facts, one dict of ``album.track_*`` facts per member), members in album
    order. ``numbers``: each member's track number (default 1, 2, ...; a track left out,
    e.g. unreadable, keeps its number, and the gap next to it is unknown). Undefined values
    are None."""
    numbers = list(numbers) if numbers is not None else list(range(1, len(members) + 1))
    loud = [number_or_none(m.get("loudness.integrated_lufs")) for m in members]
    peaks = [p for m in members if (p := number_or_none(m.get("loudness.true_peak_dbtp")))
             is not None]
    known = [v for v in loud if v is not None]
    album: dict[str, float | None] = {
        "album.n_tracks": float(len(members)),
        "album.loudness_spread_lu": _r(max(known) - min(known) if known else None),
        "album.loudest_lufs": _r(max(known) if known else None),
        "album.loudness_median_lufs": _r(statistics.median(known) if known else None),
        "album.true_peak_max_dbtp": _r(max(peaks) if peaks else None),
    }
    medians: dict[str, float | None] = {}
    for name, value in _VS_ALBUM.items():
        have = [v for m in members if (v := value(m)) is not None]
        medians[name] = statistics.median(have) if have else None
    tracks: list[dict[str, float | None]] = []
    for i, member in enumerate(members):
        facts: dict[str, float | None] = {"album.track_number": float(numbers[i]),
                 "album.track_below_loudest_lu": _r(
                     None if loud[i] is None or not known else max(known) - loud[i])}
        for name, median in medians.items():
            mine = _VS_ALBUM[name](member)
            facts[name] = _r(None if mine is None or median is None else mine - median)
        gap = None
        if i > 0 and numbers[i - 1] == numbers[i] - 1:
            tail = number_or_none(members[i - 1].get("artifacts.trailing_silence_s"))
            lead = number_or_none(member.get("artifacts.leading_silence_s"))
            gap = None if tail is None or lead is None else tail + lead
        facts["album.track_gap_before_s"] = _r(gap)
        tracks.append(facts)
    return album, tracks
