"""The report as Markdown: for a ticket, a pull request or a message to a client.

Verdict, meters, playback per platform and the diagnoses with their remedies in words; a
symptom is quoted under its cause. Text from outside (file names, error messages, rule
texts) is escaped, so a file name can neither start HTML nor change the Markdown around it.
"""

from __future__ import annotations

import re
from collections.abc import Set
from typing import Any

from expert.descriptors import CATALOGUE
from expert.report.format import (
    LIMITED_BY,
    audio_parts,
    fmt_value,
    nest_symptoms,
    printable,
    project_lines,
    reference_line,
)
from expert.report.models import FileReport, Report
from expert.report.phrases import (
    condition_unit,
    family_sentence,
    margin_text,
    meter_outside,
    meter_state,
    meter_unit,
    meter_value,
    meter_versus,
    problem_keys,
    profile_line,
    where_text,
    worst_first,
)
from expert.report.pictures import meters
from expert.rules.expr.template import format_value

#: Characters that start or end inline markup anywhere in a line (emphasis, code, links,
#: images, strikethrough, table cells, headings); escaped wherever they are.
_MARKUP = re.compile(r"([\\`*_\[\]#|~])")
#: What starts a list item only at the beginning of a line ("- ", "+ ", "1. ", "1) ").
_LIST_START = re.compile(r"^([-+]|\d+[.)])(?=\s|$)")
_STATE = {"error": "✗ error", "warning": "! warning", "info": "i info", "pass": "✓",
          "none": ""}


def md(text: Any) -> str:
    """Text as literal Markdown: HTML's ``& < >`` as entities, markup characters
    backslash-escaped (a list marker only at the start), line breaks as spaces."""
    plain = " ".join(printable(str(text)).split())
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    plain = _MARKUP.sub(r"\\\1", plain)
    return _LIST_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], plain)


def code(text: Any) -> str:
    """A code span that holds any text (the fence is longer than any backtick run in it)."""
    plain = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", plain)), default=0) + 1)
    pad = " " if plain.startswith("`") or plain.endswith("`") else ""
    return f"{fence}{pad}{plain}{pad}{fence}"


def _table(header: list[str], rows: list[list[str]], right: Set[int] = frozenset()
           ) -> list[str]:
    """A GFM table; a pipe inside a cell (code spans included) is escaped."""
    rule = ["---:" if i in right else "---" for i in range(len(header))]
    cells = [[re.sub(r"(?<!\\)\|", r"\\|", cell) for cell in row] for row in rows]
    return [f"| {' | '.join(header)} |", f"| {' | '.join(rule)} |",
            *(f"| {' | '.join(row)} |" for row in cells), ""]


def _meters(entry: FileReport, profile: dict[str, Any]) -> list[str]:
    rows = [[md(m.label), f"{md(meter_value(m))} {md(meter_unit(m))}".rstrip(),
             md(meter_versus(m) + (f" ({meter_outside(m)})" if meter_outside(m) else "")),
             md(_STATE[meter_state(m)] + (f" ({', '.join(m.rule_ids)})" if m.rule_ids else ""))]
            for m in meters(entry, profile)]
    return _table(["meter", "value", "read against", "judged"], rows, {1}) if rows else []


def _playback(entry: FileReport) -> list[str]:
    if not entry.playback:
        return []
    rows = [[md(p.platform.replace("_", " ")), f"{format_value(p.reference_lufs, 'g')} LUFS",
             f"{format_value(p.gain_db, '+.1f')} dB",
             md(f"{format_value(p.true_peak_after_dbtp, '.1f')} dBTP"
                if p.true_peak_after_dbtp is not None else "n/a"),
             md(LIMITED_BY.get(p.limited_by, p.limited_by or ""))]
            for p in entry.playback]
    return ["**Playback on the services**", "",
            *_table(["platform", "plays at", "gain", "true peak after", "limited by"], rows,
                    {1, 2, 3})]


