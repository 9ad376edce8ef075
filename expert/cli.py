"""The ``mixexpert`` command line: argument parsing, wiring and exit codes, nothing else.

Each subcommand lives in ``expert.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``; they are imported lazily so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from expert import __version__
from expert.errors import ExitStatus, MixExpertError

# Analysis already runs one process per core; BLAS thread pools on top only oversubscribe.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

COMMANDS = (
    "diagnose", "features", "descriptors", "rules", "profiles", "compare", "eval", "store",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with the contract's usage status (2) and a one-line message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"mixexpert: error: {message}\n")
        raise SystemExit(ExitStatus.USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mixexpert",
        description="Diagnose problems in music mixes: measure, reason over engineering "
        "rules, explain.",
    )
    parser.add_argument("--version", action="version", version=f"mixexpert {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMANDS:
        importlib.import_module(f"expert.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(f"expert.commands.{args.command}").run(args))
    except MixExpertError as exc:
        sys.stderr.write(f"mixexpert: {exc}\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("mixexpert: interrupted\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK


if __name__ == "__main__":
    raise SystemExit(main())
