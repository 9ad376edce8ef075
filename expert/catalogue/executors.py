"""Executors: run ``task.judge_file`` over files and yield the rows as they finish.

``LocalExecutor`` is the local process pool (``--jobs``); ``DaskExecutor`` submits to an
existing Dask distributed cluster, at most ``window`` tasks in flight, so the client's
memory stays flat however many files there are. Both yield batches: the rows that finished
since the last batch (a store writes one batch in one transaction).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Generator, Iterable
from functools import partial
from itertools import islice
from typing import Any, Protocol

from expert.catalogue.task import judge_file
from expert.errors import UsageError
from expert.pipeline import RunOptions
from expert.store.rows import ResultRow

#: The row of a file the executor could not get a result for: (path, message) -> row.
ErrorRow = Callable[[str, str], ResultRow]


class Executor(Protocol):
    name: str

    def batches(self, paths: Iterable[str], options: RunOptions, digest: str,
                failed: ErrorRow) -> Generator[list[ResultRow], None, None]:
        """Rows of ``paths`` judged with ``options`` by a client whose rules have
        ``digest``; ``failed(path, message)`` makes the row of a task without a result."""

    def close(self) -> None: ...


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it writes what finished, then stops the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor:
    """The local process pool: ``jobs`` forked processes, one file each at a time."""

    name = "local"

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, min(jobs, os.cpu_count() or 1))

    def batches(self, paths: Iterable[str], options: RunOptions, digest: str,
                failed: ErrorRow) -> Generator[list[ResultRow], None, None]:
        if self.jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
            for path in paths:  # one process: a long file may use both cores itself
                yield [judge_file(path, options, digest, worker="local", parallel=True)]
            return
        task = partial(judge_file, options=options, digest=digest, worker="local")
        with multiprocessing.get_context("fork").Pool(self.jobs, _ignore_sigint) as pool:
            for row in pool.imap_unordered(task, paths, chunksize=1):
                yield [row]

    def close(self) -> None:
        """The pool ends with ``batches``."""


def _judge_on_worker(path: str, options: RunOptions, digest: str) -> ResultRow:
    from distributed import get_worker

    return judge_file(path, options, digest, worker=get_worker().address)


class DaskExecutor:
    """An existing Dask distributed cluster, reached at ``address``."""

    name = "dask"

    def __init__(self, address: str, *, window: int | None = None, timeout_s: float = 10.0
                 ) -> None:
        try:
            from distributed import Client
            from distributed.comm import get_address_host_port
        except ImportError:
            raise UsageError("--executor dask needs Dask: pip install 'mixexpert[dask]'"
                             ) from None
        try:  # before a Client exists: a half-made one stalls in its finalizer
            get_address_host_port(address)
        except ValueError as exc:
            raise UsageError(f"--scheduler {address}: {exc}") from None
        try:
            self.client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        threads = sum(self.client.nthreads().values())
        # enough to keep every thread busy while the client writes a batch, few enough
        # that the futures held stay a few hundred
        self.window = window or max(64, 4 * threads)

    def batches(self, paths: Iterable[str], options: RunOptions, digest: str,
                failed: ErrorRow) -> Generator[list[ResultRow], None, None]:
        from distributed import as_completed

        token = uuid.uuid4().hex[:12]
        pending = iter(enumerate(paths))
        in_flight: dict[str, tuple[Any, str]] = {}  # task key -> (future, path)
        running = as_completed(loop=self.client.loop)

        def submit(count: int) -> None:
            for i, path in islice(pending, count):
                # the worker's errors are in the row; a task fails only when its worker died
                # under it too often (the scheduler's allowed-failures), and is not retried
                future = self.client.submit(_judge_on_worker, path, options, digest, pure=False,
                                            key=f"mixexpert-judge-{token}-{i}")
                in_flight[future.key] = (future, path)
                running.add(future)

        submit(self.window)
        try:
            for done in running.batches():
                rows = []
                for future in done:
                    _, path = in_flight.pop(future.key)
                    if future.status == "finished":
                        rows.append(future.result())
                    else:
                        rows.append(failed(path, _failure(future)))
                    future.release()  # the scheduler forgets it: only the window is held
                submit(len(done))
                yield rows
        finally:
            if in_flight:  # interrupted: what has not finished is the rerun's
                self.client.cancel([future for future, _ in in_flight.values()])

    def close(self) -> None:
        self.client.close()


def _failure(future: Any) -> str:
    """Why a task has no result (its status is not "finished")."""
    from distributed import KilledWorker

    if future.status != "error":
        return f"the Dask task ended {future.status} (the cluster lost it)"
    exc = future.exception()
    if isinstance(exc, KilledWorker):
        return ("the Dask workers judging this file died, as many times as the scheduler's "
                "allowed-failures lets a task; not tried again (--retry-failed does)")
    return f"the Dask task failed: {type(exc).__name__}: {exc}"


def executor_for(name: str, *, jobs: int, scheduler: str | None) -> Executor:
    """The executor the command line asked for; ``UsageError`` for an impossible choice."""
    if name == "dask":
        if not scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. "
                             "tcp://10.0.0.5:8786), the address of a running Dask scheduler")
        return DaskExecutor(scheduler)
    if scheduler:
        raise UsageError("--scheduler is only for --executor dask")
    return LocalExecutor(jobs)
