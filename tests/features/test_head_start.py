"""The head start: the first file measured in a child while the rulebase loads gives exactly
the report of a run without it, passes its errors on as one line, and never outlives its run."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
from pathlib import Path

import pytest

from expert.cli import main
from expert.errors import AudioError, Interrupted
from expert.features import head_start
from expert.features.measure import measure_traced
from expert.options import RunOptions
from tests.conftest import music_like


@pytest.fixture
def song(write_wav) -> Path:
    return write_wav("song.wav", music_like(8.0))


def _json_report(argv: list[str], capsys) -> dict:
    assert main(["diagnose", *argv, "--format", "json", "--no-cache"]) == 0
    return json.loads(capsys.readouterr().out)


def test_same_report_with_and_without_the_head_start(song: Path, capsys, monkeypatch) -> None:
    with_head_start = _json_report([str(song)], capsys)
    monkeypatch.setattr(head_start, "measuring", lambda files, options: contextlib.nullcontext())
    without = _json_report([str(song)], capsys)
    assert with_head_start == without
    assert with_head_start["reports"][0]["descriptors"]


def test_the_result_is_claimed_from_the_child(song: Path) -> None:
    options = RunOptions(use_cache=False)
    fresh, _ = measure_traced(str(song), options)
    with head_start.measuring([str(song)], options):
        child_pid = head_start._started.pid
        claimed = head_start.claim(str(song), options, parallel=True)
    assert claimed is not None and claimed[0] == fresh
    with pytest.raises(ChildProcessError):
        os.waitpid(child_pid, os.WNOHANG)  # reaped by the claim


def test_another_measurement_is_not_served_by_the_head_start(song: Path) -> None:
    options = RunOptions(use_cache=False)
    with head_start.measuring([str(song)], options):
        assert head_start.claim(str(song), RunOptions(use_cache=False, downmix=True),
                                parallel=True) is None
        assert head_start.claim("other.wav", options, parallel=True) is None
        assert head_start.claim(str(song), options, parallel=False) is None


def test_an_unclaimed_child_is_stopped_when_the_run_ends(song: Path) -> None:
    with head_start.measuring([str(song)], RunOptions(use_cache=False)):
        child_pid = head_start._started.pid
    assert head_start._started is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child_pid, os.WNOHANG)  # killed and reaped: no zombie, no analysis left


def test_no_head_start_for_a_batch_spread_over_workers(song: Path) -> None:
    with head_start.measuring([str(song), str(song)], RunOptions(jobs=2)):
        assert head_start._started is None


def test_a_bad_file_is_one_line_through_the_head_start(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"\x00" * 4000)
    assert main(["diagnose", str(bad)]) == 2
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "bad.wav" in text and "Traceback" not in text


@pytest.mark.parametrize("error", [AudioError("a.wav", "truncated"), Interrupted([1, 2, 3], 7)])
def test_errors_cross_a_process_boundary(error: Exception) -> None:
    # The head start and the extractor's child send errors back pickled.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
