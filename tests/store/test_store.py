"""The result stores (SQLite and Parquet): atomic batches, the latest row per key, the index
a rerun skips by, and the summary."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from expert.errors import UsageError
from expert.store import ResultRow, open_store
from expert.store.summary import summarize

pytest.importorskip("pyarrow", reason="the Parquet store needs pyarrow (the parquet extra)")

STORE_NAMES = ("results.sqlite", "results.parquet")


def row(path: str, *, verdict: str | None = "warn", digest: str = "d1", ok: bool = True,
        problems: tuple[str, ...] = ("muddy",), finished_at_s: float = 1.0) -> ResultRow:
    return ResultRow(
        path=path, content_hash=f"hash-{path}", size_bytes=100, mtime_ns=7,
        profile="streaming", rulebase_digest=digest, tool_version="0.1.0", ok=ok,
        verdict=verdict if ok else None,
        severity={"fail": "error", "warn": "warning"}.get(verdict or "") if ok else None,
        problems=problems if ok else (), duration_s=1.0, entry_json=json.dumps({"path": path}),
        error=None if ok else "cannot decode", measure_s=0.1, judge_s=0.01,
        features_cached=False, worker="local", finished_at_s=finished_at_s)


@pytest.mark.parametrize("name", STORE_NAMES)
def test_rows_round_trip_and_a_key_keeps_its_latest_row(tmp_path: Path, name: str) -> None:
    store = open_store(tmp_path / name)
    first = [row("/a.wav"), row("/b.wav", ok=False)]
    store.write(first)
    retried = row("/b.wav", verdict="pass", problems=(), finished_at_s=2.0)
    store.write([retried, row("/a.wav", digest="d2")])
    assert list(store.rows()) == sorted([first[0], retried, row("/a.wav", digest="d2")],
                                        key=lambda r: r.key)
    assert [r.entry_json for r in store.rows(entries=False)] == [None, None, None]
    index = store.index("d1", "streaming")
    assert index.judged == {"hash-/a.wav": True, "hash-/b.wav": True}
    assert index.identity[("/a.wav", 100, 7)] == "hash-/a.wav"
    assert store.index("d3", "streaming").judged == {}
    store.close()


@pytest.mark.parametrize("name", STORE_NAMES)
def test_entries_are_found_by_content_a_success_before_a_failure(tmp_path: Path, name: str
                                                                 ) -> None:
    store = open_store(tmp_path / name)
    failed_copy = dataclasses.replace(row("/copy.wav", ok=False), content_hash="hash-/a.wav",
                                      entry_json=json.dumps({"path": "/copy.wav"}))
    store.write([row("/a.wav"), failed_copy, row("/b.wav", digest="d2")])
    found = store.entries("d1", "streaming", ["hash-/a.wav", "hash-/b.wav", "hash-/none"])
    assert found == {"hash-/a.wav": json.dumps({"path": "/a.wav"})}  # /b.wav: other rules
    assert store.entries("d1", "other-profile", ["hash-/a.wav"]) == {}
    store.close()


def test_a_sqlite_batch_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    store = open_store(tmp_path / "results.sqlite")
    unstorable = dataclasses.replace(row("/c.wav"), error={"not": "a string"})  # type: ignore[arg-type]
    with pytest.raises(sqlite3.Error):
        store.write([row("/a.wav"), row("/b.wav"), unstorable])
    assert list(store.rows()) == []
    store.close()


def test_a_parquet_part_being_written_is_not_read(tmp_path: Path) -> None:
    store = open_store(tmp_path / "results.parquet")
    store.write([row("/a.wav")])
    # what a writer killed before its rename leaves behind
    (tmp_path / "results.parquet" / ".part-99999999999999999999-dead.parquet.tmp").write_bytes(
        b"PAR1 half")
    assert [r.path for r in store.rows()] == ["/a.wav"]


def test_a_parquet_store_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"")
    with pytest.raises(UsageError, match="folder of part files"):
        open_store(tmp_path / "x.parquet")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite").write_text("not a database\n" * 100)
    with pytest.raises(UsageError, match="not a usable result store"):
        open_store(tmp_path / "notes.sqlite").index("d1", "streaming")


@pytest.mark.parametrize("name", STORE_NAMES)
def test_summary_counts_each_file_once_with_its_latest_row(tmp_path: Path, name: str) -> None:
    store = open_store(tmp_path / name)
    store.write([row("/a.wav", verdict="fail", problems=("clipping", "muddy")),
                 row("/b.wav", verdict="warn"), row("/c.wav", verdict="pass", problems=()),
                 row("/d.wav", ok=False), row("/e.wav", verdict="warn")])
    store.write([row("/b.wav", verdict="fail", problems=("muddy",), digest="d2",
                     finished_at_s=5.0)])
    summary = summarize(store, worst_files=2)
    assert summary.files == 5
    assert summary.verdicts == {"pass": 1, "warn": 1, "fail": 2, "error": 1}
    assert summary.problems == {"muddy": 3, "clipping": 1}
    assert [f.path for f in summary.worst] == ["/a.wav", "/b.wav"]  # fail with 2, then 1
    assert [(f.path, f.error) for f in summary.errors] == [("/d.wav", "cannot decode")]
    only_d1 = summarize(store, rulebase_digest="d1", profile="streaming")
    assert only_d1.verdicts["warn"] == 2
