"""Run the examples written inside rule files (``mixexpert rules test``).

Each example evaluates its rule alone, with the given descriptor values, per-window series
and findings (as if concluded by other rules), against the named profile; it checks whether
the rule fires and, when it does, the computed remedy parameters and time ranges.

An example runs against the thresholds it was written for: the rule's own, plus those it
pins (``thresholds:``), never a project's overrides. The overrides get their own check
(``check_overrides``): applied, within what the descriptor can report, and which examples
they change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from expert.engine.facts import Facts
from expert.engine.inference import Engine
from expert.rules.gates import threshold_ranges
from expert.rules.loader import Rule, RuleBase, ThresholdOverride
from expert.rules.model import Profile, RuleTestSpec
from expert.rules.profiles import resolve_profile

#: does_not_fire means "evaluated, and false": an example whose rule could not even be
#: evaluated (a value it needs is undefined) checks nothing, so it must say not_applicable.
_EXPECTED_STATUS = {"fires": ("fired",),
                    "does_not_fire": ("not_fired",),
                    "not_applicable": ("not_applicable", "skipped")}


@dataclass(frozen=True)
class TestOutcome:
    """The result of one example: where it is, whether it passed, and why not."""

    rule_id: str
    name: str
    where: str
    passed: bool
    message: str = ""
    status: str = ""  # what the rule did: fired | not_fired | not_applicable | skipped


@dataclass(frozen=True)
class OverrideCheck:
    """A project's threshold override as ``rules test`` checks it: applied (the rule now
    uses the value), the ranges of the descriptors it is compared with, and the examples
    whose outcome it changes (information, not a failure: the examples are the rule's)."""

    override: ThresholdOverride
    applied: bool
    ranges: list[str]
    changes: list[str]


class _Runner:
    """Runs examples of one rulebase, resolving each (profile, genre) once."""

    def __init__(self, rulebase: RuleBase) -> None:
        self.rulebase = rulebase
        self.profiles: dict[tuple[str, str | None], Profile] = {}

    def status(self, rule: Rule, test: RuleTestSpec, thresholds: dict[str, float]
               ) -> tuple[str, str]:
        key = (test.profile, test.genre)
        if key not in self.profiles:
            self.profiles[key] = resolve_profile(test.profile, test.genre,
                                                 extra=self.rulebase.project.profiles)
        alone = replace(rule, thresholds=thresholds)
        rb = self.rulebase
        engine = Engine(RuleBase(rules=[alone], problems=rb.problems, findings=rb.findings),
                        self.profiles[key], select=["ALL"], ignore=[])
        return _check(alone, test, engine)


def run_rule_tests(rulebase: RuleBase, rule_ids: Iterable[str] | None = None) -> list[TestOutcome]:
    """Run the examples of the given rules (all rules when None), in rule order."""
    wanted = set(rule_ids) if rule_ids is not None else None
    runner = _Runner(rulebase)
    out: list[TestOutcome] = []
    for rule in rulebase.rules:
        if wanted is not None and rule.id not in wanted:
            continue
        for j, test in enumerate(rule.spec.tests):
            where = f"{rule.file}:{rule.test_lines[j] if j < len(rule.test_lines) else rule.line}"
            status, message = runner.status(rule, test, {**rule.spec.thresholds,
                                                         **test.thresholds})
            out.append(TestOutcome(rule.id, test.name, where, not message, message, status))
    return out


def check_overrides(rulebase: RuleBase, rule_ids: Iterable[str] | None = None
                    ) -> list[OverrideCheck]:
    """Check each project threshold override of the given rules (all when None)."""
    wanted = set(rule_ids) if rule_ids is not None else None
    runner = _Runner(rulebase)
    out: list[OverrideCheck] = []
    for override in rulebase.threshold_overrides:
        rule = rulebase.by_id.get(override.rule_id)
        if rule is None or (wanted is not None and rule.id not in wanted):
            continue
        ranges = [f"{d} reports {gate.describe(unit)}"
                  for d, gate, unit in threshold_ranges(rule.when, override.name)]
        changes: list[str] = []
        for test in rule.spec.tests:
            if override.name in test.thresholds:
                continue  # the example pins this threshold
            own = {**rule.spec.thresholds, **test.thresholds}
            before, _ = runner.status(rule, test, own)
            after, _ = runner.status(rule, test, {**own, override.name: override.value})
            if before != after:
                changes.append(f"{test.name!r}: {before} -> {after}")
        out.append(OverrideCheck(override, rule.thresholds.get(override.name) == override.value,
                                 ranges, changes))
    return out


def _check(rule: Rule, test: RuleTestSpec, engine: Engine) -> tuple[str, str]:
    """What the rule did, and what is wrong with that ('' when the example passes)."""
    n = max((len(v) for v in test.series.values()), default=0)
    facts = Facts(descriptors=dict(test.given), window_s=test.window_s,
                  window_starts_s=[round(i * test.hop_s, 6) for i in range(n)],
                  series=dict(test.series))
    result = engine.run(facts, given_findings=test.findings)
    trace = result.traces[rule.id]
    status = trace.status
    if status not in _EXPECTED_STATUS[test.expect]:
        if status == "not_applicable":
            unknown = [c.text for c in trace.conditions if c.outcome is None]
            return status, (f"expected {test.expect}, got not_applicable: undefined in "
                            f"{'; '.join(unknown[:3])}; give the values it needs in "
                            "'given:' (or expect not_applicable), or the example checks nothing")
        failing = [c for c in trace.conditions if c.outcome is not True]
        detail = "; ".join(f"{c.text} ({c.observed} {c.operator} {c.threshold})"
                           for c in failing[:3])
        return status, f"expected {test.expect}, got {status}" + (f": {detail}" if detail else "")
    if test.expect != "fires":
        return status, ""
    params: dict[str, float | None] = {}
    for d in result.diagnoses:
        for remedy in d.remedies:
            for name, value in remedy.parameters.items():
                params.setdefault(name, value)
                params[f"{remedy.action}.{name}"] = value
    problems: list[str] = []
    for name, want in test.remedies.items():
        got = params.get(name)
        if got is None or abs(got - want) > test.tolerance:
            problems.append(f"remedy {name}: expected {want}, got {got}")
    if test.time_ranges is not None:
        got_ranges = [list(r) for r in trace.time_ranges]
        want_ranges = [list(r) for r in test.time_ranges]
        if got_ranges != want_ranges:
            problems.append(f"time ranges: expected {want_ranges}, got {got_ranges}")
    return status, "; ".join(problems)
