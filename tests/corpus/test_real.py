"""The real-music corpus: recipe, split, label rules, injections seen by the independent
meter, and the CI subset built from Debian's archive and scored end to end."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus.real import build as real
from corpus.real import inject, labels, meter, sources
from expert.rules.loader import builtin_problems

SR = 44100


def _source(i: int, family: str, package: str = "p") -> sources.Source:
    return sources.Source(f"{package}/s{i}", package, "1", family, (f"f{i}",), (Path("x"),),
                          100.0, SR)


def _music(seconds: float = 6.0, seed: int = 3) -> np.ndarray:
    """A stereo stand-in for music: noise, correlated channels, a pulse every 0.5 s."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    white = rng.standard_normal((n, 3))
    env = 0.3 + np.exp(-((np.arange(n) / SR) % 0.5) * 8)
    x = 0.8 * white[:, :1] + 0.3 * white[:, 1:]  # correlated channels, same level
    x = inject.lowpass(x.astype(np.float32), rng, 19500)  # like a good lossy encode
    return (x * env[:, None] * 0.05).astype(np.float32)


def test_recipe_injects_every_problem_but_sibilance_as_present() -> None:
    recipe = real.load_recipe()
    present = {p for case in recipe.cases for p in case.present}
    assert present == set(builtin_problems()) - set(labels.NEVER_ASSERTED)
    strong = {p for c in recipe.cases if c.strength == "strong" for p in c.present}
    subtle = {p for c in recipe.cases if c.strength == "subtle" for p in c.unknown}
    # a channel's polarity is inverted or not: no subtle strength (the stem-level flip
    # labels it unknown instead)
    assert strong - {"polarity_inverted_channel"} <= subtle
    for case in recipe.cases:
        if case.sources != "all" and not case.stems:
            assert sum(case.sources) >= 5  # with the subtle line: >= 10 sources per key


def test_split_is_by_source_balanced_and_stable() -> None:
    pool = ([_source(i, "band/rock", "rock") for i in range(8)]
            + [_source(i, "orchestral/acoustic", "orch") for i in range(40)]
            + [_source(i, "electronic/bass-heavy", "elec") for i in range(50)])
    split = sources.split_of(pool)
    for family in {s.family for s in pool}:
        ids = [s.id for s in pool if s.family == family]
        share = sum(split[i] == "check" for i in ids) / len(ids)
        assert 0.2 <= share <= 0.4
    # one package missing changes nothing for the others
    assert sources.split_of([s for s in pool if s.package != "rock"]) == {
        k: v for k, v in split.items() if not k.startswith("rock/")}


def test_a_package_that_fixes_its_split_leaves_the_others_alone() -> None:
    """A package added after real-check was fixed goes to real-dev whole, and real-check's
    sources (and the split of every other package) stay what they were."""
    pool = ([_source(i, "band/rock", "rock") for i in range(9)]
            + [_source(i, "electronic/bass-heavy", "elec") for i in range(30)])
    before = sources.split_of(pool)
    late = [dataclasses.replace(_source(i, "band/rock", "late"), split="dev") for i in range(12)]
    after = sources.split_of(pool + late)
    assert {k: v for k, v in after.items() if not k.startswith("late/")} == before
    assert all(after[s.id] == "dev" for s in late)
    recipe = real.load_recipe()
    check = real.plan(recipe, "real-check", pool)
    assert real.plan(recipe, "real-check", pool + late) == check
    assert set(real.plan(recipe, "real-dev", pool + late)) >= {s.id for s in late}


def test_no_source_is_in_both_sets() -> None:
    recipe = real.load_recipe()
    pool = ([_source(i, "band/rock", "rock") for i in range(8)]
            + [_source(i, "electronic/bass-heavy", "elec") for i in range(30)])
    dev, check = real.plan(recipe, "real-dev", pool), real.plan(recipe, "real-check", pool)
    assert dev and check and not set(dev) & set(check)


def _labels(measured: dict, present=(), unknown=(), reference=None, clean=True):
    return labels.label(vocabulary=builtin_problems(), present=list(present),
                        unknown=list(unknown), injected="test", measured=measured,
                        reference=reference, spread={}, family="band/rock",
                        clean_case=clean)[0]


def test_clean_normalised_control_is_absent_on_every_key_it_can_be() -> None:
    y, reduction = inject.normalise(_music())
    m = meter.measure(y)
    assert abs(m["integrated_lufs"] + 14.0) <= 0.1 and m["true_peak_dbtp"] <= -1.0
    state = _labels(m)
    assert state["sibilant"] == labels.UNKNOWN
    assert {k for k, v in state.items() if v != labels.ABSENT} == {"sibilant"}


