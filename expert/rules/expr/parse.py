"""Parsing: expression text -> Python's ast (syntax only) -> our typed nodes, or ExprError."""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Mapping
from typing import Any

from expert.descriptors.spectrum import NAMED_BANDS_HZ
from expert.rules.expr.functions import (
    CONDITION_ARGUMENT,
    FUNCTIONS,
    WINDOW_AGGREGATES,
    BandSelect,
    Call,
)
from expert.rules.expr.nodes import (
    And,
    Arith,
    Compare,
    Const,
    Context,
    Expression,
    ListLit,
    Name,
    NameInfo,
    Neg,
    Node,
    Not,
    Or,
    Type,
)

MAX_EXPRESSION_CHARS = 2000
MAX_NODES = 400


class ExprError(Exception):
    """An expression is invalid; ``line``/``col`` are 1-based within the expression text."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


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
        line, offset = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        start = self.starts[line - 1] if line <= len(self.starts) else 0
        # ast columns count UTF-8 bytes; positions in the file count characters.
        col = len(self.data[start:start + offset].decode("utf-8", errors="replace")) + 1
        return ExprError(message, line, col)

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
        if name in WINDOW_AGGREGATES and not self.resolver.window:
            raise self.fail(a, f"{name}() reduces the per-window values, so it needs a rule "
                               "with 'scope: window'")
        if name in ("first_band_above", "first_band_below"):
            return self.band_select(a, name)
        args = [self.node(x) for x in a.args]
        for i, (x, node) in enumerate(zip(a.args, args, strict=True)):
            if name == "defined":
                break
            want: Type = "bool" if i == 0 and name in CONDITION_ARGUMENT else "number"
            self.need(x, node, want, f"{name}()")
        if name == "track":
            arg = args[0]
            if not isinstance(arg, Name) or arg.info.kind != "descriptor":
                raise self.fail(a.args[0], "track() takes a descriptor name")
            if arg.info.scope == "window":
                raise self.fail(a.args[0], f"{arg.key!r} has no whole-track value (it is only "
                                           "measured per window); use windows_mean() or "
                                           "windows_max()")
        if name == "round" and len(args) == 2 and _constant(args[1]) is None:
            raise self.fail(a.args[1], "round() needs a constant number of digits")
        return _typed(Call(name, args), fn.result)

    def band_select(self, a: ast.Call, name: str) -> Node:
        """``first_band_above("family.x_*_y", threshold)``: one name per named band."""
        pattern = a.args[0]
        if (not isinstance(pattern, ast.Constant) or not isinstance(pattern.value, str)
                or pattern.value.count("*") != 1):
            raise self.fail(pattern, f"{name}() needs a descriptor name with one '*' for the "
                                     "band, in quotes, e.g. \"stereo.side_to_mid_*_db\"")
        bands: list[Node] = []
        for band in NAMED_BANDS_HZ:
            key = pattern.value.replace("*", band)
            try:
                info = self.resolver.resolve(key)
            except ExprError as exc:
                raise self.fail(pattern, f"{name}(): {exc.message} (the pattern is filled "
                                         f"with each band: {', '.join(NAMED_BANDS_HZ)})") from None
            if info.kind != "descriptor" or info.type != "number":
                raise self.fail(pattern, f"{name}(): {key!r} is not a number descriptor")
            node = _typed(Name(key, info), "number")
            node.span = self.span(pattern)
            node.line, node.col = pattern.lineno, pattern.col_offset + 1
            bands.append(node)
        self.count += len(bands)
        threshold = self.node(a.args[1])
        self.need(a.args[1], threshold, "number", f"{name}()")
        edges = [lo for lo, _ in NAMED_BANDS_HZ.values()]
        return _typed(BandSelect(name, bands, edges, threshold), "number")


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
