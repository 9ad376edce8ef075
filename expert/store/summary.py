"""What a result store says about a catalogue: verdicts, problems, the worst files, errors.

Each file counts once, with its latest row (optionally only rows of one rulebase digest and
profile); the store is read as a stream in path order, so memory holds only the counts and
the few files listed.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator

from pydantic import BaseModel, Field

from expert.severity import SEVERITY_RANK
from expert.store.rows import ResultRow, ResultStore

_VERDICT_RANK = {"pass": 0, "warn": 1, "fail": 2}


class RunTally(BaseModel):
    """What one run did (shown after ``diagnose --store``)."""

    files: int = Field(description="Files named on the command line.")
    skipped: int = Field(description="Already in the store with the same content, rulebase "
                         "and profile.")
    judged: int = Field(description="Judged in this run (errors included).")
    errors: int = Field(description="Of those judged, files that could not be judged.")
    executor: str


class ListedFile(BaseModel):
    path: str
    verdict: str | None = None
    severity: str | None = None
    problems: list[str] = Field(default_factory=list)
    error: str | None = None


class StoreSummary(BaseModel):
    """The document of ``mixexpert store summary`` (and of ``diagnose --store``)."""

    store: str
    files: int
    verdicts: dict[str, int] = Field(description="pass / warn / fail, and error: not judged.")
    problems: dict[str, int] = Field(description="Files diagnosed with each problem, most "
                                     "frequent first.")
    worst: list[ListedFile]
    errors: list[ListedFile] = Field(description="The first files that could not be judged, "
                                     "in path order.")
    errors_total: int
    run: RunTally | None = None


def _latest_per_path(rows: Iterator[ResultRow]) -> Iterator[ResultRow]:
    for _, group in itertools.groupby(rows, key=lambda r: r.path):  # rows come in path order
        yield max(group, key=lambda r: r.finished_at_s)


def _badness(row: ResultRow) -> tuple[int, int, int]:
    return (_VERDICT_RANK.get(row.verdict or "", -1),
            SEVERITY_RANK.get(row.severity or "", -1), len(row.problems))


def summarize(store: ResultStore, *, rulebase_digest: str | None = None,
              profile: str | None = None, worst_files: int = 10, error_files: int = 20,
              run: RunTally | None = None) -> StoreSummary:
    """The summary of ``store``; with ``rulebase_digest`` and ``profile``, of their rows only."""
    rows = (r for r in store.rows(entries=False)
            if (rulebase_digest is None or r.rulebase_digest == rulebase_digest)
            and (profile is None or r.profile == profile))
    verdicts: Counter[str] = Counter({"pass": 0, "warn": 0, "fail": 0, "error": 0})
    problems: Counter[str] = Counter()
    worst: list[ResultRow] = []
    errors: list[ListedFile] = []
    files = 0

    def rank(row: ResultRow) -> tuple[tuple[int, ...], str]:  # the worst first, then by path
        return tuple(-b for b in _badness(row)), row.path

    for row in _latest_per_path(rows):
        files += 1
        if not row.ok:
            verdicts["error"] += 1
            if len(errors) < error_files:
                errors.append(ListedFile(path=row.path, error=row.error))
            continue
        verdicts[row.verdict or "pass"] += 1
        problems.update(row.problems)
        if row.verdict != "pass":
            worst.append(row)
            if len(worst) > 2 * worst_files:  # bounded: keep only the candidates
                worst = sorted(worst, key=rank)[:worst_files]
    listed = sorted(worst, key=rank)[:worst_files]
    return StoreSummary(
        store=store.path, files=files, verdicts=dict(verdicts),
        problems=dict(sorted(problems.items(), key=lambda kv: (-kv[1], kv[0]))),
        worst=[ListedFile(path=r.path, verdict=r.verdict, severity=r.severity,
                          problems=list(r.problems)) for r in listed],
        errors=errors, errors_total=verdicts["error"], run=run)
