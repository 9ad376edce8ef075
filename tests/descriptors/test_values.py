"""finite_or_none: the one conversion of a measured number into the contract's float-or-None."""

from __future__ import annotations

import math

import numpy as np
import pytest

from expert.descriptors.values import finite_or_none


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, np.float32("nan")])
def test_undefined_values_become_none(value: object) -> None:
    assert finite_or_none(value) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [
    (-14.25, -14.25), (3, 3.0), (np.float32(0.5), 0.5), (np.int64(7), 7.0)])
def test_numbers_become_python_floats(value: object, expected: float) -> None:
    result = finite_or_none(value)  # type: ignore[arg-type]
    assert type(result) is float and result == expected


def test_rounding_is_applied_only_when_asked() -> None:
    assert finite_or_none(1.23456789) == 1.23456789
    assert finite_or_none(1.23456789, ndigits=4) == 1.2346
    assert finite_or_none(math.nan, ndigits=4) is None
