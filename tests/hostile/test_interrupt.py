"""Defect 10: Ctrl-C in a parallel batch is one line, exit 130, and keeps what is done."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.conftest import REPO

FILES = 10


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_keeps_finished_results(tone, tmp_path: Path, jobs: str) -> None:
    paths = [tone(f"song{i:02d}.wav", seconds=12.0) for i in range(FILES)]
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO), "MIXEXPERT_CACHE_DIR": str(cache)}
    child = subprocess.Popen(
        [sys.executable, "-m", "expert", "diagnose", *map(str, paths), "--jobs", jobs,
         "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        start_new_session=True,  # its own process group: the SIGINT a terminal would send
    )
    deadline = time.monotonic() + 60
    while len(list(cache.glob("*.json"))) < 2:  # two files finished (the cache has them)
        assert child.poll() is None and time.monotonic() < deadline, "batch ended too early"
        time.sleep(0.02)
    time.sleep(0.2)  # and their results are back in the parent
    os.killpg(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    (line,) = err.decode().splitlines()
    done = json.loads(out)["reports"]
    assert line == f"mixexpert: interrupted; {len(done)} of {FILES} files done"
    assert 1 <= len(done) < FILES and all(entry["ok"] for entry in done)
    assert [Path(e["path"]).name for e in done] == sorted(Path(e["path"]).name for e in done)
