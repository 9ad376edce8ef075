"""``mixexpert album DIR``: a collection judged as one release. The members are diagnosed
locally, or with ``--executor dask`` / ``--store`` by the catalogue runner (a member the
store already holds is read from it); the album is judged here from their entries."""

from __future__ import annotations

import argparse

from expert.commands._catalogue import catalogue_members, wants_catalogue
from expert.commands._common import add_input_options, input_files
from expert.commands.diagnose import (
    add_report_options,
    add_session_options,
    check_outputs,
    exit_status,
    options_from,
    write_markers_asked,
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "album", help="judge a folder as one release: levels, colour, width, gaps between tracks"
    )
    add_input_options(parser)
    add_session_options(parser)
    add_report_options(parser)  # --fail-on counts the album's diagnoses too


def run(args: argparse.Namespace) -> int:
    from expert.catalogue.runner import portable
    from expert.collection import local_members, run_album
    from expert.pipeline import Session
    from expert.report.collection import emit_collection

    files = input_files(args.paths)
    check_outputs(args, files)
    options = options_from(args)
    members = local_members
    if wants_catalogue(args):  # the session a worker will load: absolute paths
        options, members = portable(options), catalogue_members(args)
    report = run_album(files, Session(options), members)
    emit_collection(report, args.format, args.output)
    write_markers_asked(args, report.reports)
    return exit_status(report.reports, args.fail_on, report.collection.diagnoses)
