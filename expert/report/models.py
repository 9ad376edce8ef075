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
from expert.engine import Diagnosis, NearMiss
from expert.engine.playback import Playback
from expert.engine.references import ReferenceDistance

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
    descriptors: dict[str, Any] = Field(default_factory=dict)
    diagnoses: list[Diagnosis] = Field(default_factory=list)
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


class Collection(BaseModel):
    """A collection judged as one (contract 1.1: ``album`` or ``stems``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["album", "stems"]
    paths: list[str] = Field(description="The members, in collection order (album order).")
    verdict: Verdict = Field(description="pass | warn | fail of the collection's diagnoses.")
    descriptors: dict[str, Any] = Field(default_factory=dict, description=(
        "Facts of the whole collection, e.g. album.loudness_spread_lu."))
    members: dict[str, dict[str, Any]] = Field(default_factory=dict, description=(
        "Path -> that member's facts against the others (album.track_*)."))
    diagnoses: list[CollectionDiagnosis] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description=(
        "Members that could not be judged, by path, with the reason."))


class CollectionReport(Report):
    """The document of ``album`` and ``stems``: the members' reports plus the collection."""

    collection: Collection
