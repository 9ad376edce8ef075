"""Profiles: the destination's targets (platform, broadcast, master) and genre expectations.

All figures live in ``rules/profiles/*.yaml`` with their sources. A resolved ``Profile``
merges a destination (loudness and true-peak targets) with a genre (loudness range, crest,
tonal-balance curve; the ``general`` genre when none is given) and, optionally, targets
derived from a reference track the engineer likes.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from expert.descriptors.values import finite_or_none
from expert.errors import RuleError
from expert.rules.builtin import builtin_rules_dir
from expert.rules.model import (
    DEFAULT_PROFILE,
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
def _profile_files(folder: Path) -> tuple[dict[str, ProfileSpec], ReferenceSpec]:
    out: dict[str, ProfileSpec] = {}
    reference: ReferenceSpec | None = None
    for path in sorted((folder / "profiles").glob("*.yaml")):
        spec_file = load_profile_file(path)
        for spec in spec_file.profiles:
            if spec.name in out:
                raise RuleError(f"{path}:1:1: profile {spec.name!r} is defined twice")
            out[spec.name] = spec
        if spec_file.reference is not None:
            if reference is not None:
                raise RuleError(f"{path}:1:1: 'reference:' is set in two profile files")
            reference = spec_file.reference
    if reference is None:
        raise RuleError(f"{folder / 'profiles'}:1:1: no profile file sets 'reference:'")
    return out, reference


def _profiles(folder: Path) -> dict[str, ProfileSpec]:
    return _profile_files(folder)[0]


def profiles(folder: Path | None = None) -> dict[str, ProfileSpec]:
    """All built-in profiles by name (destinations and genres)."""
    return _profiles(folder or builtin_rules_dir())


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


def playback_destinations(profile: Profile, *, folder: Path | None = None
                          ) -> list[tuple[str, Normalisation]]:
    """(name, normalisation) of every destination in the profile's family that normalises."""
    family = _PLAYBACK_FAMILY.get(profile.kind)
    return [(name, spec.normalisation) for name, spec in profiles(folder).items()
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
) -> Profile:
    """Merge destination ``name``, ``genre`` and a reference track into one ``Profile``.

    Precedence: reference track > genre > destination for the targets each sets; the
    destination's true-peak ceiling is kept, because the delivery limit does not change
    with taste. A reference sets the integrated loudness, the tonal curve (its band levels)
    and minimum loudness range / crest / PLR (its own values minus the slack that
    ``rules/profiles/reference.yaml`` sets).
    """
    table = profiles(folder)
    dest = _pick(name, ("platform", "broadcast", "master"), table)
    gen = _pick(genre or DEFAULT_GENRE, ("genre",), table)
    # Delivery targets come from the destination; a genre sets dynamics and tonal balance.
    genre_only = gen.targets.model_dump(exclude=_DELIVERY_TARGETS)
    targets = _merge(_delivery_targets(dest), Targets(**genre_only))
    sources = [dest.source] + ([gen.source] if gen.source != dest.source else [])
    if reference_descriptors:
        slack_db = _profile_files(folder or builtin_rules_dir())[1].dynamics_slack_db
        ref = _reference_targets(reference_descriptors, slack_db)
        if dest.kind != "master":  # platforms and broadcast fix the delivery level
            ref = ref.model_copy(update={"integrated_lufs": None})
        targets = _merge(targets, ref)
        sources.append("reference track")
    return Profile(name=dest.name, title=dest.title, kind=dest.kind,
                   genre=genre, reference=bool(reference_descriptors), sources=sources,
                   targets=targets)


def _number(value: Any) -> float | None:
    """A reference descriptor's number; None for anything else (undefined, text, a flag)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return finite_or_none(value)


def _reference_targets(ref: Mapping[str, Any], slack_db: float) -> Targets:
    values: dict[str, float | None] = {
        t: _number(ref.get(d)) for d, t in _REFERENCE_TARGETS.items()}
    for descriptor, target in (("loudness.range_lu", "loudness_range_min_lu"),
                               ("loudness.crest_factor_db", "crest_factor_min_db"),
                               ("loudness.plr_db", "plr_min_db")):
        v = _number(ref.get(descriptor))
        values[target] = None if v is None else round(v - slack_db, 2)
    return Targets(**{k: (round(v, 2) if v is not None else None) for k, v in values.items()})
