"""The rule expression language: parsed with a strict whitelist, evaluated by our own nodes.

An expression such as ``loudness.integrated_lufs > target.integrated_lufs + margin_lu`` is
parsed with Python's ``ast`` (syntax only) and translated node by node into the small node
types below; anything outside the whitelist is refused with its column. Nothing in a rule
can execute code: values are only numbers, true/false and text, a dotted name is a *key*
looked up in the fact base (never ``getattr``), only the pure functions in ``FUNCTIONS`` can
be called, there are no loops, and the length of an expression is bounded.

Three-valued logic. A descriptor that is undefined (``None``, e.g. stereo width of a mono
file) makes every comparison that uses it *unknown*; ``and`` is false when any part is false,
unknown when any part is unknown, true otherwise; ``or`` is the dual. A rule fires only when
its condition is true, so unknown means "not applicable", never an exception. Internally a
number or truth value is a float (truth: 1.0 / 0.0, unknown: NaN) or, in window scope, a
numpy array of such floats with one element per analysis window; text is ``str`` or None.
numpy is imported only when a window series is evaluated, so loading and validating rules
stays light.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

MAX_EXPRESSION_CHARS = 2000
MAX_NODES = 400
NAN = math.nan

Type = Literal["number", "bool", "string", "list"]
NameKind = Literal["descriptor", "target", "finding", "threshold", "profile"]

#: Units whose values are logarithmic levels: a near miss is judged against 6 dB.
_LEVEL_UNITS = {"LUFS", "LU", "dB", "dBTP", "dBFS", "dB/oct"}
_LEVEL_SCALE_DB = 6.0


class ExprError(Exception):
    """An expression is invalid; ``line``/``col`` are 1-based within the expression text."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass(frozen=True)
class NameInfo:
    """What a dotted name refers to: its kind, value type, unit and where it is measured."""

    kind: NameKind
    type: Type
    unit: str = ""
    scope: str = "track"  # track | window | both


def _np() -> Any:
    import numpy

    return numpy


def _vec(x: Any) -> bool:
    return type(x) is not float and type(x) is not str and x is not None


def is_unknown(x: Any) -> bool:
    """True for an undefined scalar (NaN or None)."""
    return x is None or (type(x) is float and x != x)


# --------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------


class Node:
    """Base of the expression nodes; ``text`` is the source, ``line``/``col`` its position."""

    __slots__ = ("type", "span", "line", "col", "unit")

    type: Type
    unit: str
    span: tuple[bytes, int, int]  # (UTF-8 source, start, end): text is decoded on demand

    @property
    def text(self) -> str:
        data, start, end = self.span
        return data[start:end].decode("utf-8")

    def ev(self, ctx: Context) -> Any:
        raise NotImplementedError

    @property
    def is_condition(self) -> bool:
        """True for a condition of its own: it records (observed, threshold, outcome)."""
        return False

    def children(self) -> Sequence[Node]:
        return ()

    def walk(self) -> Any:
        yield self
        for child in self.children():
            yield from child.walk()


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, value: float | str) -> None:
        self.value = value
        self.unit = ""

    def ev(self, ctx: Context) -> Any:
        return self.value


class ListLit(Node):
    __slots__ = ("items",)

    def __init__(self, items: tuple[float | str, ...]) -> None:
        self.items = items
        self.unit = ""


class Name(Node):
    __slots__ = ("key", "info", "slot")

    def __init__(self, key: str, info: NameInfo) -> None:
        self.key = key
        self.info = info
        self.unit = info.unit
        self.slot = -1  # set for true/false names, which are conditions of their own

    @property
    def is_condition(self) -> bool:
        return self.type == "bool"

    def ev(self, ctx: Context) -> Any:
        if self.info.kind == "threshold":
            value = ctx.thresholds.get(self.key, NAN)
        else:
            value = ctx.env.get(self.key, None if self.type == "string" else NAN)
        if self.slot >= 0:
            ctx.rec[self.slot] = (value, None, value)
        return value


class Neg(Node):
    __slots__ = ("x",)

    def __init__(self, x: Node) -> None:
        self.x = x
        self.unit = x.unit

    def children(self) -> Sequence[Node]:
        return (self.x,)

    def ev(self, ctx: Context) -> Any:
        return -self.x.ev(ctx)


