"""Presentation of an evaluation: a rich view that renders itself, and the JSON document.

Nothing here computes a score; see ``expert.evaluate.scoring``.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from expert import __version__
from expert.evaluate.scoring import Evaluation

EVAL_SCHEMA_VERSION = "1"
MAX_CONFUSIONS = 15
MAX_FILE_ROWS = 20


def fmt_ratio(value: float | None) -> str:
    """A 0..1 ratio with two decimals, or an en dash when undefined."""
    return "–" if value is None else f"{value:.2f}"


def _score_style(value: float | None) -> str:
    if value is None:
        return "dim"
    return "green" if value >= 0.9 else "yellow" if value >= 0.6 else "red"


class EvaluationView:
    """The accuracy table, the summary, the confusions and the files that went wrong."""

    def __init__(self, evaluation: Evaluation, *, title: str = "Diagnostic accuracy",
                 details: bool = False) -> None:
        self.evaluation = evaluation
        self.title = title
        self.details = details

    def _problems(self) -> Table:
        table = Table(title=self.title, title_justify="left")
        # support = files expecting it; opt. = reported where optional; clean FP = false
        # alarms on clean files.
        for name in ("problem", "support", "TP", "FP", "FN", "prec.", "recall", "F1",
                     "opt.", "clean FP"):
            table.add_column(name, justify="left" if name == "problem" else "right",
                             no_wrap=True)
        for s in self.evaluation.problems:
            if not (s.support or s.fp or s.optional_found):
                continue  # a problem neither labelled nor reported says nothing
            table.add_row(
                s.problem, str(s.support), str(s.tp), str(s.fp), str(s.fn),
                Text(fmt_ratio(s.precision), style=_score_style(s.precision)),
                Text(fmt_ratio(s.recall), style=_score_style(s.recall)),
                Text(fmt_ratio(s.f1), style=_score_style(s.f1)),
                str(s.optional_found), str(s.clean_false_alarms),
            )
        return table

    def _summary(self) -> Text:
        e = self.evaluation
        text = Text()
        text.append(f"{e.files} files, {e.clean_files} clean (nothing expected), "
                    f"{e.errors} errors\n")
        text.append("macro-F1 ")
        text.append(fmt_ratio(e.macro_f1), style=f"bold {_score_style(e.macro_f1)}")
        text.append(f"   micro precision {fmt_ratio(e.micro_precision)}"
                    f"  recall {fmt_ratio(e.micro_recall)}  F1 {fmt_ratio(e.micro_f1)}\n")
        rate = e.clean_false_alarm_rate
        text.append("clean false-alarm rate ")
        text.append(fmt_ratio(rate), style="bold " + _score_style(None if rate is None
                                                                  else 1.0 - rate))
        return text

    def _confusions(self) -> Table | None:
        if not self.evaluation.confusions:
            return None
        table = Table(title="Confusions (reported on files that have another problem)",
                      title_justify="left")
        table.add_column("present")
        table.add_column("reported")
        table.add_column("files", justify="right")
        table.add_column("present missed", justify="right")
        for c in self.evaluation.confusions[:MAX_CONFUSIONS]:
            table.add_row(c.present, c.reported, str(c.files), str(c.present_missed))
        return table

    def _files(self) -> Table | None:
        wrong = [r for r in self.evaluation.results
                 if r.found is None or r.missed or r.false_alarms]
        if not wrong:
            return None
        table = Table(title="Files with misses or false alarms", title_justify="left")
        table.add_column("file", no_wrap=True)
        table.add_column("missed")
        table.add_column("false alarms")
        for r in wrong if self.details else wrong[:MAX_FILE_ROWS]:
            table.add_row(r.path, "error" if r.found is None else ", ".join(r.missed),
                          ", ".join(r.false_alarms))
        if not self.details and len(wrong) > MAX_FILE_ROWS:
            table.caption = f"{len(wrong) - MAX_FILE_ROWS} more (--details shows all)"
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        parts: list[Any] = [self._problems(), self._summary()]
        parts += [p for p in (self._confusions(), self._files()) if p is not None]
        yield Group(*parts)


def to_json(evaluation: Evaluation, *, corpus: str, subset: str | None) -> str:
    """The evaluation as one JSON document (stable keys, nulls for undefined ratios)."""
    document = {
        "schema_version": EVAL_SCHEMA_VERSION,
        "tool": {"name": "mixexpert", "version": __version__},
        "corpus": corpus,
        "set": subset,
        **evaluation.model_dump(mode="json"),
    }
    return json.dumps(document, indent=2) + "\n"
