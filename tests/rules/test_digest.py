"""``RuleBase.digest``: one fingerprint of the knowledge a report was judged with."""

from __future__ import annotations

import pytest

from expert.rules import load_rulebase
from expert.rules.model import ProjectConfig


def test_same_rules_give_the_same_digest() -> None:
    first, second = load_rulebase(), load_rulebase()
    assert first.errors == []
    assert first.digest() == second.digest()
    assert len(first.digest()) == 64 and int(first.digest(), 16) >= 0


@pytest.mark.parametrize("project", [
    ProjectConfig(thresholds={"ST004": {"max_balance_db": 2.0}}),
    ProjectConfig(severity={"TB": "info"}),
])
def test_a_project_override_changes_the_digest(project: ProjectConfig) -> None:
    changed = load_rulebase(project=project)
    assert changed.errors == []
    assert changed.digest() != load_rulebase().digest()


def test_an_extra_rule_changes_the_digest(write) -> None:
    extra = write("mine.yaml", """
        rules:
          - id: USR100
            problem: muddy
            title: Low mids piled up
            category: tonal
            severity: info
            when: spectrum.low_mid_db > -3
            explanation: Low mids at {spectrum.low_mid_db:.1f} dB.
        """)
    with_extra = load_rulebase([extra])
    assert with_extra.errors == []
    assert with_extra.digest() != load_rulebase().digest()
