"""The store summary as text: rich (terminal), markdown, or JSON (the model's dump)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

from expert.fileio import write_atomic
from expert.report.formats import SUMMARY_FORMATS
from expert.store.summary import StoreSummary

__all__ = ["SUMMARY_FORMATS", "SummaryView", "emit_summary", "render_summary", "to_markdown"]


def _run_line(summary: StoreSummary) -> str | None:
    run = summary.run
    if run is None:
        return None
    return (f"This run ({run.executor}): {run.files} files, {run.judged} judged, "
            f"{run.skipped} skipped (already in the store), {run.errors} errors.")


class SummaryView:
    """A ``StoreSummary`` that renders itself in a rich console."""

    def __init__(self, summary: StoreSummary) -> None:
        self.summary = summary

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        s = self.summary
        yield f"[bold]{s.store}[/bold]: {s.files} files"
        if line := _run_line(s):
            yield line
        verdicts = Table(title="Verdicts", title_justify="left")
        for name in s.verdicts:
            verdicts.add_column(name, justify="right")
        verdicts.add_row(*(str(n) for n in s.verdicts.values()))
        yield verdicts
        if s.problems:
            problems = Table("problem", "files", title="Problems", title_justify="left")
            for key, count in s.problems.items():
                problems.add_row(key, str(count))
            yield problems
        if s.worst:
            worst = Table("file", "verdict", "worst", "problems", title="Worst files",
                          title_justify="left")
            for f in s.worst:
                worst.add_row(f.path, f.verdict or "", f.severity or "", ", ".join(f.problems))
            yield worst
        if s.errors:
            errors = Table("file", "error", title=f"Errors ({s.errors_total})",
                           title_justify="left")
            for f in s.errors:
                errors.add_row(f.path, f.error or "")
            yield errors


def to_markdown(summary: StoreSummary) -> str:
    s = summary
    out = [f"# Result store `{s.store}`", "", f"{s.files} files."]
    if line := _run_line(s):
        out += ["", line]
    out += ["", "| " + " | ".join(s.verdicts) + " |",
            "|" + "---:|" * len(s.verdicts),
            "| " + " | ".join(str(n) for n in s.verdicts.values()) + " |"]
    if s.problems:
        out += ["", "## Problems", "", "| problem | files |", "|---|---:|"]
        out += [f"| `{k}` | {n} |" for k, n in s.problems.items()]
    if s.worst:
        out += ["", "## Worst files", "", "| file | verdict | worst | problems |",
                "|---|---|---|---|"]
        out += [f"| `{f.path}` | {f.verdict} | {f.severity or ''} | {', '.join(f.problems)} |"
                for f in s.worst]
    if s.errors:
        out += ["", f"## Errors ({s.errors_total})", "", "| file | error |", "|---|---|"]
        out += [f"| `{f.path}` | {(f.error or '').replace('|', '/')} |" for f in s.errors]
    return "\n".join(out) + "\n"


def render_summary(summary: StoreSummary, fmt: str) -> str:
    """``summary`` as text in ``fmt`` (one of ``SUMMARY_FORMATS``), rich without colour."""
    if fmt == "json":
        return summary.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        return to_markdown(summary)
    buffer = io.StringIO()
    Console(file=buffer, width=110, force_terminal=False, no_color=True).print(
        SummaryView(summary))
    return buffer.getvalue()


def emit_summary(summary: StoreSummary, fmt: str, output: str | None) -> None:
    """Print ``summary`` (rich: with colour on a terminal) or write it atomically to
    ``output``."""
    if output:
        write_atomic(Path(output), render_summary(summary, fmt).encode("utf-8"))
    elif fmt == "rich":
        from expert.report.terminal import console

        console().print(SummaryView(summary))
    else:
        sys.stdout.write(render_summary(summary, fmt))
        sys.stdout.flush()
