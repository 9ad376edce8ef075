"""Templates: explanation and remedy texts with ``{expression[:spec]}`` placeholders."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from expert.rules.expr.nodes import Expression, Type, is_unknown
from expert.rules.expr.parse import ExprError, Resolver, compile_expression

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
    if not math.isfinite(value):  # no rule computes one (overflow is unknown); be total
        return "n/a"
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
