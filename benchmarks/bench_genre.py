"""What the engineer's --genre is worth: a real set scored without a genre and with one.

    python benchmarks/bench_genre.py CORPUS_SET_DIR [--jobs 2] [--keys tonal|all]

Without a genre each file is judged against the family nearest to its spectrum (what
`mixexpert eval` measures); with one, each file is diagnosed with the genre of the family
its source is labelled with (band/rock -> rock, electronic/bass-heavy -> electronic,
orchestral/acoustic -> classical: genres of rules/profiles/genres.yaml with that family),
as an engineer who says what the record is would run it. Prints the per-key F1 of both
runs side by side, macro-F1, the clean controls with a false alarm and eval's clean
false-alarm rate. The labels are the set's own; nothing is tuned here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from benchmarks.real_scores import summary  # noqa: E402
from expert.cli import build_parser  # noqa: E402
from expert.commands.eval import SessionDetector  # noqa: E402
from expert.evaluate.labels import load_manifest  # noqa: E402
from expert.evaluate.scoring import outcomes_for, run_detector, score  # noqa: E402

#: The genre an engineer would name for a source of each labelled family.
GENRE_OF_FAMILY = {"band/rock": "rock", "electronic/bass-heavy": "electronic",
                   "orchestral/acoustic": "classical"}
TONAL_KEYS = ("sub_rumble", "boomy", "weak_bass", "muddy", "harsh", "dull", "too_bright")


def _detector(genre: str | None, jobs: int) -> SessionDetector:
    argv = ["eval", "--jobs", str(jobs)] + (["--genre", genre] if genre else [])
    return SessionDetector(build_parser().parse_args(argv))



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a real set's folder (with manifest.yaml)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keys", choices=("tonal", "all"), default="tonal",
                        help="which keys' rows to print (macro-F1 is over all keys)")
    args = parser.parse_args()
    manifest = load_manifest(args.corpus)
    paths = [manifest.resolve(entry) for entry in manifest.files]
    families = [getattr(entry, "family", None) for entry in manifest.files]
    if any(f not in GENRE_OF_FAMILY for f in families):
        unknown = sorted({str(f) for f in families if f not in GENRE_OF_FAMILY})
        parser.error(f"files of families without a genre here: {', '.join(unknown)}")

    inferred = score(outcomes_for(manifest, run_detector(_detector(None, args.jobs), paths,
                                                         jobs=args.jobs)))
    found: list[list[str] | None] = [None] * len(paths)
    for family, genre in GENRE_OF_FAMILY.items():
        mine = [i for i, f in enumerate(families) if f == family]
        results = run_detector(_detector(genre, args.jobs), [paths[i] for i in mine],
                               jobs=args.jobs)
        for i, result in zip(mine, results, strict=True):
            found[i] = result
    with_genre = score(outcomes_for(manifest, found))

    rows = {p.problem: p for p in inferred.problems}
    print(f"{manifest.set or args.corpus}: {len(paths)} files")
    print(f"{'problem':26s} {'no genre F1':>12s} {'with genre F1':>14s}")
    for p in with_genre.problems:
        if args.keys == "tonal" and p.problem not in TONAL_KEYS:
            continue
        before = rows[p.problem].f1
        print(f"{p.problem:26s} {'-' if before is None else f'{before:.2f}':>12s} "
              f"{'-' if p.f1 is None else f'{p.f1:.2f}':>14s}")
    for label, ev in (("no genre", inferred), ("with genre", with_genre)):
        print(summary(label, ev))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
