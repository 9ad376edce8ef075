"""Fixtures for the rule tests: a stand-in catalogue and helpers to write rule files."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from expert.rules import RuleBase, load_rulebase
from tests.rules.catalogue_fixture import CATALOGUE


@pytest.fixture(autouse=True)
def _fixture_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validate against the stand-in catalogue while the real one is being filled."""
    monkeypatch.setattr("expert.rules.loader.default_catalogue", lambda: CATALOGUE)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented rule file under tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load_user() -> Callable[..., RuleBase]:
    """Load only user files (plus the problem vocabulary), not the built-in rules."""

    def _load(*paths: Path, **kw: object) -> RuleBase:
        return load_rulebase(paths, builtin=False, **kw)  # type: ignore[arg-type]

    return _load


GOOD_RULE = """
version: 1
rules:
  - id: XX001
    problem: loudness_too_hot
    title: A good rule
    category: loudness
    when: loudness.integrated_lufs > -10
    explanation: Loud at {loudness.integrated_lufs:.1f} LUFS.
"""
