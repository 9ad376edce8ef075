"""Load, validate and compile rule files into a ``RuleBase``.

Loading happens in two layers: the built-in ``rules/`` folder, then the user's rule files
(project folders and paths given). Within a layer a rule id must be unique; a user rule
replaces the built-in rule with the same id (user overrides survive updates of the
built-in rules).

Every problem is collected as ``file:line:col: message`` and the file that has it is left
out, so one broken file never stops the others from loading. Checks, in order: YAML safety
and syntax (``yamlpos``), the shape (pydantic models, unknown keys refused), the
expressions (names, types, constant division by zero), references between rules
(undeclared problems and findings, profiles), duplicate ids, and cycles among derived
findings. Rules are finally put in a deterministic topological order (dependencies first,
then by id), so one forward pass reaches the fixpoint.
"""

from __future__ import annotations

import difflib
import functools
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expert.descriptors import CATALOGUE
from expert.errors import RuleError
from expert.rules.builtin import builtin_rules_dir
from expert.rules.expr.nodes import Expression, NameInfo
from expert.rules.expr.parse import ExprError, Resolver, compile_expression
from expert.rules.expr.template import Template, compile_template
from expert.rules.gates import dead_thresholds, outside_gate
from expert.rules.model import (
    TARGET_UNITS,
    ProjectConfig,
    RuleFileSpec,
    RuleSpec,
    envelope_names,
    pydantic_errors,
    unit_from_suffix,
)
from expert.rules.profiles import profiles
from expert.rules.project import most_specific
from expert.rules.yamlpos import Positions, load_yaml_file

VOCABULARY_FILE = "problems.yaml"
PROFILE_FIELDS: dict[str, NameInfo] = {
    "profile.name": NameInfo("profile", "string"),
    "profile.kind": NameInfo("profile", "string"),
    "profile.genre": NameInfo("profile", "string"),
    "profile.family": NameInfo("profile", "string"),
    "profile.family_next": NameInfo("profile", "string"),
    "profile.codec_worst": NameInfo("profile", "string"),
    "profile.codec_true_peak_dbtp": NameInfo("target", "number", "dBTP"),
    "envelope.family_distance": NameInfo("target", "number", ""),
    "envelope.family_next_distance": NameInfo("target", "number", ""),
}


@dataclass(frozen=True)
class Remedy:
    """A compiled remedy: parameter expressions and the text template."""

    action: str
    parameters: dict[str, Expression]
    text: Template


