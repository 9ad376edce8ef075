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
