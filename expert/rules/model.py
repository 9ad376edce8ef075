"""The rule file format, as pydantic models (they also give ``mixexpert rules schema``).

A rule file is a YAML mapping with optional ``problems`` and ``findings`` declarations and
a list of ``rules``. Unknown keys are errors everywhere, so a typo is never ignored. These
models check the shape; ``expert.rules.loader`` then compiles the expressions and checks
names, types and the dependencies between rules.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from expert.descriptors.codec import DELIVERY_CODECS
from expert.rules.yamlpos import Positions
from expert.severity import Severity

#: The destination profile when neither ``--profile`` nor the project names one.
DEFAULT_PROFILE = "streaming"

ID_PATTERN = r"^[A-Z]{2,4}[0-9]{3}$"
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    # No rule file needs .inf or .nan: an infinite threshold overflows the arithmetic of
    # margins and texts, and a NaN one silently never fires.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class RemedySpec(_Strict):
    """A concrete action with parameters computed from the evidence."""

    action: str = Field(pattern=KEY_PATTERN, description=(
        "Stable key of the action, e.g. reduce_gain, true_peak_limit, eq_bell, high_pass."))
    parameters: dict[str, str | float] = Field(default_factory=dict, description=(
        "Parameter name (with unit suffix, e.g. gain_db, frequency_hz, q) -> expression "
        "over descriptors, targets and thresholds; evaluated when the rule fires."))
    text: str = Field(default="", description=(
        "What to do, for a person; may quote values as {expression} or {expression:.1f}."))


class RuleTestSpec(_Strict):
    """An example inside the rule file: given these values, the rule must (not) fire."""

    name: str = Field(description="What the example shows.")
    given: dict[str, float | bool | str | None] = Field(default_factory=dict, description=(
        "Track-level descriptor values; names not given are undefined."))
    series: dict[str, list[float | None]] = Field(default_factory=dict, description=(
        "Per-window descriptor values (window-scoped rules); all series have equal length."))
    window_s: float = Field(3.0, gt=0, description="Window length in seconds.")
    hop_s: float = Field(1.0, gt=0, description="Distance between window starts in seconds.")
    findings: dict[str, bool] = Field(default_factory=dict, description=(
        "Findings concluded by other rules, e.g. {low_end_heavy: true}."))
    profile: str = Field(DEFAULT_PROFILE, description=(
        "Profile the example is evaluated against."))
    genre: str | None = Field(None, description="Genre profile, if any.")
    expect: Literal["fires", "does_not_fire", "not_applicable"]
    remedies: dict[str, float] = Field(default_factory=dict, description=(
        "Expected remedy parameter values by parameter name, or action.parameter when two "
        "remedies share a parameter name."))
    time_ranges: list[tuple[float, float]] | None = Field(None, description=(
        "Expected time ranges in seconds (window-scoped rules)."))
    tolerance: float = Field(0.05, ge=0, description="Allowed absolute error of remedy values.")
    thresholds: dict[str, float] = Field(default_factory=dict, description=(
        "Threshold values this example pins (names of the rule's thresholds); the others are "
        "the rule's own. A project's overrides never apply to examples."))


class Applicability(_Strict):
    """Where a rule applies: empty lists mean everywhere."""

    profiles: list[str] = Field(default_factory=list, description="Only for these profiles.")
    not_profiles: list[str] = Field(default_factory=list, description="Never for these.")
    genres: list[str] = Field(default_factory=list, description="Only for these genres.")
    not_genres: list[str] = Field(default_factory=list, description="Never for these genres.")


class RuleSpec(_Strict):
    """One piece of engineering knowledge."""

    id: str = Field(pattern=ID_PATTERN, description=(
        "Stable code: a category prefix (LD, TB, ST, AR, ...) and three digits."))
    problem: str | None = Field(None, pattern=KEY_PATTERN, description=(
        "Problem key reported when the rule fires (contract vocabulary or declared)."))
    concludes: str | None = Field(None, pattern=KEY_PATTERN, description=(
        "Derived finding concluded instead of a reported problem (usable as finding.NAME)."))
    title: str = Field(min_length=3, max_length=120)
    category: str = Field(pattern=KEY_PATTERN, description="loudness, dynamics, tonal, ...")
    severity: Severity = "warning"
    certainty: float = Field(0.8, ge=0.0, le=1.0, description="Confidence when it fires, 0..1.")
    scope: Literal["track", "window"] = Field("track", description=(
        "track: one verdict for the file; window: each analysis window, merged into ranges."))
    min_duration_s: float = Field(0.0, ge=0.0, description=(
        "Window scope: ignore time ranges shorter than this many seconds."))
    thresholds: dict[str, float] = Field(default_factory=dict, description=(
        "Named numbers used by the expressions (overridable per project)."))
    when: str | bool = Field(description="Condition over descriptors, target.*, finding.*.")
    description: str = Field("", description="What the rule detects (documentation page).")
    explanation: str = Field(description=(
        "Why it matters to a listener; may quote values as {expression:.1f}."))
    remedies: list[RemedySpec] = Field(default_factory=list)
    explains: list[str] = Field(default_factory=list, description=(
        "Problems this root cause explains: when both fire, the symptom is reported under "
        "this one (caused_by), one severity step lower unless it is a delivery failure."))
    references: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    applies_to: Applicability = Field(default_factory=Applicability)
    tests: list[RuleTestSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_conclusion(self) -> RuleSpec:
        if (self.problem is None) == (self.concludes is None):
            raise ValueError("a rule needs exactly one of 'problem' (reported) or 'concludes' "
                             "(derived finding)")
        return self


class NoiseSpec(_Strict):
    """The measurement noise of a unit or a descriptor: the half-width of the band around a
    threshold inside which the outcome of a comparison cannot be told (inconclusive)."""

    width: float = Field(gt=0.0, description="Half-width, in the unit of the measurement.")
    source: str = Field(min_length=3, description="Where the figure comes from (a standard's "
                        "tolerance, a measured repeatability).")


class RuleFileSpec(_Strict):
    """A rule file."""

    version: Literal[1] = 1
    problems: dict[str, str] = Field(default_factory=dict, description=(
        "New problem keys this file introduces -> one-line description."))
    findings: dict[str, str] = Field(default_factory=dict, description=(
        "Derived findings this file introduces -> one-line description."))
    noise: dict[str, NoiseSpec] = Field(default_factory=dict, description=(
        "Measurement noise by unit (LUFS, dBTP, %) or by descriptor name (a '*' matches any "
        "characters, e.g. spectrum.*_db); a descriptor entry wins over its unit's."))
    delivery_failures: list[str] = Field(default_factory=list, description=(
        "Problems that fail a delivery whatever explains them: as symptoms of a root cause "
        "they keep their own severity."))
    rules: list[RuleSpec] = Field(default_factory=list)


class Targets(_Strict):
    """Targets a profile sets; undefined targets make the rules that use them not apply."""

    integrated_lufs: float | None = Field(None, description="Integrated loudness target, LUFS.")
    integrated_tolerance_lu: float | None = Field(None, ge=0, description="Allowed deviation, LU.")
    true_peak_dbtp: float | None = Field(None, description="Maximum true peak, dBTP.")
    loudness_range_min_lu: float | None = Field(None, description="Expected minimum LRA, LU.")
    loudness_range_max_lu: float | None = Field(None, description="Expected maximum LRA, LU.")
    crest_factor_min_db: float | None = Field(None, description="Lowest healthy crest factor, dB.")
    plr_min_db: float | None = Field(None, description="Lowest healthy peak-to-loudness ratio, dB.")
    sub_db: float | None = Field(None, description="Expected 20-60 Hz band level, dB rel. total.")
    bass_db: float | None = Field(None, description="Expected 60-250 Hz band level, dB rel. total.")
    low_mid_db: float | None = Field(None, description="Expected 250-500 Hz level, dB rel. total.")
    mid_db: float | None = Field(None, description="Expected 500-2000 Hz level, dB rel. total.")
    high_mid_db: float | None = Field(None, description="Expected 2-4 kHz level, dB rel. total.")
    presence_db: float | None = Field(None, description="Expected 4-6 kHz level, dB rel. total.")
    brilliance_db: float | None = Field(None, description="Expected 6-20 kHz level, dB rel. total.")
    tonal_tolerance_db: float | None = Field(None, ge=0, description=(
        "Allowed deviation of a band from its expected level, dB."))
    turn_down_warning_db: float | None = Field(None, ge=0, description=(
        "Turn-down from which the loudness thrown away is a warning (below: info), dB."))
    quiet_floor_lufs: float | None = Field(None, description=(
        "Playback level below which the destination is too quiet (after its turn-up), LUFS."))
    family_margin: float | None = Field(None, ge=0, description=(
        "Without a genre: how much nearer (mean per-band distance, see family_distances) "
        "the nearest family must be than the runner-up to be judged against alone; "
        "closer, each envelope entry takes the wider range of the two."))
    turn_up_ceiling_dbtp: float | None = Field(None, description=(
        "True peak a platform's turn-up of a quiet master may reach; undefined: no turn-up "
        "that keeps the peaks (turn-down only, or raised into a limiter), dBTP."))


#: Name suffix -> unit, most specific first (``_dbtp`` before ``_db``).
_SUFFIX_UNITS = (("_lufs", "LUFS"), ("_lu", "LU"), ("_dbtp", "dBTP"), ("_dbfs", "dBFS"),
                 ("_db", "dB"), ("_hz", "Hz"), ("_s", "s"), ("_pct", "%"))


def unit_from_suffix(name: str) -> str:
    """The unit a name's suffix gives (``margin_lu`` -> LU, ``cutoff_hz`` -> Hz), or ''."""
    return next((unit for suffix, unit in _SUFFIX_UNITS if name.endswith(suffix)), "")


