"""The engine: chaining, certainty, symptoms under causes, measurement noise, windows,
traces and near misses."""

from __future__ import annotations

import json
import random

import pytest
from rich.console import Console

from expert.engine import Diagnosis, Engine, Facts
from expert.engine.certainty import combine, combine_all, conclude
from expert.report.reasoning import ReasoningView
from expert.rules import RuleBase, resolve_profile

STREAMING = resolve_profile()
CONTRACT_KEYS = {"rule_id", "problem", "title", "severity", "certainty", "inconclusive",
                 "time_ranges", "evidence", "explanation", "remedies", "caused_by"}


def run(rulebase: RuleBase, descriptors: dict, **kw) -> object:
    series = kw.pop("series", {})
    n = max((len(v) for v in series.values()), default=0)
    facts = Facts(descriptors=descriptors, window_s=3.0,
                  window_starts_s=[float(i) for i in range(n)], series=series)
    return Engine(rulebase, kw.pop("profile", STREAMING), **kw).run(facts)


def problems(result) -> list[str]:
    return [d.problem for d in result.diagnoses]


def test_diagnosis_json_is_exactly_the_contract(rulebase):
    result = run(rulebase, {"loudness.integrated_lufs": -8.0, "loudness.true_peak_dbtp": 0.4})
    assert problems(result) == ["true_peak_over", "loudness_too_hot"]  # error before warning
    doc = json.loads(result.diagnoses[1].model_dump_json())
    assert set(doc) == CONTRACT_KEYS
    assert doc["remedies"][0]["action"] == "reduce_loudness"
    assert doc["remedies"][0]["parameters"] == {"gain_db": -6.0}
    assert "6.0 dB" in doc["remedies"][0]["text"] and "{" not in doc["remedies"][0]["text"]
    assert doc["inconclusive"] is False
    assert doc["evidence"] == [{"descriptor": "loudness.integrated_lufs", "value": -8.0,
                                "unit": "LUFS", "condition": doc["evidence"][0]["condition"]}]
    assert "(6 > 3)" in doc["evidence"][0]["condition"]
    assert "-8.0 LUFS" in doc["explanation"] and "turn it down by 6.0 dB" in doc["explanation"]
    Diagnosis.model_validate(doc)


def test_symptoms_are_reported_under_their_root_cause(rulebase):
    d = {"stereo.correlation": -0.9, "stereo.correlation_low": -0.95,
         "loudness.mono_fold_loss_db": 20.0, "stereo.side_to_mid_low_db": 5.0,
         "stereo.side_to_mid_db": 8.0, "stereo.width_pct": 95.0}
    result = run(rulebase, d)
    found = {x.problem: x for x in result.diagnoses}
    assert {"polarity_inverted_channel", "poor_mono_compatibility", "bass_not_mono",
            "too_wide"} <= set(found)
    assert result.diagnoses[0].problem == "polarity_inverted_channel"
    assert found["poor_mono_compatibility"].caused_by == ["ST001", "polarity_inverted_channel"]
    explained = {e.problem: e for e in result.explained}
    assert set(explained) == {"poor_mono_compatibility", "bass_not_mono", "too_wide"}
    for problem, e in explained.items():  # one step lower than on its own
        assert e.explained_by == "ST001"
        assert found[problem].severity == e.severity
        assert {"error": "warning", "warning": "info", "info": "info"}[e.severity_was] == \
            e.severity
    assert "also explains poor mono compatibility" in result.diagnoses[0].explanation
    # Without the cause reported, the symptoms are reported on their own, not demoted.
    alone = {x.problem: x for x in run(rulebase, d, ignore=["ST001"]).diagnoses}
    for problem, e in explained.items():
        assert alone[problem].severity == e.severity_was and not alone[problem].caused_by


def test_a_delivery_failure_under_its_cause_keeps_its_severity(rulebase):
    # Clipping explains the true-peak over, but a master over the ceiling still fails.
    series = {"artifacts.clipped_samples": [40.0] * 5, "artifacts.clipped_runs": [9.0] * 5}
    result = run(rulebase, {"loudness.true_peak_dbtp": 0.4, "artifacts.clipped_samples": 200.0,
                            "artifacts.clipped_runs": 45.0}, series=series)
    found = {x.problem: x for x in result.diagnoses}
    assert found["true_peak_over"].severity == "error"
    assert "LD004" in found["true_peak_over"].caused_by
    alone = {x.problem: x for x in run(rulebase, {"loudness.true_peak_dbtp": 0.4}).diagnoses}
    assert alone["true_peak_over"].severity == found["true_peak_over"].severity


