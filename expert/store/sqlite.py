"""The SQLite result store (standard library): one table, one row per key, WAL journal so a
reader (``store summary`` during a run) never waits for or sees half a batch."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from expert.errors import UsageError
from expert.store.rows import COLUMNS, INDEX_COLUMNS, ResultRow, StoreIndex, build_index

SCHEMA_VERSION = 1
_HASHES_PER_QUERY = 500  # SQLite's default limit is 999 bound parameters a statement
_TYPES = {"size_bytes": "INTEGER", "mtime_ns": "INTEGER", "ok": "INTEGER",
          "duration_s": "REAL", "measure_s": "REAL", "judge_s": "REAL",
          "features_cached": "INTEGER", "finished_at_s": "REAL"}
_CREATE = (
    "CREATE TABLE IF NOT EXISTS results ("
    + ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in COLUMNS)
    + ", PRIMARY KEY (path, rulebase_digest, profile))"
)


class SqliteStore:
    """Results in a SQLite database file."""

    batch_rows = 1  # a transaction costs well under a millisecond: write what has finished
    batch_s = 0.0

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0)
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise UsageError(f"{path}: a result store of schema {version}, this mixexpert "
                                 f"reads schema {SCHEMA_VERSION}")
            self._db.execute("PRAGMA journal_mode=WAL")
            with self._db:
                self._db.execute(_CREATE)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise UsageError(f"{path}: not a usable result store ({exc})") from None

    def write(self, rows: Sequence[ResultRow]) -> None:
        marks = ", ".join("?" for _ in COLUMNS)
        with self._db:  # one transaction: all rows or none
            self._db.executemany(
                f"INSERT OR REPLACE INTO results ({', '.join(COLUMNS)}) VALUES ({marks})",
                [_record(row) for row in rows])

    def rows(self, *, entries: bool = True) -> Iterator[ResultRow]:
        columns = [c if entries or c != "entry_json" else "NULL" for c in COLUMNS]
        cursor = self._db.execute(f"SELECT {', '.join(columns)} FROM results "
                                  "ORDER BY path, rulebase_digest, profile")
        for record in cursor:
            yield _row(record)

    def index(self, rulebase_digest: str, profile: str) -> StoreIndex:
        cursor = self._db.execute(f"SELECT {', '.join(INDEX_COLUMNS)} FROM results")
        return build_index(cursor, rulebase_digest, profile)

    def entries(self, rulebase_digest: str, profile: str, content_hashes: Iterable[str]
                ) -> dict[str, str]:
        wanted = list(content_hashes)
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _HASHES_PER_QUERY):
            chunk = wanted[start:start + _HASHES_PER_QUERY]
            cursor = self._db.execute(
                "SELECT content_hash, entry_json FROM results WHERE rulebase_digest = ? AND "
                f"profile = ? AND content_hash IN ({', '.join('?' for _ in chunk)}) ORDER BY ok",
                [rulebase_digest, profile, *chunk])
            found.update(cursor)  # failures (ok 0) first: a success replaces them
        return found

    def close(self) -> None:
        self._db.close()


def _record(row: ResultRow) -> tuple[object, ...]:
    values = [getattr(row, c) for c in COLUMNS]
    values[COLUMNS.index("problems")] = json.dumps(list(row.problems))
    return tuple(values)


def _row(record: Sequence[object]) -> ResultRow:
    values = dict(zip(COLUMNS, record, strict=True))
    values["problems"] = tuple(json.loads(str(values["problems"])))
    values["ok"] = bool(values["ok"])
    values["features_cached"] = bool(values["features_cached"])
    return ResultRow(**values)  # type: ignore[arg-type]
