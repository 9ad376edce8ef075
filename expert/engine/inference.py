"""The inference engine: forward chaining over descriptors, profile targets and findings.

Algorithm (one run over one file):

1. The fact base holds the descriptors, ``target.*`` values of the profile, ``profile.*``
   text and ``finding.*`` truth values (closed world: a finding is false until a rule
   concludes it).
2. Rules run in the rulebase's topological order (every rule after the rules whose
   findings it uses; ties by id). Because the dependency graph is acyclic (checked when
   loading), this single pass reaches the fixpoint of forward chaining and the result does
   not depend on file order.
3. A rule that fires concludes its problem or derived finding, with certainty
   ``rule certainty x weakest finding used`` (``expert.engine.certainty``). Window-scoped
   rules are evaluated on all windows at once (each name with a series takes the window's
   value, others the track value); firing windows are merged into time ranges.
4. The measurement's noise (``rules/reporting.yaml``): each comparison's margin is counted
   in noise widths (``near_miss.noise_margin``). A rule's certainty is scaled by the
   probability that the true value is past its threshold (``certainty.margin_certainty``);
   a reported rule that fires by no more than one width gives an *inconclusive* diagnosis:
   info, ``inconclusive: true``, the reason first in its explanation. So two near-identical
   files never differ in their warnings: one just over the threshold is info, one just
   under it is not reported (a near miss, shown with --explain).
5. Reported rules become diagnoses; several diagnoses of the same problem merge into one
   (certainties combined, MYCIN), then selection (select / ignore) applies, then root causes
   take the symptoms they ``explain`` under them: a symptom stays reported, with
   ``caused_by`` naming the cause, one severity step lower (error -> warning -> info) unless
   it is a delivery failure (``delivery_failures``: true peak over, clipping), which keeps
   its severity. An inconclusive cause explains nothing.

Every rule's evaluation is kept (observed values, thresholds, outcomes), from which
``EngineResult`` builds WHY / HOW / WHY NOT traces and near misses on demand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from expert.descriptors.values import finite_or_none
from expert.engine.certainty import combine_all, conclude, margin_certainty
from expert.engine.facts import Facts
from expert.engine.near_miss import NEAR_MISS_DISTANCE, distance, noise_margin, shortfall
from expert.engine.result import (
    Condition,
    DerivedFinding,
    Diagnosis,
    EngineResult,
    Evidence,
    Explained,
    NearMiss,
    RemedyResult,
    RuleTrace,
    Status,
)
from expert.rules.expr.functions import TRACK_PREFIX, Call
from expert.rules.expr.nodes import Compare, Node
from expert.rules.expr.template import format_value
from expert.rules.loader import Rule, RuleBase
from expert.rules.model import Profile
from expert.rules.profiles import codec_facts, family_choice, file_envelope
from expert.rules.project import Selector
from expert.severity import SEVERITY_RANK

_NAN = math.nan
#: A margin of at most this many noise widths cannot be told from the threshold.
INCONCLUSIVE_WIDTHS = 1.0
_DEMOTE = {"error": "warning", "warning": "info", "info": "info"}


def _is_vec(x: Any) -> bool:
    return type(x) is not float and type(x) is not str and x is not None


@dataclass
class _Raw:
    """What one rule did in one run (kept to build the trace later)."""

    rule: Rule
    status: Status
    reason: str = ""
    rec: list[Any] | None = None
    mask: Any = None  # per-window bool array of firing windows (window scope)
    ranges: list[tuple[float, float]] = field(default_factory=list)
    certainty: float | None = None
    findings_used: dict[str, list[str]] = field(default_factory=dict)
    margin: float | None = None  # decisive margin in noise widths (None: no noise known)
    inconclusive: str = ""  # the reason, when the outcome is within the noise


class Engine:
    """Runs a ``RuleBase`` against the ``Facts`` of a file for one ``Profile``.

    ``select`` / ``ignore``: rule codes, prefixes or problem keys (ruff semantics, see
    ``expert.rules.project``); default: the project settings of the rulebase. Selection
    decides what is reported; every rule still takes part in the reasoning.
    """

    def __init__(
        self,
        rulebase: RuleBase,
        profile: Profile,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        *,
        near_miss_distance: float = NEAR_MISS_DISTANCE,
    ) -> None:
        self.rulebase = rulebase
        self.profile = profile
        project = rulebase.project
        self.selector = Selector(select if select is not None else project.select,
                                 ignore if ignore is not None else project.ignore)
        self.near_miss_distance = near_miss_distance
        self._base_env: dict[str, Any] = {
            f"target.{k}": (_NAN if v is None else float(v))
            for k, v in profile.targets.model_dump().items()
        }
        self._base_env.update({f"envelope.{k}": v for k, v in profile.envelope.items()})
        self._base_env.update({"profile.name": profile.name, "profile.kind": profile.kind,
                               "profile.genre": profile.genre})
        self._base_env.update({f"finding.{f}": 0.0 for f in rulebase.findings})
        self._base_env.update({f"finding.{p}": 0.0 for p in rulebase.problems})
        self._skip = {r.id: self._not_applicable(r) for r in rulebase.rules}
        self._widths = {r.id: w for r in rulebase.rules
                        if r.reported and (w := _noise_widths(r, rulebase.noise))}

    def _not_applicable(self, rule: Rule) -> str:
        a = rule.spec.applies_to
        name, genre = self.profile.name, self.profile.genre or "general"
        if (a.profiles and name not in a.profiles) or name in a.not_profiles:
            return f"does not apply to profile {name}"
        if (a.genres and genre not in a.genres) or genre in a.not_genres:
            return f"does not apply to genre {genre}"
        return ""

    def run(self, facts: Facts, *, given_findings: Mapping[str, bool] | None = None
            ) -> EngineResult:
        """Evaluate every rule; return diagnoses, findings and the (lazy) traces."""
        env = {**self._base_env, **file_envelope(
            self.profile, facts.descriptors.get("spectrum.third_octave_db")),
            **codec_facts(self.profile, facts.descriptors), **facts.track_env()}
        n_windows = len(facts.window_starts_s)
        windowed = n_windows > 0 and any(r.spec.scope == "window" for r in self.rulebase.rules)
        notes: list[str] = []
        wenv: dict[str, Any] | None = None
        if windowed:
            arrays, notes = facts.window_arrays()
            # track(x) in a window rule reads the whole-track value the series hides.
            wenv = {**env, **arrays,
                    **{TRACK_PREFIX + k: env.get(k, _NAN) for k in arrays}}
        duration = env.get("audio.duration_s")
        duration = duration if isinstance(duration, float) and duration == duration else None

        cf: dict[str, list[float]] = {}
        producers: dict[str, list[str]] = {}
        for name, value in (given_findings or {}).items():
            env[f"finding.{name}"] = 1.0 if value else 0.0
            if wenv is not None:
                wenv[f"finding.{name}"] = env[f"finding.{name}"]
            if value:
                cf[name], producers[name] = [1.0], ["given"]

        raws: list[_Raw] = []
        fired: list[tuple[_Raw, Diagnosis]] = []
        window_ranges: dict[str, list[tuple[float, float]]] = {}
        whole: set[str] = set()  # findings concluded for the whole track
        for rule in self.rulebase.rules:
            reason = self._skip.get(rule.id, "")
            if reason:
                raws.append(_Raw(rule, "skipped", reason))
                continue
            use_windows = wenv is not None and rule.spec.scope == "window"
            ctx = rule.when.evaluate(wenv if use_windows else env, rule.thresholds)
            value = ctx.rec[-1]
            raw = _Raw(rule, "not_fired", rec=ctx.rec)
            if rule.uses:
                raw.findings_used = {f: list(producers.get(f, ())) for f in sorted(rule.uses)}
            raws.append(raw)
            if _is_vec(value):
                import numpy as np

                mask = value == 1.0
                raw.ranges, raw.mask = _ranges(mask, facts, duration, rule.spec.min_duration_s)
                is_fired = bool(raw.mask.any())
                unknown = bool(np.isnan(value).all())
            else:
                is_fired, unknown = value == 1.0, value != value
            if not is_fired:
                if unknown:
                    raw.status, raw.reason = "not_applicable", "a value it needs is undefined"
                continue
            raw.status = "fired"
            if raw.mask is None:
                # A track rule that used findings found in windows holds where they do.
                raw.ranges = _merge_ranges([span for f in sorted(rule.uses)
                                            if f not in whole and env.get(f"finding.{f}") == 1.0
                                            for span in window_ranges.get(f, ())])
            premises = [max(cf[f]) if f in cf else 1.0 for f in rule.uses
                        if env.get(f"finding.{f}") == 1.0]
            raw.certainty = conclude(rule.spec.certainty, premises)
            widths = self._widths.get(rule.id)
            if widths:
                self._judge_margin(raw, widths)
            conclusion = rule.conclusion
            cf.setdefault(conclusion, []).append(raw.certainty)
            producers.setdefault(conclusion, []).append(rule.id)
            key = f"finding.{conclusion}"
            env[key] = 1.0
            if wenv is not None:
                previous = wenv.get(key, 0.0)
                if raw.mask is not None and previous != 1.0:
                    mask_f = raw.mask.astype(float)
                    wenv[key] = mask_f if not _is_vec(previous) else (mask_f + previous > 0) * 1.0
                else:
                    wenv[key] = 1.0
            if raw.ranges:
                window_ranges.setdefault(conclusion, []).extend(raw.ranges)
            else:
                whole.add(conclusion)
            if rule.reported:
                fired.append((raw, self._diagnosis(raw, env, wenv)))

        result = self._report(fired, producers)
        if self.profile.envelope_union:
            result.family = env["profile.family"]
            result.family_choice = family_choice(self.profile, env)
        result.findings = [
            DerivedFinding(name=name, certainty=round(combine_all(values), 4),
                           rules=producers[name],
                           time_ranges=_merge_ranges(window_ranges.get(name, [])))
            for name, values in sorted(cf.items()) if name in self.rulebase.findings
        ]
        result._tracer = _Tracer(raws, facts, self, notes)
        return result

    # ----------------------------------------------------------------------------------

    def _judge_margin(self, raw: _Raw, widths: dict[int, float]) -> None:
        """Scale a fired rule's certainty by its margin in noise widths; note when the
        margin is inside the noise (inconclusive)."""
        assert raw.rec is not None
        z = noise_margin(raw.rule.when.root, raw.rec, widths)
        index: int | None = None
        if _is_vec(z) and getattr(z, "ndim", 0):
            import numpy as np

            picked = np.where(raw.mask, z, np.nan) if raw.mask is not None else z
            if np.isnan(picked).all():
                return
            index = int(np.nanargmax(picked))
            margin = float(picked[index])
        else:
            margin = float(z)
        if math.isnan(margin):
            return
        raw.margin = margin
        raw.certainty = (raw.certainty or 0.0) * margin_certainty(margin)
        if margin <= INCONCLUSIVE_WIDTHS:
            raw.inconclusive = _noise_reason(raw, widths, index)

    def _diagnosis(self, raw: _Raw, env: dict[str, Any], wenv: dict[str, Any] | None
                   ) -> Diagnosis:
        rule = raw.rule
        report_env = env
        if raw.mask is not None and wenv is not None:
            report_env = dict(env)
            for name in _names_of(rule):
                v = wenv.get(name)
                if _is_vec(v):
                    report_env[name] = _mean(v, raw.mask)
                    report_env[TRACK_PREFIX + name] = env.get(name, _NAN)  # for track(x)
        th = rule.thresholds
        remedies = [
            RemedyResult(action=r.action, parameters={
                k: _number(e.value(report_env, th)) for k, e in r.parameters.items()},
                text=" ".join(r.text.render(report_env, th).split()))
            for r in rule.remedies
        ]
        explanation = rule.explanation.render(report_env, th).strip()
        if raw.inconclusive:
            explanation = f"{raw.inconclusive} {explanation}"
        return Diagnosis(
            rule_id=rule.id, problem=rule.conclusion, title=rule.spec.title,
            severity="info" if raw.inconclusive else rule.severity,  # type: ignore[arg-type]
            certainty=round(raw.certainty or 0.0, 4), inconclusive=bool(raw.inconclusive),
            time_ranges=raw.ranges,
            evidence=_evidence(rule, raw, report_env),
            explanation=explanation,
            remedies=remedies,
        )

    def _report(self, fired: list[tuple[_Raw, Diagnosis]], producers: dict[str, list[str]]
                ) -> EngineResult:
        by_problem: dict[str, list[tuple[_Raw, Diagnosis]]] = {}
        for raw, d in fired:
            if self.selector.enabled(raw.rule):
                by_problem.setdefault(d.problem, []).append((raw, d))
        merged: dict[str, list[str]] = {}
        diagnoses: dict[str, tuple[_Raw, Diagnosis]] = {}
        for problem, items in by_problem.items():
            items.sort(key=lambda it: (it[1].inconclusive, -it[1].certainty, it[1].rule_id))
            raw, d = items[0]
            if len(items) > 1:
                d = _merge(d, [x[1] for x in items[1:]])
            merged[d.rule_id] = [x[1].rule_id for x in items]
            diagnoses[problem] = (raw, d)
        explained: list[Explained] = []
        delivery = self.rulebase.delivery_failures
        demoted: set[str] = set()
        for problem in sorted(diagnoses):
            raw, cause = diagnoses[problem]
            if cause.inconclusive:
                continue  # what cannot be told explains nothing
            named: list[str] = []
            for symptom_key in raw.rule.spec.explains:
                if symptom_key not in diagnoses or symptom_key == problem:
                    continue
                symptom_raw, symptom = diagnoses[symptom_key]
                was = symptom.severity
                keep = symptom_key in delivery or symptom_key in demoted  # demoted once only
                severity = was if keep else _DEMOTE[was]
                demoted.add(symptom_key)
                symptom = symptom.model_copy(update={
                    "severity": severity,
                    "caused_by": list(dict.fromkeys(
                        symptom.caused_by + [cause.rule_id, cause.problem]))})
                diagnoses[symptom_key] = (symptom_raw, symptom)
                explained.append(Explained(rule_id=symptom.rule_id, problem=symptom_key,
                                           explained_by=cause.rule_id, severity_was=was,
                                           severity=severity))
                named.append(f"{symptom_key.replace('_', ' ')} ({symptom.rule_id})")
            if named:
                listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 \
                    else named[0]
                cause.explanation += f" This also explains {listed}, reported under it."
        out: list[Diagnosis] = []
        for raw, d in diagnoses.values():
            causes = [rid for f in sorted(raw.rule.uses) for rid in producers.get(f, [])
                      if rid in self.rulebase.by_id and self.rulebase.by_id[rid].reported]
            d.caused_by = list(dict.fromkeys(d.caused_by + causes))
            out.append(d)
        out.sort(key=lambda d: (-SEVERITY_RANK[d.severity], -d.certainty, d.rule_id))
        return EngineResult(profile=self.profile.name, diagnoses=out, explained=explained,
                            merged={k: v for k, v in merged.items() if len(v) > 1})


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def _noise_widths(rule: Rule, noise: Mapping[str, float]) -> dict[int, float]:
    """Condition slot -> noise width, for the comparisons of ``rule`` whose descriptors (a
    pattern entry, the widest that matches) or unit have a declared noise."""
    if not noise:
        return {}
    patterns = {k: v for k, v in noise.items() if "." in k}
    out: dict[int, float] = {}
    for node, names in zip(rule.when.conditions, rule.when.condition_descriptors, strict=True):
        if not isinstance(node, Compare):
            continue
        matched = [w for name in names for pat, w in patterns.items()
                   if fnmatchcase(name.key, pat)]
        width = max(matched) if matched else noise.get(node.unit)
        if width is not None:
            out[node.slot] = width  # type: ignore[attr-defined]
    return out


def _noise_reason(raw: _Raw, widths: Mapping[int, float], index: int | None) -> str:
    """Why an outcome is inconclusive: each comparison within the noise of its threshold."""
    assert raw.rec is not None
    parts: list[str] = []
    for node in raw.rule.when.conditions:
        width = widths.get(getattr(node, "slot", -1))
        if width is None:
            continue
        a, b, _ = raw.rec[node.slot]  # type: ignore[attr-defined]
        if index is not None:
            a = float(a[index]) if _is_vec(a) else a
            b = float(b[index]) if _is_vec(b) else b
        try:
            gap = abs(float(a) - float(b))
        except (TypeError, ValueError):
            continue
        if gap <= width * INCONCLUSIVE_WIDTHS:
            unit = f" {node.unit}" if node.unit else ""
            parts.append(f"{node.text} ({format_value(float(a))} against "
                         f"{format_value(float(b))}) is {gap:.2f}{unit} from its threshold, "
                         f"within the {width:g}{unit} noise of the measurement")
    reason = "; ".join(parts) or "the margin is within the noise of the measurement"
    return f"Inconclusive: {reason}, so the outcome cannot be told."


def _names_of(rule: Rule) -> set[str]:
    """Every name the rule's condition, explanation and remedies read."""
    exprs = [rule.when, *rule.explanation.expressions()]
    for r in rule.remedies:
        exprs += list(r.parameters.values()) + r.text.expressions()
    return {n for e in exprs for n in e.names}


