"""The worked example of docs/RULES.md is executed: it validates and its examples pass."""

from __future__ import annotations

import re
from pathlib import Path

from expert.engine import Engine, Facts
from expert.engine.testing import run_rule_tests
from expert.rules import load_rulebase, resolve_profile
from tests.rules.catalogue_fixture import CATALOGUE

DOC = Path(__file__).resolve().parents[2] / "docs" / "RULES.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_worked_example_validates_and_passes(tmp_path):
    (example,) = [b for b in _yaml_blocks() if "id: USR001" in b]
    path = tmp_path / "boxy.yaml"
    path.write_text(example, encoding="utf-8")
    rb = load_rulebase([path], catalogue=CATALOGUE)
    assert rb.errors == []
    outcomes = run_rule_tests(rb, ["USR001"])
    assert len(outcomes) == 3 and all(o.passed for o in outcomes), outcomes
    facts = Facts(descriptors={"spectrum.low_mid_db": -5.0, "spectrum.mid_db": -6.0,
                               "spectrum.bass_db": -4.0, "spectrum.sub_db": -14.0})
    result = Engine(rb, resolve_profile()).run(facts)
    boxy = next(d for d in result.diagnoses if d.problem == "boxy")
    assert boxy.remedies[0].parameters == {"frequency_hz": 424.26, "gain_db": -4.0, "q": 1.41}
    assert "+4.0 dB against the curve" in boxy.explanation


def test_project_settings_example_is_valid(tmp_path):
    from expert.rules import load_project_config

    (settings,) = [b for b in _yaml_blocks() if b.startswith("select:")]
    (tmp_path / "mixing-rules").mkdir()
    (tmp_path / "more-profiles").mkdir()
    (tmp_path / "mixexpert.yaml").write_text(settings, encoding="utf-8")
    config = load_project_config(tmp_path)
    rb = load_rulebase(project=config, catalogue=CATALOGUE)
    assert rb.errors == []
    assert rb.by_id["ST004"].severity == "error" and rb.by_id["AR001"].severity == "info"


def test_readme_project_settings_load_and_keep_rules_test_green(tmp_path):
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    (settings,) = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                   if "thresholds:" in b]
    from expert.rules import load_project_config

    (tmp_path / "my-rules").mkdir()
    (tmp_path / "mixexpert.yaml").write_text(settings, encoding="utf-8")
    rb = load_rulebase(project=load_project_config(tmp_path), catalogue=CATALOGUE)
    assert rb.errors == [] and rb.threshold_overrides
    assert all(o.passed for o in run_rule_tests(rb))


def _intent_project(tmp_path: Path) -> Path:
    """The documented intents, written where their first comment line says, in a project."""
    for block in _yaml_blocks():
        first = block.splitlines()[0]
        if first.startswith("# ") and first[2:].startswith(("my-rules/", "profiles/")):
            path = tmp_path / first[2:]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block, encoding="utf-8")
    (tmp_path / "mixexpert.yaml").write_text("rules: [my-rules]\n", encoding="utf-8")
    return tmp_path


def test_documented_intents_validate_and_their_examples_pass(tmp_path):
    from expert.rules import load_project_config

    project = load_project_config(_intent_project(tmp_path))
    rb = load_rulebase(project=project, catalogue=CATALOGUE)
    assert rb.errors == []
    outcomes = run_rule_tests(rb, ["USR010", "VN001"])
    assert [(o.rule_id, o.status) for o in outcomes if o.passed] == [
        ("USR010", "fired"), ("USR010", "not_fired"), ("VN001", "fired"),
        ("VN001", "not_fired"), ("VN001", "not_fired"), ("VN001", "skipped")]


def test_harsh_in_the_choruses_names_the_choruses(tmp_path):
    from expert.rules import load_project_config

    rb = load_rulebase(project=load_project_config(_intent_project(tmp_path)),
                       catalogue=CATALOGUE)
    loud, quiet = -9.0, -20.0
    facts = Facts(descriptors={"spectrum.high_mid_db": -12.0}, window_s=3.0,
                  window_starts_s=[float(i) for i in range(10)],
                  series={"loudness.short_term_lufs": [quiet] * 2 + [loud] * 3 + [quiet] * 5,
                          "spectrum.high_mid_db": [-13.0] * 2 + [-7.0] * 3 + [-13.0] * 5})
    result = Engine(rb, resolve_profile(), select=["USR010"]).run(facts)
    (harsh,) = result.diagnoses
    assert harsh.time_ranges == [(2.0, 7.0)]
    assert "5.0 dB more than over the whole song" in harsh.explanation
    assert harsh.remedies[0].parameters == {"frequency_hz": 2800.0, "gain_db": -5.0}


def test_the_album_intent_names_the_louder_track(tmp_path, monkeypatch, capsys):
    import json

    import soundfile as sf

    from expert.cli import main
    from tests.features.signals import music

    project = _intent_project(tmp_path)
    album = project / "my-album"
    album.mkdir()
    for n, gain_db in enumerate((0.0, 3.0, 0.0), start=1):
        track = music(6.0, 44100, seed=1, peak_dbfs=-9.0) * 10 ** (gain_db / 20)  # one song
        sf.write(album / f"0{n} {'hot' if gain_db else 'ok'}.wav", track, 44100)
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(project)
    assert main(["album", "my-album", "--format", "json"]) == 0
    found = [d for d in json.loads(capsys.readouterr().out)["collection"]["diagnoses"]
             if d["rule_id"] == "USR020"]
    assert [[Path(m).name for m in d["members"]] for d in found] == [["02 hot.wav"]]
    assert "Track 2 sits 3.0 LU above" in found[0]["explanation"]
