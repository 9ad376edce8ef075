"""What the engine concludes: diagnoses (the contract's JSON objects) and their traces.

``Diagnosis`` serialises to exactly the diagnosis object of the JSON contract. The
reasoning behind it lives beside it, in ``EngineResult.traces`` (``RuleTrace`` models that
may be included in a report); ``expert.report.reasoning`` shows it as WHY, HOW and WHY NOT.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from expert.rules.model import FamilyChoice
from expert.severity import Severity

Status = Literal["fired", "not_fired", "not_applicable", "skipped"]


class Evidence(BaseModel):
    """One measured value behind a diagnosis."""

    model_config = ConfigDict(extra="forbid")

    descriptor: str
    value: float | bool | str | None
    unit: str
    condition: str


class RemedyResult(BaseModel):
    """A concrete action with computed parameters (None when not computable), and what to
    do in words, the rule's ``text`` template rendered with the same values."""

    model_config = ConfigDict(extra="forbid")

    action: str
    parameters: dict[str, float | None]
    text: str = ""


class Diagnosis(BaseModel):
    """A problem found in a mix: exactly the diagnosis object of the JSON contract."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    problem: str
    title: str
    severity: Severity
    certainty: float = Field(ge=0.0, le=1.0)
    inconclusive: bool = Field(False, description=(
        "A measured value lies within the measurement noise of the rule's threshold: the "
        "outcome cannot be told, so it is reported at info; the explanation says why."))
    time_ranges: list[tuple[float, float]] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    explanation: str
    remedies: list[RemedyResult] = Field(default_factory=list)
    caused_by: list[str] = Field(default_factory=list, description=(
        "Rule ids and problems of the diagnoses that explain this one (its root causes); "
        "a symptom is reported under its cause."))


class Condition(BaseModel):
    """One condition of a rule as evaluated: observed value, operator, threshold, outcome.

    ``outcome`` is True, False or None (not applicable: a value was undefined).
    ``margin``: for ordered comparisons, by how much the condition holds (positive) or
    fails (negative), in the unit of the compared values.
    ``shortfall`` is the normalised distance to being true (0 when true; see
    ``expert.engine.near_miss.shortfall``). For window rules the values are those of the firing
    windows (mean) or, when the rule did not fire, of the window closest to firing.
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    observed: bool | float | str | None
    operator: str
    threshold: float | str | None
    outcome: bool | None
    margin: float | None = None
    shortfall: float | None = None
    at_s: float | None = None
    measured: dict[str, float | str | None] = Field(default_factory=dict, description=(
        "When the condition reads several descriptors: each one as measured (for a window "
        "rule, in the same windows as observed)."))


class RuleTrace(BaseModel):
    """Everything recorded about one rule in one run."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    conclusion: str
    reported: bool = Field(description=(
        "Whether a firing would be reported: false for derived findings and for rules the "
        "selection (select / ignore) keeps out of the report."))
    ignored_by: str | None = Field(None, description=(
        "For a problem rule kept out of the report: the ignore selector that decided "
        "('not selected' when no select selector names it)."))
    status: Status
    reason: str = ""
    certainty: float | None = None
    conditions: list[Condition] = Field(default_factory=list)
    findings_used: dict[str, list[str]] = Field(default_factory=dict, description=(
        "finding -> rule ids that concluded it (HOW)."))
    time_ranges: list[tuple[float, float]] = Field(default_factory=list)
    distance: float | None = Field(None, description="Normalised distance to firing.")
    notes: list[str] = Field(default_factory=list)


class NearMiss(BaseModel):
    """A rule that almost fired: the conditions that failed and by how much."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    problem: str
    title: str
    distance: float
    failed: list[Condition]


class DerivedFinding(BaseModel):
    """An intermediate conclusion (e.g. low_end_heavy) with its certainty and sources."""

    model_config = ConfigDict(extra="forbid")

    name: str
    certainty: float
    rules: list[str]
    time_ranges: list[tuple[float, float]] = Field(default_factory=list)


class Explained(BaseModel):
    """A symptom reported under the root cause that explains it (``explains:`` in YAML)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    problem: str
    explained_by: str
    severity_was: Literal["info", "warning", "error"]
    severity: Literal["info", "warning", "error"]


class EngineResult(BaseModel):
    """The outcome of one engine run over one file.

    ``diagnoses``: reported problems after selection and merging, most severe first; a
    symptom stays among them, with ``caused_by`` naming its cause (``explained`` records
    how its severity changed). ``traces``: every rule's record by id
    (``expert.report.reasoning`` renders them).
    """

    model_config = ConfigDict(extra="forbid")

    profile: str
    family: str | None = Field(None, description=(
        "The genre family whose envelope the file was judged against ('union': all of "
        "them; None: no envelopes)."))
    family_choice: FamilyChoice | None = Field(None, description=(
        "How the family was chosen (None: no envelopes)."))
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    explained: list[Explained] = Field(default_factory=list)
    findings: list[DerivedFinding] = Field(default_factory=list)
    merged: dict[str, list[str]] = Field(default_factory=dict, description=(
        "rule_id of a diagnosis -> all rules that concluded its problem (certainty combined)."))
    _tracer: Any = PrivateAttr(default=None)
    _traces: dict[str, RuleTrace] | None = PrivateAttr(default=None)
    _near: list[NearMiss] | None = PrivateAttr(default=None)

    @property
    def traces(self) -> dict[str, RuleTrace]:
        """Every rule's record by id (built on first use: a run stays fast without it)."""
        if self._traces is None:
            self._traces = self._tracer.traces() if self._tracer is not None else {}
        return self._traces

    @property
    def near_misses(self) -> list[NearMiss]:
        """Reported rules that did not fire but came close, nearest first."""
        if self._near is None:
            self._near = self._tracer.near_misses() if self._tracer else []
        return self._near

    def held_conditions(self) -> dict[str, list[Condition]]:
        """Per diagnosis (by rule id), the conditions that held in every rule behind it
        (``merged``): its evidence as observed value, threshold and margin."""
        return {d.rule_id: [c for rid in self.merged.get(d.rule_id, [d.rule_id])
                            if (trace := self._trace(rid)) is not None
                            for c in trace.conditions if c.outcome]
                for d in self.diagnoses}

    def _trace(self, rule_id: str) -> RuleTrace | None:
        """One rule's record, without building every other rule's when none is built yet."""
        if self._traces is None and self._tracer is not None:
            return self._tracer.trace(rule_id)
        return self.traces.get(rule_id)

    def trace_dump(self) -> dict[str, Any]:
        """JSON-ready reasoning (traces, near misses, findings, merges, explained symptoms)."""
        return {"traces": {k: t.model_dump() for k, t in self.traces.items()},
                "near_misses": [m.model_dump() for m in self.near_misses],
                "findings": [f.model_dump() for f in self.findings],
                "merged": self.merged,
                "explained": [s.model_dump() for s in self.explained]}

    @classmethod
    def from_dump(cls, profile: str, diagnoses: list[Diagnosis], dump: dict[str, Any]
                  ) -> EngineResult:
        """Rebuild a result from ``trace_dump()`` output (a report read back), to render it."""
        result = cls(profile=profile, diagnoses=diagnoses,
                     explained=dump.get("explained", []), findings=dump.get("findings", []),
                     merged=dump.get("merged", {}))
        result._traces = {k: RuleTrace.model_validate(v) for k, v in dump["traces"].items()}
        result._near = [NearMiss.model_validate(m) for m in dump["near_misses"]]
        return result
