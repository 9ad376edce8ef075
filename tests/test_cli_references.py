"""Several reference tracks: the target is their average, and the report says how far the
mix sits from each."""

from __future__ import annotations

import json

import pytest

from expert.cli import main
from expert.engine.references import reference_distance
from expert.rules.profiles import average_references, resolve_profile
from tests.features.signals import music


def test_references_are_averaged_in_db_each_counting_the_same():
    a = {"loudness.integrated_lufs": -8.0, "spectrum.bass_db": -2.0, "loudness.plr_db": 8.0}
    b = {"loudness.integrated_lufs": -14.0, "spectrum.bass_db": -6.0}
    avg = average_references([a, b])
    assert avg["loudness.integrated_lufs"] == -11.0  # not the power mean (-9.97)
    assert avg["spectrum.bass_db"] == -4.0
    assert avg["loudness.plr_db"] == 8.0  # only one reference defines it
    assert avg["spectrum.sub_db"] is None


def test_a_master_profile_takes_the_average_level_and_names_the_references():
    avg = average_references([{"loudness.integrated_lufs": -8.0},
                              {"loudness.integrated_lufs": -12.0}])
    profile = resolve_profile("cd", reference_descriptors=avg, reference_paths=["a", "b"])
    assert profile.targets.integrated_lufs == -10.0
    assert profile.references == ["a", "b"]
    assert any("a, b" in s for s in profile.sources)


def test_distance_to_one_reference():
    mix = {"loudness.integrated_lufs": -9.0, "spectrum.bass_db": -2.0, "spectrum.mid_db": -8.0}
    ref = {"loudness.integrated_lufs": -11.5, "spectrum.bass_db": -5.0, "spectrum.mid_db": -12.0}
    d = reference_distance(mix, "ref.wav", ref)
    assert d.loudness_difference_lu == 2.5
    assert d.band_differences_db == {"bass_db": 3.0, "mid_db": 4.0}
    assert d.tonal_distance_db == pytest.approx(3.54, abs=0.01)  # sqrt((9 + 16) / 2)


def test_several_references_on_the_command_line(write_wav, tmp_path, capsys):
    refs = tmp_path / "refs"
    refs.mkdir()
    write_wav("refs/a.wav", music(6.0, seed=1, peak_dbfs=-3.0))
    write_wav("refs/b.wav", music(6.0, seed=2, peak_dbfs=-9.0))
    mix = write_wav("mix.wav", music(6.0, seed=3, peak_dbfs=-6.0))
    assert main(["diagnose", str(mix), "--reference", str(refs), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p.rsplit("/", 1)[1] for p in doc["profile"]["references"]] == ["a.wav", "b.wav"]
    entry = doc["reports"][0]
    distances = entry["references"]
    assert [d["path"] for d in distances] == doc["profile"]["references"]
    # The mix sits between the two references: above the quiet one, below the loud one.
    assert distances[0]["loudness_difference_lu"] < 0 < distances[1]["loudness_difference_lu"]
    assert all(d["tonal_distance_db"] is not None for d in distances)


def test_an_unreadable_reference_is_one_line_naming_it(write_wav, tmp_path, capsys):
    mix = write_wav("mix.wav", music(3.0, seed=3))
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"nope")
    assert main(["diagnose", str(mix), "--reference", str(bad), "--format", "json"]) == 2
    err = capsys.readouterr().err.strip()
    assert str(bad) in err and "\n" not in err
