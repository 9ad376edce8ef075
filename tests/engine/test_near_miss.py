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
    assert d[1] == 0.0 and d[0] == pytest.approx(7 / 13) and math.isnan(d[2])
