"""Result stores: one row per judged file, written as results finish, read to resume a run.

``open_store(path)`` picks the format by the name: a ``.parquet`` name is a folder of
Parquet part files (pyarrow, the ``parquet`` extra), anything else a SQLite database
(standard library). Both write a batch of rows atomically (a transaction; a part file
written under a temporary name and renamed), so a reader never sees half a row, and both
read back the latest row per (path, rulebase digest, profile).
"""

from __future__ import annotations

from pathlib import Path

from expert.store.rows import ResultRow, ResultStore, StoreIndex

__all__ = ["ResultRow", "ResultStore", "StoreIndex", "open_store"]


def open_store(path: str | Path) -> ResultStore:
    """The store at ``path`` (created when missing); ``UsageError`` when it cannot be used."""
    path = Path(path)
    if path.name.endswith(".parquet"):
        from expert.store.parquet import ParquetStore

        return ParquetStore(path)
    from expert.store.sqlite import SqliteStore

    return SqliteStore(path)
