"""Envelopes of released music: loading, families, the union, family inference, peak excess."""

from __future__ import annotations

import math

import pytest

from corpus import envelopes as learner
from expert.rules.model import (
    ENVELOPE_CONTRASTS,
    EnvelopeFileSpec,
    Profile,
    Targets,
    envelope_names,
)
from expert.rules.profiles import (
    envelope_values,
    envelopes,
    family_distances,
    file_envelope,
    judged_envelope,
    peak_excess,
    resolve_profile,
    with_envelopes,
)

CENTERS = [31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500]


def _family(p50: float, spread: float, n: int = 10) -> dict:
    curve = {"centers_hz": CENTERS, "p5": [p50 - spread] * len(CENTERS),
             "p50": [p50] * len(CENTERS), "p95": [p50 + spread] * len(CENTERS)}
    stat = {"n": n, "p5": p50 - spread, "p50": p50, "p95": p50 + spread}
    return {"family": "x", "n_files": n, "sources": ["a"],
            "stats": {"bass_vs_mid_db": stat}, "third_octave_db": curve}


SPEC = EnvelopeFileSpec.model_validate({
    "source": "test", "command": "none", "percentiles": [5, 50, 95],
    "families": {"dark": _family(-20.0, 2.0), "bright": _family(-10.0, 4.0)}})


def test_builtin_envelopes_name_their_provenance_and_cover_three_families():
    spec = envelopes()
    assert spec is not None
    assert "real-dev" in spec.source and "real-check" not in spec.source
    assert {"orchestral_acoustic", "band_rock", "electronic_bass_heavy"} <= set(spec.families)
    for fam in spec.families.values():
        assert fam.n_files >= 10 and fam.sources
        for stat in fam.stats.values():
            assert stat.p5 <= stat.p50 <= stat.p95


def test_union_takes_the_widest_spread():
    union = envelope_values(SPEC, None)
    assert union["bass_vs_mid_db.p5"] == -22.0
    assert union["bass_vs_mid_db.p95"] == -6.0
    assert envelope_values(SPEC, "dark")["bass_vs_mid_db.p95"] == -18.0


@pytest.mark.parametrize(("level", "nearest"), [(-20.5, "dark"), (-9.0, "bright")])
def test_the_nearest_family_is_the_one_whose_curve_the_spectrum_follows(level, nearest):
    dist = family_distances(SPEC, [level] * len(CENTERS))
    assert min(dist, key=dist.get) == nearest


def test_a_genre_fixes_the_family_and_no_genre_infers_it():
    assert resolve_profile(genre="classical").family == "orchestral_acoustic"
    general = resolve_profile()
    assert general.family is None
    env = file_envelope(general, None)  # no spectrum: the union, said so
    assert env["profile.family"] == "union"
    assert math.isnan(env["envelope.excess.bass.hz"])


def _inferring(margin: float | None) -> Profile:
    """A profile without a genre over SPEC's two families."""
    return Profile(name="t", title="t", kind="genre", targets=Targets(family_margin=margin),
                   family_envelopes={k: envelope_values(SPEC, k) for k in SPEC.families},
                   envelope_curves={k: f.third_octave_db for k, f in SPEC.families.items()},
                   envelope_union=envelope_values(SPEC, None))


def _level_between() -> float:
    """A flat spectrum about as near to 'dark' as to 'bright' (dark nearer, by < 0.05)."""
    levels = [-20.0 + 0.01 * i for i in range(1000)]
    gaps = [(d["bright"] - d["dark"], x) for x in levels
            if (d := family_distances(SPEC, [x] * len(CENTERS)))["bright"] >= d["dark"]]
    gap, level = min(gaps)
    assert gap < 0.05
    return level