@pytest.mark.parametrize("true_peak", [-0.99, -0.95, -0.85, -0.8])
def test_a_value_within_the_noise_of_a_threshold_is_inconclusive(rulebase, true_peak):
    # The streaming ceiling is -1 dBTP; EBU Tech 3341 allows +0.2 dB on a true-peak meter.
    result = run(rulebase, {"loudness.true_peak_dbtp": true_peak})
    (over,) = [x for x in result.diagnoses if x.problem == "true_peak_over"]
    assert over.inconclusive and over.severity == "info"
    assert over.explanation.startswith("Inconclusive:") and "0.2 dBTP noise" in over.explanation
    assert 0.0 < over.certainty < 0.95  # below the rule's certainty (0.95): not sure


def test_just_under_a_threshold_is_a_near_miss_not_a_diagnosis(rulebase):
    result = run(rulebase, {"loudness.true_peak_dbtp": -1.05})
    assert "true_peak_over" not in problems(result)
    assert "LD003" in [m.rule_id for m in result.near_misses]


def test_certainty_grows_with_the_margin_in_noise_widths(rulebase):
    def certainty(tp: float) -> float:
        result = run(rulebase, {"loudness.true_peak_dbtp": tp})
        return next(x.certainty for x in result.diagnoses if x.problem == "true_peak_over")

    values = [certainty(tp) for tp in (-0.99, -0.95, -0.9, -0.8, -0.5, 1.0)]
    assert values == sorted(values) and values[0] < values[-1]
    assert certainty(1.0) == pytest.approx(0.95)  # far past the noise: the rule's own
    clear = run(rulebase, {"loudness.true_peak_dbtp": -0.5}).diagnoses
    assert not next(x for x in clear if x.problem == "true_peak_over").inconclusive
    assert not [x for x in run(rulebase, {"loudness.true_peak_dbtp": -1.5}).diagnoses
                if x.problem == "true_peak_over"]


@pytest.mark.parametrize("base", [
    {"loudness.integrated_lufs": -13.02, "loudness.true_peak_dbtp": -1.03},   # on thresholds
    {"loudness.integrated_lufs": -9.0, "loudness.true_peak_dbtp": 0.5},       # clearly over
    {"loudness.integrated_lufs": -14.0, "loudness.true_peak_dbtp": -3.0},     # clearly fine
])
def test_near_identical_files_give_the_same_warnings(rulebase, base):
    """The same file 0.05 dB louder: loudness and peaks move by 0.05, warnings do not."""
    def warnings(descriptors: dict) -> set[tuple[str, str]]:
        return {(x.problem, x.severity) for x in run(rulebase, descriptors).diagnoses
                if x.severity != "info"}

    louder = {k: v + 0.05 for k, v in base.items()}
    assert warnings(base) == warnings(louder)


def test_a_rule_without_declared_noise_is_exact(fixture_rulebase):
    assert fixture_rulebase.noise == {}
    result = run(fixture_rulebase, {"spectrum.bass_db": -0.5, "spectrum.low_mid_db": -12.0,
                                    "spectrum.sub_db": -14.0})
    assert not any(d.inconclusive for d in result.diagnoses)


def test_derived_finding_chains_and_certainty_propagates(fixture_rulebase):
    result = run(fixture_rulebase, {"spectrum.bass_db": -0.5, "spectrum.low_mid_db": -12.0,
                                    "spectrum.sub_db": -14.0})
    (finding,) = result.findings
    assert finding.name == "bass_heavy" and finding.rules == ["FX100"]
    boomy = next(d for d in result.diagnoses if d.problem == "boomy")
    assert boomy.certainty == pytest.approx(conclude(0.75, [0.85]))
    trace = result.traces["FX002"]
    assert trace.findings_used == {"bass_heavy": ["FX100"]}
    assert "bass_heavy" not in problems(result)  # derived findings are not reported


def test_rule_does_not_fire_without_the_finding_it_uses(fixture_rulebase):
    # FX002's own comparison holds (-4 - -12 > 6) but FX100 concludes nothing.
    result = run(fixture_rulebase, {"spectrum.bass_db": -4.0, "spectrum.low_mid_db": -12.0,
                                    "spectrum.sub_db": -14.0})
    assert result.findings == [] and "boomy" not in problems(result)
    assert result.traces["FX100"].status == result.traces["FX002"].status == "not_fired"


