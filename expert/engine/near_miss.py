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
#: A rule that did not fire is a near miss when its distance (below) is at most this.
NEAR_MISS_DISTANCE = 0.1


def shortfall(node: Node, record: Any) -> Any:
    """How far a condition is from true, normalised (0 = true; inf = cannot be near).

    For ``a > b`` the shortfall is ``|a - b| / scale`` where scale is 6 dB for level units
    (a level's zero is arbitrary, so a gap in dB is judged on its own: 0.6 dB short is
    0.1) and ``max(|b|, 1)`` otherwise (relative for Hz and counts). A failed ``!=``, true/false
    condition, ``in`` or comparison of texts (a stem's name) cannot be near (inf). Unknown
    gives NaN. Works on scalars and on per-window arrays.
    """
    observed, threshold, outcome = record
    np = numpy_module()
    outcome = np.asarray(outcome, dtype=float)
    text = isinstance(observed, str) or isinstance(threshold, str)
    if isinstance(node, Compare) and node.op in ("<", "<=", ">", ">=", "==", "!=") and not text:
        a = np.asarray(observed, dtype=float)
        b = np.asarray(threshold, dtype=float)
        if node.unit in _LEVEL_UNITS:
            scale = np.full_like(b, _LEVEL_SCALE_DB)
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


def noise_margin(node: Node, recs: list[Any], widths: dict[int, float]) -> Any:
    """By how many measurement-noise widths a condition tree holds (>0) or fails (<0).

    A comparison ``a > b`` (or ``<``, ``>=``, ``<=``) whose noise width ``w`` is known
    (``widths``: condition slot -> width, from ``rules/reporting.yaml``) holds by
    ``(a - b) / w``; any other condition, or one without a known width, is exact: +inf when
    true, -inf when false. ``and`` takes the weakest part (min), ``or`` the strongest (max),
    ``not`` the opposite. Unknown gives NaN. |margin| <= 1 is inside the noise: the outcome
    cannot be told (inconclusive). Works on scalars and on per-window arrays.
    """
    np = numpy_module()
    slot = getattr(node, "slot", -1)
    if slot >= 0 and node.is_condition:
        observed, threshold, outcome = recs[slot]
        outcome = np.asarray(outcome, dtype=float)
        exact = np.where(outcome == 1.0, np.inf, -np.inf)
        width = widths.get(slot)
        if width is None or not isinstance(node, Compare) or node.op not in (
                "<", "<=", ">", ">="):
            return np.where(np.isnan(outcome), np.nan, exact)
        with np.errstate(invalid="ignore"):
            gap = np.asarray(observed, dtype=float) - np.asarray(threshold, dtype=float)
            z = (gap if node.op in (">", ">=") else -gap) / width
        # The outcome decides the sign (a tie at the threshold is true for >=).
        z = np.where(outcome == 1.0, np.abs(z), -np.abs(z))
        return np.where(np.isnan(outcome), np.nan, z)
    if isinstance(node, And | Or):
        parts = np.broadcast_arrays(*[noise_margin(n, recs, widths) for n in node.items])
        pick = np.fmin if isinstance(node, And) else np.fmax
        out = parts[0]
        for part in parts[1:]:
            out = pick(out, part)
        return out
    if isinstance(node, Not):
        return -np.asarray(noise_margin(node.x, recs, widths), dtype=float)
    return np.asarray(np.nan)