def _number(value: Any) -> float | None:
    return finite_or_none(value, ndigits=2) if isinstance(value, float) else None


def _mean(values: Any, mask: Any) -> float:
    import numpy as np

    picked = np.asarray(values, dtype=float)[mask]
    picked = picked[~np.isnan(picked)]
    return float(picked.mean()) if picked.size else _NAN


def _ranges(mask: Any, facts: Facts, duration: float | None, min_s: float
            ) -> tuple[list[tuple[float, float]], Any]:
    """Merge firing windows into time ranges; drop ranges shorter than ``min_s``."""
    import numpy as np

    if not mask.any():
        return [], mask
    starts = facts.window_starts_s
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    firsts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    kept = np.zeros_like(mask)
    spans: list[tuple[float, float]] = []
    for i, j in zip(firsts.tolist(), ends.tolist(), strict=True):  # runs of windows [i, j)
        a = float(starts[i])
        b = float(starts[j - 1]) + facts.window_s
        if duration is not None:
            b = min(b, duration)
        if b - a >= min_s:
            spans.append((a, b))
            kept[i:j] = True
    return _merge_ranges(spans), kept


def _merge_ranges(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(round(a, 3), round(b, 3)) for a, b in out]


def _merge(first: Diagnosis, others: list[Diagnosis]) -> Diagnosis:
    """One diagnosis from several rules concluding the same problem."""
    seen = {e.descriptor for e in first.evidence}
    evidence = list(first.evidence)
    for d in others:
        evidence += [e for e in d.evidence if e.descriptor not in seen]
        seen.update(e.descriptor for e in d.evidence)
    actions = {r.action for r in first.remedies}
    remedies = list(first.remedies) + [r for d in others for r in d.remedies
                                       if r.action not in actions]
    everything = [first, *others]
    return first.model_copy(update={
        "inconclusive": all(d.inconclusive for d in everything),
        "certainty": round(combine_all(d.certainty for d in everything), 4),
        "severity": max((d.severity for d in everything), key=SEVERITY_RANK.__getitem__),
        "time_ranges": ([] if any(not d.time_ranges for d in everything)
                        else _merge_ranges([r for d in everything for r in d.time_ranges])),
        "evidence": evidence,
        "remedies": remedies,
    })


