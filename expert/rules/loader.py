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
import hashlib
import heapq
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expert.descriptors import CATALOGUE
from expert.descriptors.album import CATALOGUE as ALBUM_CATALOGUE
from expert.descriptors.stems import CATALOGUE as STEMS_CATALOGUE
from expert.errors import RuleError, UsageError
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
from expert.rules.project import most_specific, resolve_selectors
from expert.rules.yamlpos import Positions, load_yaml_file

VOCABULARY_FILE = "problems.yaml"
#: Folders of a rule folder that hold other data than rules.
NOT_RULE_FOLDERS = ("profiles", "detectors")
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


@dataclass(frozen=True)
class ThresholdOverride:
    """A project's value for one threshold of a rule: the rule's own value, the project's,
    and where the project sets it (``file:line:col``)."""

    rule_id: str
    name: str
    rule_value: float
    value: float
    where: str


@dataclass(frozen=True)
class SeverityOverride:
    """A project's severity for a rule, by the most specific selector that names it."""

    rule_id: str
    selector: str
    rule_severity: str
    severity: str
    where: str


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
    threshold_overrides: list[ThresholdOverride] = field(default_factory=list)
    severity_overrides: list[SeverityOverride] = field(default_factory=list)
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

    def selectors(self, option: str, given: Iterable[str]) -> list[str]:
        """``given`` (from ``option``, e.g. ``--select``) in canonical form; a
        ``UsageError`` naming each selector that matches no rule, with suggestions."""
        given = list(given)
        canonical, unknown = resolve_selectors(given, self.rules,
                                               [*self.problems, *self.findings])
        if unknown:
            raise UsageError(f"{option}: " + "; ".join(unknown.values()))
        return [canonical[s] for s in given]

    def raise_for_errors(self) -> None:
        if self.errors:
            raise RuleError("\n".join(self.errors))

    def digest(self) -> str:
        """SHA-256 (hex) of the knowledge as loaded: every rule's definition with its
        effective thresholds and severity (project overrides applied), in evaluation order,
        and the measurement noise; where the rules came from does not count."""
        knowledge = {
            "rules": [[r.spec.model_dump(mode="json"), r.thresholds, r.severity]
                      for r in self.rules],
            "noise": self.noise,
            "delivery_failures": sorted(self.delivery_failures),
        }
        text = json.dumps(knowledge, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# Error mapping
# --------------------------------------------------------------------------------------

def _expr_where(pos: Positions, lines: Sequence[str], path: tuple[Any, ...],
                exc: ExprError, text: str) -> str:
    """Position in the file of an error at ``exc.line``/``exc.col`` of ``text``, the
    expression or template held by the YAML scalar at ``path``.

    YAML folds a scalar's lines (``>-`` blocks, plain and quoted multi-line scalars) and
    strips its indentation, so the position is found by counting: the error sits after as
    many non-blank characters in the file as in ``text`` before it (folding only changes
    blanks).
    """
    parts = text.split("\n")
    offset = sum(len(p) + 1 for p in parts[:exc.line - 1]) + exc.col - 1
    wanted = sum(not c.isspace() for c in text[:max(offset, 0)])
    line, col = pos.of(path)
    first = lines[line - 1][col - 1:col] if 0 < line <= len(lines) else ""
    if first in ("|", ">"):  # block scalar: the text starts on the next line
        line, col = line + 1, 1
    elif first in ("'", '"'):
        col += 1
    seen = 0
    last = (line, col)
    for n in range(line, len(lines) + 1):
        source = lines[n - 1]
        for c in range(col if n == line else 1, len(source) + 1):
            if source[c - 1].isspace():
                continue
            if seen == wanted:
                return f"{pos.file}:{n}:{c}"
            seen += 1
            last = (n, c + 1)
    return f"{pos.file}:{last[0]}:{last[1]}"


# --------------------------------------------------------------------------------------
# Names available to expressions
# --------------------------------------------------------------------------------------


def _descriptor_names(catalogue: Mapping[str, Any]) -> dict[str, NameInfo]:
    kinds = {"number": "number", "bool": "bool", "list": "list", "events": "list",
             "text": "string"}
    return {
        name: NameInfo("descriptor", kinds.get(getattr(spec, "kind", "number"), "number"),  # type: ignore[arg-type]
                       getattr(spec, "unit", ""), getattr(spec, "scope", "track"),
                       getattr(spec, "gate", None))
        for name, spec in catalogue.items()
    }


def name_table(catalogue: Mapping[str, Any], findings: Iterable[str]) -> dict[str, NameInfo]:
    """Every dotted name an expression may use: descriptors, targets, findings, profile."""
    table = _descriptor_names(catalogue)
    table.update(_descriptor_names(ALBUM_CATALOGUE))  # facts of `mixexpert album`
    table.update(_descriptor_names(STEMS_CATALOGUE))  # facts of `mixexpert stems`
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
    """YAML files named by ``paths`` (files, or folders searched recursively, ``profiles``
    and ``detectors`` folders left out: profile data and the detectors' thresholds),
    sorted. A sub-folder that cannot be read is listed too, so that its
    rules are not missed silently: reading it gives its one-line error."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            out.append(path)
            continue
        found: list[Path] = []
        unreadable: list[OSError] = []
        for folder, dirs, names in os.walk(path, onerror=unreadable.append):
            dirs[:] = [d for d in dirs if d not in NOT_RULE_FOLDERS]
            found.extend(Path(folder, n) for n in names if Path(n).suffix in (".yaml", ".yml"))
        found.extend(Path(e.filename) for e in unreadable if e.filename)
        out.extend(sorted(found))
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
    return _Parsed(str(path), spec, pos, pos.text.splitlines(), layer)


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
            # Expression positions count in the stripped text, template ones in the text.
            text = str(source).strip() if fn is compile_expression else str(source)
            at = _expr_where(pos, parsed.lines, base + path, exc, text)
            errors.append(f"{at}: {exc.message}")
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
        for name in test.thresholds:
            if name not in spec.thresholds:
                close = difflib.get_close_matches(name, list(spec.thresholds), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.append(f"{pos.where(base + ('tests', j, 'thresholds', name), key=True)}: "
                              f"the rule has no threshold {name!r}{hint}")
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


def _apply_project(rules: list[Rule], project: ProjectConfig, keys: Iterable[str],
                   errors: list[str]
                   ) -> tuple[ProjectConfig, list[ThresholdOverride], list[SeverityOverride]]:
    """Apply the project's threshold and severity overrides to ``rules``: the project with
    its selectors in canonical form (``resolve_selectors``; each one that names no rule is
    an error), and what changed, where."""
    by_id = {r.id: r for r in rules}
    resolved: dict[str, Any] = {}
    for field_name in ("select", "ignore", "severity"):
        given = getattr(project, field_name)
        canonical, unknown = resolve_selectors(given, rules, keys)
        mapping = isinstance(given, dict)  # severity: the code is a key of the mapping
        errors.extend(f"{project.where(field_name, item if mapping else i, key=mapping)}: "
                      f"{field_name}: {unknown[item]}"
                      for i, item in enumerate(given) if item in unknown)
        resolved[field_name] = ({canonical[k]: v for k, v in given.items() if k in canonical}
                                if isinstance(given, dict)
                                else [canonical[k] for k in given if k in canonical])
    project = project.model_copy(update=resolved)
    thresholds: list[ThresholdOverride] = []
    for rid, values in project.thresholds.items():
        rule = by_id.get(rid)
        if rule is None:
            errors.append(f"{project.where('thresholds', rid)}: thresholds: no rule {rid!r}")
            continue
        for name, value in values.items():
            at = project.where("thresholds", rid, name)
            if name not in rule.thresholds:
                close = difflib.get_close_matches(name, list(rule.thresholds), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                errors.append(f"{at}: thresholds.{rid}: rule has no threshold {name!r}{hint}")
                continue
            thresholds.append(ThresholdOverride(rid, name, rule.thresholds[name], float(value),
                                                at))
            rule.thresholds[name] = float(value)
        if rule.when is not None:
            for dead in dead_thresholds(rule.when, {k: rule.thresholds[k] for k in values
                                                    if k in rule.thresholds}):
                errors.append(f"{project.where('thresholds', rid, dead.threshold or '')}: "
                              f"thresholds.{rid}.{dead.threshold}: {dead.message()}")
    severities: list[SeverityOverride] = []
    for rule in rules:
        override = most_specific(project.severity, rule)
        if override is not None and project.severity[override] != rule.severity:
            severities.append(SeverityOverride(rule.id, override, rule.severity,
                                               project.severity[override],
                                               project.where("severity", override)))
            rule.severity = project.severity[override]
    return project, thresholds, severities


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
    seen: set[Path] = set()  # a folder named by the project and on the command line loads once
    for extra in list(project.rules) + [str(p) for p in extra_paths]:
        if not Path(extra).exists():
            errors.append(f"{extra}:1:1: rule path does not exist")
            continue
        for f in rule_files([extra]):
            if f.resolve() not in seen:
                seen.add(f.resolve())
                user.append(f)
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
        profile_names = set(profiles(folder, project.profiles))
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
    project, threshold_overrides, severity_overrides = _apply_project(
        rules, project, [*problems, *findings], errors)
    ordered = _order(rules, errors)
    return RuleBase(rules=ordered, errors=errors, files=files, problems=problems,
                    findings=findings, overridden=overridden, project=project, noise=noise,
                    delivery_failures=frozenset(delivery),
                    threshold_overrides=threshold_overrides,
                    severity_overrides=severity_overrides)
