"""The Parquet result store (pyarrow): a folder ``NAME.parquet/`` of part files, one per
written batch, each written under a hidden temporary name and renamed into place. The
folder reads as one dataset (pyarrow, Dask, DuckDB, pandas); a key written twice (a
``--retry-failed`` rerun) is read back as its latest row."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from expert.errors import UsageError
from expert.store.rows import COLUMNS, INDEX_COLUMNS, ResultRow, StoreIndex, build_index

PART_GLOB = "part-*.parquet"


def _pyarrow() -> Any:
    try:
        import pyarrow  # lazy import: only a Parquet store needs it
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise UsageError("a .parquet store needs pyarrow: pip install 'mixexpert[parquet]'"
                         ) from None
    return pyarrow


def _schema(pa: Any) -> Any:
    types = {"size_bytes": pa.int64(), "mtime_ns": pa.int64(), "ok": pa.bool_(),
             "problems": pa.list_(pa.string()), "duration_s": pa.float64(),
             "measure_s": pa.float64(), "judge_s": pa.float64(),
             "features_cached": pa.bool_(), "finished_at_s": pa.float64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in COLUMNS])


class ParquetStore:
    """Results in a folder of Parquet part files."""

    # a part file per batch: fewer, larger parts read faster (and still lose at most this
    # much work when the client is killed)
    batch_rows = 200
    batch_s = 30.0

    def __init__(self, path: Path) -> None:
        self._pa = _pyarrow()
        self.path = str(path)
        self._folder = path
        if path.exists() and not path.is_dir():
            raise UsageError(f"{path}: a Parquet store is a folder of part files, and this "
                             "is a file")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{path}: cannot create the result store ({exc})") from None

    def write(self, rows: Sequence[ResultRow]) -> None:
        pa = self._pa
        table = pa.Table.from_pylist(
            [{c: getattr(r, c) for c in COLUMNS} | {"problems": list(r.problems)}
             for r in rows], schema=_schema(pa))
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        temp = self._folder / f".{name}.tmp"  # not matched by PART_GLOB: readers skip it
        try:
            pa.parquet.write_table(table, temp)
            os.replace(temp, self._folder / name)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _latest(self, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of ``columns`` (the key columns always read), the latest part winning."""
        pq = self._pa.parquet
        wanted = list(dict.fromkeys([*columns, "path", "rulebase_digest", "profile"]))
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for part in sorted(self._folder.glob(PART_GLOB)):  # names sort by write time
            try:
                records = pq.read_table(part, columns=wanted).to_pylist()
            except (OSError, self._pa.ArrowException) as exc:
                raise UsageError(f"{part}: unreadable part of the result store ({exc})"
                                 ) from None
            for record in records:
                latest[(record["path"], record["rulebase_digest"], record["profile"])] = record
        return [latest[key] for key in sorted(latest)]

    def rows(self, *, entries: bool = True) -> Iterator[ResultRow]:
        columns = [c for c in COLUMNS if entries or c != "entry_json"]
        for record in self._latest(columns):
            record.setdefault("entry_json", None)
            yield ResultRow(**record | {"problems": tuple(record["problems"])})

    def index(self, rulebase_digest: str, profile: str) -> StoreIndex:
        records = self._latest(INDEX_COLUMNS)
        return build_index(([r[c] for c in INDEX_COLUMNS] for r in records),  # type: ignore[misc]
                           rulebase_digest, profile)

    def entries(self, rulebase_digest: str, profile: str, content_hashes: Iterable[str]
                ) -> dict[str, str]:
        wanted = set(content_hashes)
        records = [r for r in self._latest(["content_hash", "ok", "entry_json"])
                   if r["rulebase_digest"] == rulebase_digest and r["profile"] == profile
                   and r["content_hash"] in wanted]
        # failures first: a success replaces them
        return {r["content_hash"]: r["entry_json"] for r in sorted(records, key=lambda r: r["ok"])}

    def close(self) -> None:
        """Nothing is held open between batches."""
