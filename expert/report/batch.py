"""A batch in the terminal as it runs: each file printed as it finishes (in input order),
a progress bar on stderr while it runs, the summary at the end, and Ctrl-C.

The same pieces, in the same order, as ``ReportView`` renders for a finished report, so a
streamed batch reads exactly like ``--output report.txt``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from expert.report.models import FileReport
from expert.report.terminal import BatchSummary, FileDiagnosisView, print_quiet, profile_line

#: A batch that finishes sooner than this never shows its progress bar (seconds).
PROGRESS_DELAY_S = 1.5


class _DelayedProgress(Progress):
    """A progress display that stays empty until it has run ``delay_s`` seconds."""

    def __init__(self, *columns: Any, delay_s: float, **kwargs: Any) -> None:
        self.delay_s = delay_s
        self._began = time.monotonic()  # before Progress.__init__, which renders once
        super().__init__(*columns, **kwargs)

    def get_renderables(self) -> Iterable[RenderableType]:
        if time.monotonic() - self._began >= self.delay_s:
            yield from super().get_renderables()


def _progress(err: Console, delay_s: float) -> Progress:
    return _DelayedProgress(
        TextColumn("diagnosing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("left"), TimeRemainingColumn(), console=err, transient=True,
        delay_s=delay_s)


@dataclass
class BatchOutcome:
    """The files finished before the batch ended, and whether Ctrl-C ended it."""

    done: list[FileReport] = field(default_factory=list)
    interrupted: bool = False


def print_batch(reports: Iterator[FileReport], total: int, profile: Mapping[str, Any], *,
                quiet: bool = False, out: Console, err: Console,
                delay_s: float = PROGRESS_DELAY_S) -> BatchOutcome:
    """Print each report of ``reports`` (``total`` of them) as it arrives on ``out``; a
    progress bar on ``err`` when it is a terminal and the batch has more than one file; then
    the summary (more than one file, not ``quiet``). Ctrl-C stops the batch: what was
    finished is summarised, with one line saying how far it got."""
    outcome = BatchOutcome()
    progress = _progress(err, delay_s) if err.is_terminal and total > 1 else None

    def show(entry: FileReport) -> None:
        outcome.done.append(entry)
        if quiet:
            print_quiet(out, entry)
        else:
            out.print(FileDiagnosisView(entry, profile), crop=False)  # never cut lines
            out.print()
    try:
        with progress if progress is not None else nullcontext():
            task = progress.add_task("", total=total) if progress is not None else None
            if not quiet:
                out.print(profile_line(profile))
            for entry in reports:
                shared = progress is not None and out.is_terminal
                if shared:
                    # One terminal for both: take the bar down while the report prints, or
                    # the two interleave (rich consoles write past each other's redirects).
                    progress.stop()
                show(entry)
                if shared:
                    progress.start()
                if progress is not None and task is not None:
                    progress.advance(task)
    except KeyboardInterrupt as stop:
        outcome.interrupted = True
        for entry in getattr(stop, "finished", []):  # done, but not yet printed
            show(entry)
    finally:
        close = getattr(reports, "close", None)
        if close is not None:
            close()  # stops the worker processes of an interrupted batch
    if len(outcome.done) > 1 and not quiet:
        out.print(BatchSummary(outcome.done), crop=False)
    if outcome.interrupted:
        out.print(Text(f"interrupted; {len(outcome.done)} of {total} files done",
                       style="bold yellow"))
    return outcome
