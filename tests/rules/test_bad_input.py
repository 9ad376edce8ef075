"""Every kind of bad rule file is refused with file:line, and the good files still load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.rules.conftest import GOOD_RULE

RULE = """
version: 1
rules:
  - id: XX002
    problem: muddy
    title: Under test
    category: tonal
    when: {when}
    explanation: text
"""

CASES: dict[str, tuple[str, int, str]] = {
    # name: (file text, line of the error, message fragment)
    "malformed_yaml": ("version: 1\nrules:\n  - id: XX002\n    title: [unclosed\n    when: x\n", 5,
                       "malformed YAML"),
    "unknown_field": (RULE.format(when="spectrum.low_mid_db > -5").replace(
        "    explanation", "    whne: x\n    explanation"), 8, "unknown field 'whne'"),
    "python_object_tag": (RULE.format(when="!!python/object/apply:os.system ['echo hi']"),
                          7, "tag '!!python/object/apply:os.system' is not allowed"),
    "division_by_zero": (RULE.format(when="spectrum.low_mid_db / (2 - 2) > 1"), 7,
                         "division by zero"),
    "type_error_condition": (RULE.format(when="spectrum.low_mid_db + 3"), 7, "type error"),
    "type_error_operands": (RULE.format(when="stereo.identical_channels * 2 > 1"), 7,
                            "type error"),
    "dunder_import": (RULE.format(when="__import__('os').system('true') == 0"), 7,
                      "names starting with '_' are not allowed"),
    "attribute_on_value": (RULE.format(when="\"'abc'.upper() == 'ABC'\""), 7,
                           "only the functions"),
    "dunder_attribute": (RULE.format(when="spectrum.low_mid_db.__class__ == 1"), 7,
                         "names starting with '_' are not allowed"),
    "subscript": (RULE.format(when="spectrum.low_mid_db[0] > 1"), 7, "indexing"),
    "lambda": (RULE.format(when="'(lambda: 1)() > 0'"), 7, "not part of the rule language"),
    "power_operator": (RULE.format(when="spectrum.low_mid_db ** 2 > 1"), 7,
                       "operator '**' is not part of the rule language"),
    "unknown_descriptor": (RULE.format(when="spectrum.low_mids_db > 1"), 7,
                           "did you mean 'spectrum.low_mid_db'"),
    "unknown_function": (RULE.format(when="open('x') == 1"), 7, "unknown function 'open'"),
    "unknown_problem": (RULE.format(when="true").replace("problem: muddy", "problem: mudy"), 4,
                        "did you mean 'muddy'"),
    "certainty_out_of_range": (RULE.format(when="true").replace(
        "    when", "    certainty: 1.5\n    when"), 7, "certainty"),
    "window_only_in_track_rule": (RULE.format(when="loudness.short_term_lufs > -5"), 7,
                                  "only measured per window"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_refused_with_file_and_line(case, write, load_user):
    text, line, fragment = CASES[case]
    good = write("a_good.yaml", GOOD_RULE)
    bad = write("b_bad.yaml", text)
    rb = load_user(good, bad)
    assert len(rb.errors) >= 1, case
    first = rb.errors[0]
    assert first.startswith(f"{bad}:{line}:"), first
    assert fragment in first, first
    assert [r.id for r in rb.rules] == ["XX001"]  # the good file still loads


def test_error_column_points_into_the_expression(write, load_user):
    bad = write("bad.yaml", RULE.format(when="spectrum.low_mid_db > nope"))
    (error,) = load_user(bad).errors
    col = int(error.split(":")[2])
    line = bad.read_text().splitlines()[6]
    assert line[col - 1:].startswith("nope"), (error, line)


def test_duplicate_id_names_both_places(write, load_user):
    good = write("a.yaml", GOOD_RULE)
    dup = write("b.yaml", GOOD_RULE.replace("A good rule", "Same id"))
    rb = load_user(good.parent)
    (error,) = rb.errors
    assert error.startswith(f"{dup}:3:") and "duplicate rule id 'XX001'" in error
    assert f"{good}:3" in error
    assert [r.spec.title for r in rb.rules] == ["A good rule"]


def test_cycle_among_derived_findings(write, load_user):
    text = """
    version: 1
    findings: {a: first, b: second}
    rules:
      - id: XX010
        concludes: a
        title: A from B
        category: test
        when: finding.b
        explanation: a
      - id: XX011
        concludes: b
        title: B from A
        category: test
        when: finding.a
        explanation: b
    """
    path = write("cycle.yaml", text)
    good = write("good.yaml", GOOD_RULE)
    rb = load_user(path, good)
    (error,) = rb.errors
    assert re.match(rf"{re.escape(str(path))}:\d+:", error)
    assert "cycle among derived findings" in error and "XX010" in error and "XX011" in error
    assert [r.id for r in rb.rules] == ["XX001"]


def test_alias_bomb_is_refused_quickly(write, load_user):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb = write("bomb.yaml", "\n".join(lines) + "\nrules: []\n")
    good = write("good.yaml", GOOD_RULE)
    rb = load_user(bomb, good)
    (error,) = rb.errors
    assert error.startswith(f"{bomb}:1:") and "anchors and aliases" in error
    assert [r.id for r in rb.rules] == ["XX001"]


def test_ten_megabyte_expression(write, load_user):
    huge = "spectrum.low_mid_db + " * 500_000 + "1 > 0"
    assert len(huge) > 10_000_000
    bad = write("huge.yaml", RULE.format(when=huge))
    good = write("good.yaml", GOOD_RULE)
    rb = load_user(bad, good)
    (error,) = rb.errors
    assert error.startswith(f"{bad}:7:") and "the limit is 2000" in error
    assert [r.id for r in rb.rules] == ["XX001"]


def test_not_a_mapping(write, load_user):
    bad = write("list.yaml", "- just\n- a list\n")
    (error,) = load_user(bad).errors
    assert error.startswith(f"{bad}:1:1:") and "mapping" in error


def test_missing_path_is_an_error(tmp_path: Path, load_user):
    rb = load_user(tmp_path / "nowhere")
    assert rb.errors and "does not exist" in rb.errors[0]


def test_template_errors_are_positioned(write, load_user):
    text = RULE.format(when="true").replace("explanation: text",
                                            "explanation: Level {loudness.nope:.1f}")
    bad = write("tpl.yaml", text)
    (error,) = load_user(bad).errors
    assert error.startswith(f"{bad}:8:") and "loudness.nope" in error


def test_test_section_names_are_checked(write, load_user):
    text = RULE.format(when="spectrum.low_mid_db > -5") + """    tests:
      - name: typo
        given: {spectrum.lowmid_db: 1}
        expect: fires
        remedies: {gain_db: 1}
