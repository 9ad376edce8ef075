"""``mixexpert diagnose PATH...``: measure, reason, explain."""

from __future__ import annotations

import argparse

from expert.commands._catalogue import (
    add_catalogue_options,
    run_catalogue_command,
    wants_catalogue,
)
from expert.commands._common import add_input_options, input_files
from expert.errors import ExitStatus
from expert.report.formats import REPORT_FORMATS
from expert.severity import SEVERITIES, SEVERITY_RANK


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in text.split(",") if code.strip())


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """Options that choose the knowledge and targets (shared with ``compare``)."""
    parser.add_argument(
        "--profile",
        default=None,
        help="delivery profile (see `profiles`; default: the project's, else streaming)",
    )
    parser.add_argument("--genre", help="genre profile adjusting the targets")
    parser.add_argument("--reference", metavar="FILE", help="derive targets from a reference mix")
    parser.add_argument(
        "--select",
        type=_codes,
        default=(),
        metavar="CODES",
        help="only these rule ids or prefixes, comma-separated (e.g. LD,TB1)",
    )
    parser.add_argument(
        "--ignore",
        type=_codes,
        default=(),
        metavar="CODES",
        help="skip these rule ids or prefixes, comma-separated",
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="an extra rule file or folder (repeatable)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("diagnose", help="diagnose the mix problems of audio files")
    add_input_options(parser)
    add_session_options(parser)
    parser.add_argument("--format", choices=REPORT_FORMATS, default="rich")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        help="exit 1 when a diagnosis has at least this severity",
    )
    parser.add_argument(
        "--near-misses",
        type=int,
        default=5,
        metavar="N",
        help="list the N rules that came closest to firing (default 5)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="show each diagnosis' reasoning: WHY, HOW (and the traces in JSON)",
    )
    add_catalogue_options(parser)


def options_from(args: argparse.Namespace):  # noqa: ANN201 - RunOptions, imported lazily
    from expert.pipeline import RunOptions

    return RunOptions(
        profile=args.profile,
        genre=args.genre,
        reference=args.reference,
        select=args.select,
        ignore=args.ignore,
        rule_paths=tuple(args.rules),
        codec_check=getattr(args, "codec_check", False),
        downmix=getattr(args, "downmix", False),
        use_cache=not getattr(args, "no_cache", False),
        near_misses=getattr(args, "near_misses", 5),
        explain=getattr(args, "explain", False),
        jobs=getattr(args, "jobs", 1),
    )


def run(args: argparse.Namespace) -> int:
    from expert.pipeline import Session, run_batch
    from expert.report.output import emit

    files = input_files(args.paths)
    if wants_catalogue(args):
        return run_catalogue_command(args, files, options_from(args))
    session = Session(options_from(args))
    report = run_batch(files, session)
    emit(report, args.format, args.output)
    return report_status(report, args.fail_on)


def report_status(report, fail_on: str | None) -> int:  # noqa: ANN001 - a report Report
    """The exit status of a run that wrote ``report``."""
    if not any(entry.ok for entry in report.reports):
        return ExitStatus.USAGE
    if fail_on is not None:
        floor = SEVERITY_RANK[fail_on]
        if any(SEVERITY_RANK[d.severity] >= floor for e in report.reports for d in e.diagnoses):
            return ExitStatus.CHECK_FAILED
    return ExitStatus.OK
