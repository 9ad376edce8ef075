"""Full-corpus accuracy benchmark: build the set, diagnose every file, print the table.

    python benchmarks/bench_eval.py [--set full|ci|real-dev|real-check|real-ci] [--jobs 2]
                                    [--json OUT]

Prints the accuracy table of ``mixexpert eval`` followed by the costs: build and
diagnosis wall time, audio duration and real-time factor, peak RSS of this process and of
its worker processes (``resource.getrusage``). With ``--json`` the evaluation document is
also written to a file, to compare runs.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from rich.console import Console  # noqa: E402

from corpus.build import build  # noqa: E402
from expert.cli import build_parser  # noqa: E402
from expert.commands.eval import SessionDetector  # noqa: E402
from expert.evaluate.labels import load_manifest  # noqa: E402
from expert.evaluate.render import EvaluationView, to_json  # noqa: E402
from expert.evaluate.scoring import evaluate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="subset",
                        choices=("ci", "full", "real-dev", "real-check", "real-ci"),
                        default="full")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", metavar="OUT", help="also write the evaluation as JSON")
    args = parser.parse_args()

    started = time.perf_counter()
    manifest_path = build(args.subset, jobs=args.jobs,
                          progress=lambda m: print(m, file=sys.stderr))
    build_s = time.perf_counter() - started
    manifest = load_manifest(manifest_path)
    audio_s = sum(float(getattr(f, "duration_s", 0.0) or 0.0) for f in manifest.files)

    eval_args = build_parser().parse_args(["eval", "--jobs", str(args.jobs)])
    started = time.perf_counter()
    evaluation = evaluate(manifest, SessionDetector(eval_args), jobs=args.jobs)
    eval_s = time.perf_counter() - started

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    console.print(EvaluationView(evaluation, title=f"Diagnostic accuracy ({args.subset} set)"))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    console.print(
        f"\n{len(manifest.files)} files, {audio_s / 60:.1f} min of audio | build "
        f"{build_s:.1f} s | diagnosis {eval_s:.1f} s ({audio_s / max(eval_s, 1e-9):.0f}x "
        f"real time, {args.jobs} jobs) | peak RSS {own:.0f} MB, workers {children:.0f} MB"
    )
    if args.json:
        Path(args.json).write_text(
            to_json(evaluation, corpus=str(manifest_path.parent), subset=args.subset),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