def test_same_problem_from_two_rules_combines_certainty(rulebase):
    # PLR 2 dB, LRA 0.1 LU: far under every family's 5th percentile (envelopes.yaml), many
    # noise widths past both thresholds, so each rule keeps its own certainty
    result = run(rulebase, {"loudness.plr_db": 2.0, "loudness.crest_factor_db": 3.0,
                            "loudness.range_lu": 0.1})
    (d,) = result.diagnoses
    assert d.problem == "over_compressed" and d.rule_id == "LD005"
    # each rule's certainty is its own (0.8, 0.6) scaled by its margin in noise widths
    c5, c6 = result.traces["LD005"].certainty, result.traces["LD006"].certainty
    assert 0.5 < c5 <= 0.8 and 0.3 < c6 <= 0.6
    assert d.certainty == pytest.approx(combine(c5, c6), abs=1e-4)  # reported to 4 places
    assert d.certainty > max(c5, c6)
    assert result.merged == {"LD005": ["LD005", "LD006"]}
    assert {r.action for r in d.remedies} == {"reduce_limiting", "restore_macro_dynamics"}


@pytest.mark.parametrize("values", [[0.5, 0.3, 0.9], [0.9, 0.5, 0.3], [0.3, 0.9, 0.5]])
def test_mycin_combination_is_order_independent(values):
    assert combine_all(values) == pytest.approx(1 - 0.5 * 0.7 * 0.1)


def test_window_rule_gives_time_ranges(fixture_rulebase):
    low_mid = [-9.0] * 20
    low_mid[5:10] = [-3.0] * 5  # windows 5..9 -> 5 s to 12 s
    low_mid[15] = -3.0          # a single window: 3 s < min_duration 4 s
    result = run(fixture_rulebase, {"audio.duration_s": 22.0, "spectrum.low_mid_db": -8.5},
                 series={"spectrum.low_mid_db": low_mid})
    muddy = next(d for d in result.diagnoses if d.problem == "muddy")
    assert muddy.time_ranges == [(5.0, 12.0)]
    assert muddy.evidence[0].value == -3.0  # mean over the firing windows
    gain = muddy.remedies[0].parameters["gain_db"]
    assert gain == pytest.approx(-6.0)  # clamp(-9 - -3, -6, -1)


def test_window_rule_uses_track_values_for_names_without_series(fixture_rulebase):
    result = run(fixture_rulebase, {"spectrum.low_mid_db": -3.0, "audio.duration_s": 10.0},
                 series={"spectrum.high_mid_db": [-15.0] * 8})
    muddy = next(d for d in result.diagnoses if d.problem == "muddy")
    assert muddy.time_ranges == []  # no series: judged on the whole track
    assert muddy.evidence[0].value == -3.0


def test_missing_values_make_rules_not_applicable(rulebase):
    result = run(rulebase, {"audio.channels": 1, "loudness.integrated_lufs": -14.0})
    assert result.diagnoses == []
    assert result.traces["ST001"].status == "not_applicable"
    assert result.traces["LD001"].status == "not_fired"


def test_why_not_and_near_misses(rulebase):
    # 0.3 LU short of LD020's threshold (the 1 LU tolerance of the -14 LUFS turn-down):
    # outside the 0.1 LU noise, so a near miss and not an inconclusive diagnosis.
    result = run(rulebase, {"loudness.integrated_lufs": -13.3, "loudness.true_peak_dbtp": -6.0})
    assert result.diagnoses == []
    trace = result.traces["LD020"]
    (cond,) = trace.conditions
    assert cond.observed == pytest.approx(0.7) and cond.threshold == 1.0
    assert (cond.operator, cond.outcome) == (">", False)
    assert cond.margin == pytest.approx(-0.3)
    near = [m.rule_id for m in result.near_misses]
    assert near[0] == "LD020" and "LD002" not in near
    assert result.near_misses[0].failed[0].text.startswith(
        "loudness.integrated_lufs - target.integrated_lufs >")


