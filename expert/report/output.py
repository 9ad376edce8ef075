"""Write a report in the requested format to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from expert.fileio import write_atomic
from expert.report.models import Report

if TYPE_CHECKING:  # rich is loaded only for the terminal formats
    from rich.console import Console


def render(report: Report, fmt: str, *, diagnoses: bool = True, width: int | None = None,
           quiet: bool = False) -> str:
    """The report as text in ``fmt`` (one of ``formats.REPORT_FORMATS``); rich output is
    rendered without colour codes (``quiet``: one line per file)."""
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        from expert.report.markdown import to_markdown

        return to_markdown(report, diagnoses=diagnoses)
    if fmt == "html":
        from expert.report.html import to_html

        return to_html(report, diagnoses=diagnoses)
    from rich.console import Console

    buffer = io.StringIO()
    _print_rich(Console(file=buffer, width=width or 110, force_terminal=False, no_color=True),
                report, diagnoses=diagnoses, quiet=quiet)
    return buffer.getvalue()


def _print_rich(console: Console, report: Report, *, diagnoses: bool, quiet: bool) -> None:
    from expert.report.terminal import ReportView, print_quiet

    if quiet and diagnoses:
        for entry in report.reports:
            print_quiet(console, entry)
    else:
        console.print(ReportView(report, diagnoses=diagnoses))


def emit(report: Report, fmt: str, output: str | None, *, diagnoses: bool = True,
         quiet: bool = False) -> None:
    """Print to the terminal (rich: with colour when it is one) or write ``output``."""
    if output:
        write_atomic(Path(output),
                     render(report, fmt, diagnoses=diagnoses, quiet=quiet).encode("utf-8"))
        return
    if fmt == "rich":
        from expert.report.terminal import console

        _print_rich(console(), report, diagnoses=diagnoses, quiet=quiet)
        return
    sys.stdout.write(render(report, fmt, diagnoses=diagnoses))
    sys.stdout.flush()
