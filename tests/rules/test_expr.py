"""The expression language: evaluation, three-valued logic, windows, templates, limits."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from expert.rules.expr.nodes import NameInfo
from expert.rules.expr.parse import ExprError, Resolver, compile_expression
from expert.rules.expr.template import compile_template
from expert.rules.loader import name_table
from tests.rules.catalogue_fixture import CATALOGUE

NAN = math.nan
RESOLVER = Resolver(name_table(CATALOGUE, ["low_end_heavy"]),
                    {"margin_lu": NameInfo("threshold", "number", "LU")})
ENV = {"loudness.integrated_lufs": -8.0, "target.integrated_lufs": -14.0,
       "loudness.true_peak_dbtp": 0.5, "stereo.identical_channels": 0.0,
       "stereo.correlation": NAN, "profile.name": "spotify", "finding.low_end_heavy": 1.0}


def value(source: str, env: dict | None = None, want: str | None = None) -> object:
    expr = compile_expression(source, RESOLVER, want=want)  # type: ignore[arg-type]
    return expr.value(ENV if env is None else env, {"margin_lu": 1.0})


@pytest.mark.parametrize(("source", "expected"), [
    ("loudness.integrated_lufs > target.integrated_lufs + margin_lu", 1.0),
    ("loudness.integrated_lufs - target.integrated_lufs", 6.0),
    ("-loudness.integrated_lufs / 2", 4.0),
    ("abs(loudness.integrated_lufs)", 8.0),
    ("min(1, 2, -3)", -3.0),
    ("max(loudness.true_peak_dbtp, 0)", 0.5),
    ("clamp(12, -6, 6)", 6.0),
    ("round(from_db(6), 3)", 1.995),
    ("round(to_db(2), 2)", 6.02),
    ("round(q_from_octaves(1), 3)", 1.414),
    ("log2(1000 / 250)", 2.0),
    ("sqrt(16)", 4.0),
    ("default(stereo.correlation, 0.5)", 0.5),
    ("defined(stereo.correlation)", 0.0),
    ("profile.name in ['spotify', 'tidal']", 1.0),
    ("profile.name not in ['spotify']", 0.0),
    ("-20 < loudness.integrated_lufs < -5", 1.0),
    ("not stereo.identical_channels and finding.low_end_heavy", 1.0),
    ("true or false", 1.0),
])
def test_evaluates(source, expected):
    assert value(source) == pytest.approx(expected)


@pytest.mark.parametrize(("source", "expected"), [
    ("stereo.correlation < 0", "unknown"),
    ("stereo.correlation < 0 and loudness.integrated_lufs > -20", "unknown"),
    ("stereo.correlation < 0 and loudness.integrated_lufs < -20", 0.0),  # false wins in and
    ("stereo.correlation < 0 or loudness.integrated_lufs > -20", 1.0),   # true wins in or
    ("loudness.integrated_lufs / (loudness.true_peak_dbtp - 0.5) > 1", "unknown"),
    ("to_db(-1) > 0", "unknown"),
    ("sqrt(-1) > 0", "unknown"),
    ("from_db(100000) > 0", "unknown"),
])
def test_undefined_values_make_conditions_unknown(source, expected):
    result = value(source, want="bool")
    if expected == "unknown":
        assert math.isnan(result)  # type: ignore[arg-type]
    else:
        assert result == expected


def test_window_series_evaluate_elementwise():
    env = {**ENV, "loudness.integrated_lufs": np.array([-20.0, -10.0, NAN, -12.5])}
    expr = compile_expression("loudness.integrated_lufs > target.integrated_lufs + margin_lu "
                              "and not stereo.identical_channels", RESOLVER, want="bool")
    ctx = expr.evaluate(env, {"margin_lu": 1.0})
    np.testing.assert_array_equal(ctx.rec[-1], [0.0, 1.0, NAN, 1.0])


def test_conditions_record_observed_threshold_outcome():
    expr = compile_expression("loudness.integrated_lufs > target.integrated_lufs + margin_lu",
                              RESOLVER, want="bool")
    ctx = expr.evaluate(ENV, {"margin_lu": 1.0})
    assert ctx.rec[0] == (-8.0, -13.0, 1.0)
    assert [c.text for c in expr.conditions] == [
        "loudness.integrated_lufs > target.integrated_lufs + margin_lu"]


@pytest.mark.parametrize(("source", "fragment"), [
    ("1 +", "syntax error"),
    ("x > 1", "unknown threshold 'x'"),
    ("loudness.integrated_lufs = 1", "syntax error"),
    ("loudness.integrated_lufs", "must be true/false"),
    ("profile.name > 1", "type error"),
    ("profile.name == 1", "type error"),
    ("loudness.integrated_lufs in [1, 'a']", "must hold number constants"),
    ("profile.name in profile.kind", "'in' needs a list"),
    ("round(1, loudness.integrated_lufs) > 0", "constant number of digits"),
    ("abs(1, 2) > 0", "abs() takes 1 arguments"),
    ("max(x=1) > 0", "takes no keyword"),
    ("loudness.integrated_lufs is None", "'is' is not part"),
    ("f'{loudness}' == 'a'", "f-strings"),
    ("loudness.integrated_lufs if true else 1", "'if' is not part"),
    ("1e999 > 0", "number too large"),
    ("(" * 300 + "1" + ")" * 300 + " > 0", "nested"),
    ("1 + " * 450 + "1 > 0", "too complex"),
])
def test_refused(source, fragment):
    with pytest.raises(ExprError) as info:
        compile_expression(source, RESOLVER, want="bool")
    assert fragment in info.value.message


def test_template_renders_values_and_undefined():
    template = compile_template("{loudness.integrated_lufs:.1f} LUFS, corr {stereo.correlation}, "
                                "{loudness.integrated_lufs - target.integrated_lufs:+.1f} LU, "
                                "identical: {stereo.identical_channels}", RESOLVER)
    assert template.render(ENV, {}) == "-8.0 LUFS, corr n/a, +6.0 LU, identical: no"


@pytest.mark.parametrize("source", ["{loudness.integrated_lufs!r}", "{x.__class__}",
                                    "{loudness.integrated_lufs:>{9}}", "unbalanced }"])
def test_template_refuses(source):
    with pytest.raises(ExprError):
        compile_template(source, RESOLVER)


WINDOW_RESOLVER = Resolver(name_table(CATALOGUE, []), {}, window=True)


def window_value(source: str, env: dict) -> object:
    return compile_expression(source, WINDOW_RESOLVER).value(env, {})


@pytest.mark.parametrize(("source", "expected"), [
    ("where(loudness.integrated_lufs > -10, 1, 2)", 1.0),
    ("where(loudness.integrated_lufs < -10, 1, 2)", 2.0),
    ("where(stereo.correlation > 0, 1, 2)", NAN),  # unknown condition: undefined
])
def test_where_selects(source, expected):
    got = value(source)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected  # type: ignore[arg-type]


BANDS = {"stereo.side_to_mid_sub_db": -40.0, "stereo.side_to_mid_bass_db": -25.0,
         "stereo.side_to_mid_low_mid_db": -12.0, "stereo.side_to_mid_mid_db": -8.0,
         "stereo.side_to_mid_high_mid_db": -7.0, "stereo.side_to_mid_presence_db": -7.0,
         "stereo.side_to_mid_brilliance_db": -6.0}


@pytest.mark.parametrize(("source", "env", "expected"), [
    ('first_band_above("stereo.side_to_mid_*_db", -15)', BANDS, 250.0),
    ('first_band_above("stereo.side_to_mid_*_db", -50)', BANDS, 20.0),
    ('first_band_above("stereo.side_to_mid_*_db", 0)', BANDS, NAN),  # no band: undefined
    ('first_band_below("stereo.side_to_mid_*_db", -30)', BANDS, 20.0),
    # An undefined band before the first match might have been it: undefined.
    ('first_band_above("stereo.side_to_mid_*_db", -15)',
     {**BANDS, "stereo.side_to_mid_bass_db": NAN}, NAN),
    ('default(first_band_above("stereo.side_to_mid_*_db", 0), 20000)', BANDS, 20000.0),
])
def test_first_band(source, env, expected):
    got = value(source, env)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected  # type: ignore[arg-type]


def test_first_band_per_window():
    env = {"spectrum.sub_db": np.array([-30.0, -5.0]), "spectrum.bass_db": np.array([-3.0, -5.0]),
           **{f"spectrum.{b}_db": np.array([-20.0, -20.0])
              for b in ("low_mid", "mid", "high_mid", "presence", "brilliance")}}
    got = window_value('first_band_above("spectrum.*_db", -10)', env)
    np.testing.assert_array_equal(got, [60.0, 20.0])


def test_track_and_window_aggregates():
    series = np.array([-20.0, -9.0, NAN, -8.0])
    env = {"loudness.short_term_lufs": series, "spectrum.high_mid_db": np.array([-9., -2, -3, -1]),
           "@track:spectrum.high_mid_db": -7.0}
    assert window_value("track(spectrum.high_mid_db)", env) == -7.0
    assert window_value("windows_max(loudness.short_term_lufs)", env) == -8.0
    assert window_value("windows_min(loudness.short_term_lufs)", env) == -20.0
    assert window_value("windows_mean(loudness.short_term_lufs)", env) == pytest.approx(-37 / 3)
    assert window_value("windows_count(loudness.short_term_lufs > -10)", env) == 2.0
    assert window_value("windows_fraction(loudness.short_term_lufs > -10)", env) == \
        pytest.approx(2 / 3)
    np.testing.assert_array_equal(window_value(
        "loudness.short_term_lufs > windows_max(loudness.short_term_lufs) - 2", env),
        [0.0, 1.0, NAN, 1.0])


@pytest.mark.parametrize(("source", "window", "message"), [
    ("windows_max(spectrum.mid_db) > 1", False, "needs a rule with 'scope: window'"),
    ("track(loudness.short_term_lufs) > 1", True, "has no whole-track value"),
    ("track(1) > 1", True, "track() takes a descriptor name"),
    ('first_band_above("stereo.correlation", 0) > 1', False, "one '*' for the band"),
    ('first_band_above("stereo.nothing_*", 0) > 1', False, "unknown name 'stereo.nothing_sub'"),
    ("where(1, 2, 3) > 1", False, "type error: where() needs a condition"),
])
def test_new_functions_refuse_misuse(source, window, message):
    resolver = WINDOW_RESOLVER if window else Resolver(name_table(CATALOGUE, []), {})
    with pytest.raises(ExprError, match=re.escape(message)):
        compile_expression(source, resolver, want="bool")


def test_comparisons_that_only_compute_a_value_are_not_conditions():
    # WHY NOT lists the rule's conditions; the test inside where() only picks a value.
    expr = compile_expression("loudness.integrated_lufs > where(loudness.true_peak_dbtp > 0, "
                              "-10, -12) and windows_count(spectrum.mid_db > -3) >= 0",
                              WINDOW_RESOLVER, want="bool")
    assert [c.text for c in expr.conditions] == [
        "loudness.integrated_lufs > where(loudness.true_peak_dbtp > 0, -10, -12)",
        "windows_count(spectrum.mid_db > -3) >= 0"]
    assert expr.value(ENV, {}) == 1.0
