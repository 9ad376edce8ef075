"""End to end: the report's `playback` (contract 1.1) in JSON and in the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from expert.cli import main
from tests.conftest import music_like

PLAYBACK_KEYS = {"platform", "reference_lufs", "gain_db", "limited_by", "true_peak_after_dbtp"}


@pytest.fixture
def hot(write_wav) -> Path:
    """Loud (about -9 LUFS): every service turns it down."""
    return write_wav("hot.wav", np.clip(music_like(12.0) * 3.0, -1, 1))


@pytest.fixture
def quiet(write_wav) -> Path:
    """About 30 dB under full scale: services that turn up lift it, others leave it."""
    return write_wav("quiet.wav", music_like(12.0) * 0.03)


def _playback(capsys, path: Path, *argv: str) -> tuple[dict, list[dict]]:
    assert main(["diagnose", str(path), "--format", "json", *argv]) == 0
    entry = json.loads(capsys.readouterr().out)["reports"][0]
    return entry, entry["playback"]


def test_hot_master_is_turned_down_everywhere(capsys, hot: Path) -> None:
    entry, rows = _playback(capsys, hot)
    lufs = entry["descriptors"]["loudness.integrated_lufs"]
    peak = entry["descriptors"]["loudness.true_peak_dbtp"]
    assert {r["platform"] for r in rows} >= {"spotify", "apple_music", "youtube"}
    for row in rows:
        assert set(row) == PLAYBACK_KEYS
        assert row["gain_db"] == pytest.approx(row["reference_lufs"] - lufs, abs=0.01)
        assert row["gain_db"] < 0 and row["limited_by"] is None
        assert row["true_peak_after_dbtp"] == pytest.approx(peak + row["gain_db"], abs=0.02)
    hot_diag = next(d for d in entry["diagnoses"] if d["problem"] == "loudness_too_hot")
    assert hot_diag["severity"] == "warning"


def test_quiet_master_depends_on_the_service(capsys, quiet: Path) -> None:
    entry, rows = _playback(capsys, quiet)
    by = {r["platform"]: r for r in rows}
    assert by["youtube"]["gain_db"] == 0.0 and by["youtube"]["limited_by"] == "turn_down_only"
    assert by["spotify"]["gain_db"] > 0
    assert by["spotify"]["true_peak_after_dbtp"] <= -1.0 + 1e-6


def test_one_run_gives_all_platforms_whatever_the_profile(capsys, hot: Path) -> None:
    _, default = _playback(capsys, hot)
    _, spotify = _playback(capsys, hot, "--profile", "spotify")
    assert default == spotify
    _, broadcast = _playback(capsys, hot, "--profile", "ebu_r128")
    assert broadcast == []


def test_terminal_shows_the_playback_table(capsys, hot: Path) -> None:
    assert main(["diagnose", str(hot)]) == 0
    out = capsys.readouterr().out
    assert "playback" in out and "apple_music" in out and "-16 LUFS" in out