@pytest.mark.parametrize(("steps", "key"), [
    ([{"drive": {"drive_db": 8}}], "loudness_too_hot"),
    ([{"target": {"lufs": -24}}], "loudness_too_quiet"),
    ([{"clip": {"drive_db": 12}}], "clipping"),
    ([{"lowpass": {"cutoff_hz": 11000}}], "band_limited"),
    ([{"dc": {"offset": 0.03}}], "dc_offset"),
    ([{"balance": {"db": 6}}], "lr_imbalance"),
    ([{"mono": {}}], "fake_stereo"),
    ([{"sample_peak": {"gain_db": 3, "ceiling_db": -0.1}}], "true_peak_over"),
])
def test_an_injected_problem_is_measured_by_the_independent_meter(steps, key) -> None:
    case = real.CaseEntry(id="t", inject=steps)
    audio, _ = real._produce(case, {"mix": _music()}, "seed")
    assert _labels(meter.measure(np.clip(audio, -1, 1)), clean=False)[key] == labels.PRESENT


def test_a_tonal_injection_the_meter_cannot_see_is_unknown() -> None:
    clean, _ = inject.normalise(_music())
    ref = meter.measure(clean)
    case = real.CaseEntry(id="t", inject=[{"eq": {"freq_hz": 350, "gain_db": 0.5}}])
    audio, _ = real._produce(case, {"mix": _music()}, "seed")
    state = _labels(meter.measure(audio), present=["muddy"], reference=ref, clean=False)
    assert state["muddy"] == labels.UNKNOWN
    case = real.CaseEntry(id="t", inject=[{"eq": {"freq_hz": 350, "gain_db": 9, "q": 0.9}}])
    audio, _ = real._produce(case, {"mix": _music()}, "seed")
    state = _labels(meter.measure(audio), present=["muddy"], reference=ref, clean=False)
    assert state["muddy"] == labels.PRESENT


def test_an_injected_true_peak_the_meter_reads_under_the_ceiling_is_unknown() -> None:
    quiet = dict(meter.measure(inject.normalise(_music())[0]))
    assert quiet["true_peak_dbtp"] <= labels.TP_CEILING_DBTP
    assert _labels(quiet, present=["true_peak_over"], clean=False)["true_peak_over"] == \
        labels.UNKNOWN
    over = {**quiet, "true_peak_dbtp": -0.8}  # over the ceiling, under the meter's own line
    assert _labels(over, present=["true_peak_over"], clean=False)["true_peak_over"] == \
        labels.PRESENT



def test_an_injected_mono_loss_the_meter_cannot_see_is_unknown() -> None:
    rng = np.random.default_rng(5)
    apart = (rng.standard_normal((4 * SR, 2)) * 0.05).astype(np.float32)  # no common part
    together = _music()  # mostly one signal on both sides
    for part, seen in ((apart, labels.UNKNOWN), (together, labels.PRESENT)):
        ref = meter.measure(part)
        flipped = part * np.array([1.0, -1.0], dtype=np.float32)  # one side inverted
        state = _labels(meter.measure(flipped), present=["poor_mono_compatibility"],
                        reference=ref, clean=False)
        assert state["poor_mono_compatibility"] == seen


def test_an_inversion_that_makes_the_channels_correlate_is_unknown() -> None:
    together = _music()
    for part, seen in ((together * np.array([1.0, -1.0], dtype=np.float32), labels.UNKNOWN),
                       (together, labels.PRESENT)):
        ref = meter.measure(part)  # the first source is itself anti-correlated
        flipped = part * np.array([1.0, -1.0], dtype=np.float32)
        state = _labels(meter.measure(flipped), present=["polarity_inverted_channel"],
                        reference=ref, clean=False)
        assert state["polarity_inverted_channel"] == seen


@pytest.mark.parametrize(("offset", "state"), [(0.0005, labels.ABSENT),
                                                (0.012, labels.UNKNOWN),
                                                (0.03, labels.PRESENT)])
def test_a_mean_near_the_dc_threshold_is_unknown(offset: float, state: str) -> None:
    measured = {**meter.measure(inject.normalise(_music())[0]), "dc_offset": offset,
                "dc_held": offset}  # a constant offset: every second holds it
    assert _labels(measured, clean=False)["dc_offset"] == state


def test_a_master_holding_infrasound_is_unknown_for_rumble() -> None:
    """The meter reads a rumble injection under 20 Hz, and a file holding infrasound over 1 %
    of its power cannot be labelled free of rumble; the injected case stays present."""
    clean = inject.normalise(_music())[0]
    quiet = meter.measure(clean)
    assert quiet["infrasonic_db"] < labels.INFRASONIC_UNKNOWN_DB
    assert _labels(quiet, clean=False)["sub_rumble"] == labels.ABSENT
    case = real.CaseEntry(id="t", inject=[{"rumble": {"level_db": 0}}])
    audio, _ = real._produce(case, {"mix": _music()}, "seed")
    rumbling = meter.measure(audio)
    assert rumbling["infrasonic_db"] > -10.0
    assert _labels(rumbling, clean=False)["sub_rumble"] == labels.UNKNOWN
    assert _labels(rumbling, present=["sub_rumble"], clean=False)["sub_rumble"] == \
        labels.PRESENT


