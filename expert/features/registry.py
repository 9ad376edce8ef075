"""The analyzer families: one registry of what measures which part of the catalogue.

Each family is a folder of ``expert/features/`` with one ``Analyzer``. What an analyzer
provides is not listed here or on the analyzer: it is every catalogue name whose group (the
name's first part) the family fills, so a descriptor added to ``expert/descriptors/`` is owed
by exactly one analyzer and the tests hold it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

from expert.descriptors import CATALOGUE


@dataclass(frozen=True)
class Part:
    """A piece of a family's work with an analyzer of its own (``"module:Class"``)."""

    analyzer: str
    process_group: int


@dataclass(frozen=True)
class Family:
    """One analyzer family.

    ``analyzer`` is ``"module:Class"``, imported only when it runs, so that `mixexpert --help`
    and rule validation stay free of signal-processing imports. ``process_group`` 0 runs in
    the parent process; 1 runs in a forked child for long files (see ``extract``).
    ``on_request`` families run only when asked for (the codec round trip). ``parts`` are
    analyzers of pieces of the family's work, run in the process group given, whose partial
    results the family's analyzer consumes (``Analyzer.consumes``) before it finishes.
    """

    name: str
    analyzer: str
    descriptor_groups: tuple[str, ...]
    process_group: int
    on_request: bool = False
    parts: tuple[Part, ...] = ()

    @property
    def provides(self) -> tuple[str, ...]:
        """Catalogue names this family's analyzer must fill, in catalogue order."""
        return tuple(n for n in CATALOGUE if n.split(".", 1)[0] in self.descriptor_groups)


# Process groups of similar cost. Measured CPU on the 60-minute 48 kHz benchmark file (README,
# "Speed and memory"): loudness without its true peak 5.8 s and spectral 9.5-9.8 s against
# the true peak 3.9 s and artifacts 12.0-12.4 s (no scipy: the child of a long file stays
# small); each group also decodes (1.5-1.6 s). With the true peak in the loudness group the
# parent took 23 s of CPU and the child 16. Re-measure when an analyzer's cost changes much.
FAMILIES: tuple[Family, ...] = (
    Family("loudness", "expert.features.loudness.analyzer:SplitLoudnessAnalyzer",
           ("loudness",), 0,
           parts=(Part("expert.features.loudness.analyzer:TruePeakTicks", 1),)),
    Family("spectrum", "expert.features.spectrum.analyzer:SpectralAnalyzer",
           ("spectrum", "stereo"), 0,
           parts=(Part("expert.features.spectrum.key:KeyProfile", 1),)),
    Family("artifacts", "expert.features.artifacts.analyzer:ArtifactsAnalyzer", ("artifacts",), 1),
    Family("codec", "expert.features.codec.analyzer:CodecRoundTripAnalyzer", ("codec",), 1,
           on_request=True),
)
#: Filled from the container's facts when the features are assembled, by no analyzer.
ASSEMBLED_GROUPS = ("audio",)


def family(name: str) -> Family:
    """The family called ``name``."""
    return next(f for f in FAMILIES if f.name == name)


def process_groups(*, codec_check: bool = False) -> list[list[str]]:
    """Analyzer paths per process group, in registry order."""
    groups: list[list[str]] = [[], []]
    for entry in FAMILIES:
        if not entry.on_request or codec_check:
            groups[entry.process_group].append(entry.analyzer)
            for part in entry.parts:
                groups[part.process_group].append(part.analyzer)
    return groups