#: Unit of each target, from its name suffix (for evidence and near-miss scaling).
TARGET_UNITS: dict[str, str] = {name: unit_from_suffix(name) for name in Targets.model_fields}


TurnUpLimit = Literal["none", "true_peak", "limiter"]


class Normalisation(_Strict):
    """How a service normalises playback: its reference level and what it does to quiet masters.

    A master louder than ``reference_lufs`` is turned down by the difference. A quieter one
    is left alone (``turns_up: false``) or raised towards the reference: only as far as its
    true peak stays under ``ceiling_dbtp`` (``turn_up_limit: true_peak``), or all the way
    with a limiter engaging at ``ceiling_dbtp`` (``limiter``).
    """

    reference_lufs: float = Field(description="Playback reference level, LUFS (BS.1770).")
    turns_up: bool = Field(description="Whether masters quieter than the reference are raised.")
    turn_up_limit: TurnUpLimit = Field("none", description=(
        "What bounds the turn-up: nothing, the true-peak headroom, or a limiter."))
    ceiling_dbtp: float | None = Field(None, description=(
        "Peak the turn-up leaves (true_peak) or where the limiter engages (limiter), dBTP."))
    source: str = Field(description="The service's published page or the standard; what is "
                        "not published is said here.")

    @model_validator(mode="after")
    def _consistent(self) -> Normalisation:
        if self.turns_up and self.turn_up_limit != "none" and self.ceiling_dbtp is None:
            raise ValueError(f"turn_up_limit {self.turn_up_limit!r} needs ceiling_dbtp")
        if not self.turns_up and self.turn_up_limit != "none":
            raise ValueError("turn_up_limit is set but turns_up is false")
        return self