def _diagnosis(node: tuple[Any, list[Any]], entry: FileReport) -> list[str]:
    d, symptoms = node
    facts = [f"*problem* {code(d.problem)}", f"certainty {d.certainty:.0%}"]
    if d.inconclusive:
        facts.append("**inconclusive** (within the measurement noise)")
    lines = [f"#### {d.severity.upper()} {code(d.rule_id)} {md(d.title)}", "",
             " · ".join(facts) + f" · *where:* {md(where_text(d, entry))}", "",
             md(d.explanation), ""]
    held = entry.conditions.get(d.rule_id, [])
    if held:
        lines += _table(["condition", "measured", "threshold", "margin"], [
            [code(c.text), md(fmt_value(c.observed, unit)),
             md(f"{c.operator} {fmt_value(c.threshold, unit)}"), md(margin_text(c.margin, unit))]
            for c in held for unit in (condition_unit(c, d),)], {1, 2, 3})
    elif d.evidence:
        lines += _table(["evidence", "measured", "condition"], [
            [code(e.descriptor), md(fmt_value(e.value, e.unit)), code(e.condition)]
            for e in d.evidence], {1})
    for r in d.remedies:
        params = ", ".join(f"{k}={fmt_value(v)}" for k, v in r.parameters.items())
        action = code(r.action) + (f" ({md(params)})" if params else "")
        lines.append(f"- **Do:** {md(r.text)} — {action}" if r.text else f"- {action}")
    if d.remedies:
        lines.append("")
    if d.caused_by:
        lines += [f"*Caused by* {md(', '.join(d.caused_by))}.", ""]
    if symptoms:
        lines += ["*Symptoms it explains:*", ""]
        for symptom in symptoms:
            lines += [f"> {line}".rstrip() for line in _diagnosis(symptom, entry)]
        lines.append("")
    return lines


def _file_section(entry: FileReport, profile: dict[str, Any], diagnoses: bool) -> list[str]:
    verdict = "UNREADABLE" if not entry.ok else (entry.verdict or "").upper()
    lines = [f"## {md(entry.path)}" + (f" — {verdict}" if verdict else ""), ""]
    if not entry.ok:
        return lines + [f"**Could not analyse:** {md(entry.error or '')}", ""]
    if entry.audio is not None:
        lines += [md(" · ".join(audio_parts(entry.audio))), ""]
    lines += [f"*Against reference* {md(ref.path)}: {md(reference_line(ref))}"
              for ref in entry.references] + ([""] if entry.references else [])
    if not diagnoses:
        rows = [[code(name), md(fmt_value(value, CATALOGUE[name].unit if name in CATALOGUE
                                          else "")),
                 md(CATALOGUE[name].meaning if name in CATALOGUE else "")]
                for name, value in entry.descriptors.items()]
        return lines + _table(["descriptor", "value", "meaning"], rows, {1})
    lines += _meters(entry, profile)
    if entry.envelope is not None:
        lines += [f"*{md(family_sentence(entry.envelope))}*", ""]
    lines += _playback(entry)
    if not entry.diagnoses:
        return lines + ["No problems found for this profile.", ""]
    lines += [f"### Diagnoses ({len(entry.diagnoses)})", ""]
    for node in nest_symptoms(entry.diagnoses):
        lines += _diagnosis(node, entry)
    return lines


def _summary(report: Report) -> list[str]:
    rows = []
    for _, entry in worst_first(enumerate(report.reports)):
        problems = (md(entry.error or "") if not entry.ok
                    else ", ".join(code(k) for k in problem_keys(entry)) or "none")
        rows.append([md(entry.path), entry.verdict or "unreadable", problems])
    return ["### Summary", "", *_table(["file", "verdict", "problems"], rows)]


def to_markdown(report: Report, *, diagnoses: bool = True) -> str:
    profile = report.profile
    lines = ["# mixexpert report", ""]
    if diagnoses:
        lines += [md(profile_line(profile)), ""]
        settings = project_lines(profile)
        lines += [f"- {md(line)}" for line in settings] + ([""] if settings else [])
        if len(report.reports) > 1:
            lines += _summary(report)
    for entry in report.reports:
        lines += _file_section(entry, profile, diagnoses)
    return "\n".join(lines).rstrip() + "\n"
