"""Small formatting helpers shared by the renderers (numbers, times, units)."""

from __future__ import annotations

import math
import re
from typing import Any

from expert.rules.expr.template import format_value

# What must never reach a terminal or a document raw: C0/C1 control characters (ESC starts
# sequences that retitle or clear a terminal), DEL, bidirectional overrides (a name that
# reads backwards), and lone surrogates (Python's escapes for name bytes that are not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of the undecodable byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` (a file name, an error message) safe to print: every control character,
    bidi override and undecodable byte shown as a Python-style escape (``caf\\xe9.wav``)."""
    return _UNPRINTABLE.sub(_escape_char, text)


def fmt_value(value: Any, unit: str = "") -> str:
    """A descriptor value in a report: as explanation text shows it (``format_value``), except
    that a number keeps a fixed count of decimals (2; none from 1000 up) so that a column of
    them lines up, where explanation text drops trailing zeros; lists shortened, unit added."""
    if value is None:
        return format_value(value)
    if isinstance(value, bool):
        return format_value(value, kind="bool")
    if isinstance(value, float) and unit == "count" and value.is_integer():
        text = f"{value:.0f}"  # a count of events, not a measurement
    elif isinstance(value, float):
        text = format_value(value, ".0f" if abs(value) >= 1000 else ".2f")
    elif isinstance(value, list):
        if value and all(isinstance(v, (int, float)) or v is None for v in value):
            shown = ", ".join(fmt_value(v) for v in value[:4])
            more = f", … ({len(value)} values)" if len(value) > 4 else ""
            return f"[{shown}{more}]"
        shown = "; ".join(fmt_value(v) for v in value[:3])
        return f"[{shown}{' …' if len(value) > 3 else ''}]"
    else:
        text = str(value)
    return (f"{text} {unit}".rstrip() if unit and unit not in ("bool", "count", "coefficient")
            else text)


def fmt_time(seconds: float, digits: int = 1) -> str:
    """m:ss.s for positions in a song (``digits`` decimals of a second: 3 for events)."""
    if not math.isfinite(seconds):
        return "n/a"
    minutes, rest = divmod(round(max(seconds, 0.0), digits), 60.0)
    return f"{int(minutes)}:{rest:0{3 + digits}.{digits}f}"


def fmt_ranges(ranges: list[list[float]] | list[tuple[float, float]]) -> str:
    """'whole track' or '0:12.0-0:31.5, 1:02.0-1:10.0'."""
    if not ranges:
        return "whole track"
    return ", ".join(f"{fmt_time(a)}–{fmt_time(b)}" for a, b in ranges)


def nested_order(diagnoses: list[Any]) -> list[tuple[Any, int]]:
    """Diagnoses in reading order with their depth: each symptom right after the cause it
    is reported under (``nest_symptoms``)."""
    out: list[tuple[Any, int]] = []

    def walk(node: tuple[Any, list[Any]], depth: int) -> None:
        out.append((node[0], depth))
        for child in node[1]:
            walk(child, depth + 1)

    for root in nest_symptoms(diagnoses):
        walk(root, 0)
    return out


def nest_symptoms(diagnoses: list[Any]) -> list[tuple[Any, list[Any]]]:
    """Diagnoses as a forest: each symptom under the first of its causes (``caused_by``)
    that is reported in the same file, in the given order; a cycle stays at the top."""
    by_id = {d.rule_id: d for d in diagnoses}

    def parent(d: Any) -> Any:
        return next((by_id[c] for c in d.caused_by if c in by_id and c != d.rule_id), None)

    def top_level(d: Any) -> bool:
        seen = {d.rule_id}
        p = parent(d)
        while p is not None:
            if p.rule_id in seen:
                return True  # a cycle of causes: show it at the top
            seen.add(p.rule_id)
            p = parent(p)
        return False

    children: dict[str, list[Any]] = {}
    roots: list[Any] = []
    for d in diagnoses:
        p = parent(d)
        if p is None or top_level(d):
            roots.append(d)
        else:
            children.setdefault(p.rule_id, []).append(d)

    def tree(d: Any) -> tuple[Any, list[Any]]:
        return d, [tree(c) for c in children.get(d.rule_id, [])]

    return [tree(d) for d in roots]


#: What stops a service's gain short of its reference (``Playback.limited_by``), in words.
LIMITED_BY = {None: "", "true_peak": "true-peak headroom", "limiter": "into its limiter",
              "turn_down_only": "turns down only"}


def audio_parts(audio: Any) -> list[str]:
    """What the file is, in short phrases: format and depth, rate, channels, duration."""
    parts = [
        f"{audio.container} {audio.bit_depth}-bit" if audio.bit_depth
        else f"{audio.container} {audio.codec}",
        f"{audio.sample_rate_hz / 1000:g} kHz",
        {1: "mono", 2: "stereo"}.get(audio.channels, f"{audio.channels} ch"),
        fmt_time(audio.duration_s),
    ]
    if audio.bit_rate_kbps:
        parts.append(f"{audio.bit_rate_kbps:.0f} kbps")
    if audio.downmixed:
        parts.append(f"downmixed from {audio.source_channels} channels")
    return parts


def project_lines(profile: dict[str, Any]) -> list[str]:
    """The report header's account of the project settings (``profile['project']``): the
    file, and the rules it ignored, re-graded, re-tuned or replaced, grouped by cause."""
    project = profile.get("project") or {}
    lines = [f"project settings: {project['file']}"] if project.get("file") else []
    groups: dict[str, list[str]] = {}
    for item in project.get("ignored", []):
        groups.setdefault(f"ignore {item['by']}" if item["by"] else "not selected",
                          []).append(item["rule_id"])
    lines += [f"not reported ({why}): {', '.join(ids)}" for why, ids in groups.items()]
    groups = {}
    for item in project.get("severity", []):
        key = (f"{item['severity_was']} -> {item['severity']} "
               f"(severity {item['by']}, {item['where']})")
        groups.setdefault(key, []).append(item["rule_id"])
    lines += [f"severity {', '.join(ids)}: {key}" for key, ids in groups.items()]
    lines += [f"threshold {t['rule_id']} {t['threshold']}: {t['rule_value']:g} -> {t['value']:g} "
              f"({t['where']})" for t in project.get("thresholds", [])]
    lines += [f"rule {r['rule_id']} from {r['file']} replaces {r['replaces']}"
              for r in project.get("replaced", [])]
    return lines


def reference_line(ref: Any) -> str:
    """'+1.2 LU louder, tonal distance 2.3 dB (bass_db +3.0, ...)' for one reference."""
    loud = ref.loudness_difference_lu
    text = "loudness n/a" if loud is None else (
        f"{abs(loud):.1f} LU {'louder' if loud >= 0 else 'quieter'}")
    if ref.tonal_distance_db is not None:
        bands = ", ".join(f"{k.removesuffix('_db')} {v:+.1f}"
                          for k, v in ref.band_differences_db.items())
        text += f", tonal distance {ref.tonal_distance_db:.1f} dB ({bands} dB)"
    return text