def _div_scalar(a: float, b: float) -> float:
    return a / b if b != 0.0 else NAN


def _div_vector(a: Any, b: Any) -> Any:
    np = _np()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(np.asarray(b) == 0.0, np.nan, out)


_ARITH: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = {
    "+": (operator.add, operator.add),
    "-": (operator.sub, operator.sub),
    "*": (operator.mul, operator.mul),
    "/": (_div_scalar, _div_vector),
}


class Arith(Node):
    __slots__ = ("op", "left", "right", "_fs", "_fv")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op, self.left, self.right = op, left, right
        self._fs, self._fv = _ARITH[op]
        self.unit = left.unit or right.unit

    def children(self) -> Sequence[Node]:
        return (self.left, self.right)

    def ev(self, ctx: Context) -> Any:
        a, b = self.left.ev(ctx), self.right.ev(ctx)
        if type(a) is float and type(b) is float:
            try:
                return self._fs(a, b)
            except OverflowError:
                return NAN
        np = _np()
        with np.errstate(over="ignore", invalid="ignore"):
            return self._fv(a, b)


_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}


class Compare(Node):
    """One condition: ``left op right``. Records observed value, threshold and outcome."""

    __slots__ = ("op", "left", "right", "slot", "_f")

    def __init__(self, op: str, left: Node, right: Node) -> None:
        self.op, self.left, self.right = op, left, right
        self._f = _CMP.get(op)
        self.unit = left.unit or right.unit
        self.slot = -1

    @property
    def is_condition(self) -> bool:
        return True

    def children(self) -> Sequence[Node]:
        return (self.left, self.right)

    def ev(self, ctx: Context) -> Any:
        a = self.left.ev(ctx)
        if self.op in ("in", "not in"):
            r = _member(a, self.right, self.op == "not in")
            b: Any = None
        else:
            b = self.right.ev(ctx)
            r = _compare(self._f, a, b)
        ctx.rec[self.slot] = (a, b, r)
        return r


def _compare(f: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if not _vec(a) and not _vec(b):
        if is_unknown(a) or is_unknown(b):
            return NAN
        return 1.0 if f(a, b) else 0.0
    np = _np()
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(a) | np.isnan(b), np.nan, f(a, b).astype(float))


def _member(a: Any, items: Node, negate: bool) -> Any:
    values = items.items if isinstance(items, ListLit) else ()
    if not _vec(a):
        if is_unknown(a):
            return NAN
        return 1.0 if (a in values) != negate else 0.0
    np = _np()
    a = np.asarray(a, dtype=float)
    hit = np.isin(a, np.asarray(values, dtype=float)) != negate
    return np.where(np.isnan(a), np.nan, hit.astype(float))


class _Junction(Node):
    """Three-valued ``and`` / ``or``: ``absorbing`` (0 for and, 1 for or) decides alone."""

    __slots__ = ("items",)
    absorbing: float

    def __init__(self, items: list[Node]) -> None:
        self.items = items
        self.unit = ""

    def children(self) -> Sequence[Node]:
        return self.items

    def ev(self, ctx: Context) -> Any:
        # Every part is evaluated (no short cut) so that WHY NOT can show all of them.
        values = [item.ev(ctx) for item in self.items]
        if not any(_vec(v) for v in values):
            if self.absorbing in values:
                return self.absorbing
            return NAN if any(v != v for v in values) else 1.0 - self.absorbing
        np = _np()
        out = np.asarray(values[0], dtype=float)
        for v in values[1:]:
            v = np.asarray(v, dtype=float)
            # Absorbing where either side is; otherwise 1/0 combine and NaN propagates.
            out = np.where((out == self.absorbing) | (v == self.absorbing), self.absorbing,
                           np.maximum(out, v))
        return out


class And(_Junction):
    __slots__ = ()
    absorbing = 0.0


class Or(_Junction):
    __slots__ = ()
    absorbing = 1.0


