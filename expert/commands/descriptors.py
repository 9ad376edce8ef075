"""``mixexpert descriptors``: the catalogue of descriptor names, units and meanings."""

from __future__ import annotations

import argparse
import json
import sys

from expert.commands._common import add_format_option
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "descriptors", help="list the descriptor catalogue (names, units, meanings)"
    )
    add_format_option(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    from expert.descriptors import CATALOGUE
    from expert.descriptors.album import CATALOGUE as ALBUM
    from expert.descriptors.stems import CATALOGUE as STEMS

    if args.format == "json":
        json.dump({"descriptors": [spec.model_dump(mode="json") for spec in CATALOGUE.values()],
                   "album": [spec.model_dump(mode="json") for spec in ALBUM.values()],
                   "stems": [spec.model_dump(mode="json") for spec in STEMS.values()]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitStatus.OK
    from expert.report.terminal import catalogue_table, console

    console().print(catalogue_table(CATALOGUE.values()))
    table = catalogue_table(ALBUM.values())
    table.title = "Album facts (mixexpert album; from the tracks' descriptors)"
    console().print(table)
    table = catalogue_table(STEMS.values())
    table.title = "Stem facts (mixexpert stems; measured on the stems together)"
    console().print(table)
    return ExitStatus.OK
