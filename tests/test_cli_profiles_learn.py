"""End to end: `mixexpert profiles learn` on generated masters of one family, and the
learned profile applied to that family's clean files and to injected problems."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from expert.cli import main
from tests.features.signals import music

RATE = 44100
#: Resonance is judged on a peak's absolute prominence, not against a profile, and the
#: synthetic song holds steady tones: a learned profile cannot (and should not) move it.
NOT_PROFILE_JUDGED = "TB010"


def _master(seed: int) -> np.ndarray:
    return music(6.0, RATE, seed=seed, peak_dbfs=-6.0)


def _lowpass(x: np.ndarray, corner_hz: float) -> np.ndarray:
    """A 2nd-order-like low-pass (|H| = 1/sqrt(1 + (f/fc)^4)) applied in the FFT domain."""
    spectrum = np.fft.rfft(x, axis=0)
    f = np.fft.rfftfreq(x.shape[0], 1 / RATE)
    spectrum *= (1 / np.sqrt(1 + (f / corner_hz) ** 4))[:, None]
    return np.fft.irfft(spectrum, n=x.shape[0], axis=0).astype(np.float32)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with six approved masters, one of them 6 LU hotter, and test files."""
    root = tmp_path_factory.mktemp("project")
    (root / "masters").mkdir()
    for seed in range(1, 6):
        sf.write(root / "masters" / f"m{seed}.wav", _master(seed), RATE, subtype="PCM_24")
    sf.write(root / "masters" / "m6-hot.wav", _master(6) * 2.0, RATE, subtype="PCM_24")
    (root / "masters" / "notes.txt").write_text("not audio", encoding="utf-8")
    tests = root / "test"
    tests.mkdir()
    for seed in (7, 8):
        sf.write(tests / f"clean{seed}.wav", _master(seed), RATE, subtype="PCM_24")
    x = _master(9)
    sf.write(tests / "dark.wav", _lowpass(x, 1500.0), RATE, subtype="PCM_24")
    sf.write(tests / "quiet.wav", x * 10 ** (-8 / 20), RATE, subtype="PCM_24")
    # 4 dB hotter than the house sound, yet about -16.7 LUFS: fine for streaming.
    sf.write(tests / "hot.wav", x * 10 ** (4 / 20), RATE, subtype="PCM_24")
    return root


@pytest.fixture(scope="module")
def learned(project: Path) -> tuple[Path, str]:
    """The profile learned into the project's profiles/ folder, and what learn said."""
    import contextlib
    import io
    import os

    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        mp.setenv("MIXEXPERT_CACHE_DIR", str(project / "cache"))
        mp.chdir(project)
        assert main(["profiles", "learn", "masters", "--name", "house"]) == 0
        assert os.path.isfile("profiles/house.yaml")
    return project / "profiles" / "house.yaml", err.getvalue()


def _diagnose(capsys, project: Path, path: str, *profile: str) -> list[dict]:
    capsys.readouterr()
    status = main(["diagnose", str(project / "test" / path), *profile,
                   "--ignore", NOT_PROFILE_JUDGED, "--format", "json"])
    assert status == 0
    return json.loads(capsys.readouterr().out)["reports"][0]["diagnoses"]


def test_learn_warns_on_a_small_sample_and_names_the_outlier(learned):
    path, said = learned
    assert "only 5 masters" in said and "small sample" in said
    assert "m6-hot.wav is an outlier" in said and "loudness.integrated_lufs" in said
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    provenance = doc["learned"]
    assert provenance["small_sample"] is True and provenance["n_files"] == 5
    assert [o["file"] for o in provenance["outliers"]] == ["m6-hot.wav"]
    assert provenance["tool_version"] and provenance["rulebase_version"] and provenance["date"]
    stats = doc["envelopes"]["families"]["house"]["stats"]
    for entry in ("loudness.integrated_lufs", "loudness.plr_db", "loudness.range_lu",
                  "stereo.width_pct", "stereo.correlation_low", "bass_vs_mid_db"):
        assert stats[entry]["n"] == 5 and stats[entry]["p5"] <= stats[entry]["p95"]
    assert len(doc["envelopes"]["families"]["house"]["third_octave_db"]["p50"]) >= 30


