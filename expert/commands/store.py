"""``mixexpert store summary FILE``: what a result store says about a catalogue."""

from __future__ import annotations

import argparse
from pathlib import Path

from expert.errors import ExitStatus, UsageError
from expert.report.formats import SUMMARY_FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("store", help="read a result store (diagnose --store)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    summary = actions.add_parser(
        "summary", help="counts per verdict and problem, the worst files, the errors")
    summary.add_argument("file", metavar="FILE", help="the store (SQLite, or a .parquet folder)")
    summary.add_argument("--format", choices=SUMMARY_FORMATS, default="rich")
    summary.add_argument("--output", metavar="FILE", help="write the summary to FILE")
    summary.add_argument("--worst", type=int, default=10, metavar="N",
                         help="list the N worst files (default 10)")


def run(args: argparse.Namespace) -> int:
    from expert.report.catalogue import emit_summary
    from expert.store import open_store
    from expert.store.summary import summarize

    if not Path(args.file).exists():  # opening would create an empty store
        raise UsageError(f"{args.file}: no such result store")
    store = open_store(args.file)
    try:
        summary = summarize(store, worst_files=args.worst)
    finally:
        store.close()
    emit_summary(summary, args.format, args.output)
    return ExitStatus.OK
