"""End to end: `mixexpert features` / `descriptors` against the outside contract."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from expert.cli import main
from expert.descriptors import CATALOGUE
from tests.conftest import music_like

FIXED = (
    "loudness.integrated_lufs",
    "loudness.momentary_max_lufs",
    "loudness.short_term_max_lufs",
    "loudness.range_lu",
    "loudness.true_peak_dbtp",
    "loudness.sample_peak_dbfs",
)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    status = main(list(argv))
    out = capsys.readouterr().out
    return status, json.loads(out)  # exactly one JSON document, nothing else


def _finite_or_null(value) -> bool:
    if isinstance(value, list):
        return all(_finite_or_null(v) for v in value)
    return value is None or not isinstance(value, float) or math.isfinite(value)


def test_catalogue_lists_fixed_names_with_units(capsys) -> None:
    status, doc = run_json(capsys, "descriptors", "--format", "json")
    assert status == 0
    by_name = {d["name"]: d for d in doc["descriptors"]}
    for name in FIXED:
        assert by_name[name]["unit"] and by_name[name]["meaning"] and by_name[name]["method"]
    assert len(by_name) == len(CATALOGUE) >= 60


def test_features_json_is_the_report_shape(capsys, write_wav) -> None:
    path = write_wav("song.wav", music_like(8.0))
    status, doc = run_json(capsys, "features", str(path), "--format", "json")
    assert status == 0 and doc["schema_version"] == "1.1" and doc["tool"]["name"] == "mixexpert"
    entry = doc["reports"][0]
    assert entry["ok"] and entry["error"] is None and entry["diagnoses"] == []
    assert entry["audio"]["channels"] == 2 and entry["audio"]["sample_rate_hz"] == 44100
    descriptors = entry["descriptors"]
    for name in FIXED:
        assert isinstance(descriptors[name], float), name
    assert set(descriptors) <= set(CATALOGUE)
    # Every track-scope descriptor of the catalogue is measured (the codec check is opt-in).
    expected = {
        n for n, s in CATALOGUE.items() if s.scope != "window" and not n.startswith("codec.")
    }
    assert expected - set(descriptors) == set()
    assert all(_finite_or_null(v) for v in descriptors.values())
    timeline = entry["timeline"]
    assert timeline["starts_s"][:3] == [0.0, 1.0, 2.0] and len(timeline["starts_s"]) == 6
    for name, values in timeline["series"].items():
        assert CATALOGUE[name].scope in ("window", "both") and len(values) == 6


def test_features_are_deterministic(capsys, write_wav) -> None:
    path = write_wav("song.wav", music_like(5.0))
    first = run_json(capsys, "features", str(path), "--format", "json", "--no-cache")[1]
    second = run_json(capsys, "features", str(path), "--format", "json", "--no-cache")[1]
    assert first == second


@pytest.mark.parametrize(
    ("name", "data", "rate", "subtype"),
    [
        ("mono.wav", music_like(4.0)[:, :1], 44100, "PCM_16"),
        ("eight-bit.wav", music_like(4.0), 22050, "PCM_U8"),
        ("float.wav", music_like(4.0), 48000, "FLOAT"),
        ("hires.wav", music_like(4.0, rate=192000), 192000, "PCM_24"),
        ("phone.wav", music_like(4.0, rate=8000), 8000, "PCM_16"),
    ],
)
def test_unusual_but_valid_files(capsys, write_wav, name, data, rate, subtype) -> None:
    path = write_wav(name, data, rate, subtype)
    status, doc = run_json(capsys, "features", str(path), "--format", "json")
    entry = doc["reports"][0]
    assert status == 0 and entry["ok"], entry["error"]
    d = entry["descriptors"]
    assert -40 < d["loudness.integrated_lufs"] < 0
    if data.shape[1] == 1:
        assert d["stereo.correlation"] is None and d["stereo.width_pct"] is None
    else:
        assert -1 <= d["stereo.correlation"] <= 1


@pytest.mark.parametrize(
    ("name", "data"),
    [("silent.wav", np.zeros((44100 * 2, 2), np.float32)), ("blip.wav", music_like(0.3))],
    ids=["silence", "shorter-than-400ms"],
)
def test_undefined_loudness_is_null_with_a_note(capsys, write_wav, name, data) -> None:
    path = write_wav(name, data)
    status, doc = run_json(capsys, "features", str(path), "--format", "json")
    entry = doc["reports"][0]
    assert status == 0 and entry["ok"]
    assert entry["descriptors"]["loudness.integrated_lufs"] is None
    assert any("undefined" in note for note in entry["notes"])


def test_batch_goes_on_past_a_bad_file(capsys, write_wav, tmp_path: Path) -> None:
    good = write_wav("good.wav", music_like(3.0))
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    status, doc = run_json(capsys, "features", str(bad), str(good), "--format", "json")
    assert status == 0
    first, second = doc["reports"]
    assert not first["ok"] and "not an audio file" in first["error"] and "\n" not in first["error"]
    assert second["ok"]


def test_no_analysable_input_exits_2(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.flac"
    bad.write_bytes(b"\x00" * 100)
    status, doc = run_json(capsys, "features", str(bad), "--format", "json")
    assert status == 2 and not doc["reports"][0]["ok"]


def test_output_file_written_whole(capsys, write_wav, tmp_path: Path) -> None:
    path = write_wav("song.wav", music_like(3.0))
    target = tmp_path / "out" / "report.json"
    assert main(["features", str(path), "--format", "json", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text())["reports"][0]["ok"]
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_rich_table_names_units(capsys, write_wav) -> None:
    path = write_wav("song.wav", music_like(3.0))
    assert main(["features", str(path)]) == 0
    out = capsys.readouterr().out
    assert "loudness.integrated_lufs" in out and "LUFS" in out


def test_six_channel_file_is_a_one_line_error(capsys, write_wav) -> None:
    path = write_wav("surround.wav", np.zeros((44100, 6), np.float32))
    status, doc = run_json(capsys, "features", str(path), "--format", "json")
    assert status == 2 and "6 channels" in doc["reports"][0]["error"]