def test_two_families_about_as_near_are_both_judged_against():
    level = _level_between()
    env = file_envelope(_inferring(0.2), [level] * len(CENTERS))
    assert env["profile.family"] == "dark or bright"
    # The nearest family's median, the wider range of the two on either side.
    assert env["envelope.bass_vs_mid_db.p50"] == -20.0
    assert env["envelope.bass_vs_mid_db.p5"] == -22.0
    assert env["envelope.bass_vs_mid_db.p95"] == -6.0
    shown = judged_envelope(_inferring(0.2), env["profile.family"])
    assert shown is not None and shown.family == "dark or bright"
    assert shown.stats["bass_vs_mid_db"].p95 == -6.0
    assert shown.third_octave_db["p95"] == [-6.0] * len(CENTERS)
    assert shown.third_octave_db["p5"] == [-22.0] * len(CENTERS)


def test_a_clear_choice_or_no_margin_judges_against_one_family():
    level = _level_between()
    assert file_envelope(_inferring(None), [level] * len(CENTERS))["profile.family"] == "dark"
    clear = file_envelope(_inferring(0.2), [-20.5] * len(CENTERS))
    assert clear["profile.family"] == "dark"
    assert clear["envelope.bass_vs_mid_db.p95"] == -18.0
    assert judged_envelope(_inferring(0.2), "dark").stats["bass_vs_mid_db"].p95 == -18.0


def test_builtin_general_genre_sets_the_family_margin():
    assert resolve_profile().targets.family_margin == pytest.approx(0.2)


def test_peak_excess_finds_a_bell_between_bands_and_its_width():
    curve = {"centers_hz": CENTERS, "p50": [-20.0] * len(CENTERS)}
    spectrum = [-20.0] * len(CENTERS)
    i = CENTERS.index(315)
    spectrum[i - 1], spectrum[i], spectrum[i + 1] = -14.0, -11.0, -12.0  # peak above 315 Hz
    hz, db, q = peak_excess(spectrum, curve, 250.0, 500.0)
    assert 315.0 < hz < 400.0
    assert 9.0 <= db <= 10.0
    assert 1.0 < q < 4.5


def test_every_contrast_and_descriptor_has_expression_names():
    names = envelope_names()
    for entry in ENVELOPE_CONTRASTS:
        assert f"envelope.{entry}.p95" in names and f"envelope.union.{entry}.p5" in names
    assert names["envelope.loudness.plr_db.p5"] == "dB"


def test_learner_refuses_the_held_out_set(capsys):
    assert learner.main(["--set", "real-check"]) == 2
    assert "real-check" in capsys.readouterr().err


def test_learner_statistics_per_family():
    rows = [{"family": "band/rock", "source": f"s{i}", "name": f"f{i}",
             "values": {"loudness.plr_db": float(i)},
             "third": [float(-i)] * 3, "centers": [100, 200, 400]} for i in range(1, 12)]
    fams = learner.learn(rows)
    fam = fams["band_rock"]
    assert fam["n_files"] == 11 and len(fam["sources"]) == 11
    assert fam["stats"]["loudness.plr_db"]["p50"] == 6.0
    assert fam["third_octave_db"]["p50"] == [-6.0, -6.0, -6.0]
    assert learner.clean_entries({"files": [{"case": "norm"}, {"case": "dull"}]}) == [
        {"case": "norm"}]


def test_a_profile_judged_against_other_envelopes_keeps_its_targets():
    built_in = resolve_profile("streaming")
    other = with_envelopes(built_in, SPEC)
    assert other.targets == built_in.targets and other.family is None
    assert sorted(other.family_envelopes) == ["bright", "dark"]
    assert other.envelope_union["bass_vs_mid_db.p5"] == pytest.approx(-22.0)
    assert other.envelope_union["bass_vs_mid_db.p95"] == pytest.approx(-6.0)
    assert other.envelope_source.startswith("test; judged against the family nearest")
    assert other.envelope_source in other.sources
    assert built_in.envelope_source not in other.sources
    assert len(other.sources) == len(built_in.sources)


def test_a_genre_whose_family_the_other_envelopes_lack_is_refused():
    from expert.errors import RuleError

    with pytest.raises(RuleError, match="no envelope for family"):
        with_envelopes(resolve_profile("streaming", genre="rock"), SPEC)
