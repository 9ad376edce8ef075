"""``mixexpert album DIR``: a collection judged as one release."""

from __future__ import annotations

import argparse

from expert.commands._common import add_input_options, input_files
from expert.commands.diagnose import add_session_options, exit_status, options_from
from expert.report.formats import REPORT_FORMATS
from expert.severity import SEVERITIES


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "album", help="judge a folder as one release: levels, colour, width, gaps between tracks"
    )
    add_input_options(parser)
    add_session_options(parser)
    parser.add_argument("--format", choices=REPORT_FORMATS, default="rich")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        help="exit 1 when a diagnosis (of a track or the album) has at least this severity",
    )


def run(args: argparse.Namespace) -> int:
    from expert.collection import run_album
    from expert.pipeline import Session
    from expert.report.collection import emit_collection

    report = run_album(input_files(args.paths), Session(options_from(args)))
    emit_collection(report, args.format, args.output)
    return exit_status(report, args.fail_on, report.collection.diagnoses)