@pytest.mark.parametrize("closest", [1, 2])
def test_window_near_miss_reports_closest_window(fixture_rulebase, closest):
    low_mid = [-9.0] * 4
    low_mid[closest] = -5.2  # 0.2 dB under FX004's limit of -5 dB, nowhere over it
    result = run(fixture_rulebase, {"audio.duration_s": 8.0},
                 series={"spectrum.low_mid_db": low_mid})
    trace = result.traces["FX004"]
    (cond,) = trace.conditions
    assert trace.status == "not_fired" and cond.at_s == float(closest)
    assert cond.observed == -5.2 and cond.margin == pytest.approx(-0.2)
    (miss,) = [m for m in result.near_misses if m.rule_id == "FX004"]
    assert miss.failed[0].at_s == float(closest)


def test_runtime_division_by_zero_is_not_applicable(write, tmp_path):
    from expert.rules import load_rulebase
    from tests.rules.catalogue_fixture import CATALOGUE

    path = write("div.yaml", """
    version: 1
    rules:
      - id: XX001
        problem: over_compressed
        title: Ratio
        category: dynamics
        when: loudness.plr_db / loudness.crest_factor_db > 1
        explanation: ratio {loudness.plr_db / loudness.crest_factor_db}
    """)
    rb = load_rulebase([path], builtin=False, catalogue=CATALOGUE)
    result = run(rb, {"loudness.plr_db": 5.0, "loudness.crest_factor_db": 0.0})
    assert result.traces["XX001"].status == "not_applicable"


def test_applicability_skips_rules(write):
    from expert.rules import load_rulebase
    from tests.rules.catalogue_fixture import CATALOGUE

    path = write("app.yaml", """
    version: 1
    rules:
      - id: XX001
        problem: loudness_too_hot
        title: Broadcast only
        category: loudness
        applies_to: {profiles: [ebu_r128]}
        when: loudness.integrated_lufs > -30
        explanation: x
    """)
    rb = load_rulebase([path], builtin=False, catalogue=CATALOGUE)
    assert run(rb, {"loudness.integrated_lufs": -20.0}).traces["XX001"].status == "skipped"
    broadcast = run(rb, {"loudness.integrated_lufs": -20.0}, profile=resolve_profile("ebu_r128"))
    assert problems(broadcast) == ["loudness_too_hot"]


def test_profile_changes_the_verdict(rulebase):
    # 5 LU under -14 LUFS: a note on generic streaming (not everyone turns it up); Spotify
    # lifts it to -14 LUFS within its 7 dB of true-peak headroom.
    d = {"loudness.integrated_lufs": -19.0, "loudness.true_peak_dbtp": -8.0}
    assert problems(run(rulebase, d)) == ["loudness_too_quiet"]
    assert problems(run(rulebase, d, profile=resolve_profile("spotify"))) == []


def test_deterministic_and_independent_of_rule_order(rulebase):
    d = {"loudness.integrated_lufs": -8.0, "spectrum.bass_db": -0.5, "spectrum.low_mid_db": -5.0,
         "stereo.balance_db": 3.0, "artifacts.click_count": 9, "loudness.plr_db": 5.0,
         "loudness.crest_factor_db": 6.0}
    first = [x.model_dump() for x in run(rulebase, d).diagnoses]
    shuffled = list(rulebase.rules)
    random.Random(1).shuffle(shuffled)
    from expert.rules.loader import _order

    again = RuleBase(rules=_order(shuffled, []), problems=rulebase.problems,
                     findings=rulebase.findings)
    assert [x.model_dump() for x in run(again, d).diagnoses] == first


def test_select_and_ignore(rulebase):
    d = {"loudness.integrated_lufs": -8.0, "stereo.balance_db": 3.0}
    assert problems(run(rulebase, d, select=["ST"])) == ["lr_imbalance"]
    assert problems(run(rulebase, d, ignore=["ST004"])) == ["loudness_too_hot"]


def test_explanation_tree_renders_why_how(fixture_rulebase):
    result = run(fixture_rulebase, {"spectrum.bass_db": -0.5, "spectrum.low_mid_db": -12.0,
                                    "loudness.integrated_lufs": -13.2})
    console = Console(record=True, width=140)
    console.print(ReasoningView(result))
    text = console.export_text()
    assert "FX002 boomy" in text and "WHY" in text and "HOW" in text
    assert "finding.bass_heavy ← FX100" in text
    assert "spectrum.bass_db > max_bass_db → -0.5 > -3" in text  # HOW: FX100's premise
    assert "Near misses" in text and "FX001" in text
    assert "fails by 0.20" in text
    dumped = json.dumps(result.trace_dump())
    assert '"status": "fired"' in dumped


