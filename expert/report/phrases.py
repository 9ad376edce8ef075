"""Sentences and orderings shared by the document renderers (markdown, HTML): what a meter
is read against, where a diagnosis lies, which profile judged, the batch order. Plain text;
each renderer escapes it for its own format."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from expert.report.format import fmt_ranges, fmt_time
from expert.report.models import FileReport
from expert.report.pictures import Meter, where
from expert.rules.expr.template import format_value
from expert.rules.model import FileEnvelope

#: Units not written after a number (a coefficient or a count speaks for itself).
UNITLESS = ("coefficient", "count", "bool")
#: How many event times a "where" lists before "and N more".
EVENTS_SHOWN = 8
_VERDICT_RANK = {"fail": 0, "warn": 1, "pass": 2}
T = TypeVar("T")


def meter_unit(meter: Meter) -> str:
    return "" if meter.unit in UNITLESS else meter.unit


def meter_value(meter: Meter) -> str:
    return format_value(meter.value, ".2f" if meter.unit == "coefficient" else ".1f")


def family_sentence(envelope: FileEnvelope) -> str:
    """Which released masters the file was read against, and how that family was chosen."""
    chosen, families = envelope.chosen, envelope.families
    if envelope.family == "union" or chosen is None or chosen.by == "none":
        return ("Read against every family of released music together (the lowest p5 and "
                "highest p95): there was no spectrum to choose one by.")
    if chosen.by == "genre":
        return f"Read against released {families[0]} masters: the genre's family."
    distance = format_value(chosen.distance, ".2f")
    following = (f"; next {chosen.next_family} at {format_value(chosen.next_distance, '.2f')}"
                 if chosen.next_family else "")
    if len(families) > 1:
        return (f"Read against released {families[0]} and {families[1]} masters together: "
                f"the two families nearest to this spectrum are about as near ({distance} "
                f"and {format_value(chosen.next_distance, '.2f')}, mean band distance), so "
                "each range is the wider of the two; --genre sets the family.")
    return (f"Read against released {families[0]} masters: the family nearest to this "
            f"spectrum (mean band distance {distance}{following}); --genre sets the family.")


def meter_versus(meter: Meter) -> str:
    """'target -14.0 LUFS', 'ceiling -1.0 dBTP', 'released music 0.5–3.4 LU' or ''."""
    unit = meter_unit(meter)
    if meter.target is not None:
        return f"{meter.target_kind} {format_value(meter.target, '.1f')} {unit}".rstrip()
    if meter.spread is not None:
        return (f"released music {format_value(meter.spread.p5, '.1f')}–"
                f"{format_value(meter.spread.p95, '.1f')} {unit}").rstrip()
    return ""


def meter_outside(meter: Meter) -> str:
    """'above' / 'below' when the value lies outside the family's spread (unusual, whether
    or not a rule minds), else ''."""
    return meter.placement if meter.placement in ("above", "below") else ""


def meter_state(meter: Meter) -> str:
    """The worst severity of the diagnoses that judged the meter; 'pass' when it has a
    value and something to read it against and none did; 'none' otherwise."""
    if meter.severity is not None:
        return meter.severity
    return "pass" if meter.value is not None and meter_versus(meter) else "none"


def where_text(diagnosis: Any, entry: FileReport) -> str:
    """'whole track', the passages, a silence's own span, and the events' times (1 ms)."""
    w = where(diagnosis, entry)
    if w.whole_track:
        return "whole track"
    parts = [fmt_ranges(list(w.ranges))] if w.ranges else []
    parts += [fmt_ranges([span]) for span in w.spans]
    if w.events_s:
        times = [fmt_time(t, 3) for t in w.events_s]
        shown = ", ".join(times[:EVENTS_SHOWN])
        if len(times) > EVENTS_SHOWN:
            shown += f" and {len(times) - EVENTS_SHOWN} more"
        parts.append(f"{len(times)} event{'s' * (len(times) != 1)} at {shown}")
    return "; ".join(parts)


def condition_unit(condition: Any, diagnosis: Any) -> str:
    """The unit of a condition that compares one bare descriptor (its evidence names it
    and holds the compared value); '' for an expression, whose value need not share its
    descriptors' unit (a loudness minus a target is in LU)."""
    head = condition.text.split(" ", 1)[0]
    return next((e.unit for e in diagnosis.evidence if e.descriptor == head
                 and isinstance(e.value, float) and isinstance(condition.observed, float)
                 and math.isclose(e.value, condition.observed, abs_tol=1e-3)), "")


#: The unit of a difference of two levels (two LUFS readings differ by LU).
DIFFERENCE_UNIT = {"LUFS": "LU", "dBTP": "dB", "dBFS": "dB"}


def margin_text(margin: float | None, unit: str) -> str:
    """By how much a condition holds, signed, as a difference in the condition's unit
    (a count whole)."""
    text = format_value(margin, "+.0f" if unit == "count" else "+.2f")
    if margin is None or not unit or unit in UNITLESS:
        return text
    return f"{text} {DIFFERENCE_UNIT.get(unit, unit)}"


def profile_line(profile: Mapping[str, Any]) -> str:
    """'Judged for Music streaming: target -14 LUFS, true peak at most -1 dBTP, genre rock.'"""
    targets = profile.get("targets") or {}
    text = f"Judged for {profile.get('title') or profile.get('name')}"
    if targets.get("integrated_lufs") is not None:
        text += f": target {targets['integrated_lufs']:g} LUFS"
        if targets.get("true_peak_dbtp") is not None:
            text += f", true peak at most {targets['true_peak_dbtp']:g} dBTP"
    if profile.get("genre"):
        text += f", genre {profile['genre']}"
    refs = [str(path).rsplit("/", 1)[-1] for path in profile.get("references") or []]
    if refs:
        text += (f", targets from the reference {refs[0]}" if len(refs) == 1
                 else f", targets from the average of {len(refs)} references ({', '.join(refs)})")
    elif profile.get("reference"):
        text += ", targets from a reference track"
    return text + "."


def worst_first(entries: Iterable[tuple[T, FileReport]]) -> list[tuple[T, FileReport]]:
    """Batch order for a summary: unreadable files first (nothing could be said about
    them), then fail, warn, pass; input order within each."""
    return sorted(entries, key=lambda pair: (
        pair[1].ok, _VERDICT_RANK.get(pair[1].verdict or "", len(_VERDICT_RANK))))


def problem_keys(entry: FileReport) -> dict[str, str]:
    """Problem key -> the severity it was first reported at, in report order."""
    keys: dict[str, str] = {}
    for d in entry.diagnoses:
        keys.setdefault(d.problem, d.severity)
    return keys