@dataclass
class Rule:
    """A validated, compiled rule with its effective (project-adjusted) settings."""

    spec: RuleSpec
    file: str
    line: int
    when: Expression
    explanation: Template
    remedies: list[Remedy]
    thresholds: dict[str, float]
    severity: str
    layer: int = 0
    test_lines: list[int] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def conclusion(self) -> str:
        """The finding the rule concludes: its problem key or derived finding name."""
        return self.spec.problem or self.spec.concludes or ""

    @property
    def reported(self) -> bool:
        return self.spec.problem is not None

    @property
    def uses(self) -> set[str]:
        """Findings the condition depends on."""
        return self.when.findings()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class RuleBase:
    """All loaded rules in evaluation order, with the errors met while loading."""

    rules: list[Rule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    findings: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    noise: dict[str, float] = field(default_factory=dict)
    delivery_failures: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.by_id: dict[str, Rule] = {r.id: r for r in self.rules}

    def get(self, rule_id: str) -> Rule:
        rule = self.by_id.get(rule_id.upper())
        if rule is None:
            close = difflib.get_close_matches(rule_id.upper(), list(self.by_id), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise RuleError(f"no rule {rule_id!r}{hint}")
        return rule

    def raise_for_errors(self) -> None:
        if self.errors:
            raise RuleError("\n".join(self.errors))


# --------------------------------------------------------------------------------------
# Error mapping
# --------------------------------------------------------------------------------------

def _expr_where(pos: Positions, lines: Sequence[str], path: tuple[Any, ...],
                exc: ExprError) -> str:
    """Position of an expression error inside the YAML scalar that holds the expression."""
    line, col = pos.of(path)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    first = text[col - 1:col]
    if first in ("|", ">"):  # block scalar: the expression starts on the next line
        target = line + exc.line
        src = lines[target - 1] if 0 < target <= len(lines) else ""
        return f"{pos.file}:{target}:{len(src) - len(src.lstrip()) + exc.col}"
    quote = 1 if first in ("'", '"') else 0
    if exc.line == 1:
        return f"{pos.file}:{line}:{col + quote + exc.col - 1}"
    return f"{pos.file}:{line + exc.line - 1}:{exc.col}"


# --------------------------------------------------------------------------------------
# Names available to expressions
# --------------------------------------------------------------------------------------


def _descriptor_names(catalogue: Mapping[str, Any]) -> dict[str, NameInfo]:
    kinds = {"number": "number", "bool": "bool", "list": "list", "events": "list"}
    return {
        name: NameInfo("descriptor", kinds.get(getattr(spec, "kind", "number"), "number"),  # type: ignore[arg-type]
                       getattr(spec, "unit", ""), getattr(spec, "scope", "track"),
                       getattr(spec, "gate", None))
        for name, spec in catalogue.items()
    }


def name_table(catalogue: Mapping[str, Any], findings: Iterable[str]) -> dict[str, NameInfo]:
    """Every dotted name an expression may use: descriptors, targets, findings, profile."""
    table = _descriptor_names(catalogue)
    table.update({f"target.{t}": NameInfo("target", "number", u) for t, u in TARGET_UNITS.items()})
    table.update({n: NameInfo("target", "number", u) for n, u in envelope_names().items()})
    table.update({f"finding.{f}": NameInfo("finding", "bool") for f in findings})
    table.update(PROFILE_FIELDS)
    return table


def default_catalogue() -> Mapping[str, Any]:
    return CATALOGUE


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    path: str
    spec: RuleFileSpec
    pos: Positions
    lines: list[str]
    layer: int


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """YAML files named by ``paths`` (files, or folders searched recursively), sorted."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(sorted(f for f in path.rglob("*") if f.suffix in (".yaml", ".yml")
                              and "profiles" not in f.relative_to(path).parts[:-1]))
        else:
            out.append(path)
    return out


def _parse(path: Path, layer: int, errors: list[str]) -> _Parsed | None:
    try:
        data, pos = load_yaml_file(path)
    except RuleError as exc:
        errors.append(str(exc))
        return None
    if not isinstance(data, dict):
        errors.append(f"{path}:1:1: a rule file is a mapping with a 'rules:' list")
        return None
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        errors.extend(pydantic_errors(exc, pos))
        return None
    text = path.read_text(encoding="utf-8")
    return _Parsed(str(path), spec, pos, text.splitlines(), layer)


@functools.cache
def builtin_problems() -> tuple[str, ...]:
    """The built-in problem vocabulary, in contract order, from ``rules/problems.yaml``
    (the one place it is written down), read as the rule file it is."""
    errors: list[str] = []
    parsed = _parse(builtin_rules_dir() / VOCABULARY_FILE, 0, errors)
    if parsed is None:
        raise RuleError("\n".join(errors))
    return tuple(parsed.spec.problems)


def _compile_rule(
    parsed: _Parsed, index: int, names: Mapping[str, NameInfo], vocabulary: Mapping[str, str],
    profile_names: set[str], errors: list[str],
) -> Rule | None:
    spec = parsed.spec.rules[index]
    pos = parsed.pos
    base = ("rules", index)
    before = len(errors)

    def where(path: tuple[Any, ...]) -> str:
        return pos.where(base + path)

    if spec.problem is not None and spec.problem not in vocabulary:
        close = difflib.get_close_matches(spec.problem, list(vocabulary), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; declare it under 'problems:'"
        errors.append(f"{where(('problem',))}: unknown problem {spec.problem!r}{hint}")
    if spec.concludes is not None and f"finding.{spec.concludes}" not in names:
        errors.append(f"{where(('concludes',))}: finding {spec.concludes!r} is not declared; "
                      "add it under 'findings:' at the top of the file")
    for j, problem in enumerate(spec.explains):
        if problem not in vocabulary:
            errors.append(f"{where(('explains', j))}: unknown problem {problem!r}")
    for key in ("profiles", "not_profiles"):
        for j, name in enumerate(getattr(spec.applies_to, key)):
            if name not in profile_names:
                close = difflib.get_close_matches(name, sorted(profile_names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.append(f"{where(('applies_to', key, j))}: unknown profile {name!r}{hint}")
    for j, test in enumerate(spec.tests):
        for key in [test.profile, test.genre or "general"]:
            if key not in profile_names:
                errors.append(f"{where(('tests', j, 'profile'))}: unknown profile {key!r}")

    resolver = Resolver(names, {k: NameInfo("threshold", "number", unit_from_suffix(k))
                                for k in spec.thresholds}, window=spec.scope == "window")

    def compile_at(path: tuple[Any, ...], fn: Any, source: Any, **kw: Any) -> Any:
        try:
            return fn(source, resolver, **kw)
        except ExprError as exc:
            errors.append(f"{_expr_where(pos, parsed.lines, base + path, exc)}: {exc.message}")
            return None

    when = compile_at(("when",), compile_expression, spec.when, want="bool")
    explanation = compile_at(("explanation",), compile_template, spec.explanation)
    remedies: list[Remedy] = []
    for j, r in enumerate(spec.remedies):
        params = {k: compile_at(("remedies", j, "parameters", k), compile_expression, v,
                                want="number") for k, v in r.parameters.items()}
        text = compile_at(("remedies", j, "text"), compile_template, r.text)
        remedies.append(Remedy(r.action, params, text))
    for j, test in enumerate(spec.tests):
        for name in list(test.given) + list(test.series):
            if name not in names or names[name].kind != "descriptor":
                close = difflib.get_close_matches(name, list(names), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.append(f"{pos.where(base + ('tests', j, 'given', name), key=True)}: "
                              f"unknown descriptor {name!r}{hint}")
        for name in test.findings:
            if f"finding.{name}" not in names:
                errors.append(f"{where(('tests', j, 'findings'))}: unknown finding {name!r}")
        param_names = {k for r in spec.remedies for k in r.parameters}
        param_names |= {f"{r.action}.{k}" for r in spec.remedies for k in r.parameters}
        for name in test.remedies:
            if name not in param_names:
                errors.append(f"{where(('tests', j, 'remedies'))}: no remedy parameter "
                              f"{name!r} (known: {', '.join(sorted(param_names)) or 'none'})")
    if when is not None:
        for dead in dead_thresholds(when, spec.thresholds):
            at = ("thresholds", dead.threshold) if dead.threshold else ("when",)
            errors.append(f"{where(at)}: {spec.id}: {dead.message()}")
    for j, test in enumerate(spec.tests):
        for name, value in test.given.items():
            gate = names[name].gate if name in names else None
            if gate is not None and outside_gate(value, gate):
                errors.append(f"{pos.where(base + ('tests', j, 'given', name))}: {value:g} is "
                              f"a value {name} never reports (only "
                              f"{gate.describe(names[name].unit)}: {gate.reason}); the test "
                              "describes a state the extractor cannot produce")
    if len(errors) > before:
        return None
    line = pos.of(base)[0]
    return Rule(spec=spec, file=parsed.path, line=line, when=when, explanation=explanation,
                remedies=remedies, thresholds=dict(spec.thresholds), severity=spec.severity,
                layer=parsed.layer,
                test_lines=[pos.of(base + ("tests", j))[0] for j in range(len(spec.tests))])


def _order(rules: list[Rule], errors: list[str]) -> list[Rule]:
    """Topological order (dependencies first, ties by id); rules in a cycle are dropped."""
    producers: dict[str, list[Rule]] = {}
    for rule in rules:
        producers.setdefault(rule.conclusion, []).append(rule)
    deps = {r.id: sorted({p.id for f in r.uses for p in producers.get(f, ())}) for r in rules}
    by_id = {r.id: r for r in rules}
    # Cycles: depth-first search with colours; report each cycle once.
    state: dict[str, int] = {}
    in_cycle: set[str] = set()

    def visit(rid: str, stack: list[str]) -> None:
        state[rid] = 1
        stack.append(rid)
        for dep in deps[rid]:
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                if not in_cycle.intersection(cycle):
                    chain = " -> ".join(f"{c} ({by_id[c].conclusion})" for c in cycle)
                    errors.append(f"{by_id[dep].where}:1: cycle among derived findings: {chain}")
                in_cycle.update(cycle)
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[rid] = 2

    for rid in sorted(deps):
        if rid not in state:
            visit(rid, [])
    # Rules that depend on a cycle cannot be ordered either.
    changed = True
    while changed:
        changed = False
        for rid, ds in deps.items():
            if rid not in in_cycle and in_cycle.intersection(ds):
                in_cycle.add(rid)
                changed = True
    live = {rid: [d for d in ds] for rid, ds in deps.items() if rid not in in_cycle}
    pending = {rid: len(ds) for rid, ds in live.items()}
    users: dict[str, list[str]] = {}
    for rid, ds in live.items():
        for d in ds:
            users.setdefault(d, []).append(rid)
    heap = [rid for rid, n in pending.items() if n == 0]
    heapq.heapify(heap)
    ordered: list[Rule] = []
    while heap:
        rid = heapq.heappop(heap)
        ordered.append(by_id[rid])
        for user in users.get(rid, ()):
            pending[user] -= 1
            if pending[user] == 0:
                heapq.heappush(heap, user)
    return ordered


def _apply_project(rules: list[Rule], project: ProjectConfig, errors: list[str]) -> None:
    by_id = {r.id: r for r in rules}
    where = project.source or "project config"
    for rid, values in project.thresholds.items():
        rule = by_id.get(rid)
        if rule is None:
            errors.append(f"{where}: thresholds: no rule {rid!r}")
            continue
        for name, value in values.items():
            if name not in rule.thresholds:
                close = difflib.get_close_matches(name, list(rule.thresholds), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.append(f"{where}: thresholds.{rid}: rule has no threshold {name!r}{hint}")
            else:
                rule.thresholds[name] = float(value)
        if rule.when is not None:
            for dead in dead_thresholds(rule.when, {k: rule.thresholds[k] for k in values
                                                    if k in rule.thresholds}):
                errors.append(f"{where}: thresholds.{rid}.{dead.threshold}: {dead.message()}")
    for rule in rules:
        override = most_specific(project.severity, rule)
        if override is not None:
            rule.severity = project.severity[override]


def load_rulebase(
    extra_paths: Iterable[str | Path] = (),
    project: ProjectConfig | None = None,
    *,
    catalogue: Mapping[str, Any] | None = None,
    builtin: bool = True,
    builtin_dir: Path | None = None,
) -> RuleBase:
    """Load the built-in rules plus ``extra_paths`` and the project's rule folders.

    Never raises for a bad rule file: its errors are in ``RuleBase.errors`` and its rules
    are left out. ``catalogue`` (name -> spec with ``unit``, ``kind``, ``scope``) defaults
    to the real descriptor catalogue.
    """
    project = project or ProjectConfig()
    catalogue = default_catalogue() if catalogue is None else catalogue
    folder = builtin_dir or builtin_rules_dir()
    errors: list[str] = []
    layers: list[list[Path]] = []
    if builtin:
        layers.append(rule_files([folder]))
    else:
        vocab = folder / VOCABULARY_FILE
        layers.append([vocab] if vocab.exists() else [])
    user: list[Path] = []
    for extra in list(project.rules) + [str(p) for p in extra_paths]:
        if not Path(extra).exists():
            errors.append(f"{extra}:1:1: rule path does not exist")
            continue
        user.extend(f for f in rule_files([extra]) if f not in user)
    layers.append(user)

    parsed = [p for layer, files in enumerate(layers) for f in files
              if (p := _parse(f, layer, errors)) is not None]
    problems: dict[str, str] = {}
    findings: dict[str, str] = {}
    noise: dict[str, float] = {}
    delivery: set[str] = set()
    for p in parsed:
        problems.update(p.spec.problems)
        findings.update(p.spec.findings)
        noise.update({k: v.width for k, v in p.spec.noise.items()})
        delivery.update(p.spec.delivery_failures)
    for p in parsed:
        for j, problem in enumerate(p.spec.delivery_failures):
            if problem not in problems:
                errors.append(f"{p.pos.where(('delivery_failures', j))}: unknown problem "
                              f"{problem!r}")
    names = name_table(catalogue, list(findings) + list(problems))
    try:
        profile_names = set(profiles(folder))
    except RuleError as exc:
        errors.append(str(exc))
        profile_names = set()

    by_id: dict[str, Rule] = {}
    overridden: dict[str, str] = {}
    files: list[str] = []
    for p in parsed:
        file_errors: list[str] = []
        compiled = [_compile_rule(p, i, names, problems, profile_names, file_errors)
                    for i in range(len(p.spec.rules))]
        for i, rule in enumerate(compiled):
            if rule is None:
                continue
            prev = by_id.get(rule.id)
            if prev is not None and prev.layer == rule.layer:
                file_errors.append(f"{p.pos.where(('rules', i, 'id'))}: duplicate rule id "
                                   f"{rule.id!r} (first defined at {prev.where})")
        if file_errors:
            errors.extend(file_errors)
            continue
        files.append(p.path)
        for rule in compiled:
            assert rule is not None
            if rule.id in by_id:
                overridden[rule.id] = by_id[rule.id].where
            by_id[rule.id] = rule

    rules = sorted(by_id.values(), key=lambda r: r.id)
    _apply_project(rules, project, errors)
    ordered = _order(rules, errors)
    return RuleBase(rules=ordered, errors=errors, files=files, problems=problems,
                    findings=findings, overridden=overridden, project=project, noise=noise,
                    delivery_failures=frozenset(delivery))
