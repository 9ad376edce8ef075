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
class Family:
    """One analyzer family.

    ``analyzer`` is ``"module:Class"``, imported only when it runs, so that `mixexpert --help`
    and rule validation stay free of signal-processing imports. ``process_group`` 0 runs in
    the parent process; 1 runs in a forked child for long files (see ``extract``).
    ``on_request`` families run only when asked for (the codec round trip).
    """

    name: str
    analyzer: str
    descriptor_groups: tuple[str, ...]
    process_group: int
    on_request: bool = False

    @property
    def provides(self) -> tuple[str, ...]:
        """Catalogue names this family's analyzer must fill, in catalogue order."""
        return tuple(n for n in CATALOGUE if n.split(".", 1)[0] in self.descriptor_groups)


# Process groups of similar cost. The parent also starts the program, loads the rules and
# writes the report (some 0.8 s of CPU before and after a 4-minute file's analysis), so it
# takes the spectral analyzer alone and the child loudness and artifacts. CPU per process of
# a whole 4-minute `diagnose`, six interleaved runs on a shared machine, median: this split
# parent 1.6 s | child 1.6 s; loudness + spectral | artifacts 2.4 s | 1.2 s. Re-measure
# when an analyzer's cost changes much.
FAMILIES: tuple[Family, ...] = (
    Family("loudness", "expert.features.loudness.analyzer:LoudnessAnalyzer", ("loudness",), 1),
    Family("spectrum", "expert.features.spectrum.analyzer:SpectralAnalyzer",
           ("spectrum", "stereo"), 0),
    Family("artifacts", "expert.features.artifacts.analyzer:ArtifactsAnalyzer", ("artifacts",), 1),
    Family("codec", "expert.features.codec.analyzer:CodecRoundTripAnalyzer", ("codec",), 1,
           on_request=True),
)
#: Filled from the container's facts when the features are assembled, by no analyzer.
ASSEMBLED_GROUPS = ("audio",)


def family(name: str) -> Family:
    """The family called ``name``."""
    return next(f for f in FAMILIES if f.name == name)


def analyzers(*, codec_check: bool = False) -> list[str]:
    """Analyzer paths that run, in registry order (their descriptors are reported in it)."""
    return [f.analyzer for f in FAMILIES if not f.on_request or codec_check]


def process_groups(*, codec_check: bool = False) -> list[list[str]]:
    """Analyzer paths per process group, in registry order."""
    groups: list[list[str]] = [[], []]
    for entry in FAMILIES:
        if entry.analyzer in analyzers(codec_check=codec_check):
            groups[entry.process_group].append(entry.analyzer)
    return groups
