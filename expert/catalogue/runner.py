"""A catalogue run: skip what the store holds, judge the rest on an executor, write each
batch of results as it finishes, report progress."""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from expert import __version__
from expert.catalogue.executors import Executor
from expert.catalogue.progress import Progress
from expert.catalogue.task import content_hash, error_row, keep_session
from expert.pipeline import RunOptions, Session
from expert.report.models import FileReport
from expert.store.rows import ResultRow, ResultStore, StoreIndex
from expert.store.summary import RunTally


@dataclass
class CatalogueRun:
    """What a run did; ``entries`` (input order) only when there was no store to write, or
    they were asked for (``keep_entries``)."""

    session: Session
    tally: RunTally
    entries: list[FileReport] = field(default_factory=list)


def portable(options: RunOptions) -> RunOptions:
    """``options`` with absolute paths, so that a worker started elsewhere reads the same
    rule files and project settings."""
    return dataclasses.replace(
        options, project_dir=os.path.abspath(options.project_dir),
        rule_paths=tuple(os.path.abspath(p) for p in options.rule_paths),
        reference=tuple(os.path.abspath(p) for p in options.reference),
        config=options.config and os.path.abspath(options.config),
        cache_dir=options.cache_dir and os.path.abspath(options.cache_dir))


@dataclass
class Pending:
    """What a store leaves to judge of a batch."""

    paths: list[str]  # the files it has no result for
    skipped: dict[str, str]  # path -> content hash, of the files it holds a result for
    failures_skipped: int  # of those, the files whose result is a failure


def to_judge(paths: Sequence[str], index: StoreIndex, *, retry_failed: bool) -> Pending:
    """The files of ``paths`` the store has no result for (nor a failure, unless
    ``retry_failed``), and those it skips. An unchanged file (same path, size and mtime) is
    recognised without reading it; another file is read to hash it only if a file of its
    size was judged."""
    pending = Pending(paths=[], skipped={}, failures_skipped=0)
    for path in paths:
        try:
            info = os.stat(path)
            regular = stat.S_ISREG(info.st_mode)
        except OSError:
            regular = False
        # the worker judges (as an error) what is not a readable regular file
        identity = (path, info.st_size, info.st_mtime_ns) if regular else (path, -1, -1)
        known = index.identity.get(identity)
        if known is None and identity[1] in index.sizes:
            try:
                known = content_hash(path)
            except OSError:
                known = None
        ok = index.judged.get(known) if known is not None else None
        if ok is None or (not ok and retry_failed):
            pending.paths.append(path)
        else:
            pending.skipped[path] = known  # type: ignore[assignment] - known when ok is not None
            pending.failures_skipped += not ok
    return pending


def run_catalogue(
    paths: Sequence[str],
    options: RunOptions,
    *,
    executor: Executor,
    store: ResultStore | None = None,
    retry_failed: bool = False,
    keep_entries: bool = False,
    session: Session | None = None,
    progress_stream: TextIO | None = None,
) -> CatalogueRun:
    """Judge ``paths`` on ``executor``; with a ``store``, write every result there as it
    finishes (and skip what it already holds), else collect the entries. ``keep_entries``
    collects them with a store too, those it skipped read back from it (``album`` and
    ``profiles learn`` need every member's). ``session``: one already loaded for
    ``portable(options)``."""
    options = portable(options)
    files = [os.path.abspath(p) for p in paths]
    if session is None:
        session = Session(options)  # loaded afresh: checks the rules before any task is sent
    elif session.options != options:
        raise ValueError("the session was loaded for other options than portable(options)")
    keep_session(session)
    digest, profile = session.digest, session.profile.name
    pending = Pending(paths=files, skipped={}, failures_skipped=0)
    stream = progress_stream or sys.stderr
    if store is not None:
        pending = to_judge(files, store.index(digest, profile), retry_failed=retry_failed)
    if store is not None and pending.skipped:
        failures = (f" ({pending.failures_skipped} of them failed: --retry-failed tries them "
                    "again)" if pending.failures_skipped else "")
        stream.write(f"mixexpert: {len(pending.skipped)} of {len(files)} files already judged "
                     f"in {store.path} with the same content, rules and profile, "
                     f"skipped{failures}\n")
    base = {"profile": profile, "rulebase_digest": digest, "tool_version": __version__,
            "worker": executor.name}

    def failed(path: str, message: str) -> ResultRow:
        return error_row(base | {"path": path}, message)

    def checked(row: ResultRow) -> ResultRow:
        if row.rulebase_digest == digest:
            return row
        return failed(row.path, f"the worker {row.worker} judged with other rules or profiles "
                      f"(digest {row.rulebase_digest[:12]}, here {digest[:12]}): give every "
                      "worker the same mixexpert, rule files and project settings")

    tally = RunTally(files=len(files), skipped=len(pending.skipped), judged=0, errors=0,
                     executor=executor.name)
    collected: dict[str, FileReport] = {}
    if store is not None and keep_entries and pending.skipped:
        stored = store.entries(digest, profile, set(pending.skipped.values()))
        collected = {path: FileReport.model_validate_json(stored[known])
                     for path, known in pending.skipped.items()}
    buffer: list[ResultRow] = []
    written_s = time.monotonic()
    progress = Progress(len(pending.paths), stream=stream)
    batches = executor.batches(pending.paths, options, digest, failed)

    def flush() -> None:
        nonlocal written_s, buffer
        if store is not None and buffer:
            store.write(buffer)
        buffer, written_s = [], time.monotonic()

    try:
        for batch in batches:
            rows = [checked(row) for row in batch]
            tally.judged += len(rows)
            tally.errors += sum(not row.ok for row in rows)
            if store is None or keep_entries:
                collected.update((r.path, FileReport.model_validate_json(r.entry_json or ""))
                                 for r in rows)
            if store is not None:
                buffer.extend(rows)
                if (len(buffer) >= store.batch_rows
                        or time.monotonic() - written_s >= store.batch_s):
                    flush()
            progress.advance(len(rows))
    finally:
        batches.close()  # an interrupted run cancels the tasks still in flight
        flush()  # what finished is kept, Ctrl-C or not
        progress.close()
        executor.close()
    # entries name files as they were given, like the local batch's
    entries = [collected[a].model_copy(update={"path": p})
               for p, a in zip(paths, files, strict=True) if a in collected]
    return CatalogueRun(session=session, tally=tally, entries=entries)
