"""``mixexpert rules ...`` and ``mixexpert profiles``: output and exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from expert.commands import profiles, rules
from tests.rules.conftest import GOOD_RULE


def main(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    rules.add_parser(sub)
    profiles.add_parser(sub)
    args = parser.parse_args(argv)
    return {"rules": rules, "profiles": profiles}[args.command].run(args)


@pytest.fixture(autouse=True)
def _no_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no mixexpert.yaml around


def test_validate_builtin(capsys):
    assert main("rules", "validate") == 0
    assert "OK" in capsys.readouterr().out


def test_validate_invalid_file_exits_2(write, capsys):
    bad = write("bad.yaml", GOOD_RULE.replace("loudness.integrated_lufs > -10", "x >"))
    assert main("rules", "validate", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:" in err and "syntax error" in err


def test_test_runs_examples_and_fails_on_wrong_expectation(write, capsys):
    ok = write("ok.yaml", GOOD_RULE + """    tests:
      - {name: loud, given: {loudness.integrated_lufs: -5}, expect: fires}
""")
    assert main("rules", "test", str(ok)) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
    wrong = write("wrong.yaml", GOOD_RULE.replace("XX001", "XX002") + """    tests:
      - {name: quiet, given: {loudness.integrated_lufs: -20}, expect: fires}
""")
    assert main("rules", "test", str(wrong), "--format", "json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"][0]["rule_id"] == "XX002"
    assert "expected fires, got not_fired" in doc["failed"][0]["message"]


def test_test_validates_first(write, capsys):
    bad = write("bad.yaml", GOOD_RULE.replace("category: loudness", "category: loudness\n"
                                              "    colour: red"))
    assert main("rules", "test", str(bad)) == 2
    assert "unknown field 'colour'" in capsys.readouterr().err


def test_builtin_examples_pass(capsys):
    assert main("rules", "test") == 0
    assert " 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "expected"), [
    (("--category", "stereo"), {"ST001", "ST007"}),
    (("--problem", "muddy"), {"TB004", "TB005"}),
    (("--select", "AR00"), {"AR001", "AR007"}),
])
def test_list_filters(argv, expected, capsys):
    assert main("rules", "list", *argv, "--format", "json") == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]}
    assert expected <= ids and all(i[:2] == next(iter(expected))[:2] for i in ids)


def test_show_is_a_documentation_page(capsys):
    assert main("rules", "show", "tb002") == 0
    out = capsys.readouterr().out
    for heading in ("What it does", "Why it matters", "Condition", "Evidence", "Remedy",
                    "References", "Examples", "low_end_heavy ← TB100"):
        assert heading in out


def test_show_unknown_rule():
    from expert.errors import RuleError

    with pytest.raises(RuleError, match="did you mean LD001"):
        main("rules", "show", "LD01")


def test_schema_is_json_schema(capsys):
    assert main("rules", "schema") == 0
    schema = json.loads(capsys.readouterr().out)
    rule = schema["$defs"]["RuleSpec"]
    assert rule["additionalProperties"] is False and "when" in rule["required"]


def test_profiles(capsys):
    assert main("profiles", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    names = {p["name"] for p in doc["profiles"]}
    assert doc["default"] == "streaming" and {"ebu_r128", "atsc_a85", "deezer"} <= names
    assert main("profiles") == 0
    assert "Apple Music" in capsys.readouterr().out


def test_validate_path_starts_without_signal_processing_imports():
    code = ("import sys; from expert.commands import rules; from expert.rules import "
            "load_rulebase, resolve_profile; from expert.engine.testing import run_rule_tests;"
            " load_rulebase(); resolve_profile();"
            " print(sorted(m for m in ('numpy', 'scipy', 'essentia') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
