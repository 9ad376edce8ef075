"""``mixexpert features PATH...``: the measured descriptors, with units."""

from __future__ import annotations

import argparse

from expert.commands._common import (
    add_format_option,
    add_input_options,
    input_files,
    refuse_overwriting_inputs,
)
from expert.errors import ExitStatus, Interrupted
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("features", help="measure and print the descriptors")
    add_input_options(parser)
    add_format_option(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    from expert.pipeline import RunOptions, features_report, map_files
    from expert.report.models import Report
    from expert.report.output import emit

    options = RunOptions(
        codec_check=args.codec_check,
        downmix=args.downmix,
        use_cache=not args.no_cache,
        jobs=args.jobs,
    )
    files = input_files(args.paths)
    refuse_overwriting_inputs(args.output, files)
    profile = {"name": None, "description": "features only: no profile applied"}
    try:
        reports = map_files(
            lambda p, parallel: features_report(p, options, parallel=parallel), files,
            options.jobs,
        )
    except Interrupted as stop:  # what is finished is not lost
        emit(Report(profile=profile, reports=stop.done), args.format, args.output,
             diagnoses=False)
        raise
    emit(Report(profile=profile, reports=reports), args.format, args.output, diagnoses=False)
    return ExitStatus.OK if any(r.ok for r in reports) else ExitStatus.USAGE