class ProfileSpec(_Strict):
    """A destination (platform, broadcast standard, master format) or a genre."""

    name: str = Field(pattern=KEY_PATTERN)
    title: str
    kind: Literal["platform", "broadcast", "master", "genre"]
    source: str = Field(description="Where the figures come from (standard, spec, practice).")
    notes: str = ""
    family: str | None = Field(None, pattern=KEY_PATTERN, description=(
        "Genre family whose envelope of released music the rules judge against (a key of "
        "envelopes.families); none: the union of all families."))
    targets: Targets = Field(default_factory=Targets)
    normalisation: Normalisation | None = Field(None, description=(
        "Playback normalisation of a service (platforms); sets the loudness target."))
    codecs: list[str] = Field(default_factory=list, description=(
        "Lossy encodes the destination delivers (keys of the codec catalogue, "
        "codec.<key>.*): the true-peak ceiling must hold after each."))
    codecs_source: str = Field("", description="Where the codecs are published or measured.")

    @model_validator(mode="after")
    def _one_reference(self) -> ProfileSpec:
        if self.normalisation is not None and self.targets.integrated_lufs is not None:
            raise ValueError("set the loudness target once: normalisation.reference_lufs "
                             "or targets.integrated_lufs, not both")
        return self

    @model_validator(mode="after")
    def _known_codecs(self) -> ProfileSpec:
        known = [c.name for c in DELIVERY_CODECS]
        for name in self.codecs:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(known)
                raise ValueError(f"unknown codec {name!r}; {hint}")
        if self.codecs and not self.codecs_source:
            raise ValueError("codecs need codecs_source: where the destination says so")
        return self


