"""``DescriptorSpec``: the documentation record of one descriptor."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["number", "bool", "list", "events", "text"]
Scope = Literal["track", "window", "both"]
#: A duration measured from the start or from the end of the file.
SpanFrom = Literal["start", "end"]


class Gate(BaseModel):
    """What the extractor can report: a defined value always lies in [minimum, maximum].

    A gate is knowledge written once, on the descriptor: where the extractor decides before
    any rule does (a cutoff is only declared where the spectrum falls far enough; a peak is
    only listed once it stands out), or where a value is capped. A rule threshold, project
    override or test value beyond it can never decide, and the rule loader says so.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    minimum: float | None = None
    maximum: float | None = None
    reason: str = Field(description="Why the extractor reports nothing beyond this range.")

    def describe(self, unit: str) -> str:
        """'>= 30 dB' / '<= 60 dB' / '6-100 %' for the catalogue page and messages."""
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} to {self.maximum:g} {unit}".rstrip()
        if self.minimum is not None:
            return f">= {self.minimum:g} {unit}".rstrip()
        return f"<= {self.maximum:g} {unit}".rstrip()


class DescriptorSpec(BaseModel):
    """One entry of the catalogue: what a descriptor means and how it is measured.

    ``scope`` says where a value exists: ``track`` (one value for the whole file),
    ``window`` (only in the time-resolved series, one value per analysis window) or
    ``both`` (same name, same meaning, measured over the file and over each window).
    ``stereo_only`` descriptors are null for mono files: not applicable, never faked.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z]+(\.[a-z0-9_]+)+$")
    unit: str = Field(description="Unit symbol: LUFS, LU, dBTP, dBFS, dB, Hz, s, %, count, ...")
    meaning: str = Field(description="One line: what the value tells an engineer.")
    method: str = Field(description="How it is computed, naming the standard or algorithm.")
    kind: Kind = "number"
    scope: Scope = "track"
    stereo_only: bool = False
    references: tuple[str, ...] = ()
    gate: Gate | None = Field(default=None, description=(
        "The range a defined value always lies in, and why (see Gate)."))
    event_times: str | None = Field(default=None, description=(
        "The list descriptor holding the times (s) of the events this one counts, so that a "
        "report can say exactly where they are."))
    span_from: SpanFrom | None = Field(default=None, description=(
        "This value is a duration (s) from the start or the end of the file: the span a "
        "report shows as where."))
