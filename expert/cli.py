"""The ``mixexpert`` command line: argument parsing, wiring and exit codes, nothing else.

Each subcommand lives in ``expert.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``; they are imported lazily so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from expert import __version__
from expert.commands._common import CACHE_LOCATION
from expert.errors import ExitStatus, Interrupted, MixExpertError, MixExpertWarning

# Analysis already runs one process per core; BLAS thread pools on top only oversubscribe.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

COMMANDS = (
    "diagnose", "album", "stems", "features", "descriptors", "rules", "profiles", "compare", "eval",
    "store",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with the contract's usage status (2) and a one-line message
    (the usage block is what ``--help`` is for)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(ExitStatus.USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mixexpert",
        description="Diagnose problems in music mixes: measure, reason over engineering "
        "rules, explain.",
        epilog=f"Measured features are cached in {CACHE_LOCATION}; set MIXEXPERT_CACHE_DIR "
        "(or XDG_CACHE_HOME) to move the cache, --no-cache to bypass it.",
    )
    parser.add_argument("--version", action="version", version=f"mixexpert {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name in COMMANDS:
        importlib.import_module(f"expert.commands.{name}").add_parser(subparsers)
    return parser


_python_show_warning = warnings.showwarning


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """A MixExpertWarning as one line for the user; any other in Python's format."""
    if issubclass(category, MixExpertWarning):
        sys.stderr.write(f"mixexpert: warning: {message}\n")
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


def main(argv: Sequence[str] | None = None) -> int:
    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(f"expert.commands.{args.command}").run(args))
    except Interrupted as stop:
        sys.stderr.write(f"mixexpert: {stop}\n")
        return ExitStatus.INTERRUPTED
    except MixExpertError as exc:
        from expert.report.format import printable

        # one line per error (a rule file may have several), each printable
        for line in str(exc).splitlines() or [""]:
            sys.stderr.write(f"mixexpert: {printable(line)}\n")
        return ExitStatus.USAGE
    except KeyboardInterrupt:
        sys.stderr.write("mixexpert: interrupted\n")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK


if __name__ == "__main__":
    raise SystemExit(main())