#: Track descriptors whose spread across released music is learned per genre family
#: (``python -m corpus.envelopes``) and exposed to rules as ``envelope.<name>.p5|p50|p95``.
ENVELOPE_DESCRIPTORS: tuple[str, ...] = (
    "spectrum.deep_sub_db", "spectrum.sub_db", "spectrum.bass_db", "spectrum.low_mid_db",
    "spectrum.mid_db", "spectrum.high_mid_db", "spectrum.presence_db",
    "spectrum.brilliance_db", "spectrum.tilt_db_per_octave", "spectrum.cutoff_hz",
    "stereo.side_to_mid_db", "stereo.width_pct", "stereo.correlation",
    "loudness.plr_db", "loudness.range_lu", "loudness.crest_factor_db",
    "loudness.integrated_lufs", "loudness.true_peak_dbtp", "stereo.correlation_low",
)

#: Differences of two descriptors (a - b), learned like a descriptor: a neighbour contrast
#: does not move with the share the bass takes of the whole, which every absolute share does.
ENVELOPE_CONTRASTS: dict[str, tuple[str, str]] = {
    "deep_sub_vs_sub_db": ("spectrum.deep_sub_db", "spectrum.sub_db"),
    "sub_vs_bass_db": ("spectrum.sub_db", "spectrum.bass_db"),
    "bass_vs_mid_db": ("spectrum.bass_db", "spectrum.mid_db"),
    "low_mid_vs_mid_db": ("spectrum.low_mid_db", "spectrum.mid_db"),
    "high_mid_vs_mid_db": ("spectrum.high_mid_db", "spectrum.mid_db"),
    "presence_vs_mid_db": ("spectrum.presence_db", "spectrum.mid_db"),
    "brilliance_vs_mid_db": ("spectrum.brilliance_db", "spectrum.mid_db"),
    "brilliance_vs_high_mid_db": ("spectrum.brilliance_db", "spectrum.high_mid_db"),
}

#: Regions where an EQ remedy looks for the peak deviation from the family's median
#: 1/3-octave curve (``envelope.excess.<region>.hz|db|q``): name -> (low, high) in Hz.
EXCESS_REGIONS_HZ: dict[str, tuple[float, float]] = {
    "bass": (60.0, 250.0), "low_mid": (250.0, 500.0), "high_mid": (2000.0, 4000.0),
    "brilliance": (6300.0, 16000.0),
}

#: The statistics of each envelope entry an expression can name.
ENVELOPE_STATS: tuple[str, ...] = ("p5", "p50", "p95")