class Not(Node):
    __slots__ = ("x",)

    def __init__(self, x: Node) -> None:
        self.x = x
        self.unit = ""

    def children(self) -> Sequence[Node]:
        return (self.x,)

    def ev(self, ctx: Context) -> Any:
        return 1.0 - self.x.ev(ctx)


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
        np = _np()
        arrays = [np.asarray(a, dtype=float) for a in args]
        with np.errstate(all="ignore"):
            out = np.asarray(_VECTOR[name](np, *arrays), dtype=float)
        return np.where(np.isfinite(out), out, np.nan)

    return g


def _q_from_octaves(n: float) -> float:
    # Bandwidth N octaves -> Q = sqrt(2^N) / (2^N - 1) (RBJ Audio EQ Cookbook).
    return math.sqrt(2.0**n) / (2.0**n - 1.0)


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
            if _vec(x):
                out = (~_np().isnan(_np().asarray(x, dtype=float))).astype(float)
            else:
                out = 0.0 if is_unknown(x) else 1.0
            ctx.rec[self.slot] = (x, None, out)
            return out
        if self.name == "default":
            x, y = values
            if _vec(x) or _vec(y):
                np = _np()
                x = np.asarray(x, dtype=float)
                return np.where(np.isnan(x), y, x)
            return y if x != x else x
        if any(_vec(v) for v in values):
            return self._fv(*values)
        return self._fs(*values)


# --------------------------------------------------------------------------------------
# Context and compiled expressions
# --------------------------------------------------------------------------------------


@dataclass
class Context:
    """Evaluation state: the fact base, the rule's thresholds and the condition records.

    ``rec[slot]`` = (observed, threshold, outcome) for each condition of the expression.
    """

    env: Mapping[str, Any]
    thresholds: Mapping[str, float]
    rec: list[Any]


class Expression:
    """A compiled, type-checked expression."""

    __slots__ = ("source", "root", "conditions", "names", "finding_names", "condition_descriptors")

    def __init__(self, source: str, root: Node) -> None:
        self.source = source
        self.root = root
        self.conditions: list[Node] = []
        self.names: dict[str, NameInfo] = {}
        for node in root.walk():
            if isinstance(node, Name):
                self.names[node.key] = node.info
            if node.is_condition:
                node.slot = len(self.conditions)  # type: ignore[attr-defined]
                self.conditions.append(node)
        self.finding_names = {k.split(".", 1)[1] for k, i in self.names.items()
                              if i.kind == "finding"}
        #: For each condition, the descriptor names it reads (the evidence it can give).
        self.condition_descriptors: list[list[Name]] = [
            [n for n in c.walk() if isinstance(n, Name) and n.info.kind == "descriptor"]
            for c in self.conditions]

    @property
    def type(self) -> Type:
        return self.root.type

    def findings(self) -> set[str]:
        """Names of the findings (``finding.x``) the expression uses, without the prefix."""
        return self.finding_names

    def evaluate(self, env: Mapping[str, Any], thresholds: Mapping[str, float]) -> Context:
        """Evaluate; the result is ``ctx.rec`` plus the returned value in ``ctx.rec[-1]``."""
        ctx = Context(env, thresholds, [None] * (len(self.conditions) + 1))
        ctx.rec[-1] = self.root.ev(ctx)
        return ctx

    def value(self, env: Mapping[str, Any], thresholds: Mapping[str, float]) -> Any:
        return self.evaluate(env, thresholds).rec[-1]


def shortfall(node: Node, record: Any) -> Any:
    """How far a condition is from true, normalised (0 = true; inf = cannot be near).

    For ``a > b`` the shortfall is ``|a - b| / scale`` where scale is 6 dB for level units
    and ``max(|b|, 1)`` otherwise (relative for Hz and counts). Unknown gives NaN.
    Works on scalars and on per-window arrays.
    """
    observed, threshold, outcome = record
    np = _np()
    outcome = np.asarray(outcome, dtype=float)
    if isinstance(node, Compare) and node.op in ("<", "<=", ">", ">=", "==", "!="):
        a = np.asarray(observed, dtype=float)
        b = np.asarray(threshold, dtype=float)
        if node.unit in _LEVEL_UNITS:
            scale = np.maximum(np.abs(b), _LEVEL_SCALE_DB)
        else:
            scale = np.maximum(np.abs(b), 1.0)
        with np.errstate(invalid="ignore"):
            gap = np.abs(a - b) / scale
        if node.op == "!=":
            gap = np.full_like(gap, np.inf)
        return np.where(outcome == 1.0, 0.0, np.where(np.isnan(outcome), np.nan, gap))
    return np.where(outcome == 1.0, 0.0, np.where(np.isnan(outcome), np.nan, np.inf))


