"""``mixexpert eval [CORPUS_DIR]``: diagnostic accuracy against labelled mixes.

CORPUS_DIR is either a corpus recipe folder (``recipe.yaml``; default: the repository's
``corpus/``), whose set is generated under ``cache/<set>/`` when missing or out of date,
or any folder with a ``manifest.yaml`` (see ``expert.evaluate.labels``), used as it is.
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from expert.commands._common import (
    add_cache_option,
    add_format_option,
    add_jobs_option,
    add_output_option,
)
from expert.commands.diagnose import add_session_options, options_from
from expert.errors import ExitStatus, OutputError, UsageError
from expert.report.formats import FORMATS
from expert.severity import SEVERITIES, SEVERITY_RANK

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPOSITORY / "corpus"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="measure diagnostic accuracy on a labelled corpus",
        description="Diagnose every file of a labelled corpus and score the diagnoses: "
        "per-problem TP/FP/FN, precision, recall, F1, macro-F1, the false-alarm rate on "
        "clean mixes and the confusions.",
    )
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS), metavar="CORPUS_DIR",
                        help="recipe folder or folder with manifest.yaml (default: %(default)s)")
    parser.add_argument("--set", dest="subset",
                        choices=("ci", "full", "real-dev", "real-check", "real-ci"),
                        default="ci",
                        help="which set of a recipe to build and score (default: ci; "
                        "real-*: released music, see corpus/README.md)")
    parser.add_argument("--rebuild", action="store_true",
                        help="render the set again even where the cache is up to date")
    add_session_options(parser)
    add_format_option(parser, FORMATS)
    add_output_option(parser, "the result")
    add_jobs_option(parser, "files (and songs, when building)")
    add_cache_option(parser)
    parser.add_argument("--min-severity", choices=SEVERITIES, default="info",
                        help="count only diagnoses of at least this severity (default: info)")
    parser.add_argument("--details", action="store_true", help="list every file that went wrong")
    parser.add_argument("--min-macro-f1", type=float, default=None, metavar="X",
                        help="exit 1 when macro-F1 is below X")
    parser.add_argument("--max-clean-false-alarms", "--max-clean-false-alarm", type=float,
                        default=None, metavar="X",
                        help="exit 1 when the clean false-alarm rate (files with nothing "
                        "expected that get a warning or error on a problem not optional "
                        "there) is above X")


def _generator() -> Any:
    """The corpus generator (``corpus.build``), which lives beside the package."""
    try:
        return importlib.import_module("corpus.build")
    except ImportError:
        if not (REPOSITORY / "corpus" / "build.py").exists():
            raise UsageError("the corpus generator is not installed; pass a folder that "
                             "holds a manifest.yaml") from None
        sys.path.insert(0, str(REPOSITORY))
        return importlib.import_module("corpus.build")


def _manifest_path(args: argparse.Namespace) -> Path:
    """Build the set of a recipe folder if needed; return the manifest to score."""
    folder = Path(args.corpus)
    if folder == DEFAULT_CORPUS and not folder.is_dir():
        raise UsageError("eval needs a checkout of the mixexpert repository with its corpus/ "
                         "folder (this is an installed package); pass CORPUS_DIR: a recipe "
                         "folder or a folder with a manifest.yaml")
    if (folder / "recipe.yaml").exists():
        generator = _generator()
        try:
            return generator.build(
                args.subset, corpus_dir=folder, jobs=args.jobs, rebuild=args.rebuild,
                progress=lambda message: sys.stderr.write(f"mixexpert: {message}\n"),
            )
        except generator.BuildError as exc:
            raise UsageError(f"corpus: {exc}") from None
    if (folder / "manifest.yaml").exists() or folder.suffix in (".yaml", ".yml"):
        return folder
    raise UsageError(f"{folder}: neither a recipe.yaml nor a manifest.yaml there")


class Findings(list[str]):
    """The problems reported on a file, those reported at warning or error (``alarms``:
    what the clean false-alarm rate counts), and which of the problems were reported as
    symptoms under a cause (``symptoms``)."""

    def __init__(self, problems: list[str], *, alarms: Iterable[str],
                 symptoms: Iterable[str] = ()) -> None:
        super().__init__(problems)
        self.alarms = frozenset(alarms)
        self.symptoms = frozenset(symptoms)


class SessionDetector:
    """Adapts the pipeline to the evaluator: the problems of the diagnoses of one file."""

    def __init__(self, args: argparse.Namespace) -> None:
        from expert.pipeline import Session

        self.session = Session(options_from(args))
        self.min_rank = SEVERITY_RANK[args.min_severity]
        self.profile_name = str(self.session.profile_summary().get("name"))

    def __call__(self, path: Path) -> list[str] | None:
        report = self.session.diagnose_file(str(path), parallel=False)
        if not report.ok:
            sys.stderr.write(f"mixexpert: {path}: {report.error}\n")
            return None
        # Every diagnosis at or above --min-severity counts, at its own severity: an
        # inconclusive one is at info, a symptom one step below its own (scoring.py says
        # how a symptom under its cause is scored).
        counted = [d for d in report.diagnoses if SEVERITY_RANK[d.severity] >= self.min_rank]
        return Findings(sorted({d.problem for d in counted}),
                        alarms={d.problem for d in report.diagnoses
                                if SEVERITY_RANK[d.severity] >= SEVERITY_RANK["warning"]},
                        symptoms={d.problem for d in counted if d.caused_by})


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\rmixexpert: diagnosed {done}/{total}")
        if done == total:
            sys.stderr.write("\n")


def run(args: argparse.Namespace) -> int:
    from expert.evaluate.labels import load_manifest
    from expert.evaluate.render import EvaluationView, to_json
    from expert.evaluate.scoring import evaluate
    from expert.fileio import write_atomic

    detector = SessionDetector(args)  # load the rules first: a bad rulebase fails fast
    manifest = load_manifest(_manifest_path(args))
    if not manifest.files:
        raise UsageError(f"{args.corpus}: the manifest lists no files")
    evaluation = evaluate(manifest, detector, jobs=args.jobs, progress=_progress)
    subset = manifest.set or None
    if args.format == "json":
        text = to_json(evaluation, corpus=str(args.corpus), subset=subset)
    else:
        from rich.console import Console

        view = EvaluationView(evaluation, details=args.details,
                              title=f"Diagnostic accuracy ({subset or 'manifest'} set, "
                                    f"profile {detector.profile_name})")
        if not args.output:
            # Piped output gets room for the table instead of the 80-column default.
            Console(highlight=False, width=None if sys.stdout.isatty() else 120).print(view)
            text = ""
        else:
            buffer = io.StringIO()
            Console(file=buffer, width=120, no_color=True, force_terminal=False).print(view)
            text = buffer.getvalue()
    if args.output:
        try:
            write_atomic(Path(args.output), text.encode("utf-8"))
        except OutputError:
            sys.stdout.write(text)  # the evaluation is not lost; the error follows
            raise
    elif text:
        sys.stdout.write(text)
    if evaluation.errors == evaluation.files:
        return ExitStatus.USAGE
    below = args.min_macro_f1 is not None and (evaluation.macro_f1 or 0.0) < args.min_macro_f1
    above = args.max_clean_false_alarms is not None and (
        evaluation.clean_false_alarm_rate or 0.0) > args.max_clean_false_alarms
    return ExitStatus.CHECK_FAILED if below or above else ExitStatus.OK