def envelope_names() -> dict[str, str]:
    """``envelope.<entry>.<stat>`` -> unit, for every learned entry."""
    out: dict[str, str] = {}
    for entry in (*ENVELOPE_DESCRIPTORS, *ENVELOPE_CONTRASTS):
        unit = unit_from_suffix(entry)
        if entry.endswith("_db_per_octave"):
            unit = "dB/oct"
        for stat in ENVELOPE_STATS:
            out[f"envelope.{entry}.{stat}"] = unit
            out[f"envelope.union.{entry}.{stat}"] = unit
    for region in EXCESS_REGIONS_HZ:
        out.update({f"envelope.excess.{region}.hz": "Hz", f"envelope.excess.{region}.db": "dB",
                    f"envelope.excess.{region}.q": ""})
    return out


class EnvelopeStat(_Strict):
    """Percentiles of one descriptor over the clean released masters of a family."""

    n: int = Field(ge=1, description="Files measured.")
    p5: float
    p50: float
    p95: float


class EnvelopeFamily(_Strict):
    """The envelope of one genre family, with its provenance."""

    family: str = Field(description="The family as the corpus names it.")
    n_files: int = Field(ge=1)
    sources: list[str] = Field(description="Source recordings the files were cut from.")
    stats: dict[str, EnvelopeStat]
    third_octave_db: dict[str, list[float | None]] = Field(default_factory=dict, description=(
        "centers_hz and p5/p50/p95 of spectrum.third_octave_db, band by band."))


class EnvelopeFileSpec(_Strict):
    """Envelopes of released music per genre family (``rules/profiles/envelopes.yaml``)."""

    source: str = Field(description="Corpus set, selection and size the envelopes come from.")
    command: str = Field(description="The command that rebuilds them.")
    percentiles: list[int]
    contrasts: dict[str, str] = Field(default_factory=dict)
    families: dict[str, EnvelopeFamily]


class ReferenceSpec(_Strict):
    """How targets are taken from a reference track the engineer trusts."""

    dynamics_slack_db: float = Field(ge=0.0, description=(
        "How far below the reference a mix may be in loudness range, crest and PLR (LU / dB)."))
    source: str = Field(description="Why this slack (measurement spread, practice).")


class LearningSpec(_Strict):
    """How ``mixexpert profiles learn`` turns a folder of approved masters into targets."""

    min_files: int = Field(ge=1, description=(
        "Below this many files the sample is small: the profile still works, says so."))
    outlier_z: float = Field(gt=0, description=(
        "Modified z-score (0.6745 |x - median| / MAD) from which a file is an outlier."))
    outlier_min_deviation: dict[str, float] = Field(description=(
        "Entry (descriptor or contrast) -> smallest distance from the median that counts as "
        "an outlier, in the entry's unit; only these entries are checked."))
    loudness_tolerance_min_lu: float = Field(ge=0, description=(
        "Smallest loudness tolerance a learned profile gets, however tight the masters are."))
    tonal_tolerance_min_db: float = Field(ge=0, description=(
        "Smallest tonal tolerance a learned profile gets, dB."))
    warning_margin_lu: float = Field(ge=0, description=(
        "Beyond the learned tolerance, how far a master may stray before a warning, LU."))
    true_peak_dbtp: float = Field(description=(
        "The true-peak ceiling of a learned profile (a delivery limit, not learned), dBTP."))
    source: str = Field(description="Why these figures (statistics, practice).")


class LearnedOutlier(_Strict):
    """A file of the learning folder left out of the statistics, and why."""

    file: str
    entry: str
    value: float
    median: float
    deviation: float


class LearnedProvenance(_Strict):
    """Where a learned profile comes from."""

    folder: str
    files: list[str] = Field(description="The files the statistics were learned from.")
    n_files: int = Field(ge=0)
    small_sample: bool = Field(description="Fewer files than learning.min_files.")
    outliers: list[LearnedOutlier] = Field(default_factory=list, description=(
        "Files left out of the statistics (not averaged in)."))
    unreadable: list[str] = Field(default_factory=list, description="file: error, skipped.")
    date: str = Field(description="When it was learned (UTC, ISO 8601).")
    tool_version: str
    rulebase_version: str = Field(description="Digest of the built-in rules/ folder.")


