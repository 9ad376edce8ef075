"""The report as Markdown: for pull requests, tickets and mastering notes."""

from __future__ import annotations

from expert.descriptors import CATALOGUE
from expert.report.format import fmt_ranges, fmt_value, nested_order, reference_line
from expert.report.models import FileReport, Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _file_section(entry: FileReport, diagnoses: bool) -> list[str]:
    lines = [f"## {entry.path}", ""]
    if not entry.ok:
        return lines + [f"**Could not analyse:** {entry.error}", ""]
    if entry.audio is not None:
        a = entry.audio
        lines += [
            f"{a.duration_s:.1f} s · {a.sample_rate_hz} Hz · {a.channels} ch · "
            f"{a.container}/{a.codec}",
            "",
        ]
    lines += [f"*Against reference* {ref.path}: {reference_line(ref)}" for ref in entry.references]
    if entry.references:
        lines.append("")
    if diagnoses:
        if entry.verdict is not None:
            lines += [f"**Verdict:** {entry.verdict}", ""]
        if not entry.diagnoses:
            lines += ["No problems found for this profile.", ""]
        for d, depth in nested_order(entry.diagnoses):
            lines += [
                f"###{'#' * min(depth, 3)} {d.severity.upper()} `{d.rule_id}` {d.title}",
                "",
                f"*Problem:* `{d.problem}` · *certainty* {d.certainty:.0%}"
                + (" · **inconclusive**" if d.inconclusive else "")
                + f" · *where:* {fmt_ranges(d.time_ranges)}"
                + (f" · *caused by:* {', '.join(d.caused_by)}" if d.caused_by else ""),
                "",
                d.explanation,
                "",
            ]
            if d.evidence:
                lines += ["| evidence | measured | condition |", "|---|---:|---|"]
                lines += [
                    f"| `{e.descriptor}` | {fmt_value(e.value, e.unit)} | {_cell(e.condition)} |"
                    for e in d.evidence
                ]
                lines.append("")
            for r in d.remedies:
                params = ", ".join(f"{k}={fmt_value(v)}" for k, v in r.parameters.items())
                action = f"`{r.action}`" + (f" ({params})" if params else "")
                lines.append(f"- {r.text} — {action}" if r.text else f"- {action}")
            lines.append("")
    else:
        lines += ["| descriptor | value | meaning |", "|---|---:|---|"]
        for name, value in entry.descriptors.items():
            spec = CATALOGUE.get(name)
            shown = fmt_value(value, spec.unit if spec else "")
            lines.append(f"| `{name}` | {_cell(shown)} | {_cell(spec.meaning if spec else '')} |")
        lines.append("")
    return lines


def to_markdown(report: Report, *, diagnoses: bool = True) -> str:
    name = report.profile.get("name")
    lines = [f"# mixexpert report (profile: {name})", ""]
    for entry in report.reports:
        lines += _file_section(entry, diagnoses)
    return "\n".join(lines).rstrip() + "\n"