def distance(node: Node, recs: list[Any]) -> Any:
    """Shortfall of a whole condition tree: sum over ``and``, min over ``or``."""
    np = _np()
    if getattr(node, "slot", -1) >= 0 and node.is_condition:
        return shortfall(node, recs[node.slot])  # type: ignore[attr-defined]
    if isinstance(node, And):
        parts = [distance(n, recs) for n in node.items]
        return np.sum(np.broadcast_arrays(*parts), axis=0)
    if isinstance(node, Or):
        parts = [distance(n, recs) for n in node.items]
        return np.min(np.broadcast_arrays(*parts), axis=0)
    if isinstance(node, Not):
        inner = distance(node.x, recs)
        return np.where(np.isnan(inner), np.nan, np.where(inner == 0.0, np.inf, 0.0))
    return np.asarray(np.inf)


# --------------------------------------------------------------------------------------
# Translation from Python's ast, with type checking
# --------------------------------------------------------------------------------------


class Resolver:
    """Maps names to ``NameInfo``; the loader gives one per rule (its thresholds, scope)."""

    def __init__(
        self,
        names: Mapping[str, NameInfo],
        thresholds: Mapping[str, NameInfo] | None = None,
        *,
        window: bool = False,
    ) -> None:
        self.names = names
        self.thresholds = thresholds or {}
        self.window = window

    def resolve(self, key: str) -> NameInfo:
        info = self.thresholds.get(key) if "." not in key else self.names.get(key)
        if info is None:
            raise ExprError(self._unknown(key))
        if info.kind == "descriptor" and info.scope == "window" and not self.window:
            raise ExprError(f"{key!r} is only measured per window; use it in a rule with "
                            "'scope: window'")
        return info

    def _unknown(self, key: str) -> str:
        pool = list(self.thresholds) if "." not in key else list(self.names)
        if "." not in key:
            pool += [n for n in self.names if n.endswith("." + key)]
        prefix = key.split(".", 1)[0] + "."
        same = [n for n in pool if n.startswith(prefix)]
        close = (difflib.get_close_matches(key, same, n=1, cutoff=0.6)
                 or difflib.get_close_matches(key, pool, n=1, cutoff=0.6))
        hint = f"; did you mean {close[0]!r}?" if close else ""
        what = "threshold" if "." not in key else "name"
        if not close and prefix not in ("target.", "finding.", "profile."):
            hint = " (not in the descriptor catalogue; see 'mixexpert descriptors')"
        if "." not in key and not close:
            hint = ("; declare it under 'thresholds:' or use a dotted descriptor, target or "
                    "finding name")
        return f"unknown {what} {key!r}{hint}"


_CMP_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}
_ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_WORDS = {"true": 1.0, "false": 0.0, "True": 1.0, "False": 0.0}


