"""``mixexpert rules ...`` and ``mixexpert profiles``: output and exit codes."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from expert.commands import profiles, rules
from expert.rules import load_rulebase
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


@pytest.mark.parametrize(("argv", "keep"), [
    (("--category", "stereo"), lambda r: r.spec.category == "stereo"),
    (("--problem", "muddy"), lambda r: r.conclusion == "muddy"),
    (("--select", "AR00"), lambda r: r.id.startswith("AR00")),
])
def test_list_filters(argv, keep, capsys):
    everything = {r.id: r for r in load_rulebase().rules}
    expected = {i for i, r in everything.items() if keep(r)}
    assert expected and expected != set(everything)  # the filter must select something
    assert main("rules", "list", *argv, "--format", "json") == 0
    ids = {r["id"] for r in json.loads(capsys.readouterr().out)["rules"]}
    assert ids == expected


USES_A_FINDING = """
version: 1
findings:
  thick_low_end: The bass band is above a fixed limit.
rules:
  - id: USR100
    concludes: thick_low_end
    title: Thick low end
    category: tonal
    when: spectrum.bass_db > -3
    explanation: Bass {spectrum.bass_db:.1f} dB.
  - id: USR001
    problem: muddy
    title: Low mids filled by the bass
    category: tonal
    certainty: 0.6
    when: finding.thick_low_end and spectrum.low_mid_db > -6
    explanation: Low mids at {spectrum.low_mid_db:.1f} dB under a thick low end.
    remedies:
      - action: eq_bell
        parameters: {frequency_hz: 350, gain_db: -3}
    references: ["B. Owsinski, The Mixing Engineer's Handbook, 4th ed. (2017)"]
    tests:
      - {name: thick and muddy, given: {spectrum.low_mid_db: -4}, findings: {thick_low_end: true},
         expect: fires}
"""


def test_show_is_a_documentation_page(write, capsys):
    # `rules show` reads the project settings of the current folder (tmp_path, see above).
    write("my-rules/low_end.yaml", USES_A_FINDING)
    write("mixexpert.yaml", "rules: [my-rules]\n")
    assert main("rules", "show", "usr001") == 0
    out = capsys.readouterr().out
    for heading in ("USR001 Low mids filled by the bass", "What it does", "Why it matters",
                    "Condition", "Evidence", "spectrum.low_mid_db [dB]", "Remedy",
                    "Uses findings", "thick_low_end ← USR100", "References", "Examples",
                    "thick and muddy"):
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


def test_validate_a_folder_the_project_already_lists(tmp_path, write, capsys):
    # Issue 12.4: the folder is named twice (project + command line) but loads once.
    write("my-rules/ok.yaml", GOOD_RULE)
    (tmp_path / "mixexpert.yaml").write_text("rules: [my-rules/]\n", encoding="utf-8")
    assert main("rules", "validate", "my-rules/") == 0
    captured = capsys.readouterr()
    assert "duplicate" not in captured.err and "OK: 1 rules" in captured.out


@pytest.mark.parametrize(("given", "expect", "code", "said"), [
    # Issue 12.5: an example whose rule cannot be evaluated checks nothing.
    ("{}", "does_not_fire", 1, "got not_applicable: undefined in loudness.integrated_lufs"),
    ("{}", "not_applicable", 0, "1 not applicable"),
    ("{loudness.integrated_lufs: -20}", "does_not_fire", 0, "1 did not fire"),
    ("{loudness.integrated_lufs: -20}", "not_applicable", 1, "expected not_applicable, got "
                                                             "not_fired"),
])
def test_does_not_fire_is_not_not_applicable(write, capsys, given, expect, code, said):
    path = write("r.yaml", GOOD_RULE + f"""    tests:
      - {{name: example, given: {given}, expect: {expect}}}
""")
    assert main("rules", "test", str(path)) == code
    assert said in " ".join(capsys.readouterr().out.split())


def test_a_project_override_keeps_the_built_in_examples_green(tmp_path, capsys):
    # Issue 12.1: the override would make ST004's own examples fail; they run against the
    # thresholds they were written for, and the override is checked and shown on its own.
    (tmp_path / "mixexpert.yaml").write_text(
        "thresholds: {ST004: {max_balance_db: 3.0}, ST001: {max_correlation: -0.5}}\n",
        encoding="utf-8")
    assert main("rules", "test", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] == []
    st004, st001 = doc["overrides"]
    assert st004["where"] == f"{tmp_path / 'mixexpert.yaml'}:1:38"
    assert (st004["rule_value"], st004["value"], st004["applied"]) == (1.5, 3.0, True)
    assert "'Right 2 dB louder': fired -> not_fired" in st004["changes"]
    assert st001["ranges"] == ["stereo.correlation reports -1 to 1 coefficient"]
    assert load_rulebase(project=rules_project(tmp_path)).by_id["ST004"].thresholds == {
        "max_balance_db": 3.0}


def rules_project(folder):
    from expert.rules import load_project_config

    return load_project_config(folder)


def test_an_example_may_pin_a_threshold(write, capsys):
    path = write("pin.yaml", GOOD_RULE.replace("> -10", "> limit_lufs").replace(
        "    when:", "    thresholds: {limit_lufs: -10}\n    when:") + """    tests:
      - {name: own, given: {loudness.integrated_lufs: -12}, expect: does_not_fire}
      - {name: pinned, given: {loudness.integrated_lufs: -12}, thresholds: {limit_lufs: -14},
         expect: fires}
""")
    assert main("rules", "test", str(path)) == 0
    typo = write("typo.yaml", path.read_text().replace("{limit_lufs: -14}", "{limit_luf: -14}"))
    assert main("rules", "test", str(typo)) == 2
    assert f"{typo}:12:77: the rule has no threshold 'limit_luf'; did you mean 'limit_lufs'?" \
        in capsys.readouterr().err


def test_rules_show_and_validate_name_the_project_overrides(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # long temporary paths on one line
    settings = tmp_path / "mixexpert.yaml"
    settings.write_text("thresholds: {ST004: {max_balance_db: 3.0}}\nseverity: {ST: error}\n",
                        encoding="utf-8")
    assert main("rules", "show", "ST004") == 0
    page = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert f"severity error (the project's, at {settings}:2:16; the rule says warning)" in page
    assert f"max_balance_db = 3 (the project's, at {settings}:1:38; the rule says 1.5)" in page
    assert main("rules", "validate") == 0
    assert f"project settings: {settings}" in capsys.readouterr().out
