"""The engine's reasoning as rich trees: WHY (each condition with observed value, threshold
and margin), HOW (the chain of rules behind the findings used) and WHY NOT (for rules that
did not fire: which condition failed and by how much)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markup import escape
from rich.tree import Tree

from expert.engine.near_miss import NEAR_MISS_DISTANCE
from expert.engine.result import Condition, EngineResult, RuleTrace
from expert.rules.expr.template import format_value

_MARK = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]?[/]"}
_STATUS = {"fired": "[bold red]fired[/]", "not_fired": "did not fire",
           "not_applicable": "[dim]not applicable[/]", "skipped": "[dim]skipped[/]"}


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return format_value(value)


def condition_line(c: Condition) -> str:
    """One line of WHY / WHY NOT, with rich markup."""
    where = f" at {c.at_s:g} s" if c.at_s is not None else ""
    head = f"{_MARK[c.outcome]} {escape(c.text)}"
    if c.operator == "is":
        return f"{head} [dim]({_fmt(c.observed)}{where})[/]"
    body = f"{_fmt(c.observed)} {c.operator} {_fmt(c.threshold)}"
    if c.outcome is None:
        tail = "not applicable: a value is undefined"
    elif c.outcome:
        tail = f"margin {c.margin:+.2f}" if c.margin is not None else "true"
    else:
        tail = (f"fails by {abs(c.margin):.2f}" if c.margin is not None else "false")
    if c.measured:
        tail += "; measured " + ", ".join(f"{k} = {_fmt(v)}" for k, v in c.measured.items())
    return f"{head} [dim]→ {escape(body)}{where}; {escape(tail)}[/]"


def rule_tree(result: EngineResult, rule_id: str) -> Tree:
    """WHY (or WHY NOT) and HOW for one rule of a run."""
    trace = result.traces[rule_id]
    cert = f", certainty {trace.certainty:.2f}" if trace.certainty is not None else ""
    tree = Tree(f"[bold]{rule_id}[/] {escape(trace.conclusion)} — {_STATUS[trace.status]}{cert}")
    if trace.reason:
        tree.add(f"[dim]{escape(trace.reason)}[/]")
    if trace.ignored_by:
        tree.add(f"[dim]not reported ({escape(trace.ignored_by)})[/]")
    if trace.status == "not_fired" and trace.distance is not None:
        near = "a near miss" if trace.distance <= NEAR_MISS_DISTANCE else "not near"
        tree.add(f"[dim]distance to firing {trace.distance:.3f} ({near}: near is at most "
                 f"{NEAR_MISS_DISTANCE:g})[/]")
    why = tree.add("WHY" if trace.status == "fired" else "WHY NOT")
    for c in trace.conditions:
        why.add(condition_line(c))
    if trace.time_ranges:
        why.add("in " + ", ".join(f"{a:g}–{b:g} s" for a, b in trace.time_ranges))
    for note in trace.notes:
        why.add(f"[yellow]{escape(note)}[/]")
    if trace.findings_used:
        _how(result, tree.add("HOW"), trace, set())
    return tree


def _how(result: EngineResult, node: Tree, trace: RuleTrace, seen: set[str]) -> None:
    for finding, producers in trace.findings_used.items():
        if not producers:
            node.add(f"finding.{escape(finding)}: [dim]not concluded[/]")
            continue
        for rid in producers:
            sub = node.add(f"finding.{escape(finding)} ← [bold]{rid}[/]")
            if rid in seen or rid not in result.traces:
                continue
            inner = result.traces[rid]
            for c in inner.conditions:
                if c.outcome:
                    sub.add(condition_line(c))
            _how(result, sub, inner, seen | {rid})


class ReasoningView:
    """The whole run: each diagnosis's tree, merges, symptoms it explains, near misses."""

    def __init__(self, result: EngineResult, asked: list[str] | None = None) -> None:
        self.result = result
        self.asked = asked or []  # rules named with --select: WHY NOT even when far

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        result = self.result
        root = Tree(f"[bold]Reasoning[/] (profile {escape(result.profile)})")
        if not result.diagnoses:
            root.add("[green]no problems found[/]")
        for d in result.diagnoses:
            branch = root.add(rule_tree(result, d.rule_id))
            for other in result.merged.get(d.rule_id, [])[1:]:
                branch.add(f"also concluded by {other} (certainty combined)")
            for s in result.explained:
                if s.explained_by == d.rule_id:
                    change = ("" if s.severity == s.severity_was
                              else f", {s.severity_was} -> {s.severity}")
                    branch.add(f"explains {s.rule_id} {escape(s.problem)} "
                               f"(reported under it{change})")
        shown = {d.rule_id for d in result.diagnoses}
        for rule_id in self.asked:
            if rule_id not in shown and rule_id in result.traces:
                root.add(rule_tree(result, rule_id))
        if result.near_misses:
            near = root.add("[bold]Near misses[/] (rules that almost fired)")
            for m in result.near_misses:
                sub = near.add(f"{m.rule_id} {escape(m.problem)}: distance {m.distance:.3f}")
                for c in m.failed:
                    sub.add(condition_line(c))
        yield root
