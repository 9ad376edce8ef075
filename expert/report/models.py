"""The JSON report (schema_version "1.1"), as pydantic models: the JSON is generated from them.

See ../shared/CONTRACT.md: these field names are what users and scripts rely on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from expert import __version__
from expert.descriptors.audio_info import AudioInfo
from expert.descriptors.featureset import Timeline
from expert.engine import Condition, Diagnosis, NearMiss
from expert.engine.playback import Playback
from expert.engine.references import ReferenceDistance
from expert.rules.model import FileEnvelope

SCHEMA_VERSION = "1.1"
Verdict = Literal["pass", "warn", "fail"]


def verdict_of(diagnoses: Iterable[Diagnosis]) -> Verdict:
    """The file's verdict against the profile: fail on any error, warn on any warning,
    else pass (info diagnoses, inconclusive ones among them, never change it)."""
    severities = {d.severity for d in diagnoses}
    return "fail" if "error" in severities else "warn" if "warning" in severities else "pass"


class ToolInfo(BaseModel):
    name: Literal["mixexpert"] = "mixexpert"
    version: str = __version__


class FileReport(BaseModel):
    """Everything said about one input file."""

    model_config = ConfigDict(extra="forbid")

    path: str
    ok: bool
    error: str | None = Field(default=None, description="One-line message when ok is false.")
    verdict: Verdict | None = Field(default=None, description=(
        "pass | warn | fail against the profile (fail: any error, warn: any warning); null "
        "when the file was not judged (unreadable, or descriptors only)."))
    playback: list[Playback] = Field(default_factory=list, description=(
        "The gain each destination of the profile's family applies, and the true peak "
        "after it (1.1)."))
    references: list[ReferenceDistance] = Field(default_factory=list, description=(
        "With --reference: how far the mix sits from each reference track (1.1)."))
    audio: AudioInfo | None = None
    envelope: FileEnvelope | None = Field(default=None, description=(
        "The envelope of released music the file was judged against (its family, the "
        "percentiles per band and descriptor): what the report's pictures draw it against."))
    descriptors: dict[str, Any] = Field(default_factory=dict)
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    conditions: dict[str, list[Condition]] = Field(default_factory=dict, description=(
        "Rule id of a diagnosis -> the conditions that held in the rules behind it "
        "(observed value, operator, threshold, margin): its evidence in numbers."))
    near_misses: list[NearMiss] = Field(
        default_factory=list, description="Rules that did not fire but came closest to it."
    )
    timeline: Timeline | None = Field(
        default=None, description="Time-resolved descriptors (3 s windows, 1 s hop)."
    )
    trace: dict[str, Any] | None = Field(
        default=None,
        description="With --explain: every rule's conditions (WHY / WHY NOT) and the "
        "rules behind the findings it used (HOW).",
    )
    notes: list[str] = Field(default_factory=list)


class IgnoredRule(BaseModel):
    """A rule the selection keeps out of the report, and the selector that decided."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    by: str | None = Field(description="The ignore selector, or null: no select names it.")


class SeverityChange(BaseModel):
    """A rule reported at another severity than its own, by the project's ``severity:``."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    by: str = Field(description="The most specific selector of the override.")
    severity_was: str
    severity: str
    where: str = Field(description="file:line:col of the override.")


class ThresholdChange(BaseModel):
    """A rule threshold the project sets (``thresholds:``)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    threshold: str
    rule_value: float
    value: float
    where: str = Field(description="file:line:col of the override.")


class ReplacedRule(BaseModel):
    """A built-in rule replaced by a project rule with the same id."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    file: str = Field(description="file:line of the rule used.")
    replaces: str = Field(description="file:line of the rule it replaces.")


class ProjectSettings(BaseModel):
    """Which project settings shaped the run, so that none acts silently: the file they
    came from and every rule they kept out, re-graded, re-tuned or replaced. Carried in
    the report's ``profile`` object as ``project`` (schema 1.1's open profile object)."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(description="The project file used (null: none was found).")
    rule_paths: list[str] = Field(default_factory=list)
    select: list[str] = Field(default_factory=list, description="Effective selection.")
    ignore: list[str] = Field(default_factory=list)
    ignored: list[IgnoredRule] = Field(default_factory=list)
    severity: list[SeverityChange] = Field(default_factory=list)
    thresholds: list[ThresholdChange] = Field(default_factory=list)
    replaced: list[ReplacedRule] = Field(default_factory=list)


class Report(BaseModel):
    """The whole document written by ``diagnose``/``features --format json``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1.1"] = SCHEMA_VERSION
    tool: ToolInfo = Field(default_factory=ToolInfo)
    profile: dict[str, Any]
    reports: list[FileReport]


class CollectionDiagnosis(Diagnosis):
    """A diagnosis about a collection; one about particular members names them."""

    members: list[str] = Field(default_factory=list, description=(
        "Paths of the members the diagnosis is about; [] means the whole collection."))


class CollectionPair(BaseModel):
    """The facts of two members of a collection (``stems``)."""

    model_config = ConfigDict(extra="forbid")

    members: list[str]
    facts: dict[str, Any] = Field(default_factory=dict)


class Collection(BaseModel):
    """A collection judged as one (contract 1.1: ``album`` or ``stems``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["album", "stems"]
    paths: list[str] = Field(description="The members, in collection order (album order).")
    verdict: Verdict = Field(description="pass | warn | fail of the collection's diagnoses.")
    descriptors: dict[str, Any] = Field(default_factory=dict, description=(
        "Facts of the whole collection, e.g. album.loudness_spread_lu."))
    members: dict[str, dict[str, Any]] = Field(default_factory=dict, description=(
        "Path -> that member's facts against the others (album.track_*, stems.stem_*)."))
    pairs: list[CollectionPair] = Field(default_factory=list, description=(
        "Stems: the facts of two members, [masked, masker] (stems.masking_*) or a pair "
        "in path order (stems.pair_*)."))
    mix: str | None = Field(default=None, description="Stems: the mix they were fitted to.")
    diagnoses: list[CollectionDiagnosis] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description=(
        "Members that could not be judged, by path, with the reason."))


class CollectionReport(Report):
    """The document of ``album`` and ``stems``: the members' reports plus the collection."""

    collection: Collection
