"""``mixexpert compare BEFORE AFTER``: what a revision fixed or broke."""

from __future__ import annotations

import argparse

from expert.commands._common import (
    add_cache_option,
    add_format_option,
    add_output_option,
    refuse_overwriting_inputs,
)
from expert.commands.diagnose import add_session_options, options_from
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="what a revision of a mix fixed or broke")
    parser.add_argument("before", metavar="BEFORE")
    parser.add_argument("after", metavar="AFTER")
    add_session_options(parser)
    add_format_option(parser, FORMATS)
    add_output_option(parser, "the comparison")
    add_cache_option(parser)


def run(args: argparse.Namespace) -> int:
    from expert.compare import compare
    from expert.pipeline import Session
    from expert.report.output import deliver, json_document, plain_text, showing

    refuse_overwriting_inputs(args.output, [args.before, args.after])
    session = Session(options_from(args))
    before = session.diagnose_file(args.before)
    after = session.diagnose_file(args.after)
    result = compare(before, after, session.profile_summary())
    if args.format == "json":
        deliver(args.output, lambda: json_document(result))
    else:
        from expert.report.terminal import ComparisonView

        show = showing(ComparisonView(result))
        deliver(args.output, lambda: plain_text(show), show=show)
    return ExitStatus.OK if before.ok and after.ok else ExitStatus.USAGE
