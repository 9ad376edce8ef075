"""``mixexpert diagnose PATH...``: measure, reason, explain."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from expert.commands._catalogue import (
    add_catalogue_options,
    run_catalogue_command,
    wants_catalogue,
)
from expert.commands._common import (
    add_format_option,
    add_input_options,
    count,
    input_files,
    refuse_overwriting_inputs,
)
from expert.errors import ExitStatus, Interrupted, UsageError
from expert.report.formats import REPORT_FORMATS
from expert.severity import SEVERITIES, SEVERITY_RANK

if TYPE_CHECKING:
    from expert.engine import Diagnosis
    from expert.report.models import FileReport


def _codes(text: str) -> tuple[str, ...]:
    # As written: codes match in any case, problem keys are lower case (``boomy``).
    return tuple(code.strip() for code in text.split(",") if code.strip())


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """Options that choose the knowledge and targets (shared with ``compare``)."""
    parser.add_argument(
        "-p",
        "--profile",
        default=None,
        help="delivery profile (see `profiles`; default: the project's, else streaming)",
    )
    parser.add_argument("--genre", help="genre profile adjusting the targets")
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="FILE",
        help="derive targets from a reference mix (repeatable, or a folder: their average)",
    )
    parser.add_argument(
        "--select",
        type=_codes,
        default=(),
        metavar="CODES",
        help="only these rule ids, prefixes or problem keys, comma-separated (e.g. LD,TB1,boomy)",
    )
    parser.add_argument(
        "--ignore",
        type=_codes,
        default=(),
        metavar="CODES",
        help="skip these rule ids or prefixes, comma-separated",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="project settings file (default: the nearest mixexpert.yaml or pyproject.toml "
        "with [tool.mixexpert] above the audio, else above the current folder)",
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
    add_report_options(parser)


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """How the diagnoses are reported and what fails the run (shared with ``album``)."""
    add_format_option(parser, REPORT_FORMATS)
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        help="exit 1 when a diagnosis has at least this severity",
    )
    parser.add_argument(
        "--near-misses",
        type=count(0),
        default=5,
        metavar="N",
        help="list the N rules that came closest to firing (default 5)",
    )
    parser.add_argument(
        "--markers",
        metavar="FILE",
        help="write the time-located diagnoses as DAW markers: FILE.txt an Audacity label "
        "track, FILE.csv a REAPER region list (one input file)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="one line per file in the terminal: path, verdict, problem keys",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="show each diagnosis' reasoning: WHY, HOW (and the traces in JSON)",
    )
    add_catalogue_options(parser)


def project_start(paths: list[str]) -> str:
    """Where the search for project settings starts: the folder holding all the inputs."""
    folders = [str(p if p.is_dir() else p.parent) for p in (Path(x).resolve() for x in paths)]
    return os.path.commonpath(folders)


def options_from(args: argparse.Namespace):  # noqa: ANN201 - RunOptions, imported lazily
    from expert.pipeline import RunOptions

    return RunOptions(
        profile=args.profile,
        genre=args.genre,
        reference=tuple(args.reference),
        select=args.select,
        ignore=args.ignore,
        rule_paths=tuple(args.rules),
        project_dir=project_start(
            getattr(args, "paths", None) or [getattr(args, "before", None) or "."]),
        config=args.config,
        codec_check=getattr(args, "codec_check", False),
        downmix=getattr(args, "downmix", False),
        use_cache=not getattr(args, "no_cache", False),
        near_misses=getattr(args, "near_misses", 5),
        explain=getattr(args, "explain", False),
        jobs=getattr(args, "jobs", 1),
    )


def _check_markers(path: str, files: list[str], *, one_song: bool) -> None:
    """Before any analysis: markers belong to one song, in a format we write."""
    from expert.report.markers import marker_format

    if marker_format(path) is None:
        raise UsageError(f"--markers {path}: the file must end in .txt (Audacity labels) or "
                         ".csv (REAPER regions)")
    if len(files) != 1 and not one_song:
        raise UsageError(f"--markers places marks in one song; {len(files)} files were given")


def check_outputs(args: argparse.Namespace, files: list[str], *,
                  one_song: bool = False) -> None:
    """Before any analysis: ``--output`` and ``--markers`` overwrite no input, and markers
    are for one song (shared with ``album``; ``one_song``: the files are one song's stems)."""
    inputs = [*files, *args.reference]
    refuse_overwriting_inputs(args.output, inputs)
    refuse_overwriting_inputs(args.markers, inputs)
    if args.markers is not None:
        _check_markers(args.markers, files, one_song=one_song)


def run(args: argparse.Namespace) -> int:
    from expert.pipeline import Session, iter_batch, run_batch
    from expert.report.models import Report
    from expert.report.output import emit

    files = input_files(args.paths)
    check_outputs(args, files)
    if args.format == "html":
        from expert.report.html import require_plotting

        require_plotting()
    if wants_catalogue(args):
        return run_catalogue_command(args, files, options_from(args))
    session = Session(options_from(args))
    if args.format == "rich" and not args.output:
        from expert.report.batch import print_batch
        from expert.report.terminal import console

        outcome = print_batch(iter_batch(files, session), len(files),
                              session.profile_summary(), quiet=args.quiet,
                              out=console(), err=console(stderr=True))
        if outcome.interrupted:
            return ExitStatus.INTERRUPTED
        reports = outcome.done
    else:
        try:
            report = run_batch(files, session)
        except Interrupted as stop:  # what is finished is not lost
            emit(Report(profile=session.profile_summary(), reports=stop.done), args.format,
                 args.output, quiet=args.quiet, rulebase_digest=session.rulebase.digest())
            raise
        emit(report, args.format, args.output, quiet=args.quiet,
             rulebase_digest=session.rulebase.digest())
        reports = report.reports
    write_markers_asked(args, reports)
    return exit_status(reports, args.fail_on)


def write_markers_asked(args: argparse.Namespace, reports: Sequence[FileReport]) -> None:
    """``--markers FILE``: the one file's time-located diagnoses, when it was judged."""
    if args.markers is not None and reports and reports[0].ok:
        from expert.report.markers import write_markers

        write_markers(args.markers, reports[0])


def exit_status(reports: Sequence[FileReport], fail_on: str | None,
                more: Iterable[Diagnosis] = ()) -> int:
    """2 when no input could be analysed; 1 when ``fail_on`` is met by a file's diagnosis
    (or one of ``more``, e.g. the album's); else 0."""
    if not any(entry.ok for entry in reports):
        return ExitStatus.USAGE
    if fail_on is not None:
        floor = SEVERITY_RANK[fail_on]
        found = [d for e in reports for d in e.diagnoses] + list(more)
        if any(SEVERITY_RANK[d.severity] >= floor for d in found):
            return ExitStatus.CHECK_FAILED
    return ExitStatus.OK
