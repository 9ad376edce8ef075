"""``mixexpert compare BEFORE AFTER``: what a revision fixed or broke."""

from __future__ import annotations

import argparse
import sys

from expert.commands.diagnose import add_session_options, options_from
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="what a revision of a mix fixed or broke")
    parser.add_argument("before", metavar="BEFORE")
    parser.add_argument("after", metavar="AFTER")
    add_session_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="rich")
    parser.add_argument("--no-cache", action="store_true")


def run(args: argparse.Namespace) -> int:
    from expert.compare import compare
    from expert.pipeline import Session

    session = Session(options_from(args))
    before = session.diagnose_file(args.before)
    after = session.diagnose_file(args.after)
    result = compare(before, after, session.profile_summary())
    if args.format == "json":
        from expert.report.output import json_document

        sys.stdout.write(json_document(result))
    else:
        from expert.report.terminal import ComparisonView, console

        console().print(ComparisonView(result), crop=False)  # error lines are never cut
    return ExitStatus.OK if before.ok and after.ok else ExitStatus.USAGE
