"""Write a report in the requested format to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from expert.fileio import write_atomic
from expert.report.models import Report

#: Width of rich output written to a file or a pipe (a terminal uses its own width).
FILE_WIDTH = 110


def plain_text(view: Any, *, width: int | None = None) -> str:
    """A rich renderable as text without colour codes (for a file or a pipe)."""
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width or FILE_WIDTH, force_terminal=False, no_color=True).print(
        view
    )
    return buffer.getvalue()


def render(report: Report, fmt: str, *, diagnoses: bool = True, width: int | None = None,
           quiet: bool = False, rulebase_digest: str | None = None,
           generated_at: datetime | None = None) -> str:
    """The report as text in ``fmt`` (one of ``formats.REPORT_FORMATS``); rich output is
    rendered without colour codes (``quiet``: one line per file). ``rulebase_digest`` and
    ``generated_at`` (default: now) go into the HTML page's footer."""
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        from expert.report.markdown import to_markdown

        return to_markdown(report, diagnoses=diagnoses)
    if fmt == "html":
        from expert.report.html import to_html

        return to_html(report, diagnoses=diagnoses, rulebase_digest=rulebase_digest,
                       generated_at=generated_at)
    from expert.report.terminal import ReportView

    return plain_text(ReportView(report, diagnoses=diagnoses, quiet=quiet), width=width)


def deliver(output: str | None, text: Callable[[], str], *, view: Any = None) -> None:
    """Write ``text()`` atomically to ``output``; without one, print the rich ``view`` (in
    colour when stdout is a terminal) or, when there is none, ``text()`` to stdout."""
    if output:
        write_atomic(Path(output), text().encode("utf-8"))
        return
    if view is not None:
        from expert.report.terminal import console

        console().print(view)
        return
    sys.stdout.write(text())
    sys.stdout.flush()


def emit(report: Report, fmt: str, output: str | None, *, diagnoses: bool = True,
         quiet: bool = False, rulebase_digest: str | None = None) -> None:
    """Print to the terminal (rich: with colour when it is one) or write ``output``."""
    view = None
    if fmt == "rich" and not output:
        from expert.report.terminal import ReportView

        view = ReportView(report, diagnoses=diagnoses, quiet=quiet)
    deliver(output, lambda: render(report, fmt, diagnoses=diagnoses, quiet=quiet,
                                   rulebase_digest=rulebase_digest), view=view)
