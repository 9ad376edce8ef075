"""Descriptor values as the contract carries them: a number is a finite Python float or
None (undefined), never NaN or an infinity, so that JSON and the rules see one "unknown"."""

from __future__ import annotations

import math
from typing import SupportsFloat


def finite_or_none(value: SupportsFloat | None, *, ndigits: int | None = None) -> float | None:
    """``value`` as a Python float (numpy scalars too), rounded to ``ndigits`` decimals when
    given; None when it is None, NaN or infinite."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return number if ndigits is None else round(number, ndigits)


def number_or_none(value: object) -> float | None:
    """A descriptor value read as a number: a finite float, else None (undefined, text,
    lists, and true/false flags, which are no quantity)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite_or_none(value)
