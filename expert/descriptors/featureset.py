"""``FeatureSet``: the contract between the feature extractor and the inference engine."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from expert.descriptors.audio_info import AudioInfo


class Timeline(BaseModel):
    """Time-resolved descriptors: one value per window, NaN/undefined as null."""

    model_config = ConfigDict(extra="forbid")

    window_s: float = Field(description="Length of each analysis window in seconds.")
    hop_s: float = Field(description="Distance between window starts in seconds.")
    starts_s: list[float] = Field(description="Start time of each window in seconds.")
    series: dict[str, list[float | None]] = Field(
        default_factory=dict, description="Descriptor name -> value in each window."
    )


class FeatureSet(BaseModel):
    """Everything measured on one file."""

    model_config = ConfigDict(extra="forbid")

    audio: AudioInfo
    descriptors: dict[str, Any] = Field(
        description="Descriptor name -> value (number, bool, list; null when undefined)."
    )
    timeline: Timeline
    notes: list[str] = Field(default_factory=list)
