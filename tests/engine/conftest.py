"""Fixtures for the engine tests: the built-in rulebase over a stand-in catalogue."""

from __future__ import annotations

import pytest

from expert.rules import RuleBase, load_rulebase
from tests.rules.catalogue_fixture import CATALOGUE
from tests.rules.conftest import write  # noqa: F401  (shared fixture)


@pytest.fixture(scope="session")
def rulebase() -> RuleBase:
    rb = load_rulebase(catalogue=CATALOGUE)
    assert rb.errors == []
    return rb
