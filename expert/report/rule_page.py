"""The documentation page of a rule, in ruff's shape: what it does, why it matters, the
condition, thresholds, evidence, remedy, references and examples."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from expert.rules.loader import Rule, RuleBase


class RulePage:
    """``mixexpert rules show ID``: one rule's page, as a rich renderable."""

    def __init__(self, rule: Rule, rulebase: RuleBase) -> None:
        self.rule = rule
        self.rulebase = rulebase

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _page(self.rule, self.rulebase)


def _page(rule: Rule, rulebase: RuleBase) -> Panel:
    spec = rule.spec
    parts: list[Any] = []

    def section(title: str, body: str | Text) -> None:
        parts.append(Text(title, style="bold underline"))
        parts.append(body if isinstance(body, Text) else Text(body))
        parts.append(Text(""))

    conclusion = (f"problem: {spec.problem}" if spec.problem
                  else f"derived finding: {spec.concludes}")
    graded = next((o for o in rulebase.severity_overrides if o.rule_id == rule.id), None)
    severity = rule.severity + (f" (the project's, at {graded.where}; the rule says "
                                f"{graded.rule_severity})" if graded else "")
    section("What it does", (spec.description or spec.title) + f"\n({conclusion}, "
            f"severity {severity}, certainty {spec.certainty}, scope {spec.scope})")
    section("Why it matters (explanation shown in reports)", spec.explanation)
    section("Condition", str(spec.when))
    if rule.thresholds:
        overrides = {o.name: o for o in rulebase.threshold_overrides if o.rule_id == rule.id}
        section("Thresholds (override per project under thresholds:)", "\n".join(
            f"{k} = {v:g}" + (f" (the project's, at {overrides[k].where}; the rule says "
                              f"{overrides[k].rule_value:g})" if k in overrides else "")
            for k, v in rule.thresholds.items()))
    evidence = sorted(n for n, info in rule.when.names.items() if info.kind == "descriptor")
    if evidence:
        section("Evidence", "\n".join(f"{n} [{rule.when.names[n].unit}]" for n in evidence))
    if spec.remedies:
        lines = []
        for r in spec.remedies:
            params = ", ".join(f"{k} = {v}" for k, v in r.parameters.items())
            lines.append(f"{r.action}({params})" + (f"\n  {r.text}" if r.text else ""))
        section("Remedy", "\n".join(lines))
    if spec.explains:
        section("Explains (symptoms reported under it)", ", ".join(spec.explains))
    uses = sorted(rule.uses)
    if uses:
        producers = {f: [r.id for r in rulebase.rules if r.conclusion == f] for f in uses}
        section("Uses findings", "\n".join(f"{f} ← {', '.join(p) or 'none'}"
                                           for f, p in producers.items()))
    a = spec.applies_to
    if a.profiles or a.not_profiles or a.genres or a.not_genres:
        section("Applies to", f"profiles {a.profiles or 'all'}, not {a.not_profiles or '-'}; "
                f"genres {a.genres or 'all'}, not {a.not_genres or '-'}")
    if spec.references:
        section("References", "\n".join(f"- {ref}" for ref in spec.references))
    if spec.tests:
        lines = []
        for t in spec.tests:
            given = {**t.given, **{k: "[series]" for k in t.series}}
            extra = f", findings {t.findings}" if t.findings else ""
            remedy = f" → {t.remedies}" if t.remedies else ""
            lines.append(f"- {t.name}: {given}{extra} ({t.profile}) ⇒ {t.expect}{remedy}")
        section("Examples", "\n".join(lines))
    parts.append(Text(f"Defined in {rule.where}", style="dim"))
    return Panel(Group(*parts), title=f"[bold]{rule.id}[/] {escape(spec.title)}",
                 expand=False)
