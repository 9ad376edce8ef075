"""Near misses: how far a condition, or a whole condition tree, is from being true.

The explanation policy of the engine: WHY NOT lists the rules whose conditions came
closest, ranked by this distance.
"""

from __future__ import annotations

from typing import Any

from expert.rules.expr.nodes import And, Compare, Node, Not, Or, numpy_module

#: Units whose values are logarithmic levels: a near miss is judged against 6 dB.
_LEVEL_UNITS = {"LUFS", "LU", "dB", "dBTP", "dBFS", "dB/oct"}
_LEVEL_SCALE_DB = 6.0


def shortfall(node: Node, record: Any) -> Any:
    """How far a condition is from true, normalised (0 = true; inf = cannot be near).

    For ``a > b`` the shortfall is ``|a - b| / scale`` where scale is 6 dB for level units
    and ``max(|b|, 1)`` otherwise (relative for Hz and counts). Unknown gives NaN.
    Works on scalars and on per-window arrays.
    """
    observed, threshold, outcome = record
    np = numpy_module()
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
    np = numpy_module()
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
