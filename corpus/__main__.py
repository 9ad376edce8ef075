"""``python -m corpus build [--set ci|full] [--jobs N] [--rebuild]`` and ``injectors``."""

from __future__ import annotations

import argparse
import sys

from corpus.build import CORPUS_DIR, SUBSETS, BuildError, build
from corpus.inject import INJECTORS
from corpus.real import build as real


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="render what is missing and write the manifest")
    make.add_argument("--set", dest="subset", choices=SUBSETS + real.REAL_SETS, default="ci")
    make.add_argument("--jobs", type=int, default=1)
    make.add_argument("--rebuild", action="store_true", help="render every file again")
    sub.add_parser("injectors", help="list the injectors and their stages")
    sub.add_parser("spread", help="measure the clean real sources' band-share spread")
    args = parser.parse_args(argv)
    if args.command == "injectors":
        for item in INJECTORS.values():
            print(f"{item.name:20} {item.stage:7} {item.doc}")
        return 0
    if args.command == "spread":
        try:
            print(real.measure_spread(CORPUS_DIR))
        except real.BuildError as exc:
            print(f"corpus: {exc}", file=sys.stderr)
            return 2
        return 0
    try:
        path = build(args.subset, jobs=args.jobs, rebuild=args.rebuild,
                     progress=lambda m: print(m, file=sys.stderr))
    except (BuildError, real.BuildError) as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