def test_a_wandering_mean_is_no_dc_offset() -> None:
    """An offset is present only where every second holds it: a mean that drifts from
    negative to positive (infrasound) is unknown, a constant one present."""
    music = inject.normalise(_music(seconds=6.0))[0]
    t = np.arange(music.shape[0]) / SR
    drift = (0.08 * (t / t[-1]) - 0.01).astype(np.float32)[:, None]  # -0.01 -> +0.07
    for shifted, state in ((music + drift, labels.UNKNOWN), (music + 0.03, labels.PRESENT)):
        measured = meter.measure(shifted)
        assert measured["dc_offset"] > labels.DC_PRESENT
        assert _labels(measured, clean=False)["dc_offset"] == state


def test_an_injected_clip_the_meter_does_not_call_clipping_is_unknown() -> None:
    quiet = meter.measure(inject.normalise(_music())[0])
    assert quiet["clipped_runs"] == 0
    assert _labels(quiet, present=["clipping"], clean=False)["clipping"] == labels.UNKNOWN
    once = {**quiet, "clipped_runs": 1}
    assert _labels(once, present=["clipping"], clean=False)["clipping"] == labels.UNKNOWN
    clipped = {**quiet, "clipped_runs": labels.CLIP_PRESENT_RUNS}
    assert _labels(clipped, present=["clipping"], clean=False)["clipping"] == labels.PRESENT


def test_cutoff_of_a_low_passed_signal() -> None:
    x = inject.lowpass(_music(), np.random.default_rng(0), 11000)
    freqs, power, _ = meter.spectra(x)
    assert 10500 <= meter.cutoff_hz(freqs, power) <= 11500
    freqs, power, _ = meter.spectra(_music())
    assert meter.cutoff_hz(freqs, power) >= 19000


def test_true_peak_agrees_with_the_generator_meter() -> None:
    from corpus import dsp

    x = _music()
    assert abs(meter.true_peak_dbtp(x) - dsp.true_peak_dbtp(x)) <= 0.2


def test_a_missing_package_is_one_line_and_the_rest_builds(tmp_path) -> None:
    recipe = real.load_recipe()
    bad = recipe.packages[0].model_copy(update={"name": "no-such-music-package-xyz"})
    recipe = recipe.model_copy(update={"packages": [bad]})
    said: list[str] = []
    assert real.available_sources(recipe, tmp_path, None, said.append) == []
    assert len(said) == 1 and "no-such-music-package-xyz" in said[0] and "\n" not in said[0]


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get (Debian)")
def test_ci_subset_builds_and_scores(tmp_path) -> None:
    """The real CI set (asc-music + fretsonfire-songs-sectoid, dev sources, 12 s excerpts)
    is built from Debian's archive and scored by `mixexpert eval`."""
    import json

    from expert.cli import main

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    try:
        manifest = real.build("real-ci", corpus_dir=corpus, jobs=2)
    except real.BuildError as exc:
        pytest.skip(f"Debian archive not reachable: {exc}")
    out = tmp_path / "eval.json"
    # Accuracy floors CI enforces through eval's exit status: the figures measured when they
    # were set (macro-F1 0.74 at round 6; README), less a margin for the few files of this
    # subset.
    # Raise them as the knowledge improves, never lower them quietly. The clean false-alarm
    # rate counts every file with nothing expected since the second tuning round (before,
    # only files without any label): 2 of the 5 here, both one metal track whose guitar
    # cabinet holds a 9 dB resonance at 640 Hz in every second.
    code = main(["eval", str(manifest.parent), "--jobs", "2", "--format", "json",
                 "--output", str(out), "--min-macro-f1", "0.67",
                 "--max-clean-false-alarm", "0.4"])
    doc = json.loads(out.read_text())
    assert code == 0 and doc["files"] >= 30 and doc["errors"] == 0
    assert doc["macro_f1"] is not None and doc["clean_false_alarm_rate"] is not None
    keys = {p["problem"] for p in doc["problems"] if p["support"]}
    assert len(keys) >= 20
    # Findings do not flip between near-identical files (issue 9, mechanism 4): a master
    # as released and normalised to -14 LUFS gets the same diagnoses but for its level.
    level_keys = {"loudness_too_hot", "loudness_too_quiet", "true_peak_over", "clipping",
                  "over_compressed"}
    found = {r["path"]: set(r["found"]) - level_keys for r in doc["results"]}
    controls = sorted(p.rsplit("/", 1)[0] for p in found if p.endswith("/orig.flac"))
    assert len(controls) >= 5
    for source in controls:
        assert found[f"{source}/orig.flac"] == found[f"{source}/norm.flac"], source