def _aggregate(value: Any, raw: _Raw, index: int | None) -> Any:
    if not _is_vec(value):
        return value
    if raw.mask is not None and raw.status == "fired":
        return _mean(value, raw.mask)
    if index is not None:
        return float(value[index])
    return _NAN


def _evidence(rule: Rule, raw: _Raw, report_env: Mapping[str, Any]) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[str] = set()
    assert raw.rec is not None
    for node, names in zip(rule.when.conditions, rule.when.condition_descriptors, strict=True):
        a, b, r = raw.rec[node.slot]  # type: ignore[attr-defined]
        r = _aggregate(r, raw, None)
        if not r or r != r:  # evidence = the conditions that hold
            continue
        text = _condition_text(node, _aggregate(a, raw, None), _aggregate(b, raw, None))
        for name in names:
            if name.key in seen:
                continue
            seen.add(name.key)
            value = report_env.get(name.key)
            shown: Any
            if name.info.type == "bool":
                shown = None if value is None or value != value else value == 1.0
            elif isinstance(value, float):
                shown = round(value, 3) if value == value else None
            else:
                shown = value
            out.append(Evidence(descriptor=name.key, value=shown, unit=name.info.unit,
                                condition=text))
    return out


def _condition_text(node: Node, a: Any, b: Any) -> str:
    if isinstance(node, Compare) and node.op not in ("in", "not in"):
        return f"{node.text} ({format_value(a)} {node.op} {format_value(b)})"
    return node.text


