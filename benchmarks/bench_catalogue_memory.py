"""The catalogue client's memory against the number of paths (issue 15: flat for 100,000).

    python benchmarks/bench_catalogue_memory.py [--paths 1000,10000,100000] [--judged 250,1000]

Two measurements, each a separate ``mixexpert diagnose DIR --store S`` client process, its
peak resident memory from ``wait4`` (the client alone: Dask's workers are other processes):

- *rerun*: N tiny distinct WAVs whose rows the store already holds (written here through
  the store's own API with the digest and profile the client computes), so the client
  lists, stats and skips every path and prints the store's summary. This is the client's
  whole per-path cost: the path list, the store's index, the skip decision.
- *judged*: M short generated files judged on a Dask cluster of two single-threaded workers
  on 127.0.0.1 (``tests/catalogue``'s ``running_cluster``): the bounded window of tasks in
  flight should keep the client's memory from growing with M.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_catalogue import run_client  # noqa: E402 - after the path
from tests.catalogue.conftest import (  # noqa: E402
    make_catalogue,
    running_cluster,
    worktree_env,
)


def tiny_wav(index: int) -> bytes:
    """A valid 8 kHz mono 16-bit WAV of 8 samples, distinct per ``index``."""
    samples = struct.pack("<8h", *((index >> (2 * k)) & 0x7FFF for k in range(8)))
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 8000, 16000, 2, 16)
    data = struct.pack("<4sI", b"data", len(samples)) + samples
    return struct.pack("<4sI4s", b"RIFF", 4 + len(fmt) + len(data), b"WAVE") + fmt + data


def prefilled(folder: Path, n: int) -> Path:
    """``n`` tiny WAVs in ``folder`` and a SQLite store that holds a result for each."""
    from expert import __version__
    from expert.catalogue.runner import portable
    from expert.pipeline import RunOptions, Session
    from expert.report.models import FileReport
    from expert.store import ResultRow, open_store

    folder.mkdir(parents=True)
    session = Session(portable(RunOptions(project_dir=str(folder))))
    store_path = folder.parent / f"{folder.name}.sqlite"
    store = open_store(store_path)
    rows: list[ResultRow] = []
    for i in range(n):
        path = folder / f"t{i:06d}.wav"
        data = tiny_wav(i)
        path.write_bytes(data)
        info = path.stat()
        rows.append(ResultRow(
            path=str(path), content_hash=hashlib.sha256(data).hexdigest(),
            size_bytes=info.st_size, mtime_ns=info.st_mtime_ns, profile=session.profile.name,
            rulebase_digest=session.digest, tool_version=__version__, ok=True, verdict="pass",
            severity=None, problems=(), duration_s=0.001,
            entry_json=FileReport(path=str(path), ok=True, verdict="pass").model_dump_json(),
            error=None, measure_s=0.0, judge_s=0.0, features_cached=True, worker="bench",
            finished_at_s=time.time()))
        if len(rows) == 5000:
            store.write(rows)
            rows = []
    store.write(rows)
    store.close()
    return store_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="1000,10000,100000",
                        help="rerun sizes, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--judged", default="250,1000",
                        help="judged-on-Dask sizes, comma-separated (default 250,1000)")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-catalogue-memory-"))
    rows = []
    for n in (int(v) for v in args.paths.split(",") if v):
        folder = work / f"rerun-{n}"
        store = prefilled(folder, n)
        wall_s, rss_kb, run = run_client([str(folder), "--store", str(store)],
                                         worktree_env(work / "cache"))
        assert run["skipped"] == n and run["judged"] == 0, run
        rows.append(("rerun, all skipped (local)", n, wall_s, rss_kb))
        print(f"rerun {n}: {wall_s:.1f} s, {rss_kb / 1024:.0f} MB", file=sys.stderr)
    for m in (int(v) for v in args.judged.split(",") if v):
        mixes = work / f"judged-{m}"
        make_catalogue(mixes, m - 1, seconds=0.2)
        with running_cluster(work / f"cluster-{m}", workers=2) as cluster:
            wall_s, rss_kb, run = run_client(
                [str(mixes), "--store", str(work / f"judged-{m}.sqlite"), "--executor", "dask",
                 "--scheduler", cluster.address], cluster.env)
        assert run["judged"] == m, run
        rows.append(("judged on Dask, 2 workers", m, wall_s, rss_kb))
        print(f"judged {m}: {wall_s:.1f} s, {rss_kb / 1024:.0f} MB", file=sys.stderr)
    print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print("| run | paths | wall s | client peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, n, wall_s, rss_kb in rows:
        print(f"| {name} | {n:,} | {wall_s:.1f} | {rss_kb / 1024:.0f} |")


if __name__ == "__main__":
    main()
