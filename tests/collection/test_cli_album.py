"""End to end: `mixexpert album DIR` judges a folder of generated tracks as one release."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from expert.cli import main
from tests.features.signals import music

RATE = 44100


def _track(seed: int, gain_db: float = 0.0, lead_s: float = 0.0) -> np.ndarray:
    x = music(6.0, RATE, seed=seed, peak_dbfs=-6.0) * 10 ** (gain_db / 20)
    return np.concatenate([np.zeros((int(lead_s * RATE), 2), np.float32), x]).astype(np.float32)


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five tracks: 03 sits 3 dB low, 04 starts after 5 s of silence; 05 is not audio."""
    root = tmp_path_factory.mktemp("album")
    tracks = {"01 one.wav": _track(1), "02 two.wav": _track(2),
              "03 three.wav": _track(3, gain_db=-3.0), "04 four.wav": _track(4, lead_s=5.0)}
    for name, data in tracks.items():
        sf.write(root / name, data, RATE, subtype="PCM_24")
    (root / "05 five.wav").write_bytes(b"RIFF0000WAVEjunk")
    return root


@pytest.fixture(scope="module")
def doc(album: Path) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("MIXEXPERT_CACHE_DIR", str(album / "cache"))
        assert main(["album", str(album), "--format", "json"]) == 0
    return json.loads(out.getvalue())


def _about(doc: dict, rule_id: str) -> list[list[str]]:
    return [[Path(p).name for p in d["members"]] for d in doc["collection"]["diagnoses"]
            if d["rule_id"] == rule_id]


def test_the_collection_object_follows_the_contract(doc):
    c = doc["collection"]
    assert doc["schema_version"] == "1.1" and c["kind"] == "album"
    assert [Path(p).name for p in c["paths"]] == ["01 one.wav", "02 two.wav", "03 three.wav",
                                                 "04 four.wav", "05 five.wav"]
    assert c["descriptors"]["album.n_tracks"] == 4
    levels = [e["descriptors"]["loudness.integrated_lufs"] for e in doc["reports"] if e["ok"]]
    assert c["descriptors"]["album.loudness_spread_lu"] == pytest.approx(
        max(levels) - min(levels), abs=0.01)
    assert c["descriptors"]["album.loudest_lufs"] == pytest.approx(max(levels), abs=0.01)
    for d in c["diagnoses"]:
        assert {"rule_id", "problem", "severity", "explanation", "remedies", "members"} <= set(d)


def test_the_quiet_track_is_named_with_its_remedy(doc):
    assert _about(doc, "AL001") == [["03 three.wav"]]
    (d,) = [d for d in doc["collection"]["diagnoses"] if d["rule_id"] == "AL001"]
    gain = d["remedies"][0]["parameters"]["gain_db"]
    assert gain == pytest.approx(3.0, abs=0.6)
    assert d["remedies"][0]["text"] == (
        f"Raise track 3 by {gain:.1f} dB with the limiter ceiling at -1 dBTP.")
    assert d["explanation"].startswith(f"Track 3 sits {gain:.1f} LU below the album")


def test_the_gap_before_a_track_in_album_order(doc):
    assert _about(doc, "AL009") == [["04 four.wav"]]
    members = {Path(p).name: f for p, f in doc["collection"]["members"].items()}
    assert members["04 four.wav"]["album.track_gap_before_s"] == pytest.approx(5.0, abs=0.2)
    assert members["01 one.wav"]["album.track_gap_before_s"] is None


def test_tracks_that_match_the_album_are_not_named(doc):
    named = {m for d in doc["collection"]["diagnoses"] for m in d["members"]}
    assert {Path(m).name for m in named} == {"03 three.wav", "04 four.wav"}


def test_the_unreadable_file_is_named_and_the_others_judged(doc):
    bad = [e for e in doc["reports"] if not e["ok"]]
    assert [Path(e["path"]).name for e in bad] == ["05 five.wav"] and bad[0]["error"]
    assert sum(e["ok"] for e in doc["reports"]) == 4
    (note,) = doc["collection"]["notes"]
    assert "05 five.wav" in note and "left out of the album" in note


def test_markdown_and_fail_on(album: Path, monkeypatch, capsys):
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(album / "cache"))
    out = album.parent / "album.md"
    assert main(["album", str(album), "--format", "markdown", "--output", str(out),
                 "--fail-on", "warning"]) == 1
    text = out.read_text(encoding="utf-8")
    assert "## Album: 5 files, verdict warn" in text and "AL001" in text
    assert "Not judged:" in text and "05 five.wav" in text
    page = album.parent / "album.html"
    assert main(["album", str(album), "--format", "html", "--output", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<h2>Album: 5 files, verdict warn</h2>" in html and html.rstrip().endswith("</html>")


def test_an_album_rule_is_yaml_an_engineer_can_write(album: Path, tmp_path, monkeypatch,
                                                     capsys):
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(album / "cache"))
    rule = tmp_path / "mine.yaml"
    rule.write_text("""version: 1
rules:
  - id: MY001
    problem: loudness_too_hot
    title: Louder than the rest of the album
    category: album
    thresholds: {max_lu: 1.0}
    when: album.track_vs_album_lu > max_lu
    explanation: "This master is {album.track_vs_album_lu:.1f} dB louder than the album."
    remedies: [{action: reduce_loudness, text: Turn it down.}]
    references: [house rule]
    tests:
      - {name: hot, given: {album.track_vs_album_lu: 2.0}, expect: fires}
      - {name: not, given: {album.track_vs_album_lu: 0.0}, expect: does_not_fire}
""", encoding="utf-8")
    assert main(["album", str(album), "--rules", str(rule), "--select", "MY",
                 "--format", "json"]) == 0
    diagnoses = json.loads(capsys.readouterr().out)["collection"]["diagnoses"]
    assert {d["rule_id"] for d in diagnoses} == {"MY001"}
    assert all(d["members"] and "louder than the album" in d["explanation"] for d in diagnoses)


def test_album_refuses_markers_for_several_tracks_and_an_output_over_a_track(album, capsys):
    track = album / "01 one.wav"
    before = track.read_bytes()
    assert main(["album", str(album), "--markers", str(album / "marks.txt")]) == 2
    assert "--markers places marks in one song; 5 files" in capsys.readouterr().err
    assert main(["album", str(album), "--format", "json", "-o", str(track)]) == 2
    assert "is one of the input files" in capsys.readouterr().err
    assert track.read_bytes() == before and not (album / "marks.txt").exists()
