"""Thresholds that can never decide, found against what each descriptor can report.

A descriptor's ``Gate`` (on its catalogue entry) is the range its defined values always lie
in. A condition ``descriptor op threshold`` whose threshold lies beyond that range is always
true or never true whenever the descriptor is defined: the threshold is dead, and lowering
or raising it in a project would silently do nothing. Test values outside the range
describe a state the extractor cannot produce.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from expert.descriptors.spec import Gate
from expert.rules.expr.nodes import Compare, Const, Expression, Name, Neg, Node

#: The comparison seen from the descriptor's side when the descriptor is on the right.
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class DeadThreshold:
    """One comparison that cannot decide: ``descriptor op value`` is ``always`` or ``never``
    true for every value the descriptor can report. ``threshold`` names the rule threshold
    (None for a number written in the condition)."""

    descriptor: str
    op: str
    value: float
    threshold: str | None
    outcome: str
    gate: Gate
    unit: str

    def message(self) -> str:
        name = f"threshold {self.threshold} = {self.value:g}" if self.threshold else (
            f"the number {self.value:g}")
        return (f"{name} can never decide `{self.descriptor} {self.op} {self.value:g}`: "
                f"{self.descriptor} reports only {self.gate.describe(self.unit)} "
                f"({self.gate.reason}), where the comparison is {self.outcome} true")


def _outcome(op: str, value: float, gate: Gate) -> str | None:
    lo = gate.minimum if gate.minimum is not None else float("-inf")
    hi = gate.maximum if gate.maximum is not None else float("inf")
    always = {">": value < lo, ">=": value <= lo, "<": value > hi, "<=": value >= hi}[op]
    never = {">": value >= hi, ">=": value > hi, "<": value <= lo, "<=": value < lo}[op]
    return "always" if always else "never" if never else None


def _number(node: Node) -> float | None:
    """The value of a number written in a condition (``-3`` parses as a negated constant)."""
    if isinstance(node, Neg):
        inner = _number(node.x)
        return None if inner is None else -inner
    if isinstance(node, Const) and not isinstance(node.value, str):
        return float(node.value)
    return None


def _sides(node: Compare) -> tuple[Name, str, Node] | None:
    """(descriptor, op seen from it, the other side) for ``descriptor op threshold``."""
    if node.op not in _FLIPPED:
        return None
    for ours, theirs, op in ((node.left, node.right, node.op),
                             (node.right, node.left, _FLIPPED[node.op])):
        if (isinstance(ours, Name) and ours.info.kind == "descriptor" and ours.info.gate
                and (_number(theirs) is not None or (isinstance(theirs, Name)
                                                     and theirs.info.kind == "threshold"))):
            return ours, op, theirs
    return None


def dead_thresholds(when: Expression, thresholds: Mapping[str, float]) -> Iterator[DeadThreshold]:
    """Every comparison of ``when`` that the given threshold values leave undecidable."""
    for node in when.root.walk():
        if not isinstance(node, Compare) or (sides := _sides(node)) is None:
            continue
        descriptor, op, other = sides
        if (number := _number(other)) is not None:
            value, name = number, None
        elif isinstance(other, Name) and other.key in thresholds:
            value, name = thresholds[other.key], other.key
        else:
            continue
        gate = descriptor.info.gate
        assert gate is not None
        if (outcome := _outcome(op, value, gate)) is not None:
            yield DeadThreshold(descriptor.key, op, value, name, outcome, gate,
                                descriptor.info.unit)


def outside_gate(value: object, gate: Gate) -> bool:
    """True for a number the descriptor could never report."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return ((gate.minimum is not None and value < gate.minimum)
            or (gate.maximum is not None and value > gate.maximum))


def threshold_ranges(when: Expression, threshold: str) -> list[tuple[str, Gate, str]]:
    """(descriptor, gate, unit) of each comparison ``descriptor op threshold`` in ``when``
    whose descriptor declares a gate: the range a value of ``threshold`` can decide in."""
    out: list[tuple[str, Gate, str]] = []
    for node in when.root.walk():
        if isinstance(node, Compare) and (sides := _sides(node)) is not None:
            descriptor, _, other = sides
            if isinstance(other, Name) and other.key == threshold and descriptor.info.gate:
                out.append((descriptor.key, descriptor.info.gate, descriptor.info.unit))
    return out
