"""Score diagnoses against labels: per-problem counts, precision, recall, F1, confusions.

The scoring rule, per file with labels ``expect`` (must be found) and ``optional`` (may be
found) and the set ``found`` of problems the diagnosis reported:

- true positive: a problem in ``expect`` and in ``found``;
- false negative: in ``expect`` and not in ``found``;
- false positive: in ``found`` and in neither ``expect`` nor ``optional``;
- an ``optional`` problem is not scored: found or not, it counts neither way (it is
  tallied as ``optional_found`` for information). Subtle variants an engineer would not
  necessarily call, and measured side effects, are labelled optional.
- a symptom reported under its cause (a diagnosis with ``caused_by``, e.g. too-wide under
  an inverted channel) is a true positive when expected and otherwise not scored, like an
  optional label: the report attributes it to its cause, which is scored on its own (a
  detector says which problems were symptoms with a ``symptoms`` attribute on its list);
- a file whose diagnosis failed (detector returned None) scores all its expected problems
  as false negatives and is counted in ``errors``; it is not a clean false alarm.

precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 TP / (2 TP + FP + FN); each is
None when its denominator is 0. Macro-F1 is the mean F1 over the problems with at least
one expected file (support > 0); micro figures pool the counts of all problems. A clean
file is one on which no problem is expected (a released master, or a mix with only
optional labels); the clean false-alarm rate is the share of clean files with at least one
warning or error on a problem that is not optional there (a detector that does not tell
severities, returning a plain list: any diagnosis of a problem not optional there). That is
what an engineer sees on a good master: a warning they must argue with.

A confusion ``(present, reported)`` counts files that have ``present`` (expected or
optional; ``clean`` for clean files) on which ``reported`` was a false positive; of those,
``present_missed`` is how many also missed ``present`` (a substitution rather than an
extra diagnosis).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from expert.evaluate.labels import LabelledFile, Manifest
from expert.rules.loader import builtin_problems

#: Diagnoses one file: the problems it reports, or None when the file could not be analysed.
Detector = Callable[[Path], list[str] | None]
CLEAN = "clean"


@dataclass(frozen=True)
class FileOutcome:
    """The labels of one file and what the detector reported (None = error)."""

    path: str
    expect: tuple[str, ...]
    optional: tuple[str, ...]
    found: tuple[str, ...] | None
    #: Problems reported at warning or error; None: severities unknown, every one counts.
    alarms: tuple[str, ...] | None = None

    @property
    def clean(self) -> bool:
        return not self.expect

    @property
    def false_alarm_raised(self) -> bool:
        """A warning or error on a problem the labels do not allow here."""
        raised = self.found if self.alarms is None else self.alarms
        return bool(set(raised or ()) - set(self.expect) - set(self.optional))

    @property
    def true_positives(self) -> set[str]:
        return set(self.expect) & set(self.found or ())

    @property
    def missed(self) -> set[str]:
        return set(self.expect) - set(self.found or ())

    @property
    def false_alarms(self) -> set[str]:
        return set(self.found or ()) - set(self.expect) - set(self.optional)


class ProblemScore(BaseModel):
    problem: str
    support: int = Field(description="Files on which the problem is expected.")
    tp: int
    fp: int
    fn: int
    optional_found: int = Field(description="Reported on files where it was optional.")
    clean_false_alarms: int = Field(description="False positives on clean files.")
    precision: float | None
    recall: float | None
    f1: float | None


class Confusion(BaseModel):
    present: str = Field(description="A problem the files have, or 'clean'.")
    reported: str = Field(description="A problem reported on them that they do not have.")
    files: int
    present_missed: int


class FileResult(BaseModel):
    path: str
    expect: list[str]
    optional: list[str]
    found: list[str] | None = Field(description="None when the diagnosis failed.")
    missed: list[str]
    false_alarms: list[str]


class Evaluation(BaseModel):
    """The whole result of an evaluation run."""

    files: int
    clean_files: int
    errors: int
    macro_f1: float | None
    micro_precision: float | None
    micro_recall: float | None
    micro_f1: float | None
    clean_false_alarm_rate: float | None
    problems: list[ProblemScore]
    confusions: list[Confusion]
    results: list[FileResult]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _f1(tp: int, fp: int, fn: int) -> float | None:
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _problem_order(outcomes: Sequence[FileOutcome], vocabulary: Iterable[str]) -> list[str]:
    """The vocabulary first (contract order), then any other key seen, sorted."""
    order = list(vocabulary)
    seen = {p for o in outcomes for p in (*o.expect, *o.optional, *(o.found or ()))}
    return order + sorted(seen - set(order))


def score(
    outcomes: Sequence[FileOutcome], *, vocabulary: Iterable[str] | None = None
) -> Evaluation:
    """Apply the scoring rule of this module to a list of outcomes; ``vocabulary`` (default:
    the built-in problems) orders the table and lists the problems scored at zero."""
    tp, fp, fn, opt, clean_fp, support = (Counter[str]() for _ in range(6))
    confusions: Counter[tuple[str, str]] = Counter()
    substitutions: Counter[tuple[str, str]] = Counter()
    for o in outcomes:
        support.update(o.expect)
        tp.update(o.true_positives)
        fn.update(o.missed)
        fp.update(o.false_alarms)
        opt.update(set(o.optional) & set(o.found or ()))
        if o.clean:
            clean_fp.update(o.false_alarms)
        for present in (*o.expect, *o.optional) or (CLEAN,):
            for reported in o.false_alarms:
                confusions[present, reported] += 1
                substitutions[present, reported] += present in o.missed
    problems = [
        ProblemScore(
            problem=p, support=support[p], tp=tp[p], fp=fp[p], fn=fn[p],
            optional_found=opt[p], clean_false_alarms=clean_fp[p],
            precision=_ratio(tp[p], tp[p] + fp[p]), recall=_ratio(tp[p], tp[p] + fn[p]),
            f1=_f1(tp[p], fp[p], fn[p]),
        )
        for p in _problem_order(outcomes, builtin_problems() if vocabulary is None
                                else vocabulary)
    ]
    scored = [s.f1 for s in problems if s.support > 0 and s.f1 is not None]
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    clean = [o for o in outcomes if o.clean and o.found is not None]
    return Evaluation(
        files=len(outcomes),
        clean_files=sum(o.clean for o in outcomes),
        errors=sum(o.found is None for o in outcomes),
        macro_f1=sum(scored) / len(scored) if scored else None,
        micro_precision=_ratio(total_tp, total_tp + total_fp),
        micro_recall=_ratio(total_tp, total_tp + total_fn),
        micro_f1=_f1(total_tp, total_fp, total_fn),
        clean_false_alarm_rate=_ratio(sum(o.false_alarm_raised for o in clean), len(clean)),
        problems=problems,
        confusions=[
            Confusion(present=present, reported=reported, files=n,
                      present_missed=substitutions[present, reported])
            for (present, reported), n in sorted(confusions.items(),
                                                 key=lambda item: (-item[1], item[0]))
        ],
        results=[
            FileResult(path=o.path, expect=list(o.expect), optional=list(o.optional),
                       found=None if o.found is None else sorted(o.found),
                       missed=sorted(o.missed), false_alarms=sorted(o.false_alarms))
            for o in outcomes
        ],
    )


_WORKER_DETECTOR: Detector | None = None


def _detect_in_worker(path: Path) -> list[str] | None:
    assert _WORKER_DETECTOR is not None
    return _WORKER_DETECTOR(path)


def run_detector(
    detect: Detector,
    paths: Sequence[Path],
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[str] | None]:
    """``detect`` over every path, in order; ``jobs > 1`` spreads files over forked
    processes (the detector is inherited, so it need not be picklable)."""
    global _WORKER_DETECTOR
    jobs = max(1, min(jobs, len(paths), os.cpu_count() or 1))
    found: list[list[str] | None] = []
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for path in paths:
            found.append(detect(path))
            if progress:
                progress(len(found), len(paths))
        return found
    _WORKER_DETECTOR = detect
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for result in pool.imap(_detect_in_worker, paths, chunksize=1):
                found.append(result)
                if progress:
                    progress(len(found), len(paths))
    finally:
        _WORKER_DETECTOR = None
    return found


def outcomes_for(manifest: Manifest, found: Sequence[list[str] | None]) -> list[FileOutcome]:
    """Pair each labelled file with what was found on it. Keys the manifest lists under
    ``excluded_from_scores`` (e.g. ``sibilant`` where no source has a vocal stem) are
    dropped from labels and findings alike: neither a hit, a miss nor a false alarm."""
    excluded = frozenset(getattr(manifest, "excluded_from_scores", None) or ())
    return [_outcome(entry, result, excluded)
            for entry, result in zip(manifest.files, found, strict=True)]


def _outcome(entry: LabelledFile, found: list[str] | None,
             excluded: frozenset[str] = frozenset()) -> FileOutcome:
    symptoms = frozenset(getattr(found, "symptoms", ())) - frozenset(entry.expect)
    keep = [p for p in (found or ()) if p not in excluded and p not in symptoms]
    alarms = getattr(found, "alarms", None)
    return FileOutcome(entry.path, tuple(p for p in entry.expect if p not in excluded),
                       tuple(p for p in entry.optional if p not in excluded),
                       None if found is None else tuple(sorted(set(keep))),
                       None if alarms is None else tuple(sorted(set(alarms) - excluded)))


def evaluate(
    manifest: Manifest,
    detect: Detector,
    *,
    jobs: int = 1,
    vocabulary: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Run ``detect`` on every file of the manifest and score the outcomes."""
    paths = [manifest.resolve(entry) for entry in manifest.files]
    found = run_detector(detect, paths, jobs=jobs, progress=progress)
    return score(outcomes_for(manifest, found), vocabulary=vocabulary)
