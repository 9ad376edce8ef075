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
        Function("where", 3, 3, "number", "where(condition, a, b): a where the condition "
                 "holds, b where it is false, undefined where it is unknown"),
        Function("first_band_above", 2, 2, "number", "first_band_above(\"stereo."
                 "side_to_mid_*_db\", -15): lower edge (Hz) of the lowest named band whose "
                 "descriptor (the * filled with sub, bass, ... brilliance) exceeds the value"),
        Function("first_band_below", 2, 2, "number", "first_band_below(\"stereo."
                 "correlation_*\", 0.5): lower edge (Hz) of the lowest named band below it"),
        Function("track", 1, 1, "number", "track(x): in a window rule, the whole-track value "
                 "of a descriptor that also has a per-window series"),
        Function("windows_count", 1, 1, "number", "window rules: windows where it holds"),
        Function("windows_fraction", 1, 1, "number", "window rules: share (0-1) of the "
                 "defined windows where it holds"),
        Function("windows_mean", 1, 1, "number", "window rules: mean over the windows"),
        Function("windows_max", 1, 1, "number", "window rules: largest window value"),
        Function("windows_min", 1, 1, "number", "window rules: smallest window value"),
    )
}

#: In a window rule's fact base, the whole-track value of a series ``x`` is kept under
#: this prefix + ``x`` (``track(x)``); the prefix cannot be written in an expression.
TRACK_PREFIX = "@track:"
#: Functions that reduce a per-window series to one number (only in window rules).
WINDOW_AGGREGATES = ("windows_count", "windows_fraction", "windows_mean", "windows_max",
                     "windows_min")
#: Functions whose first argument is a condition.
CONDITION_ARGUMENT = ("defined", "where", "windows_count", "windows_fraction")


def _aggregate(name: str, x: Any) -> float:
    """One number from a per-window series (NaN = undefined window), or from a scalar (one
    window); undefined when no window is defined."""
    np = numpy_module()
    values = np.atleast_1d(np.asarray(x, dtype=float))
    defined = values[~np.isnan(values)]
    if name == "windows_count":
        return float(np.count_nonzero(defined == 1.0))
    if not defined.size:
        return NAN
    if name == "windows_fraction":
        return float(np.count_nonzero(defined == 1.0) / defined.size)
    return float({"windows_mean": np.mean, "windows_max": np.max,
                  "windows_min": np.min}[name](defined))


class Call(Node):
    __slots__ = ("name", "args", "slot", "_fs", "_fv")

    def __init__(self, name: str, args: list[Node]) -> None:
        self.name, self.args = name, args
        self.type = FUNCTIONS[name].result
        unit_from = {"where": 1}.get(name, 0)
        plain = ("to_db", "from_db", "defined", "windows_count", "windows_fraction")
        self.unit = args[unit_from].unit if args and name not in plain else ""
        self.slot = -1
        if name in _SCALAR:
            self._fs, self._fv = _s_guard(_SCALAR[name]), _v_guard(name)

    @property
    def is_condition(self) -> bool:
        return self.name == "defined"

    @property
    def hides_conditions(self) -> bool:
        return self.name in CONDITION_ARGUMENT and self.name != "defined"

    def children(self) -> Sequence[Node]:
        return self.args

    def ev(self, ctx: Context) -> Any:
        if self.name == "track":
            key = self.args[0].key  # type: ignore[attr-defined]
            held = ctx.env.get(TRACK_PREFIX + key)
            return self.args[0].ev(ctx) if held is None else held
        values = [a.ev(ctx) for a in self.args]
        if self.name in WINDOW_AGGREGATES:
            return _aggregate(self.name, values[0])
        if self.name == "where":
            c, a, b = values
            if is_series(c) or is_series(a) or is_series(b):
                np = numpy_module()
                c = np.asarray(c, dtype=float)
                return np.where(np.isnan(c), np.nan, np.where(c == 1.0, a, b))
            return NAN if c != c else (a if c == 1.0 else b)
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


class BandSelect(Node):
    """``first_band_above`` / ``first_band_below``: the lower edge (Hz) of the lowest named
    band whose descriptor lies beyond the threshold. Bands are tried from low to high; an
    undefined band before any match makes the result undefined (it might have been the
    first), and so does no match at all."""

    __slots__ = ("name", "bands", "edges_hz", "threshold", "above")

    def __init__(self, name: str, bands: list[Node], edges_hz: list[float], threshold: Node
                 ) -> None:
        self.name, self.bands, self.edges_hz, self.threshold = name, bands, edges_hz, threshold
        self.above = name == "first_band_above"
        self.unit = "Hz"

    def children(self) -> Sequence[Node]:
        return (*self.bands, self.threshold)

    def ev(self, ctx: Context) -> Any:
        values = [b.ev(ctx) for b in self.bands]
        limit = self.threshold.ev(ctx)
        np = numpy_module() if any(is_series(v) for v in (*values, limit)) else None
        if np is None:
            for value, edge in zip(values, self.edges_hz, strict=True):
                if value != value or limit != limit:
                    return NAN
                if (value > limit) if self.above else (value < limit):
                    return edge
            return NAN
        out: Any = None
        decided: Any = None
        for value, edge in zip(values, self.edges_hz, strict=True):
            v = np.asarray(value, dtype=float)
            with np.errstate(invalid="ignore"):
                hit = (v > limit) if self.above else (v < limit)
            if out is None:
                out = np.full(np.broadcast(v, limit).shape, np.nan)
                decided = np.zeros(out.shape, dtype=bool)
            unknown = np.isnan(v) | np.isnan(np.asarray(limit, dtype=float))
            out = np.where(~decided & ~unknown & hit, edge, out)
            decided = decided | unknown | hit
        return out
