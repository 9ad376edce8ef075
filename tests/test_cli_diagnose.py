"""End to end: `mixexpert diagnose` and `compare` against the outside contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from expert.cli import main
from tests.conftest import music_like

DIAGNOSIS_KEYS = {
    "rule_id",
    "problem",
    "title",
    "severity",
    "certainty",
    "inconclusive",
    "time_ranges",
    "evidence",
    "explanation",
    "remedies",
    "caused_by",
}


@pytest.fixture
def hot_flipped(write_wav) -> Path:
    """Loud (about -9 LUFS) with the right channel polarity-inverted."""
    data = np.clip(music_like(12.0) * 3.0, -1, 1)
    data[:, 1] *= -1
    return write_wav("hot-flipped.wav", data)


def diagnose_json(capsys, *argv: str) -> tuple[int, dict]:
    status = main(["diagnose", *argv, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_report_shape_and_root_cause(capsys, hot_flipped: Path) -> None:
    status, doc = diagnose_json(capsys, str(hot_flipped))
    assert status == 0 and doc["schema_version"] == "1.1"
    assert doc["profile"]["name"] == "streaming"
    assert doc["profile"]["targets"]["integrated_lufs"] == -14.0
    entry = doc["reports"][0]
    problems = {d["problem"]: d for d in entry["diagnoses"]}
    for d in entry["diagnoses"]:
        assert set(d) == DIAGNOSIS_KEYS and 0 <= d["certainty"] <= 1
        assert d["severity"] in ("info", "warning", "error")
        assert isinstance(d["inconclusive"], bool)
        for remedy in d["remedies"]:
            assert set(remedy) == {"action", "parameters", "text"}
            assert remedy["text"] and "{" not in remedy["text"]
    assert "polarity_inverted_channel" in problems and "loudness_too_hot" in problems
    assert entry["verdict"] == "fail"  # the inverted channel is an error
    # The cause is reported, and its symptom under it: caused_by names the cause.
    mono = problems["poor_mono_compatibility"]
    assert mono["caused_by"][:2] == ["ST001", "polarity_inverted_channel"]
    assert mono["severity"] == "info"  # a warning on its own, one step lower under ST001
    hot = problems["loudness_too_hot"]
    gain = next(r["parameters"]["gain_db"] for r in hot["remedies"] if "gain_db" in r["parameters"])
    measured = entry["descriptors"]["loudness.integrated_lufs"]
    assert gain == pytest.approx(-14.0 - measured, abs=0.05)
    assert any(e["descriptor"] == "loudness.integrated_lufs" for e in hot["evidence"])


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", 1), ("warning", 1), (None, 0)],
)
def test_fail_on_exit_status(capsys, hot_flipped: Path, fail_on, expected: int) -> None:
    argv = [str(hot_flipped)] + (["--fail-on", fail_on] if fail_on else [])
    assert diagnose_json(capsys, *argv)[0] == expected


def test_fail_on_ignores_lower_severities(capsys, hot_flipped: Path) -> None:
    status, doc = diagnose_json(capsys, str(hot_flipped), "--select", "LD001", "--fail-on", "error")
    assert [d["rule_id"] for d in doc["reports"][0]["diagnoses"]] == ["LD001"]
    assert status == 0  # LD001 is a warning


def test_select_and_ignore_prefixes(capsys, hot_flipped: Path) -> None:
    _, only_stereo = diagnose_json(capsys, str(hot_flipped), "--select", "ST")
    ids = {d["rule_id"] for d in only_stereo["reports"][0]["diagnoses"]}
    assert ids and all(i.startswith("ST") for i in ids)
    _, no_st001 = diagnose_json(capsys, str(hot_flipped), "--ignore", "ST001")
    assert "ST001" not in {d["rule_id"] for d in no_st001["reports"][0]["diagnoses"]}


def test_explain_exports_the_trace(capsys, hot_flipped: Path) -> None:
    _, doc = diagnose_json(capsys, str(hot_flipped), "--explain")
    trace = doc["reports"][0]["trace"]["traces"]["ST001"]
    assert trace["status"] == "fired"
    assert all(c["outcome"] is True and c["observed"] is not None for c in trace["conditions"])


def test_profile_changes_the_target(capsys, hot_flipped: Path) -> None:
    _, doc = diagnose_json(capsys, str(hot_flipped), "--profile", "ebu_r128", "--select", "LD001")
    assert doc["profile"]["targets"]["integrated_lufs"] == -23.0
    remedy = doc["reports"][0]["diagnoses"][0]["remedies"][0]
    measured = doc["reports"][0]["descriptors"]["loudness.integrated_lufs"]
    assert remedy["parameters"]["gain_db"] == pytest.approx(-23.0 - measured, abs=0.05)


def test_unknown_profile_is_a_usage_error(capsys, hot_flipped: Path) -> None:
    assert main(["diagnose", str(hot_flipped), "--profile", "spotifyy"]) == 2
    assert "spotify" in capsys.readouterr().err  # did-you-mean


def test_reference_track_sets_targets(capsys, hot_flipped: Path, write_wav) -> None:
    reference = write_wav("reference.wav", music_like(12.0, seed=9) * 0.5)
    _, doc = diagnose_json(
        capsys, str(hot_flipped), "--reference", str(reference), "--profile", "club"
    )
    assert doc["profile"]["reference"] is True


def test_project_file_ignores_rules(
    capsys, hot_flipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mixexpert.yaml").write_text("ignore: [ST]\n")
    monkeypatch.chdir(tmp_path)
    _, doc = diagnose_json(capsys, str(hot_flipped))
    assert not any(d["rule_id"].startswith("ST") for d in doc["reports"][0]["diagnoses"])


@pytest.mark.parametrize(
    ("fmt", "marker"), [("markdown", "# mixexpert report"), ("html", "<!doctype html>")]
)
def test_other_formats(capsys, hot_flipped: Path, tmp_path: Path, fmt: str, marker: str) -> None:
    out = tmp_path / f"report.{fmt}"
    assert main(["diagnose", str(hot_flipped), "--format", fmt, "--output", str(out)]) == 0
    text = out.read_text()
    assert text.startswith(marker) and "ST001" in text and "polarity" in text


def test_compare_says_what_was_fixed(capsys, hot_flipped: Path, write_wav) -> None:
    fixed = write_wav("fixed.wav", music_like(12.0) * 0.5)
    assert main(["compare", str(hot_flipped), str(fixed), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "polarity_inverted_channel" in doc["fixed"]
    assert "loudness_too_hot" in doc["fixed"]
    change = {c["descriptor"]: c for c in doc["changes"]}["loudness.integrated_lufs"]
    assert change["delta"] == pytest.approx(change["after"] - change["before"], abs=1e-3)


def test_rich_output_says_what_where_why(capsys, hot_flipped: Path) -> None:
    assert main(["diagnose", str(hot_flipped)]) == 0
    out = capsys.readouterr().out
    assert "ST001" in out and "where:" in out and "→" in out


@pytest.mark.parametrize(("select", "verdict"), [("LD001", "warn"), ("ST001", "fail"),
                                                 ("AR001", "pass")])
def test_verdict_follows_the_worst_severity(capsys, hot_flipped: Path, select: str,
                                            verdict: str) -> None:
    _, doc = diagnose_json(capsys, str(hot_flipped), "--select", select)
    assert doc["reports"][0]["verdict"] == verdict


def test_unreadable_file_has_no_verdict(capsys, tmp_path: Path, hot_flipped: Path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    _, doc = diagnose_json(capsys, str(bad), str(hot_flipped))
    entries = {Path(e["path"]).name: e for e in doc["reports"]}
    assert entries["broken.wav"]["ok"] is False and entries["broken.wav"]["verdict"] is None
    assert entries["hot-flipped.wav"]["verdict"] == "fail"


def test_terminal_nests_a_symptom_under_its_cause(capsys, hot_flipped: Path) -> None:
    assert main(["diagnose", str(hot_flipped)]) == 0
    out = capsys.readouterr().out
    cause, symptom = out.index("ERROR   ST001"), out.index("INFO    ST002")
    explains = out.index("symptoms it explains", cause)
    assert cause < explains < symptom
    assert "caused by: ST001" in out


def test_markdown_lists_symptoms_with_their_cause(capsys, hot_flipped: Path) -> None:
    assert main(["diagnose", str(hot_flipped), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "hot-flipped.wav — FAIL" in out
    quoted = [x for x in out.splitlines() if x.startswith(">")]
    assert any("`poor_mono_compatibility`" in x for x in quoted)
    assert any(x.startswith("> *Caused by* ST001") for x in quoted)


@pytest.mark.parametrize("over_db", [0.0, 0.04, 0.1])
def test_the_same_file_005_db_louder_gives_the_same_warnings(capsys, write_wav,
                                                             over_db: float) -> None:
    """A master with its true peak on the -1 dBTP ceiling (or just over it, inside the
    meter's 0.2 dB tolerance), and the same master 0.05 dB louder: the findings at warning
    and above must not flip; an over inside the noise is inconclusive, at info."""
    data = music_like(12.0).astype(np.float64)
    probe = write_wav("probe.wav", data)
    _, doc = diagnose_json(capsys, str(probe))
    peak = doc["reports"][0]["descriptors"]["loudness.true_peak_dbtp"]
    gain = 10 ** ((-1.0 + over_db - peak) / 20)
    quiet = write_wav("a.wav", data * gain)
    louder = write_wav("b.wav", data * gain * 10 ** (0.05 / 20))
    _, doc = diagnose_json(capsys, str(quiet), str(louder))
    a, b = doc["reports"]
    assert abs(b["descriptors"]["loudness.true_peak_dbtp"]
               - a["descriptors"]["loudness.true_peak_dbtp"] - 0.05) < 0.02

    def warnings(entry: dict) -> set[tuple[str, str]]:
        return {(d["problem"], d["severity"]) for d in entry["diagnoses"]
                if d["severity"] != "info"}

    assert warnings(a) == warnings(b)
    assert a["verdict"] == b["verdict"]
    over = [d for e in (a, b) for d in e["diagnoses"] if d["problem"] == "true_peak_over"]
    assert over and all(d["inconclusive"] and d["severity"] == "info" for d in over)
    if over_db > 0:
        assert len(over) == 2


def test_project_settings_beside_the_audio_are_used_and_shown(
    capsys, hot_flipped: Path, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 12.2: found from the audio's folder upwards (not the current folder), and every
    # ignore and override it makes is in the report.
    settings = hot_flipped.parent / "mixexpert.yaml"
    settings.write_text("ignore: [ST001]\nseverity: {LD001: info}\n"
                        "thresholds: {ST004: {max_balance_db: 3.0}}\n")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    _, doc = diagnose_json(capsys, str(hot_flipped), "--explain")
    project = doc["profile"]["project"]
    assert project["file"] == str(settings)
    assert {"rule_id": "ST001", "by": "ST001"} in project["ignored"]
    assert project["severity"] == [{"rule_id": "LD001", "by": "LD001", "severity_was": "warning",
                                    "severity": "info", "where": f"{settings}:2:19"}]
    assert project["thresholds"] == [{"rule_id": "ST004", "threshold": "max_balance_db",
                                      "rule_value": 1.5, "value": 3.0,
                                      "where": f"{settings}:3:38"}]
    entry = doc["reports"][0]
    trace = entry["trace"]["traces"]["ST001"]
    assert (trace["status"], trace["reported"], trace["ignored_by"]) == ("fired", False, "ST001")
    assert "ST001" not in {d["rule_id"] for d in entry["diagnoses"]}
    assert {d["rule_id"]: d["severity"] for d in entry["diagnoses"]}["LD001"] == "info"
    assert main(["diagnose", str(hot_flipped), "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    from expert.report.markdown import md  # outside text is escaped Markdown there

    assert f"- {md(f'project settings: {settings}')}" in text
    assert f"- {md('not reported (ignore ST001): ST001')}" in text


def test_config_names_the_project_file(capsys, hot_flipped: Path, tmp_path: Path) -> None:
    (hot_flipped.parent / "mixexpert.yaml").write_text("ignore: [ST]\n")
    other = tmp_path / "other.yaml"
    other.write_text("ignore: [LD]\n")
    _, doc = diagnose_json(capsys, str(hot_flipped), "--config", str(other))
    assert doc["profile"]["project"]["file"] == str(other)
    rules = {d["rule_id"][:2] for d in doc["reports"][0]["diagnoses"]}
    assert "ST" in rules and "LD" not in rules
    assert main(["diagnose", str(hot_flipped), "--config", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: no such project settings file" in capsys.readouterr().err


def test_explain_shows_why_not_for_an_asked_rule_far_from_firing(
    capsys, hot_flipped: Path
) -> None:
    # Issue 12.6: ST004 (L/R imbalance) is nowhere near firing on this file; asked for by
    # --select, its conditions are shown with the measured values and the distance.
    assert main(["diagnose", str(hot_flipped), "--explain", "--select", "ST004"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "ST004 lr_imbalance — did not fire" in out
    assert "(not near: near is at most 0.1)" in out
    assert "✗ abs(stereo.balance_db) > max_balance_db →" in out and "fails by" in out
    assert main(["rules", "why", "ST004", str(hot_flipped), "--format", "json"]) == 0
    trace = json.loads(capsys.readouterr().out)["trace"]
    assert trace["status"] == "not_fired" and trace["distance"] > 0.1
    (condition,) = trace["conditions"]
    assert condition["threshold"] == 1.5 and condition["margin"] < 0
    assert main(["rules", "why", "ST004", str(hot_flipped)]) == 0
    assert "WHY NOT" in capsys.readouterr().out
