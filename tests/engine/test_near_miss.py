"""The near-miss distance: how far a condition tree is from true, per window."""

from __future__ import annotations

import math

import numpy as np
import pytest

from expert.engine.near_miss import distance
from expert.rules.expr.parse import compile_expression
from tests.rules.test_expr import ENV, NAN, RESOLVER


def test_window_series_distance_elementwise():
    env = {**ENV, "loudness.integrated_lufs": np.array([-20.0, -10.0, NAN, -12.5])}
    expr = compile_expression("loudness.integrated_lufs > target.integrated_lufs + margin_lu "
                              "and not stereo.identical_channels", RESOLVER, want="bool")
    ctx = expr.evaluate(env, {"margin_lu": 1.0})
    d = distance(expr.root, ctx.rec)
    assert d[1] == 0.0 and d[0] == pytest.approx(7 / 6) and math.isnan(d[2])


@pytest.mark.parametrize(("when", "value", "expected"), [
    # docs/RULES.md: a level 0.6 dB short is 0.1 whatever its threshold; others relative.
    ("loudness.integrated_lufs > -14", -14.6, 0.1),
    ("loudness.integrated_lufs > -60", -60.6, 0.1),
    ("loudness.integrated_lufs > -14 and loudness.integrated_lufs > -13", -14.6, 0.1 + 1.6 / 6),
    ("loudness.integrated_lufs > -14 or loudness.integrated_lufs > -13", -14.6, 0.1),
])
def test_distance_is_as_documented(when, value, expected):
    expr = compile_expression(when, RESOLVER, want="bool")
    ctx = expr.evaluate({**ENV, "loudness.integrated_lufs": value}, {})
    assert float(distance(expr.root, ctx.rec)) == pytest.approx(expected)
