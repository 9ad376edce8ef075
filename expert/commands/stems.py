"""``mixexpert stems DIR [--mix FILE]``: the stems of one song measured together."""

from __future__ import annotations

import argparse
import os

from expert.commands._common import add_input_options, input_files
from expert.commands.diagnose import (
    add_report_options,
    add_session_options,
    check_outputs,
    exit_status,
    options_from,
)
from expert.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stems", help="the stems of one song together: masking per band, low end, phase, "
        "level in the sum, and (--mix) how they sum to the mix")
    add_input_options(parser)
    parser.add_argument("--mix", metavar="FILE", help="the song's mix: check that the stems "
                        "sum to it (level, polarity, offset) and that none is missing")
    add_session_options(parser)
    add_report_options(parser)  # --fail-on counts the stems' diagnoses


def run(args: argparse.Namespace) -> int:
    from expert.collection import run_stems
    from expert.pipeline import Session
    from expert.report.collection import emit_collection

    mix = args.mix
    if mix is not None and not os.path.isfile(mix):
        raise UsageError(f"{mix}: no such file (--mix)")
    # the mix may sit in the stems' folder: it is not one of them
    files = [f for f in input_files(args.paths)
             if mix is None or not os.path.samefile(f, mix)]
    if len(files) < 2:
        raise UsageError("stems: " + ", ".join(args.paths) + " holds fewer than two stems")
    check_outputs(args, [*files, *([mix] if mix else [])], one_song=True)
    report = run_stems(files, Session(options_from(args)), mix)
    emit_collection(report, args.format, args.output)
    if args.markers is not None:  # the passages where stems fight, on the song's timeline
        from expert.report.collection import as_entry
        from expert.report.markers import write_markers

        write_markers(args.markers, as_entry(report.collection))
    return exit_status(report.reports, args.fail_on, report.collection.diagnoses)
