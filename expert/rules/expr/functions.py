"""The function table of the rule language and the call node that evaluates it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from expert.rules.expr.nodes import NAN, Context, Node, Type, is_series, is_unknown, numpy_module

# --------------------------------------------------------------------------------------
# Functions: pure, total (undefined input or domain error gives unknown, never raises)
# --------------------------------------------------------------------------------------


def _s_guard(f: Callable[..., float]) -> Callable[..., float]:
    def g(*args: float) -> float:
        if any(a != a for a in args):
            return NAN
        try:
            out = f(*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            return NAN
        return out if math.isfinite(out) else NAN

    return g


def _v_guard(name: str) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        np = numpy_module()
        arrays = [np.asarray(a, dtype=float) for a in args]
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(_VECTOR[name](np, *arrays), dtype=float)
        except (ValueError, OverflowError):  # e.g. round(x, 1e20): digits beyond a C long
            return np.full(np.broadcast(*arrays).shape, np.nan)
        return np.where(np.isfinite(out), out, np.nan)

    return g


def _q_from_octaves(n: float) -> float:
    # Bandwidth N octaves -> Q = sqrt(2^N) / (2^N - 1) (RBJ Audio EQ Cookbook).
    return math.sqrt(2.0**n) / (2.0**n - 1.0)


def _erb_hz(f_hz: float) -> float:
    # Equivalent rectangular bandwidth of the auditory filter at f: 24.7 (4.37 f/kHz + 1) Hz
    # (Glasberg & Moore, Hearing Research 47, 1990, eq. 3).
    return 24.7 * (4.37 * f_hz / 1000.0 + 1.0)


_SCALAR: dict[str, Callable[..., float]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "clamp": lambda x, lo, hi: min(max(x, lo), hi),
    "round": lambda x, n=0.0: float(round(x, int(n))),
    "to_db": lambda r: 20.0 * math.log10(r),
    "from_db": lambda d: 10.0 ** (d / 20.0),
    "log2": math.log2,
    "sqrt": math.sqrt,
    "q_from_octaves": _q_from_octaves,
    "erb_hz": _erb_hz,
}

_VECTOR: dict[str, Callable[..., Any]] = {
    "abs": lambda np, x: np.abs(x),
    "min": lambda np, *xs: np.minimum.reduce(np.broadcast_arrays(*xs)),
    "max": lambda np, *xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
    "clamp": lambda np, x, lo, hi: np.minimum(np.maximum(x, lo), hi),
    "round": lambda np, x, n=0.0: np.round(x, int(n)),
    "to_db": lambda np, r: 20.0 * np.log10(np.where(r > 0, r, np.nan)),
    "from_db": lambda np, d: 10.0 ** (d / 20.0),
    "log2": lambda np, x: np.log2(np.where(x > 0, x, np.nan)),
    "sqrt": lambda np, x: np.sqrt(np.where(x >= 0, x, np.nan)),
    "q_from_octaves": lambda np, n: np.sqrt(2.0**n) / (2.0**n - 1.0),
    "erb_hz": lambda np, f: _erb_hz(f),
}


@dataclass(frozen=True)
class Function:
    """A callable of the language: arity, result type and a one-line description."""

    name: str
    min_args: int
    max_args: int
    result: Type
    doc: str


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("abs", 1, 1, "number", "absolute value"),
        Function("min", 2, 8, "number", "smallest argument"),
        Function("max", 2, 8, "number", "largest argument"),
        Function("clamp", 3, 3, "number", "clamp(x, low, high): x limited to [low, high]"),
        Function("round", 1, 2, "number", "round(x, digits)"),
        Function("to_db", 1, 1, "number", "amplitude ratio -> dB (20*log10)"),
        Function("from_db", 1, 1, "number", "dB -> amplitude ratio (10^(dB/20))"),
        Function("log2", 1, 1, "number", "base-2 logarithm (octaves between two frequencies)"),
        Function("sqrt", 1, 1, "number", "square root"),
        Function("q_from_octaves", 1, 1, "number", "EQ quality factor of a bandwidth in octaves"),
        Function("erb_hz", 1, 1, "number",
                 "equivalent rectangular bandwidth of hearing at a frequency (Glasberg & Moore)"),
        Function("defined", 1, 1, "bool", "true when the value was measured (not undefined)"),
        Function("default", 2, 2, "number", "default(x, y): x when defined, else y"),
    )
}


class Call(Node):
    __slots__ = ("name", "args", "slot", "_fs", "_fv")

    def __init__(self, name: str, args: list[Node]) -> None:
        self.name, self.args = name, args
        self.type = FUNCTIONS[name].result
        self.unit = args[0].unit if args and name not in ("to_db", "from_db", "defined") else ""
        self.slot = -1
        if name in _SCALAR:
            self._fs, self._fv = _s_guard(_SCALAR[name]), _v_guard(name)

    @property
    def is_condition(self) -> bool:
        return self.name == "defined"

    def children(self) -> Sequence[Node]:
        return self.args

    def ev(self, ctx: Context) -> Any:
        values = [a.ev(ctx) for a in self.args]
        if self.name == "defined":
            x = values[0]
            if is_series(x):
                out = (~numpy_module().isnan(numpy_module().asarray(x, dtype=float))).astype(float)
            else:
                out = 0.0 if is_unknown(x) else 1.0
            ctx.rec[self.slot] = (x, None, out)
            return out
        if self.name == "default":
            x, y = values
            if is_series(x) or is_series(y):
                np = numpy_module()
                x = np.asarray(x, dtype=float)
                return np.where(np.isnan(x), y, x)
            return y if x != x else x
        if any(is_series(v) for v in values):
            return self._fv(*values)
        return self._fs(*values)
