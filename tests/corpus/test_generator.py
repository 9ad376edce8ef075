"""The corpus generator on one short song: deterministic, clean to spec, and every injected
problem measurably there (compared with the clean master of the same song)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from corpus import dsp, inject, mixing
from corpus.music import SongSpec, compose
from corpus.render import render_stems, write_midi

SPEC = SongSpec("test", "funk", 132.0, "A", 7, 12.0)  # 7 bars: intro, verse, chorus, outro
Audio = np.ndarray


@pytest.fixture(scope="module")
def placed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Audio]:
    return mixing.place_stems(SPEC, render_stems(SPEC, tmp_path_factory.mktemp("stems")))


def produce(placed: dict[str, Audio], steps: list[dict]) -> tuple[Audio, mixing.Context]:
    ctx = mixing.Context(SPEC, np.random.default_rng(1))
    return mixing.produce(SPEC, placed, inject.bind(steps), ctx), ctx


@pytest.fixture(scope="module")
def clean(placed: dict[str, Audio]) -> Audio:
    return produce(placed, [])[0]


def band_db(x: Audio, low_hz: float, high_hz: float, *, side: bool = False) -> float:
    """Power (dB) of the mid (or side) signal between two frequencies (Welch)."""
    mono = 0.5 * (x[:, 0] - x[:, 1]) if side else 0.5 * (x[:, 0] + x[:, 1])
    freqs, power = signal.welch(mono, dsp.SR_HZ, nperseg=8192)
    return float(10 * np.log10(power[(freqs >= low_hz) & (freqs < high_hz)].sum() + 1e-20))


def tilt_db(x: Audio, band: tuple[float, float], reference: tuple[float, float]) -> float:
    """Power of a band relative to a reference band, dB."""
    return band_db(x, *band) - band_db(x, *reference)


def change_db(x: Audio, clean: Audio, band: tuple[float, float],
              reference: tuple[float, float]) -> float:
    """How much a band rose against a reference band, compared with the clean master."""
    return tilt_db(x, band, reference) - tilt_db(clean, band, reference)


def band_correlation(x: Audio, low_hz: float, high_hz: float) -> float:
    """Correlation of the channels band-passed between two frequencies."""
    return correlation(dsp.apply(dsp.butter_sos(4, (low_hz, high_hz), "bandpass"), x))


def intro(x: Audio) -> Audio:
    """The first two bars: pads, chords and hats only (no kick or bass)."""
    return x[: int(2 * SPEC.bar_s * dsp.SR_HZ)]


def tail_db(x: Audio) -> float:
    """Level of the last 0.2 s (the end of the fade-out, where noise shows), dBFS."""
    return float(10 * np.log10(np.mean(x[-int(0.2 * dsp.SR_HZ):] ** 2) + 1e-20))


def correlation(x: Audio) -> float:
    return float(np.corrcoef(x[:, 0], x[:, 1])[0, 1])


def test_composition_and_midi_are_deterministic(tmp_path: Path) -> None:
    digests = []
    for run in range(2):
        parts, onsets, plan = compose(SPEC)
        write_midi(parts["vox"], SPEC.tempo_bpm, tmp_path / f"{run}.mid")
        digests.append(hashlib.sha256((tmp_path / f"{run}.mid").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert [s.name for s in plan] == ["intro", "verse", "chorus", "outro"]
    assert onsets, "the voice needs fricatives for the sibilance variants"


def test_masters_are_deterministic(placed: dict[str, Audio]) -> None:
    steps = [{"hiss": {"level_db": -40}}, {"clicks": {"count": 3, "level_db": -6}}]
    first, second = produce(placed, steps)[0], produce(placed, steps)[0]
    assert hashlib.sha256(first.tobytes()).digest() == hashlib.sha256(second.tobytes()).digest()


def test_clean_master_meets_the_streaming_spec(clean: Audio) -> None:
    assert dsp.integrated_lufs(clean) == pytest.approx(mixing.TARGET_LUFS, abs=0.3)
    assert dsp.true_peak_dbtp(clean) <= mixing.CEILING_DBTP
    assert band_db(clean, 20, 120, side=True) < band_db(clean, 20, 120) - 20  # bass mono
    assert 0.3 < correlation(clean) < 0.95  # stereo, but not two copies


def test_sections_change_the_level(clean: Audio) -> None:
    bar = int(SPEC.bar_s * dsp.SR_HZ)
    intro, chorus = clean[:bar * 2], clean[bar * 4: bar * 6]
    assert 10 * np.log10(np.mean(chorus**2) / np.mean(intro**2)) > 4.0


Check = Callable[[Audio, Audio, mixing.Context], bool]
CASES: list[tuple[str, list[dict], Check]] = [
    ("boomy", [{"gain": {"stem": "bass", "gain_db": 8}}],
     lambda x, c, _: change_db(x, c, (40, 150), (500, 2000)) > 5),
    ("weak_bass", [{"gain": {"stem": "bass", "gain_db": -14}},
                   {"gain": {"stem": "kick", "gain_db": -8}}],
     lambda x, c, _: change_db(x, c, (40, 150), (500, 2000)) < -5),
    ("muddy", [{"eq": {"stem": "pads", "freq_hz": 300, "gain_db": 9, "q": 0.9}},
               {"eq": {"stem": "chords", "freq_hz": 300, "gain_db": 9, "q": 0.9}}],
     lambda x, c, _: change_db(x, c, (200, 500), (1000, 4000)) > 3),
    ("harsh", [{"eq": {"stem": "vox", "freq_hz": 3000, "gain_db": 12}},
               {"eq": {"stem": "chords", "freq_hz": 3000, "gain_db": 8}}],
     lambda x, c, _: change_db(x, c, (2000, 4500), (200, 1000)) > 3),
    ("sibilant", [{"eq": {"stem": "vox", "freq_hz": 7000, "gain_db": 12, "q": 1.2}}],
     lambda x, c, _: change_db(x, c, (5000, 10000), (200, 2000)) > 4),
    ("dull", [{"master_eq": {"freq_hz": 3500, "gain_db": -10}}],
     lambda x, c, _: change_db(x, c, (5000, 16000), (200, 2000)) < -6),
    ("too_bright", [{"master_eq": {"freq_hz": 5000, "gain_db": 8}}],
     lambda x, c, _: change_db(x, c, (5000, 16000), (200, 2000)) > 5),
    ("sub_rumble", [{"rumble": {"stem": "vox", "level_db": 0}}],
     lambda x, c, _: change_db(x, c, (10, 35), (100, 1000)) > 10),
    ("band_limited", [{"lowpass": {"cutoff_hz": 16000}}],
     lambda x, c, _: band_db(x, 16500, 20000) - band_db(c, 16500, 20000) < -40),
    ("hum", [{"hum": {"stem": "chords", "level_db": -18}}],
     lambda x, c, _: band_db(intro(x), 45, 55) - band_db(intro(c), 45, 55) > 10),
    ("noise", [{"hiss": {"level_db": -36}}], lambda x, c, _: tail_db(x) - tail_db(c) > 20),
    ("polarity_inverted_channel", [{"polarity": {}}],
     lambda x, c, _: correlation(x) < -0.3 < 0.3 < correlation(c)),
    ("bass_not_mono", [{"widen": {"stem": "bass", "amount": 0.8}}],
     lambda x, c, _: band_db(x, 20, 120, side=True) - band_db(c, 20, 120, side=True) > 10),
    ("poor_mono_compatibility",
     [{"antiphase": {"stem": "chords", "amount": 1.0}},
      {"antiphase": {"stem": "pads", "amount": 1.0}}],
     lambda x, c, _: band_correlation(c, 200, 2000) - band_correlation(x, 200, 2000) > 0.2),
    ("too_narrow", [{"width": {"factor": 0.15}}], lambda x, c, _: correlation(x) > 0.98),
    ("too_wide", [{"width": {"factor": 2.8}}],
     lambda x, c, _: band_db(x, 20, 20000, side=True) > band_db(x, 20, 20000) - 1),
    ("fake_stereo", [{"mono": {}}], lambda x, c, _: np.array_equal(x[:, 0], x[:, 1])),
    ("lr_imbalance", [{"balance": {"db": 6}}],
     lambda x, c, _: 10 * np.log10(np.mean(x[:, 0] ** 2) / np.mean(x[:, 1] ** 2)) > 5),
    ("over_compressed", [{"drive": {"drive_db": 8}}],
     lambda x, c, _: dsp.integrated_lufs(x) > -10.0 and dsp.true_peak_dbtp(x) <= -1.0),
    ("loudness_too_quiet", [{"target": {"lufs": -23}}],
     lambda x, c, _: abs(dsp.integrated_lufs(x) + 23.0) < 0.3),
    ("clipping", [{"clip": {"drive_db": 6}}],
     lambda x, c, _: np.mean(np.abs(x) >= 1.0) > 1e-3),
    ("true_peak_over", [{"sample_peak_limiter": {"ceiling_db": -0.1}}],
     lambda x, c, _: dsp.true_peak_dbtp(x) > -0.5 and np.abs(x).max() <= 1.0),
    ("dc_offset", [{"dc": {"offset": 0.03}}],
     lambda x, c, _: abs(float(x.mean()) - 0.03) < 0.005),
    ("clicks", [{"clicks": {"count": 4, "level_db": -3}}],
     lambda x, c, ctx: len(ctx.events["clicks"]) == 4
     and np.abs(np.diff(x[:, 0])).max() > 0.5),
    ("dropouts", [{"dropouts": {"count": 2, "length_ms": 120}}],
     lambda x, c, ctx: all(not x[int(a * dsp.SR_HZ):int(b * dsp.SR_HZ)].any()
                           for a, b in ctx.events["dropouts"])),
    ("leading_silence", [{"silence": {"head_s": 2.5, "tail_s": 4.0}}],
     lambda x, c, _: not x[: int(2.5 * dsp.SR_HZ)].any() and not x[-int(4 * dsp.SR_HZ):].any()
     and x.shape[0] == c.shape[0] + int(6.5 * dsp.SR_HZ)),
]


@pytest.mark.parametrize(("problem", "steps", "check"), CASES, ids=[c[0] for c in CASES])
def test_injected_problem_is_measurable(placed: dict[str, Audio], clean: Audio, problem: str,
                                        steps: list[dict], check: Check) -> None:
    audio, ctx = produce(placed, steps)
    assert audio.dtype == np.float32 and audio.shape[1] == 2
    assert check(audio, clean, ctx), problem