@pytest.mark.parametrize("name", ["clean7.wav", "clean8.wav"])
def test_the_family_s_clean_files_raise_nothing_above_info(capsys, project, learned, name):
    path, _ = learned
    diagnoses = _diagnose(capsys, project, name, "--profile", str(path))
    assert [d["rule_id"] for d in diagnoses if d["severity"] != "info"] == []


@pytest.mark.parametrize(("name", "problem"), [("dark.wav", "dull"),
                                               ("quiet.wav", "loudness_too_quiet"),
                                               ("hot.wav", "loudness_too_hot")])
def test_injected_problems_are_found(capsys, project, learned, name, problem):
    path, _ = learned
    diagnoses = _diagnose(capsys, project, name, "--profile", str(path))
    assert problem in {d["problem"] for d in diagnoses if d["severity"] != "info"}


def test_the_house_level_is_the_engineer_s_not_the_platform_s(capsys, project, learned):
    # The same file judged for streaming: no loudness problem; against the house masters: hot.
    diagnoses = _diagnose(capsys, project, "hot.wav")
    assert not {d["problem"] for d in diagnoses} & {"loudness_too_hot", "loudness_too_quiet"}


def test_the_profile_loads_by_name_from_the_project(capsys, project, learned, monkeypatch):
    monkeypatch.chdir(project)
    diagnoses = _diagnose(capsys, project, "quiet.wav", "--profile", "house")
    assert "loudness_too_quiet" in {d["problem"] for d in diagnoses}
    capsys.readouterr()
    assert main(["diagnose", str(project / "test" / "clean7.wav"), "--profile", "house",
                 "--format", "json"]) == 0
    profile = json.loads(capsys.readouterr().out)["profile"]
    assert profile["name"] == "house" and profile["family"] == "house"
    assert profile["learned"]["n_files"] == 5
    assert main(["profiles", "--format", "json"]) == 0  # listed beside the built-in ones
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)["profiles"]}
    assert listed["house"]["kind"] == "master" and "streaming" in listed


def test_a_folder_without_audio_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["profiles", "learn", str(tmp_path / "empty"), "--name", "x"]) == 2
    assert "no audio files" in capsys.readouterr().err


def test_a_bad_name_is_refused(tmp_path, capsys):
    assert main(["profiles", "learn", str(tmp_path), "--name", "My Profile"]) == 2
    assert "--name" in capsys.readouterr().err


def test_a_broken_profile_file_names_its_line(tmp_path, capsys, write_wav):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nprofiles:\n  - name: x\n    kind: master\n    titel: y\n",
                   encoding="utf-8")
    mix = write_wav("mix.wav", _master(1))
    assert main(["diagnose", str(mix), "--profile", str(bad), "--format", "json"]) == 2
    lines = [line.removeprefix("mixexpert: ")  # each line of the error carries the prefix
             for line in capsys.readouterr().err.strip().splitlines()]
    assert all(line.startswith(f"{bad}:") for line in lines)  # one line per error
    assert f"{bad}:5:5: unknown field 'titel'; did you mean 'title'?" in lines


def test_a_learned_profile_beside_project_settings_loads(capsys, project, learned,
                                                         monkeypatch):
    # With a settings file, profiles/ beside it is read as the project's profiles: a learned
    # file there must load (it once made every run of the project fail).
    (project / "mixexpert.yaml").write_text("ignore: [TB010]\n", encoding="utf-8")
    monkeypatch.chdir(project)
    diagnoses = _diagnose(capsys, project, "quiet.wav", "--profile", "house")
    assert "loudness_too_quiet" in {d["problem"] for d in diagnoses}
    (project / "mixexpert.yaml").unlink()


def test_a_learned_profile_listed_in_the_settings_brings_its_envelope(capsys, project, learned,
                                                                     tmp_path, monkeypatch):
    # One table of project profiles: a learned file listed under `profiles:` from another
    # folder is selected by name with its envelope, as one in profiles/ is.
    shared = tmp_path / "studio-profiles"
    shared.mkdir()
    shared.joinpath("house.yaml").write_bytes(learned[0].read_bytes())
    settings = tmp_path / "mixexpert.yaml"
    settings.write_text(f"profiles: [{shared}]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["diagnose", str(project / "test" / "clean7.wav"), "--profile", "house",
                 "--config", str(settings), "--format", "json"]) == 0
    profile = json.loads(capsys.readouterr().out)["profile"]
    assert profile["family"] == "house" and profile["learned"]["n_files"] == 5
