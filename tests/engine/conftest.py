"""Fixtures for the engine tests: the built-in rulebase and a small fixed rule fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from expert.rules import RuleBase, load_rulebase
from tests.rules.catalogue_fixture import CATALOGUE
from tests.rules.conftest import write  # noqa: F401  (shared fixture)

FIXTURE_RULES = Path(__file__).parent / "fixture_rules"


@pytest.fixture(scope="session")
def rulebase() -> RuleBase:
    rb = load_rulebase(catalogue=CATALOGUE)
    assert rb.errors == []
    return rb


@pytest.fixture(scope="session")
def fixture_rulebase() -> RuleBase:
    """Only ``fixture_rules/`` (plus the problem vocabulary), loaded by the real loader."""
    rb = load_rulebase([FIXTURE_RULES], builtin=False, catalogue=CATALOGUE)
    assert rb.errors == []
    assert {r.id for r in rb.rules} == {"FX001", "FX002", "FX004", "FX100"}
    return rb
