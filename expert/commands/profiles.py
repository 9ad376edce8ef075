"""``mixexpert profiles``: destinations and genres with their targets and sources;
``mixexpert profiles learn DIR --name NAME``: a profile learned from approved masters.

``learn`` measures the folder locally (``--jobs``), or with ``--executor dask`` / ``--store``
through the catalogue runner: each master is then judged like ``diagnose`` judges it (the
default profile and the project's rules), its row (the entry holds the descriptors) goes to
the store, and a rerun reads the stored entries instead of measuring again. The profile
itself is built here, on the client, from the entries' descriptors."""

from __future__ import annotations

import argparse
import json
import sys

from expert.commands._catalogue import add_catalogue_options, catalogue_run, wants_catalogue
from expert.commands._common import add_format_option, add_jobs_option
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profiles", help="list the delivery profiles and genres with their targets"
    )
    add_format_option(parser, FORMATS)
    sub = parser.add_subparsers(dest="profiles_command", metavar="learn", required=False)
    learn = sub.add_parser(
        "learn", help="learn a profile (targets and envelope) from a folder of approved masters"
    )
    learn.add_argument("folder", metavar="DIR", help="folder of approved masters")
    learn.add_argument("--name", required=True, help="the profile's name (a-z, 0-9, _)")
    learn.add_argument("-o", "--output", metavar="FILE",
                       help="where to write it (default: profiles/NAME.yaml)")
    add_jobs_option(learn)
    add_catalogue_options(learn)


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:g}{unit}"


def learn(args: argparse.Namespace) -> int:
    """Measure every file of the folder (feature cache used) and write the profile."""
    import re
    from datetime import UTC, datetime
    from pathlib import Path

    import yaml

    from expert import __version__
    from expert.commands._common import input_files
    from expert.errors import UsageError
    from expert.fileio import write_atomic
    from expert.learning import learned_profile, row_of
    from expert.pipeline import RunOptions, features_report, map_files
    from expert.rules.builtin import rulebase_digest
    from expert.rules.model import KEY_PATTERN
    from expert.rules.profiles import learning_settings
    from expert.rules.project import PROFILES_FOLDER

    if not re.match(KEY_PATTERN, args.name):
        raise UsageError(f"--name {args.name!r}: use lower-case letters, digits and _")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    files = input_files([str(folder)])
    options = RunOptions(jobs=args.jobs)
    if wants_catalogue(args):
        reports = catalogue_run(args, files, options, keep_entries=True)[0].entries
    else:
        reports = map_files(lambda p, par: features_report(p, options, parallel=par), files,
                            args.jobs)
    rows, unreadable = [], []
    for rep in reports:
        label = Path(rep.path).relative_to(folder).as_posix()
        if rep.ok:
            rows.append(row_of(label, rep.descriptors))
        else:
            unreadable.append(f"{label}: {rep.error}")
            print(f"mixexpert: skipped {rep.path}: {rep.error}", file=sys.stderr)
    if not rows:
        print(f"mixexpert: no file in {folder} could be measured", file=sys.stderr)
        return ExitStatus.USAGE
    spec = learning_settings()
    date = datetime.now(UTC).replace(microsecond=0).isoformat()
    profile = learned_profile(rows, args.name, folder.as_posix(), spec, unreadable=unreadable,
                              date=date, tool_version=__version__,
                              rulebase_version=rulebase_digest())
    learned = profile.learned
    assert learned is not None
    if learned.small_sample:
        masters = "master" if learned.n_files == 1 else "masters"
        print(f"mixexpert: warning: only {learned.n_files} {masters} (fewer than "
              f"{spec.min_files}): a small sample, the 5th-95th percentile range is the range "
              "of these few files", file=sys.stderr)
    for o in learned.outliers:
        print(f"mixexpert: warning: {o.file} is an outlier, left out: {o.entry} {o.value:g} "
              f"is {o.deviation:+.1f} from the folder's median {o.median:g}", file=sys.stderr)
    output = Path(args.output) if args.output else Path(PROFILES_FOLDER) / f"{args.name}.yaml"
    text = (f"# Learned by `mixexpert profiles learn {folder.as_posix()} --name {args.name}`;\n"
            f"# use it with --profile {output} (or --profile {args.name} from this project).\n")
    text += yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), sort_keys=False,
                           width=100, default_flow_style=None, allow_unicode=True)
    write_atomic(output, text.encode("utf-8"))
    print(output)
    return ExitStatus.OK


def run(args: argparse.Namespace) -> int:
    if args.profiles_command == "learn":
        return learn(args)
    from expert.rules.model import DEFAULT_PROFILE
    from expert.rules.profiles import DEFAULT_GENRE, profiles
    from expert.rules.project import load_project_config

    table = profiles(extra=load_project_config(".").profiles)  # its profiles/ folder included
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
