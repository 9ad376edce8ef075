"""One file judged on a worker: hash, measure (or read the cache), reason, one store row.

The rulebase and profile are loaded once per worker process: ``session_for`` keeps the
``Session`` of each (options, rulebase digest) a client sent. The client's digest is part
of the key, so a long-lived worker loads the rules again after they were edited; a worker
whose own files give another digest says so in its rows, and the client refuses them.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time

from expert import __version__
from expert.errors import AudioError
from expert.pipeline import RunOptions, Session, measure_traced
from expert.report.models import FileReport
from expert.severity import SEVERITY_RANK
from expert.store.rows import UNREADABLE_PREFIX, ResultRow

_HASH_BLOCK_BYTES = 1 << 20
_SESSIONS_KEPT = 2  # a worker serves one run at a time; one more spares a reload
_sessions: dict[tuple[RunOptions, str], Session] = {}
_sessions_lock = threading.Lock()  # a worker with several threads loads the rules once


def content_hash(path: str) -> str:
    """SHA-256 (hex) of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _keep(key: tuple[RunOptions, str], session: Session) -> None:  # holding the lock
    _sessions[key] = session
    while len(_sessions) > _SESSIONS_KEPT:
        del _sessions[next(iter(_sessions))]  # the oldest


def keep_session(session: Session) -> None:
    """Let this process (and the processes it forks) judge with ``session``."""
    with _sessions_lock:
        _keep((session.options, session.digest), session)


def session_for(options: RunOptions, digest: str) -> Session:
    """The session for ``options`` of a client whose rules have ``digest``."""
    with _sessions_lock:
        session = _sessions.get((options, digest))
        if session is None:
            session = Session(options)
            _keep((options, digest), session)
        return session


def judge_file(path: str, options: RunOptions, digest: str, *, worker: str,
               parallel: bool = False) -> ResultRow:
    """The store row of ``path`` (absolute) for a client whose rules have ``digest``. Never
    raises for a bad file: its row has ``ok=False`` and the one-line reason; an unexpected
    failure is caught the same way, so that one file never stops a batch."""
    session = session_for(options, digest)
    base = {"path": path, "profile": session.profile.name,
            "rulebase_digest": session.digest, "tool_version": __version__,
            "worker": worker}
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block the hash forever
            return error_row(base, "not a regular file")
        identity = {"content_hash": content_hash(path), "size_bytes": info.st_size,
                    "mtime_ns": info.st_mtime_ns}
    except OSError as exc:
        return error_row(base, f"cannot read the file: {exc.strerror or exc}")
    started = time.perf_counter()
    try:
        features, cached = measure_traced(path, options, parallel=parallel)
    except AudioError as exc:
        return error_row(base | identity, exc.reason, measure_s=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not stop the batch
        return error_row(base | identity, f"internal error while measuring: "
                         f"{type(exc).__name__}: {exc}", measure_s=time.perf_counter() - started)
    measured = time.perf_counter()
    try:
        entry = session.diagnose_features(path, features)
    except Exception as exc:  # noqa: BLE001
        return error_row(base | identity, f"internal error while judging: "
                         f"{type(exc).__name__}: {exc}", measure_s=measured - started)
    return ResultRow(**base, **identity, **verdict_fields(entry),
                     measure_s=measured - started, judge_s=time.perf_counter() - measured,
                     features_cached=cached, finished_at_s=time.time())


def verdict_fields(entry: FileReport) -> dict[str, object]:
    severities = sorted({d.severity for d in entry.diagnoses}, key=SEVERITY_RANK.__getitem__)
    return {
        "ok": True, "verdict": entry.verdict, "error": None,
        "severity": severities[-1] if severities else None,
        "problems": tuple(sorted({d.problem for d in entry.diagnoses})),
        "duration_s": entry.audio.duration_s if entry.audio else None,
        "entry_json": entry.model_dump_json(),
    }


def error_row(base: dict[str, object], message: str, *, measure_s: float = 0.0) -> ResultRow:
    """The row of a file that was not judged, with the one-line ``message``."""
    path = str(base["path"])
    fields = {"content_hash": UNREADABLE_PREFIX + path, "size_bytes": -1, "mtime_ns": -1} | base
    entry = FileReport(path=path, ok=False, error=message)
    return ResultRow(**fields, ok=False, verdict=None, severity=None, problems=(),  # type: ignore[arg-type]
                     duration_s=None, entry_json=entry.model_dump_json(), error=message,
                     measure_s=measure_s, judge_s=0.0, features_cached=False,
                     finished_at_s=time.time())
