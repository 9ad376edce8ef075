"""A head start: the first file's measurement begins before the rulebase is loaded.

A one-file ``diagnose`` spends about half a second importing the engine and report models
and loading the rules before it reads a sample. Forked right after the inputs are known,
a child process measures the first file meanwhile; the pipeline then ``claim``s the
result instead of measuring. The child is a plain ``os.fork`` (not a multiprocessing
daemon): the extractor forks a process of its own, which a daemon may not do.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from expert.options import RunOptions

_PR_SET_PDEATHSIG = 1  # prctl(2)


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies, so that no analysis goes on
    for a run that has ended (e.g. killed, or interrupted while it waited)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _measured_key(options: RunOptions) -> tuple[Any, ...]:
    """The options that change what ``measure`` returns (the rest are the engine's)."""
    return (options.codec_check, options.downmix, options.use_cache, options.cache_dir)


@dataclass
class _Started:
    path: str
    key: tuple[Any, ...]
    pid: int
    received: list[bytes] = field(default_factory=list)
    reader: threading.Thread | None = None


_started: _Started | None = None


def _child(path: str, options: RunOptions, out_fd: int) -> None:
    from expert.errors import MixExpertError
    from expert.features.measure import measure_traced

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent()
    try:
        result: Any = ("ok", measure_traced(path, options, parallel=True))
    except MixExpertError as exc:
        result = ("error", exc)
    except Exception:  # noqa: BLE001 - shipped back to the parent, which re-raises
        result = ("crash", traceback.format_exc())
    with os.fdopen(out_fd, "wb") as out:
        out.write(pickle.dumps(result))


def _read_all(in_fd: int, into: list[bytes]) -> None:
    # Read as it comes: a pipe holds 64 KB and the child would otherwise wait, holding its
    # memory, until the parent claims the result.
    with os.fdopen(in_fd, "rb") as stream:
        into.append(stream.read())


@contextlib.contextmanager
def measuring(files: Sequence[str], options: RunOptions) -> Iterator[None]:
    """Measure the first of ``files`` in a child while the block runs; ``claim`` takes the
    result. A result not claimed when the block ends is discarded and its child stopped.

    Only for a batch measured one file at a time (one file, or one job): with more jobs the
    files are spread over workers that measure their own.
    """
    global _started
    if (_started is not None or not files or (len(files) > 1 and options.jobs > 1)
            or not hasattr(os, "fork")):
        yield
        return
    path = files[0]
    in_fd, out_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()  # nothing buffered is written twice
    pid = os.fork()
    if pid == 0:
        os.close(in_fd)
        try:
            _child(path, options, out_fd)
        finally:
            os._exit(0)
    os.close(out_fd)
    started = _Started(path=path, key=_measured_key(options), pid=pid)
    started.reader = threading.Thread(target=_read_all, args=(in_fd, started.received),
                                      daemon=True)
    started.reader.start()
    _started = started
    try:
        yield
    finally:
        if _started is started:  # not claimed
            _started = None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def claim(path: str, options: RunOptions, *, parallel: bool) -> Any:
    """The head start's ``measure_traced(path, options)`` result if one was started for
    exactly this measurement, else None. Re-raises what the child raised."""
    global _started
    started = _started
    if started is None or not parallel or (path, _measured_key(options)) != (
            started.path, started.key):
        return None
    assert started.reader is not None
    started.reader.join()  # Ctrl-C here: ``measuring`` stops the child
    _, status = os.waitpid(started.pid, 0)
    _started = None
    if not started.received or not started.received[0]:
        raise RuntimeError(f"analysis of {path} ended without a result (wait status {status})")
    outcome, payload = pickle.loads(started.received[0])
    if outcome == "error":
        raise payload
    if outcome == "crash":
        raise RuntimeError(f"analysis of {path} failed:\n{payload}")
    return payload