"""
    bad = write("t.yaml", text)
    errors = load_user(bad).errors
    assert any(":11:" in e and "unknown descriptor 'spectrum.lowmid_db'" in e for e in errors)
    assert any("no remedy parameter 'gain_db'" in e for e in errors)


BLOCK = RULE.replace("    when: {when}\n", "    when: {indicator}\n"
                     "      spectrum.low_mid_db > -5\n"
                     "      and spectrum.mid_db > -6\n"
                     "      and not finding.low_end_heavyy\n")


@pytest.mark.parametrize(("text", "where"), [
    # Issue 12.3: the error is where the name is, not at an offset in the folded text.
    (BLOCK.format(indicator=">-"), "10:15"),
    (BLOCK.format(indicator="|"), "10:15"),
    (BLOCK.format(indicator=""), "10:15"),  # a plain scalar over several lines
    (RULE.format(when="'spectrum.low_mid_db > -5\n      and finding.low_end_heavyy'"), "8:11"),
    (RULE.format(when="profile.genre == 'électro' or finding.low_end_heavyy"), "7:41"),
    (RULE.format(when="spectrum.low_mid_db > -5").replace(
        "explanation: text", "explanation: >-\n      Some text and\n"
                             "      more {finding.low_end_heavyy} here."), "10:13"),
])
def test_errors_in_multi_line_scalars_point_at_the_name(text, where, write, load_user):
    path = write("r.yaml", text)
    (error,) = load_user(path).errors
    assert error.startswith(f"{path}:{where}: unknown name 'finding.low_end_heavyy'"), error


@pytest.mark.parametrize(("text", "message"), [
    ("rules:\n  - id: X\n    tests:\n      - name: a\n     - name: b\n",
     "5:6: malformed YAML: did not find expected key (expected another key of the mapping "
     "that starts at 2:5; line 5 starts at column 6: indent it like line 3 (column 5) or "
     "line 4 (column 7))"),
    ("rules:\n  - id: X\n    problem: m\n   title: t\n",
     "4:4: malformed YAML: did not find expected '-' indicator (expected another '- ' item "
     "of the list that starts at 2:3; line 4 starts at column 4: indent it like line 2 "
     "(column 3) or line 3 (column 5))"),
    ("rules:\n  - id: X\n    title: a: b\n", "3:13: malformed YAML: mapping values are not "
     "allowed in this context (a ':' followed by a space inside a value, or a key indented "
     "under a value: quote the value (\"a: b\") or align the key with the keys above it)"),
    ("rules:\n  - id: X\n\ttitle: t\n", "3:1: malformed YAML: found a tab character that "
     "violates indentation (YAML indentation must be spaces: replace the tabs)"),
])
def test_yaml_syntax_errors_say_what_was_expected_and_the_fix(text, message, write, load_user):
    path = write("r.yaml", text)
    assert load_user(path).errors == [f"{path}:{message}"]


def test_a_field_in_the_wrong_place_is_not_its_own_suggestion(write, load_user):
    path = write("r.yaml", "version: 1\nthresholds: {a: 1}\nrules: []\n")
    assert load_user(path).errors == [
        f"{path}:2:1: unknown field 'thresholds'; 'thresholds' belongs to a rule or a test: "
        "check its indentation"]