class ProfileFileSpec(_Strict):
    """A profile file: profiles, and (in one file) the reference-track settings."""

    version: Literal[1] = 1
    profiles: list[ProfileSpec] = Field(default_factory=list)
    reference: ReferenceSpec | None = None
    learning: LearningSpec | None = None
    envelopes: EnvelopeFileSpec | None = None
    learned: LearnedProvenance | None = Field(None, description=(
        "Set by `mixexpert profiles learn`: the masters the profile was learned from."))


class Profile(BaseModel):
    """A resolved profile: destination + genre (+ reference track) with merged targets."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    kind: str
    genre: str | None = None
    reference: bool = False
    references: list[str] = Field(default_factory=list, description=(
        "The reference tracks whose average set the targets (--reference)."))
    learned: LearnedProvenance | None = None
    sources: list[str] = Field(default_factory=list)
    targets: Targets = Field(default_factory=Targets)
    family: str | None = Field(None, description=(
        "Genre family whose envelope the rules judge against; None: the union of all."))
    envelope_source: str | None = Field(None, description="How the envelope was made.")
    codecs: list[str] = Field(default_factory=list, description=(
        "The destination's lossy encodes (codec catalogue keys); the rules see the worst "
        "of them as profile.codec_true_peak_dbtp."))
    envelope: dict[str, float] = Field(default_factory=dict, exclude=True, description=(
        "``<entry>.<stat>`` -> value: the envelope of released music rules see as "
        "``envelope.<entry>.<stat>``."))
    envelope_union: dict[str, float] = Field(default_factory=dict, exclude=True, description=(
        "The union of all families (lowest p5, highest p95): ``envelope.union.*``."))
    family_envelopes: dict[str, dict[str, float]] = Field(
        default_factory=dict, exclude=True, description="The envelope of each family.")
    envelope_curves: dict[str, dict[str, list[float | None]]] = Field(
        default_factory=dict, exclude=True, description=(
            "Each family's 1/3-octave p5/p50/p95 curves, to infer the nearest family."))


class EnvelopeRange(BaseModel):
    """The 5th, 50th and 95th percentile of one descriptor over a family's released masters."""

    model_config = ConfigDict(extra="forbid")

    p5: float
    p50: float
    p95: float


#: Joins the families of a judgment that could not choose between two ('A or B').
FAMILY_OR = " or "


class FamilyChoice(BaseModel):
    """How the family a file was judged against was chosen, and how clear the choice was."""

    model_config = ConfigDict(extra="forbid")

    by: Literal["genre", "spectrum", "none"] = Field(description=(
        "'genre': the genre's family; 'spectrum': the family nearest to the file's "
        "1/3-octave spectrum; 'none': no spectrum to choose by (the union)."))
    distance: float | None = Field(None, description=(
        "Mean per-band distance of the spectrum to the chosen family (see family_distances)."))
    next_family: str | None = Field(None, description="The runner-up family.")
    next_distance: float | None = Field(None, description="Its distance.")


class FileEnvelope(BaseModel):
    """The envelope of released music one file was judged against: what the report draws
    the file's tonal balance and meters against (it never looks the envelope up itself)."""

    model_config = ConfigDict(extra="forbid")

    family: str = Field(description=(
        "The genre family (``profile.family``); 'union' when judged against all families; "
        "'A or B' when two fit about equally (each range the wider of the two)."))
    source: str | None = Field(None, description="How the envelope was made.")
    chosen: FamilyChoice | None = Field(None, description="How the family was chosen.")
    stats: dict[str, EnvelopeRange] = Field(default_factory=dict, description=(
        "Envelope entry (a descriptor or a contrast) -> its percentiles."))
    third_octave_db: dict[str, list[float | None]] = Field(default_factory=dict, description=(
        "centers_hz and p5/p50/p95 of spectrum.third_octave_db, band by band; empty for the "
        "union."))

    @property
    def families(self) -> list[str]:
        """The families of ``family``, nearest first (one, or two for 'A or B')."""
        return self.family.split(FAMILY_OR)