class _Translator:
    def __init__(self, source: str, resolver: Resolver) -> None:
        self.source = source
        self.resolver = resolver
        self.count = 0
        # ast offsets are UTF-8 byte columns; precompute line starts once (fast segments).
        self.data = source.encode("utf-8")
        self.starts = [0]
        for line in self.data.split(b"\n")[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def span(self, a: ast.AST) -> tuple[bytes, int, int]:
        """Where a node's text is (ast.get_source_segment re-splits the text on each call)."""
        start = self.starts[a.lineno - 1] + a.col_offset  # type: ignore[attr-defined]
        end = self.starts[a.end_lineno - 1] + a.end_col_offset  # type: ignore[attr-defined]
        return self.data, start, end

    def fail(self, node: ast.AST, message: str) -> ExprError:
        return ExprError(message, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)

    def node(self, a: ast.AST) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(a, f"expression is too complex (more than {MAX_NODES} parts); "
                               "split it into a derived finding")
        out = self._node(a)
        out.span = self.span(a)
        out.line = getattr(a, "lineno", 1)
        out.col = getattr(a, "col_offset", 0) + 1
        return out

    def _node(self, a: ast.AST) -> Node:
        if isinstance(a, ast.Constant):
            return self.constant(a)
        if isinstance(a, ast.Name | ast.Attribute):
            return self.name(a)
        if isinstance(a, ast.UnaryOp):
            x = self.node(a.operand)
            if isinstance(a.op, ast.Not):
                self.need(a.operand, x, "bool", "'not'")
                return _typed(Not(x), "bool")
            if isinstance(a.op, ast.USub | ast.UAdd):
                self.need(a.operand, x, "number", "a sign")
                return _typed(Neg(x), "number") if isinstance(a.op, ast.USub) else x
            raise self.fail(a, "the operator '~' is not part of the rule language")
        if isinstance(a, ast.BinOp):
            op = _ARITH_OPS.get(type(a.op))
            if op is None:
                hint = " (use from_db()/to_db() for powers)" if isinstance(a.op, ast.Pow) else ""
                symbol = {ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@",
                          ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&",
                          ast.BitXor: "^"}.get(type(a.op), "?")
                raise self.fail(a, f"operator {symbol!r} is not part of the rule language{hint}")
            left, right = self.node(a.left), self.node(a.right)
            self.need(a.left, left, "number", f"'{op}'")
            self.need(a.right, right, "number", f"'{op}'")
            if op == "/" and _constant(right) == 0.0:
                raise self.fail(a.right, "division by zero")
            return _typed(Arith(op, left, right), "number")
        if isinstance(a, ast.BoolOp):
            items = [self.node(v) for v in a.values]
            word = "and" if isinstance(a.op, ast.And) else "or"
            for v, item in zip(a.values, items, strict=True):
                self.need(v, item, "bool", f"'{word}'")
            return _typed(And(items) if word == "and" else Or(items), "bool")
        if isinstance(a, ast.Compare):
            return self.compare(a)
        if isinstance(a, ast.Call):
            return self.call(a)
        if isinstance(a, ast.List | ast.Tuple | ast.Set):
            raise self.fail(a, "a list is only allowed after 'in' / 'not in'")
        kind = {ast.Subscript: "indexing ([...])", ast.Lambda: "lambda", ast.IfExp: "'if'",
                ast.JoinedStr: "f-strings", ast.NamedExpr: "':='",
                ast.Dict: "dictionaries"}.get(type(a), type(a).__name__)
        raise self.fail(a, f"{kind} is not part of the rule language")

    def need(self, a: ast.AST, node: Node, want: Type, where: str) -> None:
        if node.type != want:
            article = {"bool": "a condition (true/false)", "number": "a number",
                       "string": "text", "list": "a list"}
            raise self.fail(a, f"type error: {where} needs {article[want]}, but "
                               f"{node.text or 'this'!s} is {article[node.type]}")

    def constant(self, a: ast.Constant) -> Node:
        v = a.value
        if isinstance(v, bool):
            return _typed(Const(1.0 if v else 0.0), "bool")
        if isinstance(v, int | float):
            try:
                f = float(v)
            except OverflowError:
                raise self.fail(a, "number too large") from None
            if not math.isfinite(f):
                raise self.fail(a, "number too large")
            return _typed(Const(f), "number")
        if isinstance(v, str):
            return _typed(Const(v), "string")
        raise self.fail(a, f"{type(v).__name__} constants are not part of the rule language")

    def name(self, a: ast.AST) -> Node:
        parts: list[str] = []
        cur = a
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name):
            raise self.fail(a, "attribute access is only allowed in dotted names such as "
                               "'loudness.integrated_lufs'")
        parts.append(cur.id)
        key = ".".join(reversed(parts))
        if any(p.startswith("_") for p in parts):
            raise self.fail(a, f"names starting with '_' are not allowed: {key!r}")
        if key in _WORDS:
            return _typed(Const(_WORDS[key]), "bool")
        try:
            info = self.resolver.resolve(key)
        except ExprError as exc:
            raise self.fail(a, exc.message) from None
        if info.type == "list":
            raise self.fail(a, f"{key!r} is a list of values and cannot be used in an "
                               "expression")
        return _typed(Name(key, info), info.type)

    def compare(self, a: ast.Compare) -> Node:
        nodes = [self.node(a.left)]
        asts: list[ast.AST] = [a.left]
        parts: list[Node] = []
        for op_ast, right_ast in zip(a.ops, a.comparators, strict=True):
            op = _CMP_OPS[type(op_ast)] if type(op_ast) in _CMP_OPS else None
            if op is None:
                raise self.fail(a, "'is' is not part of the rule language; use == or !=")
            left, left_ast = nodes[-1], asts[-1]
            if op in ("in", "not in"):
                right = self.member_list(right_ast, left, left_ast)
            else:
                right = self.node(right_ast)
                if op in ("==", "!="):
                    if left.type != right.type:
                        raise self.fail(right_ast, f"type error: cannot compare {left.type} "
                                                   f"{left.text!r} with {right.type} "
                                                   f"{right.text!r}")
                else:
                    self.need(left_ast, left, "number", f"'{op}'")
                    self.need(right_ast, right, "number", f"'{op}'")
            cmp = _typed(Compare(op, left, right), "bool")
            cmp.span = (left.span[0], left.span[1], right.span[2])
            cmp.line, cmp.col = left.line, left.col
            parts.append(cmp)
            nodes.append(right)
            asts.append(right_ast)
        if len(parts) == 1:
            return parts[0]
        return _typed(And(parts), "bool")

    def member_list(self, a: ast.AST, left: Node, left_ast: ast.AST) -> Node:
        if not isinstance(a, ast.List | ast.Tuple | ast.Set):
            raise self.fail(a, "'in' needs a list of constants, e.g. x in [\"pop\", \"rock\"]")
        if left.type not in ("number", "string"):
            raise self.fail(left_ast, "type error: 'in' needs a number or text on its left")
        items: list[float | str] = []
        for elt in a.elts:
            node = self.node(elt)
            if not isinstance(node, Const) or node.type != left.type:
                raise self.fail(elt, f"the list after 'in' must hold {left.type} constants")
            items.append(node.value)
        out = _typed(ListLit(tuple(items)), "list")
        out.span = self.span(a)
        out.line, out.col = a.lineno, a.col_offset + 1
        return out

    def call(self, a: ast.Call) -> Node:
        if not isinstance(a.func, ast.Name):
            for sub in ast.walk(a.func):
                ident = getattr(sub, "id", None) or getattr(sub, "attr", None)
                if isinstance(ident, str) and ident.startswith("_"):
                    raise self.fail(sub, f"names starting with '_' are not allowed: {ident!r}")
            if not isinstance(a.func, ast.Attribute):
                self.node(a.func)  # reports what the callee is, e.g. a lambda
            raise self.fail(a, "only the functions " + ", ".join(FUNCTIONS) + " can be called")
        name = a.func.id
        if name.startswith("_"):
            raise self.fail(a, f"names starting with '_' are not allowed: {name!r}")
        fn = FUNCTIONS.get(name)
        if fn is None:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(FUNCTIONS)}"
            raise self.fail(a, f"unknown function {name!r}{hint}")
        if a.keywords:
            raise self.fail(a, f"{name}() takes no keyword arguments")
        if not fn.min_args <= len(a.args) <= fn.max_args:
            count = (str(fn.min_args) if fn.min_args == fn.max_args
                     else f"{fn.min_args} to {fn.max_args}")
            raise self.fail(a, f"{name}() takes {count} arguments, got {len(a.args)}")
        args = [self.node(x) for x in a.args]
        if name != "defined":
            for x, node in zip(a.args, args, strict=True):
                self.need(x, node, "number", f"{name}()")
        if name == "round" and len(args) == 2 and _constant(args[1]) is None:
            raise self.fail(a.args[1], "round() needs a constant number of digits")
        return _typed(Call(name, args), fn.result)


