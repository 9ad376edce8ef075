"""Write a report in the requested format to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from expert.errors import OutputError
from expert.fileio import write_atomic
from expert.report.models import Report

if TYPE_CHECKING:  # rich is loaded only for the terminal formats
    from rich.console import Console

#: Width of rich output written to a file or a pipe (a terminal uses its own width).
FILE_WIDTH = 110
#: Something that prints itself on a rich console.
Show = Callable[["Console"], None]


def plain_text(show: Show, *, width: int | None = None) -> str:
    """What ``show`` prints, as text without colour codes (for a file or a pipe)."""
    from rich.console import Console

    buffer = io.StringIO()
    show(Console(file=buffer, width=width or FILE_WIDTH, force_terminal=False, no_color=True))
    return buffer.getvalue()


def showing(view: Any) -> Show:
    """A rich renderable as a ``Show``."""
    return lambda console: console.print(view, crop=False)  # error lines are never cut


def json_document(model: BaseModel) -> str:
    """``model`` as an indented JSON document. A file name that is not UTF-8 (held as
    surrogate escapes, which pydantic cannot encode) comes out as ``\\udcXX`` escapes, from
    which ``os.fsencode(json.loads(...)["path"])`` gives back the name's bytes."""
    try:
        return model.model_dump_json(indent=2) + "\n"
    except PydanticSerializationError:
        return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=True) + "\n"


def render(report: Report, fmt: str, *, diagnoses: bool = True, width: int | None = None,
           quiet: bool = False, rulebase_digest: str | None = None,
           generated_at: datetime | None = None) -> str:
    """The report as text in ``fmt`` (one of ``formats.REPORT_FORMATS``); rich output is
    rendered without colour codes (``quiet``: one line per file). ``rulebase_digest`` and
    ``generated_at`` (default: now) go into the HTML page's footer."""
    if fmt == "json":
        return json_document(report)
    if fmt == "markdown":
        from expert.report.markdown import to_markdown

        return to_markdown(report, diagnoses=diagnoses)
    if fmt == "html":
        from expert.report.html import to_html

        return to_html(report, diagnoses=diagnoses, rulebase_digest=rulebase_digest,
                       generated_at=generated_at)
    return plain_text(_rich(report, diagnoses=diagnoses, quiet=quiet), width=width)


def _rich(report: Report, *, diagnoses: bool, quiet: bool) -> Show:
    def show(console: Console) -> None:
        from expert.report.terminal import ReportView, print_quiet

        if quiet and diagnoses:
            for entry in report.reports:
                print_quiet(console, entry)
        else:
            console.print(ReportView(report, diagnoses=diagnoses), crop=False)

    return show


def deliver(output: str | None, text: Callable[[], str], *, show: Show | None = None) -> None:
    """Write ``text()`` atomically to ``output``; without one, ``show`` on the terminal (in
    colour when stdout is one) or, when there is none, write ``text()`` to stdout.

    When ``output`` cannot be written the report goes to stdout instead, so that the work
    is not lost, and the ``OutputError`` is raised after it.
    """
    if output:
        try:
            write_atomic(Path(output), text().encode("utf-8", "backslashreplace"))
            return
        except OutputError:
            deliver(None, text, show=show)
            raise
    if show is not None:
        from expert.report.terminal import console

        show(console())
        return
    sys.stdout.write(text())
    sys.stdout.flush()


def emit(report: Report, fmt: str, output: str | None, *, diagnoses: bool = True,
         quiet: bool = False, rulebase_digest: str | None = None) -> None:
    """Print to the terminal (rich: with colour when it is one) or write ``output``."""
    deliver(output, lambda: render(report, fmt, diagnoses=diagnoses, quiet=quiet,
                                   rulebase_digest=rulebase_digest),
            show=_rich(report, diagnoses=diagnoses, quiet=quiet) if fmt == "rich" else None)
