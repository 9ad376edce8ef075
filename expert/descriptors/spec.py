"""``DescriptorSpec``: the documentation record of one descriptor."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["number", "bool", "list", "events"]
Scope = Literal["track", "window", "both"]


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
