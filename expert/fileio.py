"""Reading and writing files that may not be what their names promise.

``read_limited`` reads only regular files, and never more than a limit (a FIFO named
``*.yaml`` would block, ``/dev/zero`` never end). ``write_atomic`` leaves nothing
half-written and replaces nothing that is not ours:

A regular file (or a new path) is written to a temporary file in the same folder and
renamed over it; a symlink is followed and its target written the same way. Anything else
that can be opened for writing (a terminal, ``/dev/null``, a FIFO, ``/dev/stdout``) is
written directly: renaming over it would replace a device with a plain file.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from expert.errors import OutputError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_CHUNK_BYTES = 1 << 20


def kind_of(mode: int) -> str:
    """What an ``st_mode`` is, for messages: 'a regular file', 'a FIFO (named pipe)', ..."""
    return next((kind for test, kind in _KINDS if test(mode)), "a regular file"
                if stat.S_ISREG(mode) else "not a regular file")


def read_limited(path: str | os.PathLike[str], limit_bytes: int, *,
                 follow_links: bool = True) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit_bytes``.

    Raises ``ValueError`` (a one-line reason) for anything else that is not a regular
    file, a file over the limit (counted while reading: a size from stat can lie) and,
    with ``follow_links=False``, a symlink; ``OSError`` when it cannot be read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # a FIFO opens without blocking
    try:
        fd = os.open(path, flags | (0 if follow_links else os.O_NOFOLLOW))
    except OSError as exc:
        if not follow_links and os.path.islink(path):
            raise ValueError("is a symbolic link") from None
        raise exc
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"is {kind_of(mode)}, not a regular file")
        chunks: list[bytes] = []
        total = 0
        while chunk := handle.read(_CHUNK_BYTES):
            total += len(chunk)
            if total > limit_bytes:
                raise ValueError(f"is larger than the {limit_bytes / 2**20:g} MB limit")
            chunks.append(chunk)
    return b"".join(chunks)


# /dev/stdout, /dev/fd/N and /proc/self/fd/N are links to an open file, not to a path:
# "renaming over" one would create a new file wherever the link resolves, not write to it.
_FD_FOLDER = re.compile(r"^/proc/(self|thread-self|\d+)/fd$")


def _names_an_open_file(path: str) -> bool:
    """True when following ``path``'s links passes through a process's fd folder."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        if _FD_FOLDER.match(os.path.realpath(os.path.dirname(current))):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (see the module docstring).

    Raises ``OutputError`` (one line naming ``target``) for a folder, a folder that cannot
    be written, a read-only file system or a failing device (ENOSPC on ``/dev/full``).
    """
    name = os.fspath(target)
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        mode = None  # a new path (or a dangling symlink: its target is created)
    except OSError as exc:
        raise OutputError(f"{name}: cannot write: {_reason(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{name}: is a folder; give a file name to write to")
    if (mode is not None and not stat.S_ISREG(mode)) or _names_an_open_file(name):
        _write_directly(name, data)
        return
    _replace(Path(os.path.realpath(name)), data, shown=name)


def _write_directly(name: str, data: bytes) -> None:
    try:
        with open(name, "wb") as out:  # no O_CREAT surprises: the node exists
            out.write(data)
    except OSError as exc:
        raise OutputError(f"{name}: cannot write: {_reason(exc)}") from None


def _replace(target: Path, data: bytes, *, shown: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{shown}: cannot write in {target.parent}: {_reason(exc)}") from None
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets, not reports
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(f"{shown}: cannot write: {_reason(exc)}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
