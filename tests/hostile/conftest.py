"""Fixtures for hostile input: small audio files, the command line in-process, and a way
to run it without the privilege to ignore file modes (these tests run as root, who can
read a chmod 000 file: the child drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[2]
# Without these two capabilities root obeys file modes like any user; the python it runs
# stays readable (it belongs to root), which switching to user nobody would not keep.
_DROP_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
             "--bounding-set=-dac_override,-dac_read_search"]


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def tone(tmp_path: Path) -> Callable[..., Path]:
    """tone(name='tone.wav', seconds=1.0, folder=tmp_path) -> a 440 Hz stereo WAV."""

    def _make(name: str | bytes = "tone.wav", seconds: float = 1.0,
              folder: Path | None = None) -> Path:
        t = np.arange(int(seconds * 44100)) / 44100
        data = np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1).astype(np.float32)
        path = (folder or tmp_path) / (os.fsdecode(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:  # a file object: soundfile cannot name bytes paths
            sf.write(handle, data, 44100, format="WAV", subtype="PCM_16")
        return path

    return _make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Callable[..., Run]:
    """cli('diagnose', path, ...) -> Run: the command line in-process, run from a folder
    without project settings."""
    from expert.cli import main

    monkeypatch.chdir(tmp_path)

    def _run(*argv: str | os.PathLike[str]) -> Run:
        capsys.readouterr()
        try:
            code = main([os.fspath(a) for a in argv])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _run


def obeys_file_modes() -> list[str]:
    """The command prefix that makes a child obey file modes (skips when impossible)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable to root")
    return _DROP_DAC


def run_subprocess(*argv: str | os.PathLike[str], unprivileged: bool = False,
                   timeout_s: float = 60, cwd: Path | None = None,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m expert argv...`` in a child (``unprivileged``: obeying file modes)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    prefix = obeys_file_modes() if unprivileged else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "expert", *map(os.fspath, argv)],
        capture_output=True, timeout=timeout_s, cwd=cwd, env=full_env,
    )


def one_line(text: str) -> str:
    """The single non-empty line of ``text`` (fails when there is none or several)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    assert "Traceback" not in text
    return lines[0]


#: Device numbers of Linux's /dev/null, /dev/zero and /dev/full (Documentation/admin-guide/
#: devices.txt), for nodes of our own: the real ones are never handed to the code under test.
NULL_DEVICE, ZERO_DEVICE, FULL_DEVICE = os.makedev(1, 3), os.makedev(1, 5), os.makedev(1, 7)


def device_node(path: Path, device: int) -> Path | None:
    """A character device node at ``path`` (None where mknod is not allowed)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, device)
    except PermissionError:
        return None
    return path
