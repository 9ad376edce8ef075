"""A catalogue run stopped half-way (Ctrl-C, or the client killed) keeps every finished
file in the store, whole, and the rerun judges only the rest: on the local process pool
and on a Dask cluster on loopback (the client stopped, the workers left running)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.catalogue.conftest import ROOT, Cluster, make_catalogue, running_cluster

FILES = 12


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pytest.importorskip("distributed", reason="the Dask executor needs dask[distributed]")
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def finished_rows(store: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(store, timeout=1.0) as db:
            return db.execute("SELECT path, entry_json FROM results").fetchall()
    except sqlite3.Error:  # not created yet
        return []


@pytest.mark.parametrize("executor", ["local", "dask"])
@pytest.mark.parametrize(("stop", "status"), [(signal.SIGINT, 130), (signal.SIGKILL, -9)])
def test_a_stopped_run_keeps_what_finished(request: pytest.FixtureRequest, tmp_path: Path,
                                           stop: signal.Signals, status: int, executor: str
                                           ) -> None:
    make_catalogue(tmp_path / "mixes", FILES - 1, seconds=1.5)
    store = tmp_path / "results.sqlite"
    command = [sys.executable, "-m", "expert", "diagnose", str(tmp_path / "mixes"),
               "--store", str(store), "--jobs", "2", "--format", "json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if executor == "dask":
        cluster: Cluster = request.getfixturevalue("cluster")
        command += ["--executor", "dask", "--scheduler", cluster.address]
        env = cluster.env
    client = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(finished_rows(store)) < 3 and client.poll() is None:
        assert time.monotonic() < deadline, "no result in two minutes"
        time.sleep(0.02)
    assert client.poll() is None, "the run ended before it could be stopped"
    client.send_signal(stop)
    _, err = client.communicate(timeout=60)
    assert client.returncode == status
    if stop == signal.SIGINT:
        assert err.strip().splitlines()[-1] == "mixexpert: interrupted"
    kept = finished_rows(store)
    assert 3 <= len(kept) < FILES
    assert all(json.loads(entry)["path"] == path for path, entry in kept)  # whole rows

    rerun = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    run = json.loads(rerun.stdout)["run"]
    assert run["skipped"] == len(kept) and run["judged"] == FILES - len(kept)
    assert len(finished_rows(store)) == FILES
    assert run["executor"] == executor
