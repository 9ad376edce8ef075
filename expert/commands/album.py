"""``mixexpert album DIR``: a collection judged as one release."""

from __future__ import annotations

import argparse

from expert.commands._common import add_input_options, input_files
from expert.commands.diagnose import (
    add_report_options,
    add_session_options,
    exit_status,
    options_from,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "album", help="judge a folder as one release: levels, colour, width, gaps between tracks"
    )
    add_input_options(parser)
    add_session_options(parser)
    add_report_options(parser)  # --fail-on counts the album's diagnoses too


def run(args: argparse.Namespace) -> int:
    from expert.collection import run_album
    from expert.pipeline import Session
    from expert.report.collection import emit_collection

    report = run_album(input_files(args.paths), Session(options_from(args)))
    emit_collection(report, args.format, args.output)
    return exit_status(report.reports, args.fail_on, report.collection.diagnoses)