class ProjectConfig(BaseModel):
    """Project settings from ``mixexpert.yaml`` or ``[tool.mixexpert]`` in pyproject.toml."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # as rule files

    select: list[str] = Field(default_factory=lambda: ["ALL"], description=(
        "Rule codes or prefixes to enable (ruff semantics; the most specific selector wins)."))
    ignore: list[str] = Field(default_factory=list, description="Codes or prefixes to disable.")
    severity: dict[str, Severity] = Field(default_factory=dict, description=(
        "Code or prefix -> severity override (most specific wins)."))
    thresholds: dict[str, dict[str, float]] = Field(default_factory=dict, description=(
        "Rule id -> {threshold name: value} overrides; they survive rulebase updates."))
    rules: list[str] = Field(default_factory=list, description=(
        "Extra rule folders or files, relative to the config file."))
    profiles: list[str] = Field(default_factory=list, description=(
        "Profile files or folders of the project (the format of rules/profiles/), relative "
        "to the config file; a 'profiles/' folder beside it is read without being listed."))
    profile: str | None = None
    genre: str | None = None
    source: str | None = Field(None, description="File the settings were read from.")
    #: Where each setting is in the file (YAML only), for file:line:col messages.
    _positions: Positions | None = PrivateAttr(None)

    def where(self, *path: str | int, key: bool = False) -> str:
        """``file:line:col`` of a setting (``key``: of its key in a mapping; just the file
        for TOML or defaults)."""
        if self._positions is not None:
            return self._positions.where(path, key=key)
        return self.source or "project settings"


# --------------------------------------------------------------------------------------
# Validation errors at their place in the YAML file
# --------------------------------------------------------------------------------------

#: Where each field of a rule file belongs, for "unknown field" messages.
_PLACES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("the top of a rule file", RuleFileSpec), ("a rule", RuleSpec), ("a remedy", RemedySpec),
    ("a test", RuleTestSpec), ("applies_to", Applicability), ("a noise entry", NoiseSpec))
RULE_FILE_FIELDS: dict[str, list[str]] = {}
for _place, _model in _PLACES:
    for _name in _model.model_fields:
        RULE_FILE_FIELDS.setdefault(_name, []).append(_place)


#: Errors listed per file; a file that is wrong everywhere needs its first few, not 50,000.
MAX_ERRORS_PER_FILE = 25


def pydantic_errors(exc: ValidationError, pos: Positions,
                    fields: dict[str, list[str]] = RULE_FILE_FIELDS) -> list[str]:
    """Map pydantic's error locations onto ``file:line:col: message`` lines (the first
    ``MAX_ERRORS_PER_FILE``, then a count of the rest). ``fields``: every field name of the
    format -> where it belongs (for suggestions)."""
    out: list[str] = []
    errors = exc.errors(include_url=False)
    if len(errors) > MAX_ERRORS_PER_FILE:
        rest = len(errors) - MAX_ERRORS_PER_FILE
        errors = errors[:MAX_ERRORS_PER_FILE]
        out.append(f"{pos.file}:1:1: {rest} more errors after the {MAX_ERRORS_PER_FILE} below "
                   "are not listed")
    for err in errors:
        loc = tuple(err["loc"])
        field_name = next((p for p in reversed(loc) if isinstance(p, str)), "")
        if err["type"] == "extra_forbidden":
            if field_name in fields:  # a real field, in the wrong place: say where it goes
                hint = (f"; {field_name!r} belongs to {' or '.join(fields[field_name])}: "
                        "check its indentation")
            else:
                close = difflib.get_close_matches(field_name, sorted(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
            out.append(f"{pos.where(loc, key=True)}: unknown field {field_name!r}{hint}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            out.append(f"{pos.where(loc[:-1])}: missing required field {field_name!r}")
        elif field_name:
            out.append(f"{pos.where(loc)}: {field_name}: {msg}")
        else:
            out.append(f"{pos.where(loc)}: {msg}")
    return out
