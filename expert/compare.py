"""What a revision of a mix fixed or broke: the difference of two diagnosed files."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from expert.descriptors import CATALOGUE
from expert.report.models import SCHEMA_VERSION, FileReport, ToolInfo

#: Descriptors whose change is always shown, even when no diagnosis changed.
KEY_DESCRIPTORS = (
    "loudness.integrated_lufs",
    "loudness.true_peak_dbtp",
    "loudness.range_lu",
    "loudness.plr_db",
    "spectrum.sub_db",
    "spectrum.bass_db",
    "spectrum.low_mid_db",
    "spectrum.mid_db",
    "spectrum.high_mid_db",
    "spectrum.presence_db",
    "spectrum.brilliance_db",
    "stereo.correlation",
    "stereo.side_to_mid_db",
    "stereo.balance_db",
)


class DescriptorChange(BaseModel):
    descriptor: str
    unit: str
    before: float | None
    after: float | None
    delta: float | None


class Comparison(BaseModel):
    """``mixexpert compare`` as data; its JSON is this model."""

    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo = Field(default_factory=ToolInfo)
    profile: dict[str, Any]
    before: FileReport
    after: FileReport
    fixed: list[str] = Field(description="Problems diagnosed before and not after.")
    introduced: list[str] = Field(description="Problems diagnosed after and not before.")
    remaining: list[str] = Field(description="Problems diagnosed in both.")
    changes: list[DescriptorChange]


def _problems(report: FileReport) -> dict[str, str]:
    return {d.problem: d.rule_id for d in report.diagnoses}


def compare(before: FileReport, after: FileReport, profile: dict[str, Any]) -> Comparison:
    old, new = _problems(before), _problems(after)
    changes = []
    for name in KEY_DESCRIPTORS:
        a, b = before.descriptors.get(name), after.descriptors.get(name)
        if isinstance(a, (int, float)) or isinstance(b, (int, float)):
            delta = (
                round(b - a, 3)
                if isinstance(a, (int, float)) and isinstance(b, (int, float))
                else None
            )
            unit = CATALOGUE[name].unit if name in CATALOGUE else ""
            changes.append(
                DescriptorChange(descriptor=name, unit=unit, before=a, after=b, delta=delta)
            )
    return Comparison(
        profile=profile,
        before=before,
        after=after,
        fixed=sorted(set(old) - set(new)),
        introduced=sorted(set(new) - set(old)),
        remaining=sorted(set(old) & set(new)),
        changes=changes,
    )