@pytest.mark.parametrize(("z", "expected"), [
    (0.0, 0.5), (1.0, 0.9772), (-1.0, 0.0228), (float("inf"), 1.0), (float("-inf"), 0.0)])
def test_margin_certainty_is_phi_of_two_z(z, expected):
    from expert.engine.certainty import margin_certainty

    assert margin_certainty(z) == pytest.approx(expected, abs=1e-4)


def test_the_builtin_rulebase_declares_noise_and_delivery_failures(rulebase):
    assert rulebase.noise["LUFS"] == 0.1 and rulebase.noise["dBTP"] == 0.2
    assert rulebase.delivery_failures == {"true_peak_over", "clipping"}


def test_an_unknown_delivery_failure_is_a_load_error(tmp_path):
    from expert.rules import load_rulebase

    bad = tmp_path / "r.yaml"
    bad.write_text("version: 1\ndelivery_failures: [true_peak_overr]\n")
    errors = load_rulebase([bad]).errors
    assert any("unknown problem 'true_peak_overr'" in e for e in errors)


def test_window_rule_within_noise_is_inconclusive():
    from pathlib import Path

    from expert.rules import load_rulebase
    from tests.rules.catalogue_fixture import CATALOGUE

    rb = load_rulebase([Path(__file__).parent / "noise_rules"], builtin=False,
                       catalogue=CATALOGUE)
    assert rb.errors == [] and rb.noise == {"LUFS": 0.1}

    def hot(level: float) -> list:
        result = run(rb, {"audio.duration_s": 8.0},
                     series={"loudness.short_term_lufs": [-14.0, level, level, -14.0, -14.0]})
        return [d for d in result.diagnoses if d.problem == "loudness_too_hot"]

    (near,) = hot(-9.95)  # 0.05 LU over the limit, inside the 0.1 LU noise
    assert near.inconclusive and near.severity == "info"
    assert near.time_ranges == [(1.0, 5.0)] and "0.1 LUFS noise" in near.explanation
    (far,) = hot(-8.0)
    assert not far.inconclusive and far.severity == "warning"
    assert hot(-10.05) == []  # 0.05 LU under: a near miss, not a diagnosis


WINDOW_FINDING_RULES = """
version: 1
findings:
  loud_passage: A passage much louder than the rest.
rules:
  - id: XX001
    concludes: loud_passage
    title: Loud windows
    category: loudness
    scope: window
    when: loudness.short_term_lufs > windows_max(loudness.short_term_lufs) - 2
    explanation: x
  - id: XX002
    problem: harsh
    title: Harsh in the loud passage
    category: tonal
    when: finding.loud_passage and spectrum.high_mid_db > -6
    explanation: x
"""


def test_a_track_rule_on_a_window_finding_keeps_its_time_ranges(tmp_path):
    from expert.rules import load_rulebase

    path = tmp_path / "r.yaml"
    path.write_text(WINDOW_FINDING_RULES, encoding="utf-8")
    rb = load_rulebase([path], builtin=False)
    assert rb.errors == []
    result = run(rb, {"spectrum.high_mid_db": -4.0},
                 series={"loudness.short_term_lufs": [-20, -20, -9, -8, -20, -20]})
    (harsh,) = result.diagnoses
    assert harsh.time_ranges == [(2.0, 6.0)]  # windows 2 and 3, each 3 s long


def test_why_not_gives_each_descriptor_a_condition_reads(tmp_path):
    from expert.rules import load_rulebase

    path = tmp_path / "r.yaml"
    path.write_text(WINDOW_FINDING_RULES.replace(
        "spectrum.high_mid_db > -6", "spectrum.high_mid_db - spectrum.mid_db > 6"), "utf-8")
    rb = load_rulebase([path], builtin=False)
    result = run(rb, {"spectrum.high_mid_db": -4.0, "spectrum.mid_db": -8.0},
                 series={"loudness.short_term_lufs": [-20, -9]})
    (condition,) = [c for c in result.traces["XX002"].conditions if c.operator == ">"]
    assert (condition.observed, condition.outcome) == (4.0, False)
    assert condition.measured == {"spectrum.high_mid_db": -4.0, "spectrum.mid_db": -8.0}
