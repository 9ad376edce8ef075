"""Throughput of a batch of short files, whole process, in one run.

    python benchmarks/bench_batch.py [--files 100] [--jobs 2] [--repeat 3] [--tree DIR ...]

Generates (once, in benchmarks/out/batch/) ``--files`` stereo 44.1 kHz 16-bit WAVs of
music-like noise, 5 to 30 s long (deterministic), and times ``mixexpert diagnose FOLDER
--jobs N --no-cache --format json`` as a whole process: start-up, imports, pool set-up,
every file's extraction, the engine and the report. ``--tree DIR`` (repeatable) times the
same command with ``PYTHONPATH=DIR``, runs interleaved, so two checkouts are compared in
one run on the same machine load (issue 14: >= 1.5x the throughput of before).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_features import HERE, load_average, make_music_like

MIN_S, MAX_S = 5, 30


def make_batch(folder: Path, files: int) -> float:
    """Write the batch (kept for the next run); returns its total duration in seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for i in range(files):
        seconds = MIN_S + (i * 7919) % (MAX_S - MIN_S + 1)  # spread deterministically
        make_music_like(folder / f"short-{i:03d}-{seconds}s.wav", seconds / 60, 44100, seed=i)
        total += seconds
    return total


def timed(tree: str | None, folder: Path, jobs: int) -> float:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = tree
        env["PYTHONSAFEPATH"] = "1"  # else ``-m`` puts the current folder (a checkout?) first
    cmd = [sys.executable, "-m", "expert.cli", "diagnose", str(folder), "--jobs", str(jobs),
           "--no-cache", "--format", "json", "--output", os.devnull]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[],
                        help="a checkout to put on PYTHONPATH (repeatable; default: as installed)")
    args = parser.parse_args()
    folder = HERE / "out" / "batch"
    audio_s = make_batch(folder, args.files)
    trees = args.tree or [None]
    walls: dict[str | None, list[float]] = {t: [] for t in trees}
    print(f"{args.files} files, {audio_s / 60:.1f} min of audio, --jobs {args.jobs} "
          f"({load_average()} at the start)")
    for _ in range(args.repeat):  # interleaved: a change of load hits every tree alike
        for tree in trees:
            walls[tree].append(timed(tree, folder, args.jobs))
    for tree, runs in walls.items():
        wall = statistics.median(runs)
        print(f"  {tree or 'installed':40} {wall:7.2f} s  {args.files / wall * 60:6.0f} files/min"
              f"  (runs: {', '.join(f'{r:.2f}' for r in runs)})")
    print(f"  ({load_average()} at the end)")


if __name__ == "__main__":
    main()
