"""The report as one self-contained HTML page (no scripts, no external resources)."""

from __future__ import annotations

from html import escape

from expert.descriptors import CATALOGUE
from expert.report.format import fmt_ranges, fmt_value, nested_order, project_lines
from expert.report.models import FileReport, Report

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.15rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
.diag{border-left:4px solid #999;padding:.3rem .8rem;margin:.8rem 0;background:#fafafa}
.error{border-color:#c0392b}.warning{border-color:#d4a017}.info{border-color:#2980b9}
table{border-collapse:collapse;margin:.4rem 0}td,th{padding:.15rem .6rem;text-align:left;
border-bottom:1px solid #eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f0f0f0;padding:0 .2rem}.dim{color:#777}.bad{color:#c0392b;font-weight:bold}
"""


def _diagnosis(d, depth: int = 0) -> str:  # noqa: ANN001 - expert.engine.Diagnosis
    rows = "".join(
        f"<tr><td><code>{escape(e.descriptor)}</code></td>"
        f"<td class=num>{escape(fmt_value(e.value, e.unit))}</td>"
        f"<td>{escape(e.condition)}</td></tr>"
        for e in d.evidence
    )
    remedies = "".join(
        "<li>"
        + (escape(r.text) + " " if r.text else "")
        + "<span class=dim><code>"
        + escape(r.action)
        + "</code>"
        + (
            " ("
            + escape(", ".join(f"{k}={fmt_value(v)}" for k, v in r.parameters.items()))
            + ")"
            if r.parameters
            else ""
        )
        + "</span></li>"
        for r in d.remedies
    )
    caused = (
        f"<p class=dim>caused by: {escape(', '.join(d.caused_by))}</p>" if d.caused_by else ""
    )
    return (
        f"<div class='diag {escape(d.severity)}' style='margin-left:{2 * depth}rem'><h3>"
        f"{escape(d.severity.upper())} "
        f"<code>{escape(d.rule_id)}</code> {escape(d.title)}</h3>"
        f"<p class=dim>problem <code>{escape(d.problem)}</code> · certainty "
        f"{d.certainty:.0%}{' · <b>inconclusive</b>' if d.inconclusive else ''}"
        f" · where: {escape(fmt_ranges(d.time_ranges))}</p>"
        f"<p>{escape(d.explanation)}</p>"
        + (
            f"<table><tr><th>evidence</th><th>measured</th><th>condition</th></tr>{rows}</table>"
            if rows
            else ""
        )
        + (f"<ul>{remedies}</ul>" if remedies else "")
        + caused
        + "</div>"
    )


def _file(entry: FileReport, diagnoses: bool) -> str:
    head = f"<h2>{escape(entry.path)}</h2>"
    if not entry.ok:
        return head + f"<p class=bad>Could not analyse: {escape(entry.error or '')}</p>"
    if diagnoses:
        body = (
            "".join(_diagnosis(d, depth) for d, depth in nested_order(entry.diagnoses))
            or "<p>No problems found for this profile.</p>"
        )
        verdict = (f"<p>verdict: <b>{escape(entry.verdict)}</b></p>"
                   if entry.verdict is not None else "")
        return head + verdict + body
    rows = "".join(
        f"<tr><td><code>{escape(n)}</code></td><td class=num>"
        f"{escape(fmt_value(v, CATALOGUE[n].unit if n in CATALOGUE else ''))}</td>"
        f"<td class=dim>{escape(CATALOGUE[n].meaning if n in CATALOGUE else '')}</td></tr>"
        for n, v in entry.descriptors.items()
    )
    return head + f"<table>{rows}</table>"


def to_html(report: Report, *, diagnoses: bool = True) -> str:
    name = escape(str(report.profile.get("name")))
    files = "".join(_file(e, diagnoses) for e in report.reports)
    settings = "".join(f"<li class=dim>{escape(line)}</li>"
                       for line in (project_lines(report.profile) if diagnoses else []))
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>mixexpert report</title><style>{_STYLE}</style>"
        f"<h1>mixexpert report <span class=dim>(profile: {name})</span></h1>"
        f"{'<ul>' + settings + '</ul>' if settings else ''}{files}</html>\n"
    )
