"""Catalogue throughput: the local executor against Dask at 1 and 2 workers, on this machine.

    python benchmarks/bench_catalogue.py [--files N] [--seconds S] [--out DIR]

Generates N short WAVs (default 1,000 of 1 s; the generator of tests/catalogue, so levels
vary and one file is unreadable), then runs ``mixexpert diagnose DIR --store S`` as a
separate client process, each time with an empty descriptor cache and a new SQLite store:

- local: ``--executor local --jobs 2`` (the process pool on both cores);
- dask-1, dask-2: ``--executor dask`` against a scheduler and 1 or 2 single-threaded
  worker processes started here on 127.0.0.1 (``tests/catalogue``'s ``running_cluster``);
  the cluster's start-up is not timed, the workers' first imports are.

Prints files/min, the scaling factor from 1 to 2 workers, the client's peak resident memory
(the client process alone, from ``wait4``: the Dask workers, and the local pool's forks, are
not in it) and the store's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.catalogue.conftest import (  # noqa: E402 - after the path
    make_catalogue,
    running_cluster,
    worktree_env,
)


def run_client(argv: list[str], env: dict[str, str]) -> tuple[float, int, dict]:
    """(wall seconds, client peak RSS in kB, the run's tally) of one diagnose process."""
    started = time.perf_counter()
    client = subprocess.Popen([sys.executable, "-m", "expert", "diagnose", *argv,
                               "--format", "json"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = client.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(client.pid, 0)
    wall_s = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"diagnose {' '.join(argv)} failed")
    return wall_s, usage.ru_maxrss, json.loads(out)["run"]


def store_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.parent.glob(store.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="generated files (default 1000)")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each (default 1)")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-catalogue-"))
    mixes = work / "mixes"
    if not mixes.exists():
        make_catalogue(mixes, args.files - 1, seconds=args.seconds)  # + one unreadable file
    results = []
    for name, workers in (("local", 0), ("dask-1", 1), ("dask-2", 2)):
        store = work / f"{name}.sqlite"
        for old in work.glob(store.name + "*"):
            old.unlink()
        argv = [str(mixes), "--store", str(store)]
        with ExitStack() as stack:  # each run starts with an empty descriptor cache
            shutil.rmtree(work / name, ignore_errors=True)
            if workers:
                cluster = stack.enter_context(running_cluster(work / name, workers=workers))
                argv += ["--executor", "dask", "--scheduler", cluster.address]
                env = cluster.env
            else:
                argv += ["--jobs", "2"]
                env = worktree_env(work / name / "cache")
            wall_s, rss_kb, run = run_client(argv, env)
        assert run["judged"] == args.files, run
        results.append((name, wall_s, rss_kb, store_bytes(store)))
        print(f"{name}: {wall_s:.1f} s", file=sys.stderr)
    print(f"\n{args.files} files of {args.seconds:g} s, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| executor | wall s | files/min | client peak RSS MB | store MB |")
    print("|---|---:|---:|---:|---:|")
    for name, wall_s, rss_kb, size in results:
        print(f"| {name} | {wall_s:.1f} | {args.files / wall_s * 60:.0f} | {rss_kb / 1024:.0f} "
              f"| {size / 1e6:.1f} |")
    rate = {name: args.files / wall_s for name, wall_s, _, _ in results}
    print(f"\nscaling 1 -> 2 Dask workers: {rate['dask-2'] / rate['dask-1']:.2f}x; "
          f"dask-2 vs local: {rate['dask-2'] / rate['local']:.2f}x")


if __name__ == "__main__":
    main()
