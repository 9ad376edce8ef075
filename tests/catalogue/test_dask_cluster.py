"""A catalogue judged on a real Dask cluster on loopback: a scheduler and two worker
processes started here (``distributed.cli``), one of them SIGKILLed mid-run.

Checks that the run completes with every file in the store exactly once and the same
results as the local executor, that a rerun judges nothing, and that after a rule edit the
rerun judges every file again without decoding any (the workers' descriptor cache is left
untouched: same entries, same mtimes, every row marked ``features_cached``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from expert.catalogue.executors import DaskExecutor
from expert.cli import main
from expert.pipeline import RunOptions, Session
from tests.catalogue.conftest import (
    ROOT,
    Cluster,
    make_catalogue,
    running_cluster,
    wait_for,
    write_house_rule,
)

pytest.importorskip(
    "distributed", reason="the Dask executor needs dask[distributed]: pip install -e '.[dask]'")

FILES = 40
COMPARED = ("content_hash", "profile", "rulebase_digest", "ok", "verdict", "severity",
            "problems", "entry_json", "error")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def store_rows(path: Path) -> list[dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM results ORDER BY path")]


def row_count(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=1.0) as db:
            return db.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def dask_run(cluster: Cluster, argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "expert", "diagnose", *argv, "--executor", "dask",
         "--scheduler", cluster.address],
        env=cluster.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(client: subprocess.Popen) -> dict:
    out, err = client.communicate(timeout=300)
    assert client.returncode == 0, err
    return json.loads(out)["run"]


def test_tasks_in_flight_stay_within_the_window(cluster: Cluster, tmp_path: Path) -> None:
    files = [str(p) for p in make_catalogue(tmp_path / "mixes", 11, seconds=0.5)]  # + bad.wav
    options = RunOptions(cache_dir=str(tmp_path / "client-cache"))
    window = 2
    executor = DaskExecutor(cluster.address, window=window)
    digest = Session(options).digest

    def tasks_on_scheduler() -> int:
        return executor.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

    seen, most = [], 0
    try:
        for batch in executor.batches(files, options, digest, lambda p, m: pytest.fail(m)):
            most = max(most, tasks_on_scheduler())
            seen += [row.path for row in batch]
    finally:
        executor.close()
    assert sorted(seen) == sorted(files)
    # in flight, plus finished ones whose release is still on its way: not the 12 files
    assert 1 <= most <= 2 * window


def test_a_catalogue_on_a_cluster(cluster: Cluster, tmp_path: Path, capsys) -> None:
    files = make_catalogue(tmp_path / "mixes", FILES)
    rules = write_house_rule(tmp_path / "project-rules", -20.0).parent
    common = [str(tmp_path / "mixes"), "--rules", str(rules), "--format", "json"]
    local_store, dask_store = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    assert main(["diagnose", *common, "--store", str(local_store), "--jobs", "2"]) == 0
    capsys.readouterr()

    client = dask_run(cluster, [*common, "--store", str(dask_store)])
    wait_for(lambda: row_count(dask_store) >= 5 or client.poll() is not None, 240,
          "the first results")
    assert client.poll() is None and row_count(dask_store) < len(files), "killed too late"
    os.kill(cluster.workers[0].pid, signal.SIGKILL)
    assert finished(client) == {"files": len(files), "skipped": 0, "judged": len(files),
                                "errors": 1, "executor": "dask"}

    rows = store_rows(dask_store)
    assert [r["path"] for r in rows] == sorted(str(p) for p in files)  # each exactly once
    local = store_rows(local_store)
    assert [{c: r[c] for c in COMPARED} for r in rows] == [
        {c: r[c] for c in COMPARED} for r in local]
    assert [r["path"] for r in rows if not r["ok"]] == [str(files[-1])]
    # every row came from a worker ("dask" would be a row the client made for a lost task)
    assert all(r["worker"].startswith("tcp://127.0.0.1:") for r in rows)

    again = finished(dask_run(cluster, [*common, "--store", str(dask_store)]))
    assert again["skipped"] == len(files) and again["judged"] == 0
    assert store_rows(dask_store) == rows

    cache_entries = {p: p.stat().st_mtime_ns for p in cluster.cache_dir.glob("*.json")}
    assert len(cache_entries) == FILES  # one per readable file, whichever worker made it
    write_house_rule(rules, -40.0)
    edited = finished(dask_run(cluster, [*common, "--store", str(dask_store)]))
    assert edited["judged"] == len(files) and edited["skipped"] == 0
    new_rows = [r for r in store_rows(dask_store) if r["rulebase_digest"] !=
                rows[0]["rulebase_digest"]]
    assert len(new_rows) == len(files)
    assert all(r["features_cached"] for r in new_rows if r["ok"])
    assert {p: p.stat().st_mtime_ns for p in cluster.cache_dir.glob("*.json")} == cache_entries
    assert sum("over_house_limit" in r["problems"] for r in new_rows) == FILES


def test_a_file_whose_workers_keep_dying_is_an_error_and_the_batch_goes_on(
        tmp_path: Path) -> None:
    files = make_catalogue(tmp_path / "mixes", 7, seconds=1.0)
    store = tmp_path / "results.sqlite"
    argv = [str(tmp_path / "mixes"), "--store", str(store), "--format", "json"]
    # allowed-failures 0: the first worker death under a task fails it (3 by default)
    with running_cluster(tmp_path / "cluster", allowed_failures=0) as cluster:
        client = dask_run(cluster, argv)
        wait_for(lambda: row_count(store) >= 2 or client.poll() is not None, 240,
                 "the first results")
        assert client.poll() is None, "the run ended before a worker could be killed"
        os.kill(cluster.workers[0].pid, signal.SIGKILL)
        run = finished(client)
        rows = store_rows(store)
        assert run["judged"] == len(files) == len(rows)
        # what the dead worker was judging (its running task, and the one queued behind it)
        lost = [r for r in rows if not r["ok"] and r["path"] != str(files[-1])]
        assert 1 <= len(lost) <= 2 and run["errors"] == 1 + len(lost)
        assert all("workers judging this file died" in r["error"] for r in lost)

        retried = finished(dask_run(cluster, [*argv, "--retry-failed"]))
        assert retried["judged"] == 1 + len(lost) and retried["errors"] == 1
        assert [r["path"] for r in store_rows(store) if not r["ok"]] == [str(files[-1])]
