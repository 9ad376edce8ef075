"""Options and helpers shared by the subcommands (one definition of each common option)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Sequence

from expert.errors import UsageError

#: Where cached feature sets live (``expert.features.cache.default_cache_dir``), for --help.
CACHE_LOCATION = ("$MIXEXPERT_CACHE_DIR, else $XDG_CACHE_HOME/mixexpert, else "
                  "~/.cache/mixexpert")


def add_format_option(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument("-f", "--format", choices=choices, default="rich",
                        help="output format (default: rich, the terminal view)")


def add_output_option(parser: argparse.ArgumentParser, what: str = "the report") -> None:
    parser.add_argument("-o", "--output", metavar="FILE",
                        help=f"write {what} to FILE (atomically) instead of stdout")


def add_jobs_option(parser: argparse.ArgumentParser, what: str = "files") -> None:
    parser.add_argument("-j", "--jobs", type=count(1), default=1, metavar="N",
                        help=f"{what} in parallel (default 1)")


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true",
                        help=f"measure again instead of reusing cached features (cache: "
                        f"{CACHE_LOCATION}; set MIXEXPERT_CACHE_DIR to move it)")


def count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum`` (else a usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        return value

    return parse


def add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    add_output_option(parser)
    add_jobs_option(parser)
    add_cache_option(parser)
    parser.add_argument(
        "--codec-check",
        action="store_true",
        help="also measure true peak after a lossy encode/decode round trip (slower)",
    )
    parser.add_argument(
        "--downmix", action="store_true", help="fold 5.1 files to stereo (ITU-R BS.775)"
    )


def input_files(paths: list[str]) -> list[str]:
    # lazy import: expert.audio loads numpy, soundfile and pydantic, which `--help` never needs
    from expert.audio import find_audio_files

    files = [str(p) for p in find_audio_files(paths)]
    if not files:
        raise UsageError("no audio files found in " + ", ".join(paths))
    return list(dict.fromkeys(files))  # a file named twice is analysed once


def refuse_overwriting_inputs(output: str | None, inputs: Iterable[str]) -> None:
    """A usage error when ``output`` names (or links to) one of the files it reports on."""
    if not output or not os.path.exists(output):
        return
    for path in inputs:
        try:
            if os.path.samefile(output, path):
                raise UsageError(f"--output {output} is one of the input files; "
                                 "give another file name")
        except OSError:
            continue  # an input that cannot be stat'ed gets its own error later
