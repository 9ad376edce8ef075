"""The learner (expert.learning): percentiles, outliers, small samples, learned targets."""

from __future__ import annotations

import pytest

from expert.learning import learned_profile, learned_targets, outliers, values_of
from expert.rules.profiles import learning_settings

SPEC = learning_settings()


def _row(name: str, lufs: float, bass_db: float = -4.0) -> dict:
    descriptors = {"loudness.integrated_lufs": lufs, "loudness.plr_db": 10.0,
                   "loudness.range_lu": 5.0, "spectrum.bass_db": bass_db,
                   "spectrum.mid_db": -10.0, "stereo.width_pct": 20.0,
                   "loudness.true_peak_dbtp": -1.5}
    return {"name": name, "values": values_of(descriptors), "third": [-20.0, -25.0],
            "centers": [100.0, 1000.0]}


def test_a_track_6_lu_hotter_is_an_outlier_and_named():
    rows = [_row(f"t{i}.wav", -10.0 + 0.1 * i) for i in range(5)] + [_row("hot.wav", -4.0)]
    found = outliers(rows, SPEC)
    assert [(o.file, o.entry) for o in found] == [("hot.wav", "loudness.integrated_lufs")]
    assert found[0].deviation == pytest.approx(5.75)  # from the median of all six, -9.75


def test_near_identical_masters_have_no_outlier_however_small_the_spread():
    # MAD 0: every difference is "far" in z, but 0.5 LU is not a meaningful one.
    rows = [_row(f"t{i}.wav", -10.0) for i in range(4)] + [_row("x.wav", -10.5)]
    assert outliers(rows, SPEC) == []


def test_learned_profile_leaves_the_outlier_out_and_says_the_sample_is_small():
    rows = [_row(f"t{i}.wav", -10.0 + 0.2 * i) for i in range(5)] + [_row("hot.wav", -4.0)]
    spec_file = learned_profile(rows, "mine", "masters", SPEC, date="2026-01-01T00:00:00+00:00",
                                tool_version="0", rulebase_version="x")
    learned = spec_file.learned
    assert learned is not None and learned.small_sample and learned.n_files == 5
    assert learned.files == [f"t{i}.wav" for i in range(5)]
    assert [o.file for o in learned.outliers] == ["hot.wav"]
    (profile,) = spec_file.profiles
    assert profile.kind == "master" and profile.family == "mine"
    assert profile.targets.integrated_lufs == pytest.approx(-9.6)  # hot.wav not averaged in
    assert "small sample" in profile.notes and "hot.wav" in profile.notes
    family = spec_file.envelopes.families["mine"]
    assert family.stats["loudness.integrated_lufs"].p95 < -9.0


def test_ten_files_are_not_a_small_sample():
    rows = [_row(f"t{i}.wav", -10.0 + 0.1 * i) for i in range(SPEC.min_files)]
    spec_file = learned_profile(rows, "mine", "m", SPEC, date="d", tool_version="0",
                                rulebase_version="x")
    assert spec_file.learned is not None and not spec_file.learned.small_sample


def test_learned_targets_take_tolerance_floors_and_the_delivery_ceiling():
    stats = {"loudness.integrated_lufs": {"n": 5, "p5": -10.2, "p50": -10.0, "p95": -9.9},
             "loudness.plr_db": {"n": 5, "p5": 8.0, "p50": 9.0, "p95": 10.0},
             "spectrum.bass_db": {"n": 5, "p5": -9.0, "p50": -4.0, "p95": -3.0}}
    t = learned_targets(stats, SPEC)
    assert t.integrated_lufs == -10.0
    assert t.integrated_tolerance_lu == SPEC.loudness_tolerance_min_lu  # spread 0.2 < floor
    assert t.turn_down_warning_db == SPEC.loudness_tolerance_min_lu + SPEC.warning_margin_lu
    assert t.plr_min_db == 8.0 and t.bass_db == -4.0
    assert t.tonal_tolerance_db == 5.0  # the bass band's larger half-range
    assert t.true_peak_dbtp == SPEC.true_peak_dbtp
