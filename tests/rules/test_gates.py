"""No YAML threshold is silently dead: each gate is declared on its descriptor's catalogue
entry, and every load reports a threshold, override or test value beyond it."""

from __future__ import annotations

from pathlib import Path

import pytest

from expert.descriptors import CATALOGUE
from expert.rules import RuleBase, load_rulebase
from expert.rules.expr.nodes import Compare
from expert.rules.gates import _sides, dead_thresholds
from expert.rules.model import ProjectConfig

RULE = """
version: 1
rules:
  - id: XX010
    problem: band_limited
    title: Under test
    category: tonal
    thresholds: {{min_drop_db: {drop}}}
    when: spectrum.cutoff_hz < 18000 and spectrum.cutoff_drop_db > min_drop_db
    explanation: text
    tests:
      - name: a cliff
        given: {{spectrum.cutoff_hz: 16000, spectrum.cutoff_drop_db: {given}}}
        expect: {expect}
"""


def _load(write, drop: float, given: float, expect: str = "fires", **kw) -> RuleBase:
    path = write("r.yaml", RULE.format(drop=drop, given=given, expect=expect))
    return load_rulebase([path], builtin=False, **kw)


def test_a_threshold_inside_the_gate_loads(write) -> None:
    assert _load(write, drop=40, given=60).errors == []


def test_a_threshold_below_the_gate_is_reported_at_its_line(write) -> None:
    (error,) = _load(write, drop=20, given=60).errors
    assert "r.yaml:7:" in error and "min_drop_db = 20" in error
    assert "reports only 30 to 120 dB" in error and "always true" in error


def test_a_threshold_beyond_the_cap_never_fires(write) -> None:
    (error,) = _load(write, drop=130, given=60, expect="does_not_fire").errors
    assert "never true" in error


def test_a_test_value_the_extractor_cannot_produce_is_reported(write) -> None:
    (error,) = _load(write, drop=40, given=8, expect="does_not_fire").errors
    assert "r.yaml:12:" in error and "8 is a value spectrum.cutoff_drop_db never reports" in error


def test_a_project_override_beyond_the_gate_is_reported(write, tmp_path: Path) -> None:
    project = ProjectConfig(thresholds={"XX010": {"min_drop_db": 10}},
                            source=str(tmp_path / "mixexpert.yaml"))
    errors = _load(write, drop=40, given=60, project=project).errors
    assert len(errors) == 1 and "mixexpert.yaml: thresholds.XX010.min_drop_db" in errors[0]


@pytest.mark.parametrize("flip", [False, True])
def test_a_number_written_in_the_condition_is_checked_too(write, flip: bool) -> None:
    cond = "-2 > stereo.correlation" if flip else "stereo.correlation < -2"
    path = write("n.yaml", RULE.replace(
        "spectrum.cutoff_hz < 18000 and spectrum.cutoff_drop_db > min_drop_db", cond
    ).format(drop=40, given=60, expect="fires").replace(
        "{spectrum.cutoff_hz: 16000, spectrum.cutoff_drop_db: 60}", "{stereo.correlation: -0.5}"))
    (error,) = load_rulebase([path], builtin=False).errors
    assert "the number -2" in error and "never true" in error


def test_every_built_in_gated_comparison_can_go_both_ways() -> None:
    """The built-in rules' thresholds lie strictly inside what their descriptors report."""
    rulebase = load_rulebase()
    assert rulebase.errors == []
    gated = [(rule.id, sides[0].key) for rule in rulebase.rules
             for node in rule.when.root.walk()
             if isinstance(node, Compare) and (sides := _sides(node)) is not None]
    assert ("TB010", "spectrum.resonance_prominence_db") in gated  # the check is not vacuous
    for rule in rulebase.rules:
        assert list(dead_thresholds(rule.when, rule.thresholds)) == [], rule.id


def test_every_gate_has_a_reason_and_a_bound() -> None:
    for name, spec in CATALOGUE.items():
        if spec.gate is not None:
            assert spec.gate.reason and (spec.gate.minimum, spec.gate.maximum) != (None, None), name
