"""The row of a result store and what every store offers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

#: A file that could not be read has no content to hash: it is known by its path instead.
UNREADABLE_PREFIX = "unreadable:"


@dataclass(frozen=True)
class ResultRow:
    """The result of judging one file with one rulebase and profile."""

    path: str  # absolute
    content_hash: str  # SHA-256 of the file's bytes, or UNREADABLE_PREFIX + path
    size_bytes: int  # -1 when the file could not be read
    mtime_ns: int  # lets a rerun recognise an unchanged file without reading it
    profile: str
    rulebase_digest: str
    tool_version: str
    ok: bool  # False: ``error`` says why the file was not judged
    verdict: str | None  # pass | warn | fail
    severity: str | None  # the worst diagnosis' severity, None without any
    problems: tuple[str, ...]  # problem keys diagnosed, sorted
    duration_s: float | None
    entry_json: str | None  # the report entry (schema 1.1 FileReport) as JSON
    error: str | None
    measure_s: float  # decoding + descriptors (or the cache read)
    judge_s: float  # the rule engine
    features_cached: bool  # the descriptors came from the cache: nothing was decoded
    worker: str  # who judged it ("local" or the Dask worker's address)
    finished_at_s: float  # Unix time

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.rulebase_digest, self.profile)


COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ResultRow))


@dataclass
class StoreIndex:
    """What a store already holds for one (rulebase digest, profile), to skip on a rerun."""

    #: (path, size_bytes, mtime_ns) -> content hash, over every row (any rules)
    identity: dict[tuple[str, int, int], str] = field(default_factory=dict)
    #: content hash -> ok, for the rows of this rulebase digest and profile
    judged: dict[str, bool] = field(default_factory=dict)
    #: sizes of the files judged, so only a file of such a size is read to hash it
    sizes: set[int] = field(default_factory=set)


class ResultStore(Protocol):
    """A place results go to as they finish."""

    path: str
    #: write once this many rows are waiting, or ``batch_s`` after the last write
    batch_rows: int
    batch_s: float

    def write(self, rows: Sequence[ResultRow]) -> None:
        """Add ``rows`` atomically (all or none); a row replaces one with the same key."""

    def rows(self, *, entries: bool = True) -> Iterator[ResultRow]:
        """Every row (the latest per key), in key order; ``entries=False`` leaves
        ``entry_json`` out (None), which is most of a row's bytes."""

    def index(self, rulebase_digest: str, profile: str) -> StoreIndex: ...

    def entries(self, rulebase_digest: str, profile: str, content_hashes: Iterable[str]
                ) -> dict[str, str]:
        """content hash -> the stored report entry (JSON) of that content judged with this
        rulebase digest and profile, for those of ``content_hashes`` the store holds (a
        success before a failure, as ``build_index`` counts them)."""

    def close(self) -> None: ...


#: The columns an index is built from, in the order ``build_index`` reads them.
INDEX_COLUMNS = ("path", "size_bytes", "mtime_ns", "content_hash", "rulebase_digest",
                 "profile", "ok")


def build_index(
    records: Iterable[tuple[str, int, int, str, str, str, bool]], rulebase_digest: str,
    profile: str,
) -> StoreIndex:
    """The index from ``INDEX_COLUMNS`` tuples of the latest rows."""
    index = StoreIndex()
    for path, size, mtime_ns, content_hash, digest, row_profile, ok in records:
        index.identity[(path, size, mtime_ns)] = content_hash
        if digest == rulebase_digest and row_profile == profile:
            # a file judged twice (two paths, same content): one success is enough
            index.judged[content_hash] = index.judged.get(content_hash, False) or bool(ok)
            index.sizes.add(size)
    return index
