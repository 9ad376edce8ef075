"""Defect 5: rules that passed validation but crashed evaluation or formatting.

Non-finite thresholds and overrides are refused by validation; an overflow inside an
expression is unknown; formatting any number never raises.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from expert.report.format import fmt_time, fmt_value
from expert.rules.expr.template import format_value

OVERFLOW_RULES = Path(__file__).parent / "rules" / "overflow.yaml"

_THRESHOLD_RULE = """\
rules:
  - id: XX001
    problem: loudness_too_hot
    title: A threshold that is not a number
    category: loudness
    severity: warning
    thresholds: {{limit_lufs: {value}}}
    when: loudness.integrated_lufs > limit_lufs
    explanation: "{{loudness.integrated_lufs:.1f}} LUFS over {{limit_lufs}} LUFS"
"""


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_non_finite_threshold_is_refused(tmp_path: Path, cli, value: str) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(_THRESHOLD_RULE.format(value=value))
    run = cli("rules", "validate", rules)
    assert run.code == 2
    assert f"{rules}:7:30: limit_lufs: Input should be a finite number" in run.err


@pytest.mark.parametrize("value", [".inf", ".nan"])
def test_non_finite_override_is_refused(tmp_path: Path, tone, cli, value: str) -> None:
    (tmp_path / "mixexpert.yaml").write_text(f"thresholds: {{LD001: {{margin_lu: {value}}}}}\n")
    run = cli("diagnose", tone(), "--no-cache")
    assert run.code == 2 and "finite number" in run.err and "Traceback" not in run.err


def test_overflow_in_texts_and_window_rounding_does_not_crash(tone, cli) -> None:
    run = cli("diagnose", tone(), "--rules", OVERFLOW_RULES, "--select", "XX",
              "--format", "json", "--no-cache")
    assert run.code == 0, run.err
    (diagnosis,) = json.loads(run.out)["reports"][0]["diagnoses"]  # XX004 is unknown: no fire
    assert diagnosis["rule_id"] == "XX003"
    assert diagnosis["explanation"] == "n/a and n/a"
    assert diagnosis["remedies"][0]["parameters"]["gain_db"] is None


def test_rule_tests_with_overflow_run_to_a_verdict(cli) -> None:
    run = cli("rules", "test", OVERFLOW_RULES)
    assert run.code == 1  # XX004's example fails: rounding to 1e20 digits is unknown
    assert "1 passed, 1 failed" in run.out


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324])
def test_formatting_any_float_never_raises(value: float) -> None:
    for spec in ("", ".1f", "+.0f", ".0%"):
        assert format_value(value, spec)
    assert fmt_value(value, "dB") and fmt_time(value)
