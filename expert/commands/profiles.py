"""``mixexpert profiles``: destinations and genres with their targets and sources."""

from __future__ import annotations

import argparse
import json
import sys

from expert.commands._common import add_format_option
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profiles", help="list the delivery profiles and genres with their targets"
    )
    add_format_option(parser, FORMATS)


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def run(args: argparse.Namespace) -> int:
    from expert.rules.model import DEFAULT_PROFILE
    from expert.rules.profiles import DEFAULT_GENRE, profiles
    from expert.rules.project import load_project_config

    table = profiles(extra=load_project_config(".").profiles)  # with the project's own
    if args.format == "json":
        json.dump({"default": DEFAULT_PROFILE,
                   "profiles": [p.model_dump(mode="json") for p in table.values()]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitStatus.OK
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    dest = Table(title=f"Destinations (--profile; default {DEFAULT_PROFILE})")
    for col in ("Name", "Title", "Integrated", "True peak", "Source"):
        dest.add_column(col, overflow="fold")
    genres = Table(title=f"Genres (--genre; default {DEFAULT_GENRE})")
    for col in ("Name", "LRA", "Crest ≥", "PLR ≥", "Bands sub/bass/lowmid/mid/himid/pres/brill",
                "Source"):
        genres.add_column(col, overflow="fold")
    for p in table.values():
        t = p.targets
        if p.kind == "genre":
            bands = "/".join(_num(v) for v in (t.sub_db, t.bass_db, t.low_mid_db, t.mid_db,
                                               t.high_mid_db, t.presence_db, t.brilliance_db))
            genres.add_row(p.name, f"{_num(t.loudness_range_min_lu)}–"
                           f"{_num(t.loudness_range_max_lu)} LU",
                           _num(t.crest_factor_min_db, " dB"), _num(t.plr_min_db, " dB"),
                           f"{bands} dB (±{_num(t.tonal_tolerance_db)})", p.source)
        else:
            dest.add_row(p.name, p.title, f"{_num(t.integrated_lufs)} LUFS "
                         f"±{_num(t.integrated_tolerance_lu)}",
                         _num(t.true_peak_dbtp, " dBTP"), p.source)
    console.print(dest)
    console.print(genres)
    return ExitStatus.OK
