"""The built-in rulebase, its in-file examples, profiles and project settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from expert.engine.testing import run_rule_tests
from expert.errors import RuleError
from expert.rules import (
    Selector,
    load_project_config,
    load_rulebase,
    resolve_profile,
)
from expert.rules.profiles import profiles
from tests.rules.catalogue_fixture import CATALOGUE

BUILTIN = load_rulebase(catalogue=CATALOGUE)
CONTRACT_PROBLEMS = {
    "loudness_too_hot", "loudness_too_quiet", "true_peak_over", "clipping", "over_compressed",
    "sub_rumble", "boomy", "weak_bass", "muddy", "harsh", "sibilant", "dull", "too_bright",
    "resonance", "band_limited", "polarity_inverted_channel", "poor_mono_compatibility",
    "bass_not_mono", "lr_imbalance", "too_narrow", "too_wide", "fake_stereo", "dc_offset",
    "hum", "noise", "clicks", "dropouts", "leading_silence", "trailing_silence",
}
#: Declared by rules/stems.yaml for `mixexpert stems` (the contract lets rule files add keys).
STEM_PROBLEMS = {"stem_masking", "stem_low_end_conflict", "stems_out_of_phase",
                 "stems_not_summing", "stem_missing_from_mix"}


def test_builtin_rules_load_without_errors():
    assert BUILTIN.errors == []
    assert len(BUILTIN.rules) >= 30
    assert set(BUILTIN.problems) == CONTRACT_PROBLEMS | STEM_PROBLEMS


@pytest.mark.parametrize("rule", BUILTIN.rules, ids=lambda r: r.id)
def test_every_rule_has_examples_that_pass(rule):
    assert rule.spec.tests, f"{rule.id} has no examples"
    assert any(t.expect == "fires" for t in rule.spec.tests)
    assert any(t.expect != "fires" for t in rule.spec.tests)
    failures = [o for o in run_rule_tests(BUILTIN, [rule.id]) if not o.passed]
    assert failures == []


def test_every_reported_rule_has_remedy_and_reference():
    for rule in BUILTIN.rules:
        assert rule.spec.references, rule.id
        if rule.reported:
            assert rule.spec.remedies, rule.id


def test_a_wrong_expectation_fails(write):
    text = (Path(BUILTIN.by_id["LD001"].file).read_text()
            .replace("remedies: {gain_db: -6.0}", "remedies: {gain_db: -5.0}"))
    path = write("ld.yaml", text)
    rb = load_rulebase([path], catalogue=CATALOGUE)
    failed = [o for o in run_rule_tests(rb, ["LD001"]) if not o.passed]
    assert len(failed) == 1 and "expected -5.0, got -6.0" in failed[0].message
    assert failed[0].where.startswith(f"{path}:")
    assert "LD001" in rb.overridden  # the user file replaced the built-in rule


@pytest.mark.parametrize(("name", "lufs", "tp"), [
    ("streaming", -14, -1), ("spotify", -14, -1), ("apple_music", -16, -1),
    ("youtube", -14, -1), ("tidal", -14, -1), ("amazon_music", -14, -2), ("deezer", -15, -1),
    ("ebu_r128", -23, -1), ("atsc_a85", -24, -2), ("cd", -9, -0.3), ("club", -7, -0.3),
])
def test_destination_targets(name, lufs, tp):
    p = resolve_profile(name)
    assert (p.targets.integrated_lufs, p.targets.true_peak_dbtp) == (lufs, tp)
    assert p.targets.integrated_tolerance_lu is not None
    assert profiles()[name].source


def test_default_profile_is_streaming():
    p = resolve_profile()
    assert p.name == "streaming" and p.targets.integrated_lufs == -14.0


def test_genre_sets_dynamics_and_tonal_curve_not_delivery():
    jazz, edm = resolve_profile(genre="jazz"), resolve_profile(genre="electronic")
    assert jazz.targets.integrated_lufs == edm.targets.integrated_lufs == -14.0
    assert jazz.targets.crest_factor_min_db > edm.targets.crest_factor_min_db
    assert edm.targets.sub_db > jazz.targets.sub_db


@pytest.mark.parametrize(("destination", "expected_lufs"), [("spotify", -14.0), ("cd", -7.5)])
def test_reference_track_becomes_targets(destination, expected_lufs):
    ref = {"loudness.integrated_lufs": -7.5, "spectrum.bass_db": -2.5, "loudness.range_lu": 6.0,
           "loudness.plr_db": 9.0, "spectrum.sub_db": None}
    p = resolve_profile(destination, reference_descriptors=ref)
    assert p.reference and p.targets.bass_db == -2.5
    assert p.targets.loudness_range_min_lu == 4.0 and p.targets.plr_min_db == 7.0
    assert p.targets.integrated_lufs == expected_lufs  # delivery level fixed unless a master
    assert p.targets.sub_db == resolve_profile(destination).targets.sub_db  # undefined: kept


@pytest.mark.parametrize(("name", "genre", "fragment"), [
    ("spotfy", None, "did you mean 'spotify'"), ("streaming", "jaz", "did you mean 'jazz'"),
    ("jazz", None, "unknown profile"),
])
def test_unknown_profile(name, genre, fragment):
    with pytest.raises(RuleError, match=fragment):
        resolve_profile(name, genre)


class _R:
    def __init__(self, rule_id: str, conclusion: str = "x") -> None:
        self.id, self.conclusion = rule_id, conclusion


@pytest.mark.parametrize(("select", "ignore", "rule", "enabled"), [
    (["ALL"], [], "TB004", True),
    (["TB"], [], "LD001", False),
    (["TB"], ["TB004"], "TB004", False),
    (["TB004"], ["TB"], "TB004", True),   # more specific select wins
    (["TB"], ["TB"], "TB004", False),     # equal: ignore wins
    (["ALL"], ["TB0"], "TB004", False),
    (["ALL"], ["muddy"], "TB004", False),  # problem keys select whole problems
    (["LD", "muddy"], [], "TB004", True),
])
def test_selector_has_ruff_semantics(select, ignore, rule, enabled):
    assert Selector(select, ignore).enabled(_R(rule, "muddy")) is enabled


def test_project_config_yaml(tmp_path: Path, write):
    write("proj/myrules/extra.yaml", """
    version: 1
    rules:
      - id: USR001
        problem: muddy
        title: Project rule
        category: tonal
        when: spectrum.low_mid_db > -3
        explanation: x
    """)
    write("proj/mixexpert.yaml", """
    select: [LD, TB, USR]
    ignore: [TB1]
    severity: {LD003: info}
    thresholds: {LD007: {section_excess_lu: 6}}
    rules: [myrules]
    profile: apple_music
    """)
    sub = tmp_path / "proj" / "a" / "b"
    sub.mkdir(parents=True)
    config = load_project_config(sub)
    assert config.profile == "apple_music"
    assert config.rules == [str(tmp_path / "proj" / "myrules")]
    rb = load_rulebase(project=config, catalogue=CATALOGUE)
    assert rb.errors == []
    assert rb.by_id["USR001"].file.endswith("extra.yaml")
    assert rb.by_id["LD003"].severity == "info"
    assert rb.by_id["LD007"].thresholds["section_excess_lu"] == 6.0


def test_project_config_pyproject(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.mixexpert]\nignore = ["AR006"]\n')
    assert load_project_config(tmp_path).ignore == ["AR006"]


def test_no_project_config_gives_defaults(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert load_project_config(tmp_path).select == ["ALL"]


def test_project_config_errors_name_file_and_line(write):
    path = write("mixexpert.yaml", "select: [LD]\nignroe: [TB]\n")
    with pytest.raises(RuleError, match=rf"{path}:2:1: unknown field 'ignroe'"):
        load_project_config(path.parent)


def test_bad_threshold_override_is_reported(write):
    path = write("mixexpert.yaml", "thresholds: {LD003: {tolerence_db: 1}}\n")
    rb = load_rulebase(project=load_project_config(path.parent), catalogue=CATALOGUE)
    assert any(e.startswith(f"{path}:1:36: thresholds.LD003: rule has no threshold "
                            "'tolerence_db'; did you mean 'tolerance_db'") for e in rb.errors)


VINYL_PROFILE = """
version: 1
profiles:
  - name: vinyl
    title: Vinyl pre-master
    kind: master
    source: Cutting-room practice (an example).
    targets: {integrated_lufs: -14.0, integrated_tolerance_lu: 3.0, true_peak_dbtp: -1.0}
