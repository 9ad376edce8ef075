"""Expression nodes and their three-valued evaluation (scalars and per-window series)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from expert.descriptors.spec import Gate

NAN = math.nan

Type = Literal["number", "bool", "string", "list"]
NameKind = Literal["descriptor", "target", "finding", "threshold", "profile"]


@dataclass(frozen=True)
class NameInfo:
    """What a dotted name refers to: its kind, value type, unit and where it is measured."""

    kind: NameKind
    type: Type
    unit: str = ""
    scope: str = "track"  # track | window | both
    #: For descriptors: the range a defined value always lies in (``descriptors.Gate``).
    gate: Gate | None = None


def numpy_module() -> Any:
    """numpy, imported when a window series is first evaluated, so that loading and
    validating rules stays light."""
    import numpy  # lazy import: numpy is heavy and only window series need it

    return numpy


def is_series(x: Any) -> bool:
    """True for a per-window series (a numpy array), false for a scalar or text."""
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

    @property
    def hides_conditions(self) -> bool:
        """True when comparisons inside this node only compute a value (``where``, window
        counts): they are not conditions of the rule, so WHY NOT never lists them."""
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
    np = numpy_module()
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
        # An overflow (x * 1e308) is unknown, like a domain error: an infinity would only
        # travel on into margins and texts.
        a, b = self.left.ev(ctx), self.right.ev(ctx)
        if type(a) is float and type(b) is float:
            try:
                out = self._fs(a, b)
            except OverflowError:
                return NAN
            return out if math.isfinite(out) else NAN
        np = numpy_module()
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(self._fv(a, b), dtype=float)
            return np.where(np.isfinite(out), out, np.nan)


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
    if not is_series(a) and not is_series(b):
        if is_unknown(a) or is_unknown(b):
            return NAN
        return 1.0 if f(a, b) else 0.0
    np = numpy_module()
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(a) | np.isnan(b), np.nan, f(a, b).astype(float))


def _member(a: Any, items: Node, negate: bool) -> Any:
    values = items.items if isinstance(items, ListLit) else ()
    if not is_series(a):
        if is_unknown(a):
            return NAN
        return 1.0 if (a in values) != negate else 0.0
    np = numpy_module()
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
        if not any(is_series(v) for v in values):
            if self.absorbing in values:
                return self.absorbing
            return NAN if any(v != v for v in values) else 1.0 - self.absorbing
        np = numpy_module()
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
        self._number(root)
        self.finding_names = {k.split(".", 1)[1] for k, i in self.names.items()
                              if i.kind == "finding"}
        #: For each condition, the descriptor names it reads (the evidence it can give).
        self.condition_descriptors: list[list[Name]] = [
            [n for n in c.walk() if isinstance(n, Name) and n.info.kind == "descriptor"]
            for c in self.conditions]

    def _number(self, node: Node) -> None:
        """Give each condition of the rule its record slot (unnumbered ones record into
        the result slot, which the final value overwrites)."""
        if node.is_condition:
            node.slot = len(self.conditions)  # type: ignore[attr-defined]
            self.conditions.append(node)
        if not node.hides_conditions:
            for child in node.children():
                self._number(child)

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
