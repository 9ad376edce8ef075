"""``features.base.running``: the running extreme equals its definition, window by window."""

from __future__ import annotations

import numpy as np
import pytest

from expert.features.base import running


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 7, 8, 9, 16, 24, 25, 33])
def test_running_extreme_is_the_extreme_of_each_window(ufunc: np.ufunc, width: int) -> None:
    rng = np.random.default_rng(width)
    x = rng.standard_normal((2, 3, 50))
    for before in sorted({0, (width - 1) // 2, width - 1}):
        # Window of sample i: i - before .. i - before + width - 1, edges repeated.
        index = np.clip(np.arange(50)[:, None] - before + np.arange(width), 0, 49)
        expected = ufunc.reduce(x[..., index], axis=-1)
        assert np.array_equal(running(ufunc, x, width, before), expected)
