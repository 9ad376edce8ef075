"""A small generated catalogue (short files at several levels, one unreadable), a house
rule folder to pass with ``--rules``, and a Dask cluster on loopback (used by the
benchmark too)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import music_like

ROOT = Path(__file__).resolve().parents[2]

#: A project rule whose threshold the tests edit: which files it fires on depends on it.
HOUSE_RULE = """\
version: 1
problems:
  over_house_limit: Louder than this catalogue's house limit
rules:
  - id: HSE001
    problem: over_house_limit
    title: Louder than the house limit
    category: loudness
    severity: warning
    certainty: 0.9
    when: loudness.integrated_lufs > {limit_lufs}
    explanation: The mix measures {{loudness.integrated_lufs:.1f}} LUFS.
"""


def write_house_rule(folder: Path, limit_lufs: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "house.yaml"
    path.write_text(HOUSE_RULE.format(limit_lufs=limit_lufs), encoding="utf-8")
    return path


def make_catalogue(folder: Path, files: int, *, seconds: float = 1.0) -> list[Path]:
    """``files`` WAVs (levels from quiet to clipped, so verdicts differ) plus ``bad.wav``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        gain = 0.15 + 2.5 * i / max(files - 1, 1)
        data = np.clip(music_like(seconds, seed=i) * gain, -1.0, 1.0)
        path = folder / f"mix{i:03d}.wav"
        sf.write(path, data, 44100, subtype="PCM_16")
        paths.append(path)
    bad = folder / "bad.wav"
    bad.write_bytes(b"")  # refused by the decoder at once
    return [*paths, bad]


@dataclass
class Cluster:
    """A Dask scheduler and worker processes on 127.0.0.1, started by ``running_cluster``."""

    address: str
    workers: list[subprocess.Popen]
    cache_dir: Path  # the workers' descriptor cache (one, as on a shared file system)
    env: dict[str, str]  # what a client process of the worktree runs with


def worktree_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a process that must import this checkout's ``expert``."""
    return dict(os.environ, PYTHONPATH=str(ROOT), MIXEXPERT_CACHE_DIR=str(cache_dir),
                OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **extra)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


@contextmanager
def running_cluster(folder: Path, *, workers: int = 2, allowed_failures: int | None = None,
                    one_task_a_worker: bool = False) -> Iterator[Cluster]:
    """A scheduler and ``workers`` single-threaded worker processes (no nanny, so a killed
    worker stays dead), logs in ``folder/logs``; everything is killed on exit.
    ``allowed_failures``: the scheduler's deaths a task may cause before it is failed;
    ``one_task_a_worker``: a worker is given a task only when idle (worker-saturation 1.0,
    where 1.1 queues a second one behind the running one), so a worker's death counts
    against the task it was running alone."""
    from distributed import Client

    cache_dir = folder / "worker-cache"
    extra = ({"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures)}
             if allowed_failures is not None else {})
    if one_task_a_worker:
        extra["DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION"] = "1.0"
    env = worktree_env(cache_dir, **extra)
    scheduler_file = folder / "scheduler.json"
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen] = []

    def start(name: str, *argv: str) -> None:
        with open(logs / f"{name}.log", "w") as log:  # the child keeps its own descriptor
            processes.append(subprocess.Popen([sys.executable, "-m", *argv], env=env,
                                              stdout=subprocess.DEVNULL, stderr=log))

    try:
        start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
              "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file))
        wait_for(scheduler_file.exists, 60, "the Dask scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(workers):
            start(f"worker-{i}", "distributed.cli.dask_worker", address, "--nthreads", "1",
                  "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--name", f"worker-{i}")
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield Cluster(address, processes[1:], cache_dir, env)
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait(timeout=30)
