"""``write_atomic``: whole files only, with the permissions the user's umask asks for."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from expert.fileio import write_atomic


@pytest.fixture
def umask():
    """Set a umask for one test and restore the caller's afterwards."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_file_mode_follows_the_umask(tmp_path: Path, umask, mask: int, mode: int) -> None:
    umask(mask)
    target = tmp_path / "report.json"
    write_atomic(target, b"{}")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes() == b"{}"


def test_replaces_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.txt"
    write_atomic(target, b"old")
    write_atomic(target, b"new text")
    assert target.read_bytes() == b"new text"
    assert [p.name for p in target.parent.iterdir()] == ["report.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    write_atomic(target, b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
