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
import soundfile as sf

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
from tests.conftest import music_like

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


def test_a_file_that_takes_down_every_worker_trying_it_is_an_error_after_bounded_tries(
        tmp_path: Path) -> None:
    """The poisoned file's worker is SIGKILLed whenever it is running that file; with
    allowed-failures 1 the scheduler gives it a second worker, then fails it: an error row,
    while every other file is judged, once. Without the killing, --retry-failed judges it."""
    from distributed import Client

    files = make_catalogue(tmp_path / "mixes", 6, seconds=1.0)
    poison = tmp_path / "mixes" / "000-poison.wav"  # first in path order: task index 0
    sf.write(poison, music_like(20.0, seed=99) * 0.3, 44100, subtype="PCM_16")
    store = tmp_path / "results.sqlite"
    argv = [str(tmp_path / "mixes"), "--store", str(store), "--format", "json"]
    with running_cluster(tmp_path / "cluster", workers=3, allowed_failures=1,
                         one_task_a_worker=True) as cluster, \
            Client(cluster.address, timeout="30s") as watcher:
        pids = watcher.run(os.getpid)
        client = dask_run(cluster, argv)
        killed: list[str] = []
        while client.poll() is None:
            running = watcher.run(lambda dask_worker: [str(task.key) for task in
                                                       dask_worker.state.executing])
            for address, keys in running.items():
                if any(key.endswith("-0") for key in keys) and address not in killed:
                    os.kill(pids[address], signal.SIGKILL)
                    killed.append(address)
                    wait_for(lambda a=address: a not in watcher.scheduler_info()["workers"],
                             60, "the scheduler to notice the death")
        run = finished(client)
        assert len(killed) == 2  # tried on two workers (allowed-failures + 1), then failed
        rows = {r["path"]: r for r in store_rows(store)}
        assert run["judged"] == len(rows) == len(files) + 1
        assert run["errors"] == 2
        assert "workers judging this file died" in rows[str(poison)]["error"]
        assert "empty file" in rows[str(files[-1])]["error"]
        assert all(r["ok"] for p, r in rows.items() if p not in (str(poison), str(files[-1])))

        retried = finished(dask_run(cluster, [*argv, "--retry-failed"]))
        assert retried["judged"] == 2 and retried["errors"] == 1  # bad.wav stays bad
        assert [r["path"] for r in store_rows(store) if not r["ok"]] == [str(files[-1])]
