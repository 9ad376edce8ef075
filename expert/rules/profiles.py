"""Profiles: the destination's targets (platform, broadcast, master) and genre expectations.

All figures live in ``rules/profiles/*.yaml`` with their sources. A resolved ``Profile``
merges a destination (loudness and true-peak targets) with a genre (loudness range, crest,
tonal-balance curve; the ``general`` genre when none is given) and, optionally, targets
derived from a reference track the engineer likes.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expert.descriptors.values import number_or_none
from expert.errors import RuleError
from expert.rules.builtin import builtin_rules_dir
from expert.rules.model import (
    DEFAULT_PROFILE,
    ENVELOPE_STATS,
    EXCESS_REGIONS_HZ,
    FAMILY_OR,
    EnvelopeFileSpec,
    EnvelopeRange,
    FamilyChoice,
    FileEnvelope,
    LearningSpec,
    Normalisation,
    Profile,
    ProfileFileSpec,
    ProfileSpec,
    ReferenceSpec,
    Targets,
    pydantic_errors,
)
from expert.rules.yamlpos import load_yaml_file

DEFAULT_GENRE = "general"
#: Targets only a destination sets (a genre's taste does not move the delivery limits).
_DELIVERY_TARGETS = {"integrated_lufs", "integrated_tolerance_lu", "true_peak_dbtp",
                     "quiet_floor_lufs", "turn_up_ceiling_dbtp",
                     "turn_down_warning_db"}

#: Reference track descriptor -> the targets it sets (band levels become the tonal curve).
_REFERENCE_TARGETS: dict[str, str] = {
    "loudness.integrated_lufs": "integrated_lufs",
    "spectrum.sub_db": "sub_db",
    "spectrum.bass_db": "bass_db",
    "spectrum.low_mid_db": "low_mid_db",
    "spectrum.mid_db": "mid_db",
    "spectrum.high_mid_db": "high_mid_db",
    "spectrum.presence_db": "presence_db",
    "spectrum.brilliance_db": "brilliance_db",
}


def load_profile_file(path: Path) -> ProfileFileSpec:
    """Load one profile file; errors name ``file:line:col``."""
    data, pos = load_yaml_file(path)
    try:
        return ProfileFileSpec.model_validate(data)
    except ValidationError as exc:
        raise RuleError("\n".join(pydantic_errors(exc, pos))) from None


@lru_cache(maxsize=4)
def _envelope_file(folder: Path) -> EnvelopeFileSpec | None:
    found: EnvelopeFileSpec | None = None
    for path in sorted((folder / "profiles").glob("*.yaml")):
        spec_file = load_profile_file(path)
        if spec_file.envelopes is not None:
            if found is not None:
                raise RuleError(f"{path}:1:1: 'envelopes:' is set in two profile files")
            found = spec_file.envelopes
    return found


def envelopes(folder: Path | None = None) -> EnvelopeFileSpec | None:
    """The learned envelopes of released music (``rules/profiles/envelopes.yaml``)."""
    return _envelope_file(folder or builtin_rules_dir())


def envelope_values(spec: EnvelopeFileSpec, family: str | None) -> dict[str, float]:
    """``<entry>.<stat>`` of one family, or of the union of all families when ``family`` is
    None: the lowest 5th and highest 95th percentile of any family (a master is judged
    unusual only where it lies outside every family's spread) and the median of the
    families' medians."""
    fams = list(spec.families.values()) if family is None else [spec.families[family]]
    out: dict[str, float] = {}
    entries = sorted({e for f in fams for e in f.stats})
    for entry in entries:
        have = [f.stats[entry] for f in fams if entry in f.stats]
        lows = sorted(s.p50 for s in have)
        out[f"{entry}.p5"] = min(s.p5 for s in have)
        out[f"{entry}.p95"] = max(s.p95 for s in have)
        out[f"{entry}.p50"] = lows[len(lows) // 2]
    assert all(k.rsplit(".", 1)[1] in ENVELOPE_STATS for k in out)
    return out


#: A band's spread in units of a standard deviation: p5..p95 of a normal distribution.
_P5_P95_SIGMAS = 3.29
#: Bands that decide the family: the 20 and 25 Hz bands share the frame's resolution with
#: their neighbours, and lossy sources end below 20 kHz.
_FAMILY_BANDS_HZ = (31.0, 16000.0)


def family_distances(spec: EnvelopeFileSpec, third_octave_db: Any) -> dict[str, float]:
    """How unlike each family's envelope a long-term 1/3-octave spectrum is.

    Each band of a family is read as a normal distribution (median p50, standard deviation
    (p95 - p5) / 3.29); the distance is the mean over the bands 31.5 Hz-16 kHz of the
    negative log-likelihood z**2 / 2 + ln(sigma): a tight family is near only to spectra
    that follow it, a wide one to many spectra, but less closely. Chosen over the median
    |z| and the median dB distance because it names the corpus family of more real-dev
    files (451 of 534 against 410 and 426).
    """
    return family_distances_curves(
        {k: f.third_octave_db for k, f in spec.families.items()}, third_octave_db)


def file_envelope(profile: Profile, third_octave_db: Any) -> dict[str, Any]:
    """The ``envelope.*`` and ``profile.family*`` names one file is judged with.

    A genre with a family fixes the envelope; without one, the family whose median curve
    lies nearest to the file's 1/3-octave spectrum (``family_distances``), or the union of the
    families when the spectrum is not measured. When the runner-up is nearer than the
    profile's ``family_margin`` to being as near, the choice is within what near-identical
    files move it by: the file is judged against both ('A or B': the nearest family's
    medians and, per entry, the wider of the two ranges), so that neither a family's edge nor
    a flip between two families raises a finding. ``profile.family_next`` and
    ``envelope.family_distance`` / ``envelope.family_next_distance`` let an explanation
    say how clear the choice was.
    """
    out: dict[str, Any] = {}
    family = profile.family
    dist: dict[str, float] = {}
    if family is None and profile.envelope_curves:
        dist = family_distances_curves(profile.envelope_curves, third_octave_db)
        if dist:
            family = min(dist, key=lambda k: (dist[k], k))
    ranked = sorted(dist, key=lambda k: (dist[k], k))
    margin = profile.targets.family_margin
    judged = family
    if family and len(ranked) > 1 and margin is not None and (
            dist[ranked[1]] - dist[family] < margin):
        judged = f"{family}{FAMILY_OR}{ranked[1]}"
    out.update({f"envelope.{k}": v for k, v in family_values(profile, judged).items()})
    out.update({f"envelope.union.{k}": v for k, v in profile.envelope_union.items()})
    curve = profile.envelope_curves.get(family) if family else None
    for region, (lo_hz, hi_hz) in EXCESS_REGIONS_HZ.items():
        peak = peak_excess(third_octave_db, curve, lo_hz, hi_hz)
        for stat, value in zip(("hz", "db", "q"), peak, strict=True):
            out[f"envelope.excess.{region}.{stat}"] = value
    out["profile.family"] = judged or "union"
    out["profile.family_next"] = ranked[1] if len(ranked) > 1 else ""
    out["envelope.family_distance"] = dist.get(family, math.nan) if family else math.nan
    out["envelope.family_next_distance"] = dist[ranked[1]] if len(ranked) > 1 else math.nan
    return out


def family_values(profile: Profile, judged: str | None) -> dict[str, float]:
    """``<entry>.<stat>`` of a judgment (``profile.family``): one family's envelope; for 'A
    or B', A's medians with the lower p5 and higher p95 of the two; the union's when the
    family is unknown."""
    names = judged.split(FAMILY_OR) if judged else []
    if not names or any(n not in profile.family_envelopes for n in names):
        return dict(profile.envelope if judged is None else profile.envelope_union)
    first, *others = (profile.family_envelopes[n] for n in names)
    out = dict(first)
    for other in others:
        for key, value in other.items():
            if key in out and key.endswith(".p5"):
                out[key] = min(out[key], value)
            elif key in out and key.endswith(".p95"):
                out[key] = max(out[key], value)
    return out


def family_choice(profile: Profile, env: Mapping[str, Any]) -> FamilyChoice:
    """How ``file_envelope`` (whose names ``env`` holds) chose the family."""
    distance = number_or_none(env.get("envelope.family_distance"))
    if profile.family is not None:
        return FamilyChoice(by="genre")
    if distance is None:
        return FamilyChoice(by="none")
    return FamilyChoice(by="spectrum", distance=distance,
                        next_family=env.get("profile.family_next") or None,
                        next_distance=number_or_none(env.get("envelope.family_next_distance")))


def judged_envelope(profile: Profile, family: str | None,
                    chosen: FamilyChoice | None = None) -> FileEnvelope | None:
    """The envelope a file was judged against (``family`` as ``file_envelope`` chose it:
    ``profile.family``, and how: ``family_choice``), for the report; None when the
    rulebase has no envelopes."""
    flat = family_values(profile, family) if family else profile.envelope_union
    if not flat:
        return None
    names = family.split(FAMILY_OR) if family else []
    known = bool(names) and names[0] in profile.family_envelopes
    entries = sorted({k.rsplit(".", 1)[0] for k in flat})
    stats = {e: EnvelopeRange(**{s: flat[f"{e}.{s}"] for s in ENVELOPE_STATS}) for e in entries
             if all(f"{e}.{s}" in flat for s in ENVELOPE_STATS)}
    curve = _curves_union(profile, names) if known else {}
    return FileEnvelope(family=family if known and family else "union",
                        source=profile.envelope_source, chosen=chosen, stats=stats,
                        third_octave_db=curve)


def _curves_union(profile: Profile, names: Sequence[str]) -> dict[str, list[float | None]]:
    """The first family's 1/3-octave curve, its p5/p95 widened by the others' (as
    ``family_values`` does for the entries)."""
    curves = [profile.envelope_curves.get(n, {}) for n in names]
    out = {k: list(v) for k, v in curves[0].items()}
    for other in curves[1:]:
        for stat, pick in (("p5", min), ("p95", max)):
            mine, theirs = out.get(stat), other.get(stat)
            if mine is None or theirs is None:
                continue
            out[stat] = [a if b is None else b if a is None else pick(a, b)
                         for a, b in zip(mine, theirs, strict=False)]
    return out


def peak_excess(third_octave_db: Any, curve: Mapping[str, list[float | None]] | None,
                lo_hz: float, hi_hz: float) -> tuple[float, float, float]:
    """Where, how much and how wide a spectrum departs from a family's median curve.

    The deviation of each 1/3-octave band from the curve's median, less the median
    deviation over 31.5 Hz-16 kHz (the file's overall offset); within ``lo_hz..hi_hz`` the
    band that stands out most, its frequency refined by a parabola through it and its two
    neighbours on the log-frequency axis (well under a band's width for a bell wider than
    one band), the deviation there in dB, and the Q of the span of bands within 3 dB of
    the peak (RBJ: Q = sqrt(2**N) / (2**N - 1) for N octaves). NaN where undefined.
    """
    nan = (math.nan, math.nan, math.nan)
    if not isinstance(third_octave_db, list | tuple) or not curve:
        return nan
    centers, mid = curve.get("centers_hz") or [], curve.get("p50") or []
    dev: list[float | None] = []
    for x, m in zip(third_octave_db, mid, strict=False):
        xv = number_or_none(x)
        dev.append(None if xv is None or m is None else xv - m)
    ref = sorted(d for d, c in zip(dev, centers, strict=False)
                 if d is not None and c is not None
                 and _FAMILY_BANDS_HZ[0] <= c <= _FAMILY_BANDS_HZ[1])
    inside = [i for i, c in enumerate(centers[:len(dev)])
              if c is not None and lo_hz <= c <= hi_hz and dev[i] is not None]
    if not ref or not inside:
        return nan
    offset = ref[len(ref) // 2]
    d = [None if v is None else v - offset for v in dev]
    i = max(inside, key=lambda k: d[k])  # type: ignore[arg-type, return-value]
    peak = float(d[i])  # type: ignore[arg-type]
    shift = 0.0
    if 0 < i < len(d) - 1 and d[i - 1] is not None and d[i + 1] is not None:
        a, b, c = float(d[i - 1]), peak, float(d[i + 1])  # type: ignore[arg-type]
        den = a - 2 * b + c
        if den < 0:
            shift = max(-0.5, min(0.5, 0.5 * (a - c) / den))
            peak = b - 0.25 * (a - c) * shift
    freq = float(centers[i]) * 2 ** (shift / 3)
    n = 1
    for step in (-1, 1):
        k = i + step
        while 0 <= k < len(d) and d[k] is not None and d[k] > peak - 3.0:  # type: ignore[operator]
            n, k = n + 1, k + step
    octaves = n / 3
    q = math.sqrt(2 ** octaves) / (2 ** octaves - 1)
    return round(freq, 1), round(peak, 2), round(q, 2)


def family_distances_curves(curves: Mapping[str, Mapping[str, list[float | None]]],
                            third_octave_db: Any) -> dict[str, float]:
    """``family_distances`` over ``{family: {p5, p50, p95}}`` curves."""
    if not isinstance(third_octave_db, list | tuple):
        return {}
    out: dict[str, float] = {}
    for key, env in curves.items():
        p5, p50, p95 = env.get("p5") or [], env.get("p50") or [], env.get("p95") or []
        z: list[float] = []
        centers = env.get("centers_hz") or []
        for x, lo, mid, hi, fc in zip(third_octave_db, p5, p50, p95, centers, strict=False):
            x = number_or_none(x)
            if (x is None or lo is None or mid is None or hi is None or hi <= lo or fc is None
                    or not _FAMILY_BANDS_HZ[0] <= fc <= _FAMILY_BANDS_HZ[1]):
                continue
            sigma = (hi - lo) / _P5_P95_SIGMAS
            z.append(((x - mid) / sigma) ** 2 / 2 + math.log(sigma))
        if len(z) >= 5:
            out[key] = round(sum(z) / len(z), 3)
    return out


@lru_cache(maxsize=4)
def _profile_files(folder: Path) -> tuple[dict[str, ProfileSpec], ReferenceSpec, LearningSpec]:
    out: dict[str, ProfileSpec] = {}
    singles: dict[str, Any] = {"reference": None, "learning": None}  # set in one file each
    for path in sorted((folder / "profiles").glob("*.yaml")):
        spec_file = load_profile_file(path)
        for spec in spec_file.profiles:
            if spec.name in out:
                raise RuleError(f"{path}:1:1: profile {spec.name!r} is defined twice")
            out[spec.name] = spec
        for key in singles:
            value = getattr(spec_file, key)
            if value is not None:
                if singles[key] is not None:
                    raise RuleError(f"{path}:1:1: '{key}:' is set in two profile files")
                singles[key] = value
    for key, value in singles.items():
        if value is None:
            raise RuleError(f"{folder / 'profiles'}:1:1: no profile file sets '{key}:'")
    return out, singles["reference"], singles["learning"]


def learning_settings(folder: Path | None = None) -> LearningSpec:
    """How ``profiles learn`` calls a sample small and a file an outlier (learning.yaml)."""
    return _profile_files(folder or builtin_rules_dir())[2]


def load_custom_profile(path: Path) -> ProfileFileSpec:
    """A profile file of one destination (a learned profile: with its envelope), named by
    ``--profile FILE`` or by the name of a learned profile among the project's."""
    spec_file = load_profile_file(path)
    dests = [p for p in spec_file.profiles if p.kind != "genre"]
    if len(dests) != 1:
        raise RuleError(f"{path}:1:1: a profile file given as --profile defines one "
                        f"destination profile (found {len(dests)})")
    fam = dests[0].family
    env = spec_file.envelopes
    if fam is not None and (env is None or fam not in env.families):
        raise RuleError(f"{path}:1:1: profile {dests[0].name!r} names family {fam!r}, which "
                        "the file's 'envelopes:' does not hold")
    return spec_file


def _profiles(folder: Path) -> dict[str, ProfileSpec]:
    return _profile_files(folder)[0]


def project_profile_files(paths: Iterable[str | Path]) -> tuple[Path, ...]:
    """The profile files named by a project's ``profiles:`` (files, or folders' *.yaml)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise RuleError(f"{p}:1:1: profile path does not exist")
        out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return tuple(out)


@lru_cache(maxsize=8)
def _project_profiles(files: tuple[Path, ...], folder: Path
                      ) -> tuple[dict[str, ProfileSpec], dict[str, Path]]:
    """The project's profiles by name, and the learned files by the name of their profile."""
    built = _profiles(folder)
    out: dict[str, ProfileSpec] = {}
    learned: dict[str, Path] = {}
    for path in files:
        data, pos = load_yaml_file(path)
        try:
            spec_file = ProfileFileSpec.model_validate(data)
        except ValidationError as exc:
            raise RuleError("\n".join(pydantic_errors(exc, pos))) from None
        if spec_file.reference is not None:
            raise RuleError(f"{path}:1:1: a project profile file holds no 'reference:' (that "
                            "is the built-in rules/profiles/reference.yaml's)")
        if spec_file.envelopes is not None and spec_file.learned is None:
            raise RuleError(f"{path}:1:1: 'envelopes:' belong in a learned profile "
                            "(`mixexpert profiles learn`), which also records how it was made")
        for i, spec in enumerate(spec_file.profiles):
            if spec.name in built or spec.name in out:
                raise RuleError(f"{pos.where(('profiles', i, 'name'))}: profile "
                                f"{spec.name!r} is already defined; give yours another name")
            out[spec.name] = spec
            if spec_file.learned is not None:
                learned[spec.name] = path
    return out, learned


def profiles(folder: Path | None = None, extra: Iterable[str | Path] = ()
             ) -> dict[str, ProfileSpec]:
    """All profiles by name (destinations and genres): the built-in ones and those of the
    project's profile files or folders ``extra``."""
    folder = folder or builtin_rules_dir()
    files = project_profile_files(extra)
    return {**_profiles(folder), **_project_profiles(files, folder)[0]} if files else \
        _profiles(folder)


def profile_file(name: str, *, folder: Path | None = None, extra: Iterable[str | Path] = ()
                 ) -> Path | None:
    """The file whose envelope a profile ``name`` brings: ``name`` itself when it is a path
    to a ``.yaml`` file, else the learned profile file of that name among the project's
    (``extra``); None for a profile without its own envelope."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise RuleError(f"{name}: no such profile file")
        return path
    files = project_profile_files(extra)
    return _project_profiles(files, folder or builtin_rules_dir())[1].get(name) if files \
        else None


def _pick(name: str, kinds: tuple[str, ...], table: Mapping[str, ProfileSpec]) -> ProfileSpec:
    spec = table.get(name)
    if spec is None or spec.kind not in kinds:
        pool = [n for n, s in table.items() if s.kind in kinds]
        close = difflib.get_close_matches(name, pool, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(sorted(pool))
        what = "genre" if kinds == ("genre",) else "profile"
        raise RuleError(f"unknown {what} {name!r}; {hint}")
    return spec


def _delivery_targets(dest: ProfileSpec) -> Targets:
    """The destination's targets, with what its normalisation implies filled in.

    A service's reference level is its loudness target; a turn-up bounded by the true-peak
    headroom gives ``turn_up_ceiling_dbtp`` (a turn-up through a limiter gives none: the
    rules treat it as not raising the master cleanly).
    """
    norm = dest.normalisation
    if norm is None:
        return dest.targets
    implied: dict[str, float | None] = {"integrated_lufs": norm.reference_lufs}
    if norm.turns_up and norm.turn_up_limit == "true_peak":
        implied["turn_up_ceiling_dbtp"] = norm.ceiling_dbtp
    return _merge(dest.targets, Targets(**implied))


#: Which destinations' playback a profile's report shows, by the profile's kind: a master
#: for a CD or a club ends up on the streaming services too; broadcast has its own family.
_PLAYBACK_FAMILY: dict[str, str] = {"platform": "platform", "master": "platform",
                                    "broadcast": "broadcast"}


def playback_destinations(profile: Profile, *, folder: Path | None = None,
                          extra: Iterable[str | Path] = ()) -> list[tuple[str, Normalisation]]:
    """(name, normalisation) of every destination in the profile's family that normalises."""
    family = _PLAYBACK_FAMILY.get(profile.kind)
    return [(name, spec.normalisation) for name, spec in profiles(folder, extra).items()
            if spec.kind == family and spec.normalisation is not None]


def _merge(base: Targets, over: Targets) -> Targets:
    values = base.model_dump()
    values.update({k: v for k, v in over.model_dump().items() if v is not None})
    return Targets(**values)


def resolve_profile(
    name: str = DEFAULT_PROFILE,
    genre: str | None = None,
    reference_descriptors: Mapping[str, Any] | None = None,
    *,
    folder: Path | None = None,
    extra: Iterable[str | Path] = (),
    reference_paths: Sequence[str] = (),
) -> Profile:
    """Merge destination ``name``, ``genre`` and a reference track into one ``Profile``.

    ``name`` is a built-in destination, a profile file (``.yaml``) or the name of one of the
    project's profiles (``extra``: its profile files and folders); a learned profile
    brings its own envelope (the engineer's masters), which replaces the envelopes of
    released music, and its dynamics and tonal targets are not overridden by a genre.
    Precedence: reference track > genre > destination for the targets each sets; the
    destination's true-peak ceiling is kept, because the delivery limit does not change
    with taste. A reference sets the integrated loudness, the tonal curve (its band levels)
    and minimum loudness range / crest / PLR (its own values minus the slack that
    ``rules/profiles/reference.yaml`` sets); ``reference_descriptors`` of several
    references are their average (``average_references``).
    """
    table = profiles(folder, extra)
    env_spec = envelopes(folder)
    learned = None
    dest_name = name
    custom = profile_file(name, folder=folder, extra=extra)
    if custom is not None:
        spec_file = load_custom_profile(custom)
        dest = next(p for p in spec_file.profiles if p.kind != "genre")
        table = {**table, dest.name: dest}
        env_spec = spec_file.envelopes or env_spec
        learned, dest_name = spec_file.learned, dest.name
    dest = _pick(dest_name, ("platform", "broadcast", "master"), table)
    gen = _pick(genre or DEFAULT_GENRE, ("genre",), table)
    # Delivery targets come from the destination; a genre sets dynamics and tonal balance,
    # unless the destination was learned from the engineer's masters (it sets all).
    targets = _delivery_targets(dest)
    sources = [dest.source]
    if dest.family is None:
        targets = _merge(targets, Targets(**gen.targets.model_dump(exclude=_DELIVERY_TARGETS)))
        sources += [gen.source] if gen.source != dest.source else []
    if reference_descriptors:
        slack_db = _profile_files(folder or builtin_rules_dir())[1].dynamics_slack_db
        ref = _reference_targets(reference_descriptors, slack_db)
        if dest.kind != "master":  # platforms and broadcast fix the delivery level
            ref = ref.model_copy(update={"integrated_lufs": None})
        targets = _merge(targets, ref)
        sources.append("reference tracks: " + ", ".join(reference_paths)
                       if reference_paths else "reference track")
    family = dest.family or gen.family
    fields = _envelope_fields(env_spec, family, asked_by=f"genre {gen.name!r}: ")
    if fields["envelope_source"]:
        sources.append(fields["envelope_source"])
    if dest.codecs:
        sources.append(dest.codecs_source)
    return Profile(name=dest.name, title=dest.title, kind=dest.kind, codecs=dest.codecs,
                   genre=genre, reference=bool(reference_descriptors),
                   references=list(reference_paths), learned=learned, sources=sources,
                   targets=targets, family=family, **fields)


def _envelope_fields(env_spec: EnvelopeFileSpec | None, family: str | None, *,
                     asked_by: str = "") -> dict[str, Any]:
    """A ``Profile``'s envelope fields: ``family``'s envelope (or the union), every
    family's, their curves, and where they come from. A family the envelopes lack is an
    error (``asked_by`` says who named it)."""
    if env_spec is None:
        return {"envelope_source": None, "envelope": {}, "family_envelopes": {},
                "envelope_curves": {}, "envelope_union": {}}
    if family is not None and family not in env_spec.families:
        raise RuleError(f"{asked_by}no envelope for family {family!r}; known: "
                        + ", ".join(sorted(env_spec.families)))
    fams = [family] if family else sorted(env_spec.families)
    return {
        "envelope_source": f"{env_spec.source}; judged against " + (
            f"family {family}" if family else
            "the family nearest to each file's 1/3-octave spectrum, of " + ", ".join(fams)),
        "envelope": envelope_values(env_spec, family),
        "family_envelopes": {k: envelope_values(env_spec, k) for k in env_spec.families},
        "envelope_curves": {k: f.third_octave_db for k, f in env_spec.families.items()
                            if f.third_octave_db},
        "envelope_union": envelope_values(env_spec, None),
    }


def with_envelopes(profile: Profile, env_spec: EnvelopeFileSpec) -> Profile:
    """``profile`` judged against other envelopes of released music (e.g. learned without
    one source, to test them on it); its family must be one of theirs."""
    fields = _envelope_fields(env_spec, profile.family)
    sources = [fields["envelope_source"] if s == profile.envelope_source else s
               for s in profile.sources]
    return profile.model_copy(update={**fields, "sources": sources})


#: Reference descriptors the targets are taken from: levels, band shares and dynamics.
REFERENCE_DESCRIPTORS: tuple[str, ...] = (
    *_REFERENCE_TARGETS, "loudness.range_lu", "loudness.crest_factor_db", "loudness.plr_db")


def average_references(references: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """The target of several references: the arithmetic mean of each descriptor in
    ``REFERENCE_DESCRIPTORS`` over the references that define it.

    Levels (LUFS) and band shares (dB relative to each track's own total power) are
    averaged in dB, not in power: every reference counts the same, whatever its level, so
    one loud or bass-heavy record does not decide the target; dynamics (LU, dB) likewise.
    """
    out: dict[str, float | None] = {}
    for name in REFERENCE_DESCRIPTORS:
        have = [v for r in references if (v := number_or_none(r.get(name))) is not None]
        out[name] = round(sum(have) / len(have), 3) if have else None
    return out


def codec_facts(profile: Profile, descriptors: Mapping[str, Any]) -> dict[str, Any]:
    """``profile.codec_true_peak_dbtp`` and ``profile.codec_worst``: the true peak after the
    destination's codec that raises it most, and that codec (NaN and "" when none of the
    profile's codecs was measured: the codec check was not asked for)."""
    measured = {name: v for name in profile.codecs
                if (v := number_or_none(descriptors.get(f"codec.{name}.true_peak_dbtp")))
                is not None}
    if not measured:
        return {"profile.codec_true_peak_dbtp": math.nan, "profile.codec_worst": ""}
    worst = max(measured, key=lambda name: (measured[name], name))
    return {"profile.codec_true_peak_dbtp": measured[worst], "profile.codec_worst": worst}


def _reference_targets(ref: Mapping[str, Any], slack_db: float) -> Targets:
    values: dict[str, float | None] = {
        t: number_or_none(ref.get(d)) for d, t in _REFERENCE_TARGETS.items()}
    for descriptor, target in (("loudness.range_lu", "loudness_range_min_lu"),
                               ("loudness.crest_factor_db", "crest_factor_min_db"),
                               ("loudness.plr_db", "plr_min_db")):
        v = number_or_none(ref.get(descriptor))
        values[target] = None if v is None else round(v - slack_db, 2)
    return Targets(**{k: (round(v, 2) if v is not None else None) for k, v in values.items()})
