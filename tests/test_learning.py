"""The learner (expert.learning): percentiles, outliers, small samples, learned targets."""

from __future__ import annotations

import pytest

from expert.learning import learn_family, learned_profile, learned_targets, outliers, values_of
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
    # Five masters -10.0..-9.2 LUFS: their 95 % prediction bound, not pulled up by hot.wav
    # (-4 LUFS in the sample would put it above -7).
    loud = family.stats["loudness.integrated_lufs"]
    assert -9.2 < loud.p95 < -8.0 and loud.p5 < -10.0


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


def _normal_rows(n_sources: int, files_per_source: int) -> list[dict]:
    """Sources whose loudness follows a unit normal (its quantiles, so the sample is
    exact), each cut into ``files_per_source`` files with the same value."""
    from statistics import NormalDist

    values = [NormalDist().inv_cdf((i + 0.5) / n_sources) for i in range(n_sources)]
    return [{**_row(f"s{i}-{k}.wav", -14.0 + v), "source": f"s{i}"}
            for i, v in enumerate(values) for k in range(files_per_source)]


def _loudness_bounds(rows: list[dict]) -> tuple[float, float, float]:
    stat = learn_family(rows, "f", [r["source"] for r in rows])["stats"][
        "loudness.integrated_lufs"]
    return stat["p5"], stat["p50"], stat["p95"]


def test_bounds_are_where_a_new_source_falls_wider_for_fewer_sources():
    few_p5, few_p50, few_p95 = _loudness_bounds(_normal_rows(6, 1))
    many_p5, _, many_p95 = _loudness_bounds(_normal_rows(400, 1))
    # 400 sources: about the normal's own 5th/95th percentiles (+-1.645 sigma).
    assert many_p95 == pytest.approx(-14.0 + 1.645, abs=0.1)
    assert many_p5 == pytest.approx(-14.0 - 1.645, abs=0.1)
    # 6 sources: t(0.95, 5) sqrt(7/6) = 2.18 sample sigmas about the median, wider than
    # the 6 values' own interpolated percentiles (about +-1.1).
    assert few_p50 == pytest.approx(-14.0, abs=0.01)
    assert few_p95 - few_p50 > 1.645 and few_p50 - few_p5 > 1.645


def test_files_cut_from_one_master_count_once():
    one_each = _loudness_bounds(_normal_rows(8, 1))
    three_each = _loudness_bounds(_normal_rows(8, 3))
    assert three_each == pytest.approx(one_each, abs=0.01)
