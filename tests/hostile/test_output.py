"""Defect 1: ``--output`` and every atomic write must not replace what is not ours."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from expert.errors import OutputError
from expert.fileio import write_atomic
from tests.hostile.conftest import (
    FULL_DEVICE,
    NULL_DEVICE,
    device_node,
    one_line,
    run_subprocess,
)


def _device(path: Path, device: int) -> Path:
    """A character device node of our own (a copy of /dev/null or /dev/full)."""
    if device_node(path, device) is None:
        pytest.skip("mknod is not allowed here (needs CAP_MKNOD)")
    return path


def test_symlink_is_followed_and_its_target_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    null = _device(tmp_path / "null", NULL_DEVICE)
    write_atomic(null, b"report")
    assert stat.S_ISCHR(null.stat().st_mode)


def test_full_device_reports_the_write_error(tmp_path: Path) -> None:
    full = _device(tmp_path / "full", FULL_DEVICE)
    with pytest.raises(OutputError, match="No space left"):
        write_atomic(full, b"report")
    assert stat.S_ISCHR(full.stat().st_mode)


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, b"report")
    reader.join(timeout=10)
    assert received == [b"report"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_link_to_an_open_descriptor_writes_to_it(tmp_path: Path) -> None:
    """/dev/stdout is such a link; renaming over one loses the output."""
    out = tmp_path / "captured"
    with open(out, "wb") as handle:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{handle.fileno()}")
        write_atomic(link, b"report")
    assert link.is_symlink() and out.read_bytes() == b"report"


@pytest.mark.parametrize("where", ["folder", "proc"])
def test_unwritable_places_are_one_line_errors(tmp_path: Path, where: str) -> None:
    target = tmp_path if where == "folder" else Path("/proc/version")  # procfs: no new files
    with pytest.raises(OutputError) as caught:
        write_atomic(target, b"report")
    assert str(target) in one_line(str(caught.value))


def test_cli_prints_the_report_when_output_fails(tone, tmp_path: Path) -> None:
    wav = tone()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    run = run_subprocess("diagnose", wav, "--format", "json", "--no-cache",
                         "--output", locked / "report.json", unprivileged=True)
    assert run.returncode == 2
    assert "locked/report.json" in one_line(run.stderr.decode())
    assert b'"schema_version"' in run.stdout  # nothing lost
    assert list(locked.iterdir()) == []


def test_output_naming_an_input_is_refused(tone, cli) -> None:
    wav = tone()
    before = wav.read_bytes()
    run = cli("diagnose", wav, "--output", wav, "--no-cache")
    assert run.code == 2 and "input" in one_line(run.err)
    assert wav.read_bytes() == before
