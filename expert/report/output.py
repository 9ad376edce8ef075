"""Write a report in the requested format to stdout or, atomically, to a file."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from expert.errors import OutputError
from expert.fileio import write_atomic
from expert.report.models import Report


def json_document(model: BaseModel) -> str:
    """``model`` as an indented JSON document. A file name that is not UTF-8 (held as
    surrogate escapes, which pydantic cannot encode) comes out as ``\\udcXX`` escapes, from
    which ``os.fsencode(json.loads(...)["path"])`` gives back the name's bytes."""
    try:
        return model.model_dump_json(indent=2) + "\n"
    except PydanticSerializationError:
        return json.dumps(model.model_dump(mode="json"), indent=2, ensure_ascii=True) + "\n"


def render(report: Report, fmt: str, *, diagnoses: bool = True, width: int | None = None) -> str:
    """The report as text in ``fmt`` (one of ``formats.REPORT_FORMATS``); rich output is
    rendered without colour codes."""
    if fmt == "json":
        return json_document(report)
    if fmt == "markdown":
        from expert.report.markdown import to_markdown

        return to_markdown(report, diagnoses=diagnoses)
    if fmt == "html":
        from expert.report.html import to_html

        return to_html(report, diagnoses=diagnoses)
    from rich.console import Console

    from expert.report.terminal import ReportView

    buffer = io.StringIO()
    Console(file=buffer, width=width or 110, force_terminal=False, no_color=True).print(
        ReportView(report, diagnoses=diagnoses), crop=False  # error lines are never cut
    )
    return buffer.getvalue()


def emit(report: Report, fmt: str, output: str | None, *, diagnoses: bool = True) -> None:
    """Print to the terminal (rich: with colour when it is one) or write ``output``.

    When ``output`` cannot be written the report goes to stdout instead, so that the work
    is not lost, and the ``OutputError`` is raised after it.
    """
    if output:
        try:
            text = render(report, fmt, diagnoses=diagnoses)
            write_atomic(Path(output), text.encode("utf-8", "backslashreplace"))
            return
        except OutputError:
            emit(report, fmt, None, diagnoses=diagnoses)
            raise
    if fmt == "rich":
        from expert.report.terminal import ReportView, console

        console().print(ReportView(report, diagnoses=diagnoses), crop=False)
        return
    sys.stdout.write(render(report, fmt, diagnoses=diagnoses))
    sys.stdout.flush()