def _typed(node: Node, t: Type) -> Node:
    node.type = t
    return node


def _constant(node: Node) -> float | str | None:
    """The value of an expression without names (constant folding), else None."""
    if any(isinstance(n, Name) for n in node.walk()):
        return None
    # Conditions not yet numbered have slot -1 and record into rec[-1], which is harmless.
    value = node.ev(Context({}, {}, [None]))
    return value


def compile_expression(source: Any, resolver: Resolver, *, want: Type | None = None) -> Expression:
    """Parse and type-check ``source``; raise ``ExprError`` with its position."""
    if isinstance(source, bool) and want == "bool":
        source = "true" if source else "false"
    elif isinstance(source, int | float) and not isinstance(source, bool):
        source = repr(source)
    if not isinstance(source, str):
        raise ExprError(f"expected an expression (text), got {type(source).__name__}")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExprError(f"expression is {len(source)} characters long; the limit is "
                        f"{MAX_EXPRESSION_CHARS} (split it into derived findings)")
    if not source.strip():
        raise ExprError("empty expression")
    text = source.strip()
    if "\n" in text:  # YAML block scalars: let the expression span lines
        text = "(" + text + ")"
        shift = 1
    else:
        shift = 0
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = max((exc.offset or 1) - (shift if exc.lineno == 1 else 0), 1)
        raise ExprError(f"syntax error: {exc.msg}", exc.lineno or 1, col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expression is nested too deeply") from None
    translator = _Translator(text, resolver)
    try:
        root = translator.node(tree.body)
    except ExprError as exc:
        if exc.line == 1:
            exc.col = max(exc.col - shift, 1)
        raise
    except RecursionError:
        raise ExprError("expression is nested too deeply") from None
    if want is not None and root.type != want:
        if want == "bool":
            raise ExprError(f"type error: a condition must be true/false, but {text!r} is "
                            f"{'a number' if root.type == 'number' else root.type}")
        raise ExprError(f"type error: expected {want}, got {root.type}")
    return Expression(text, root)


# --------------------------------------------------------------------------------------
# Templates: "{loudness.integrated_lufs:.1f} LUFS" with expressions inside the braces
# --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SPEC = re.compile(r"^\+?(\.\d)?[f%]?$")


@dataclass(frozen=True)
class Template:
    """An explanation or remedy text with ``{expression[:spec]}`` placeholders."""

    source: str
    parts: tuple[str | tuple[Expression, str], ...]

    def render(self, env: Mapping[str, Any], thresholds: Mapping[str, float]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                expr, spec = part
                out.append(format_value(expr.value(env, thresholds), spec, expr.type))
        return "".join(out)

    def expressions(self) -> list[Expression]:
        return [p[0] for p in self.parts if not isinstance(p, str)]


def format_value(value: Any, spec: str = "", kind: Type = "number") -> str:
    """Text of a value for explanations: numbers rounded, undefined as 'n/a'."""
    if is_unknown(value):
        return "n/a"
    if kind == "bool":
        return "yes" if value == 1.0 else "no"
    if isinstance(value, str):
        return value
    if spec:
        return format(value, spec)
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"


def compile_template(source: str, resolver: Resolver) -> Template:
    """Compile every placeholder; errors carry the column inside the template text."""
    if not isinstance(source, str):
        raise ExprError(f"expected text, got {type(source).__name__}")
    parts: list[str | tuple[Expression, str]] = []
    last = 0
    for m in _PLACEHOLDER.finditer(source):
        parts.append(source[last:m.start()])
        body, spec = m.group(1), ""
        if ":" in body:
            body, spec = body.rsplit(":", 1)
            if not _SPEC.match(spec.strip()):
                raise ExprError(f"format {spec!r} not supported (use e.g. :.1f or :+.1f)",
                                1, m.start() + 1)
        try:
            expr = compile_expression(body, resolver)
        except ExprError as exc:
            raise ExprError(exc.message, 1, m.start() + 1 + exc.col) from None
        parts.append((expr, spec.strip()))
        last = m.end()
    parts.append(source[last:])
    if "{" in "".join(p for p in parts if isinstance(p, str)) or "}" in "".join(
        p for p in parts if isinstance(p, str)
    ):
        raise ExprError("unbalanced '{' or '}' in text")
    return Template(source, tuple(p for p in parts if p != ""))