class _Tracer:
    """Builds ``RuleTrace`` and ``NearMiss`` records from the raw evaluation on demand."""

    def __init__(self, raws: list[_Raw], facts: Facts, engine: Engine, notes: list[str]) -> None:
        self.raws = raws
        self.facts = facts
        self.engine = engine
        self.notes = notes
        self._track: dict[str, Any] | None = None  # track values, made on first use
        # A report needs the traces of its diagnoses and near misses only: each is built
        # when first asked for (all of them cost ~20 ms a file).
        self._raw_by_id = {raw.rule.id: raw for raw in raws}
        self._built: dict[str, RuleTrace] = {}
        self._nearest: dict[str, tuple[int | None, float]] = {}

    def traces(self) -> dict[str, RuleTrace]:
        return {rule_id: self._record(raw) for rule_id, raw in self._raw_by_id.items()}

    def trace(self, rule_id: str) -> RuleTrace | None:
        """The record of one rule (None for an id the engine did not evaluate)."""
        raw = self._raw_by_id.get(rule_id)
        return None if raw is None else self._record(raw)

    def _record(self, raw: _Raw) -> RuleTrace:
        if raw.rule.id not in self._built:
            self._built[raw.rule.id] = self._trace(raw)
        return self._built[raw.rule.id]

    def _nearest_window(self, raw: _Raw) -> tuple[int | None, float]:
        """(window nearest to firing, or None for a track rule; its distance) of an
        evaluated rule."""
        if raw.rule.id not in self._nearest:
            import numpy as np

            dist = np.asarray(distance(raw.rule.when.root, raw.rec), dtype=float)
            index: int | None = None
            if dist.ndim and dist.size:
                finite = np.where(np.isnan(dist), np.inf, dist)
                index = int(np.argmin(finite))
                best = float(finite[index])
            else:
                best = float(dist) if dist.size else _NAN
            self._nearest[raw.rule.id] = (index, best)
        return self._nearest[raw.rule.id]

    def _distance(self, raw: _Raw) -> float | None:
        """A rule trace's ``distance``: None when the rule was not evaluated."""
        if raw.rec is None:
            return None
        return finite_or_none(self._nearest_window(raw)[1], ndigits=4)

    def _trace(self, raw: _Raw) -> RuleTrace:
        rule = raw.rule
        enabled, by = self.engine.selector.decision(rule)
        ignored_by = None if enabled or not rule.reported else (by or "not selected")
        trace = RuleTrace(rule_id=rule.id, conclusion=rule.conclusion,
                          reported=rule.reported and enabled, ignored_by=ignored_by,
                          status=raw.status, reason=raw.reason, certainty=raw.certainty,
                          findings_used=raw.findings_used, time_ranges=raw.ranges,
                          notes=list(self.notes) if rule.spec.scope == "window" else [])
        if raw.rec is None:
            return trace
        import numpy as np

        index = self._nearest_window(raw)[0]
        trace.distance = self._distance(raw)
        starts = self.facts.window_starts_s
        for node, names in zip(rule.when.conditions, rule.when.condition_descriptors,
                               strict=True):
            rec = raw.rec[node.slot]  # type: ignore[attr-defined]
            a, b, r = (_aggregate(x, raw, index) for x in rec)
            gap = shortfall(node, rec)
            gap = _aggregate(gap if np.ndim(gap) else float(gap), raw, index)
            at = (starts[index] if index is not None and raw.status != "fired"
                  and any(_is_vec(x) for x in rec) else None)
            condition = _condition(node, a, b, r, gap, at)
            keys = list(dict.fromkeys(n.key for n in names))
            if len(keys) > 1:
                condition.measured = {k: self._measured(raw, k, index) for k in keys}
            trace.conditions.append(condition)
        return trace

    def _measured(self, raw: _Raw, name: str, index: int | None) -> float | str | None:
        """A descriptor's value as the condition saw it (window rules: the same windows)."""
        series = self.facts.series.get(name) if raw.rule.spec.scope == "window" else None
        if series is not None and len(series) == len(self.facts.window_starts_s) and series:
            import numpy as np

            values = np.array([_NAN if v is None else v for v in series], dtype=float)
            return _plain(_aggregate(values, raw, index))
        if self._track is None:
            self._track = self.facts.track_env()
        return _plain(self._track.get(name, _NAN))

    def near_misses(self) -> list[NearMiss]:
        out: list[NearMiss] = []
        limit = self.engine.near_miss_distance
        for raw in self.raws:
            if raw.status != "not_fired" or not raw.rule.reported:
                continue
            gap = self._distance(raw)
            if gap is None or gap > limit or not self.engine.selector.enabled(raw.rule):
                continue
            t = self._record(raw)
            out.append(NearMiss(rule_id=t.rule_id, problem=t.conclusion,
                                title=raw.rule.spec.title, distance=t.distance,
                                failed=[c for c in t.conditions if c.outcome is False]))
        out.sort(key=lambda m: (m.distance, m.rule_id))
        return out


def _plain(x: Any) -> float | str | None:
    return x if isinstance(x, str) else finite_or_none(x, ndigits=4)


def _condition(node: Node, a: Any, b: Any, r: Any, gap: Any, at: float | None) -> Condition:
    outcome = None if r is None or r != r else bool(r == 1.0)
    if isinstance(node, Compare):
        observed, threshold = _plain(a), (_plain(b) if node.op not in ("in", "not in")
                                         else str(list(node.right.items)))  # type: ignore[attr-defined]
        margin = None
        if isinstance(observed, float) and isinstance(threshold, float) and node.op in (
                "<", "<=", ">", ">="):
            margin = round(observed - threshold if node.op in (">", ">=")
                           else threshold - observed, 4)
        op = node.op
    else:
        observed = None if a is None or a != a else bool(a == 1.0)
        threshold, margin, op = None, None, "is"
        if isinstance(node, Call):
            observed = outcome
    g = _plain(gap) if not isinstance(gap, str) else None
    return Condition(text=node.text, observed=observed, operator=op, threshold=threshold,
                     outcome=outcome, margin=margin,
                     shortfall=None if g is None or isinstance(g, str) else g, at_s=at)
