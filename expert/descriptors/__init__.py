"""The descriptor contract: what can be known about a mix, as plain data (no numpy).

The catalogue gives every descriptor's dotted name, unit, meaning and method; ``FeatureSet``,
``Timeline`` and ``AudioInfo`` are the measured values that features/ hands to the engine and
the report, which import the contract from here, never from features/ or audio/. A measured
number enters the contract through ``values.finite_or_none`` (NaN and infinities: None).

One module per group holds that group's ``SPECS``; this package joins them. The catalogue is
plain data with no signal-processing imports, so that rule validation (which checks every
name a rule uses against it) starts in a fraction of a second.
"""

from __future__ import annotations

from expert.descriptors import artifacts, audio, codec, loudness, spectrum, stereo
from expert.descriptors.audio_info import AudioInfo
from expert.descriptors.featureset import FeatureSet, Timeline
from expert.descriptors.spec import DescriptorSpec, Gate

_GROUPS = (audio, loudness, spectrum, stereo, artifacts, codec)


def _build() -> dict[str, DescriptorSpec]:
    catalogue: dict[str, DescriptorSpec] = {}
    for group in _GROUPS:
        for spec in group.SPECS:
            if spec.name in catalogue:
                raise ValueError(f"descriptor {spec.name!r} is declared twice in the catalogue")
            catalogue[spec.name] = spec
    return catalogue


CATALOGUE: dict[str, DescriptorSpec] = _build()

__all__ = ["CATALOGUE", "AudioInfo", "DescriptorSpec", "FeatureSet", "Gate", "Timeline"]