"""


def test_a_project_adds_its_own_profiles(write, tmp_path: Path):
    write("proj/profiles/vinyl.yaml", VINYL_PROFILE)  # beside the settings: read unlisted
    write("proj/mixexpert.yaml", "profile: vinyl\n")
    write("proj/rules/v.yaml", """
    version: 1
    rules:
      - id: VN001
        problem: bass_not_mono
        title: Vinyl only
        category: stereo
        applies_to: {profiles: [vinyl]}
        when: stereo.correlation_low < 0
        explanation: x
        tests:
          - {name: t, profile: vinyl, given: {stereo.correlation_low: -0.5}, expect: fires}
    """)
    config = load_project_config(tmp_path / "proj")
    assert config.profiles == [str(tmp_path / "proj" / "profiles")]
    rb = load_rulebase([tmp_path / "proj" / "rules"], project=config, catalogue=CATALOGUE)
    assert rb.errors == []
    assert [o.passed for o in run_rule_tests(rb, ["VN001"])] == [True]
    vinyl = resolve_profile("vinyl", extra=config.profiles)
    assert (vinyl.kind, vinyl.targets.integrated_tolerance_lu) == ("master", 3.0)
    with pytest.raises(RuleError, match="unknown profile 'vinyl'"):
        resolve_profile("vinyl")  # not without the project


def test_a_project_profile_may_not_reuse_a_name(write, tmp_path: Path):
    path = write("profiles/mine.yaml", VINYL_PROFILE.replace("name: vinyl", "name: spotify"))
    with pytest.raises(RuleError, match=rf"{path}:3:11: profile 'spotify' is already defined"):
        resolve_profile("spotify", extra=[path.parent])
