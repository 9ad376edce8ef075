"""Mixing and mastering: cached stems become a finished stereo master.

Chain, in signal order (problems are injected at the stage where they happen in real work):

1. stems: each mono render is levelled by its active RMS, high-passed, placed (pan, or two
   takes panned apart for chords, mid/side width for pads) and automated per section
   (``stem`` injections act here, e.g. the bass 8 dB too loud);
2. reverb: a mono send of every stem through a stereo noise-tail hall, return high-passed
   at 200 Hz so the low end stays mono;
3. bus: sum, fade-out of the tail, glue compression 2:1 (``bus`` injections: polarity,
   balance, width, hiss);
4. master: tone EQ, then a true-peak look-ahead limiter whose input gain is solved so that
   the output is at the target loudness (``master`` injections change the EQ, push the
   drive, move the target or the ceiling);
5. delivery: ``post`` injections (clicks, dropouts, DC, clipping, encoder low-pass, silence).

Clean masters meet -14 LUFS integrated (+-0.3 LU) and at most -1 dBTP (ITU-R BS.1770-4
measures, see ``corpus.dsp``); ``build`` checks that for every clean file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from corpus import dsp
from corpus.music import SongSpec, sections
from corpus.render import active_rms

TARGET_LUFS = -14.0
CEILING_DBTP = -1.0
STEM_REFERENCE_DB = -20.0  # every stem is levelled to this active RMS before its fader
FADE_OUT_S = 1.2


@dataclass(frozen=True)
class StemSettings:
    """Fader (dB re the common reference), pan, high-pass, reverb send (dB, None = off),
    peaking EQ bands ``(freq_hz, gain_db, q)`` and a tanh saturation ``drive`` (0 = off)."""

    gain_db: float
    pan: float = 0.0
    highpass_hz: float = 30.0
    send_db: float | None = None
    eq: tuple[tuple[float, float, float], ...] = ()
    drive: float = 0.0


#: The balance of a clean mix; per-style changes live in STYLE_TRIMS_DB.
TEMPLATE: dict[str, StemSettings] = {
    "kick": StemSettings(3.0, 0.0, 30.0, -24.0),
    "snare": StemSettings(-2.5, 0.06, 90.0, -10.0),
    "hats": StemSettings(-10.0, 0.3, 300.0, -18.0),
    "bass": StemSettings(3.0, 0.0, 35.0, None),
    "chords": StemSettings(-7.0, 0.9, 120.0, -14.0, ((350.0, -3.0, 1.0), (2500.0, 3.0, 0.8))),
    "pads": StemSettings(-9.0, 0.0, 150.0, -8.0, ((300.0, -3.0, 1.0),)),
    # A lead vocal chain: preamp saturation (harmonics), less low-mid, presence at ~3 kHz.
    "vox": StemSettings(-1.5, 0.0, 100.0, -11.0, ((300.0, -5.0, 1.0), (3000.0, 5.0, 0.9)),
                        drive=3.0),
}
STYLE_TRIMS_DB: dict[str, dict[str, float]] = {
    "pop": {"bass": 1.5, "chords": -2.0, "pads": -2.0},
    "rock": {"chords": 1.0, "pads": -3.0, "snare": 1.0, "bass": 4.0, "kick": 3.0},
    "ballad": {"kick": -2.0, "snare": -5.0, "hats": -2.0, "pads": 1.0, "bass": 3.0},
    "funk": {"hats": -5.0, "snare": -1.0},
    "hiphop": {"kick": 1.0, "hats": -5.0, "pads": -3.0, "chords": -2.0},
}
SECTION_TRIMS_DB = {"chorus": {"pads": 2.0, "chords": 1.5}, "intro": {"chords": -2.0}}
PAD_WIDTH_DELAY_S = 0.011  # side signal of the pads: a delayed, filtered copy (mono-safe)
REVERB_RT60_S = {"pop": 1.6, "rock": 1.3, "ballad": 2.3, "funk": 1.0, "hiphop": 1.4}


@dataclass
class MasterSettings:
    """The mastering chain; ``master`` injections edit these before it runs."""

    target_lufs: float = TARGET_LUFS
    ceiling_db: float = CEILING_DBTP
    true_peak_limiter: bool = True
    drive_db: float = 0.0  # extra gain into the limiter after the target is solved
    renormalize: bool = False  # after driving, bring the level back down to the target
    soft_clip: bool = False  # tanh clipper at the ceiling before the limiter, when driven
    eq: list[np.ndarray] = field(default_factory=list)
    hold_s: float = 0.02
    release_s: float = 0.12


@dataclass
class Context:
    """What injectors may read or note: the song, a seeded generator, located events."""

    spec: SongSpec
    rng: np.random.Generator
    events: dict[str, list[list[float]]] = field(default_factory=dict)

    def note_event(self, problem: str, start_s: float, end_s: float) -> None:
        span = [round(float(start_s), 3), round(float(end_s), 3)]
        self.events.setdefault(problem, []).append(span)


StemHook = Callable[[dict[str, np.ndarray], Context], None]
ArrayHook = Callable[[np.ndarray, Context], np.ndarray]
MasterHook = Callable[[MasterSettings, Context], None]


@dataclass
class Hooks:
    """Injections sorted by stage, each already bound to its parameters."""

    stem: list[StemHook] = field(default_factory=list)
    bus: list[ArrayHook] = field(default_factory=list)
    master: list[MasterHook] = field(default_factory=list)
    post: list[ArrayHook] = field(default_factory=list)


def _section_envelope(spec: SongSpec, stem: str, n: int) -> np.ndarray | None:
    """Per-sample gain of a stem's section automation (20 ms ramps), None if flat."""
    gain_db = np.zeros(n, dtype=np.float32)
    for sec in sections(spec):
        trim = SECTION_TRIMS_DB.get(sec.name, {}).get(stem)
        if trim:
            start = int(sec.start_bar * spec.bar_s * dsp.SR_HZ)
            gain_db[start : int((sec.start_bar + sec.bars) * spec.bar_s * dsp.SR_HZ)] = trim
    if not gain_db.any():
        return None
    ramp = int(0.01 * dsp.SR_HZ)
    gain_db = dsp.window_mean(gain_db, ramp, ramp)
    return (10.0 ** (gain_db / 20.0)).astype(np.float32)


def place_stems(spec: SongSpec, renders: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Levelled, filtered, panned and automated stereo stems, shape (n, 2) each."""
    trims = STYLE_TRIMS_DB.get(spec.style, {})
    placed: dict[str, np.ndarray] = {}
    for stem, settings in TEMPLATE.items():
        takes = [renders["chords_a"], renders["chords_b"]] if stem == "chords" \
            else [renders[stem]]
        level = dsp.db_to_gain(STEM_REFERENCE_DB + settings.gain_db + trims.get(stem, 0.0))
        reference = active_rms(sum(takes) / len(takes))
        chain = dsp.butter_sos(2, settings.highpass_hz, "highpass")
        for freq_hz, gain_db, q in settings.eq:
            chain = np.vstack([chain, dsp.peaking_sos(freq_hz, gain_db, q)])
        if settings.drive:  # renders peak at 0.9, so the drive sets how hard it saturates
            takes = [np.tanh(settings.drive * t) / math.tanh(settings.drive) for t in takes]
            reference = active_rms(sum(takes) / len(takes))
        takes = [dsp.apply(chain, t) * (level / max(reference, 1e-9)) for t in takes]
        if stem == "chords":
            out = dsp.pan(takes[0], -settings.pan) + dsp.pan(takes[1], settings.pan)
        elif stem == "pads":
            side = dsp.apply(dsp.butter_sos(2, 5000.0, "lowpass"),
                             dsp.delay(takes[0], int(PAD_WIDTH_DELAY_S * dsp.SR_HZ)))
            mid = takes[0] * math.sqrt(0.5)
            out = np.stack([mid + side, mid - side], axis=1)
        else:
            out = dsp.pan(takes[0], settings.pan)
        envelope = _section_envelope(spec, stem, out.shape[0])
        placed[stem] = out if envelope is None else out * envelope[:, None]
    return placed


def reverb_return(spec: SongSpec, stems: dict[str, np.ndarray]) -> np.ndarray:
    """The hall return of all sends, high-passed at 200 Hz (a mono low end), (n, 2)."""
    send = np.zeros(next(iter(stems.values())).shape[0], dtype=np.float32)
    for stem, audio in stems.items():
        send_db = TEMPLATE[stem].send_db if stem in TEMPLATE else None
        if send_db is not None:
            send += audio.mean(axis=1) * dsp.db_to_gain(send_db)
    ir = dsp.reverb_ir(REVERB_RT60_S[spec.style], seed=spec.seed)
    wet = dsp.convolve_reverb(send, ir)
    return dsp.apply(dsp.butter_sos(2, 200.0, "highpass"), wet)


def bus(spec: SongSpec, stems: dict[str, np.ndarray]) -> np.ndarray:
    """Stems plus reverb, with the fade-out of the tail, before the bus compressor."""
    mix = sum(stems.values()) + reverb_return(spec, stems)
    fade = int(FADE_OUT_S * dsp.SR_HZ)
    mix[-fade:] *= (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, fade)))[:, None]
    return mix.astype(np.float32)


def glue(mix: np.ndarray) -> np.ndarray:
    """Bus compression: 2:1 from 3 dB under the mix's active RMS, about 2 dB of reduction."""
    threshold_db = 20.0 * math.log10(max(active_rms(mix), 1e-9)) - 3.0
    return dsp.compress(mix, threshold_db, 2.0, time_constant_s=0.08)


def master(mix: np.ndarray, settings: MasterSettings) -> np.ndarray:
    """Tone EQ, then the limiter with its input gain solved for the target loudness.

    The limiter's gain reduction only lowers loudness, so iterating
    ``gain += target - measured`` converges from below within a few rounds (+-0.05 LU).
    """
    for sos in settings.eq:
        mix = dsp.apply(sos, mix)
    measured = dsp.integrated_lufs(mix)
    if measured is None:
        return mix
    peak = dsp.oversampled_peak(mix) if settings.true_peak_limiter else np.abs(mix).max(axis=1)
    ceiling_db = settings.ceiling_db - (0.3 if settings.true_peak_limiter else 0.0)
    gain_db = settings.target_lufs - measured
    for _ in range(8):
        out = dsp.limit(mix * dsp.db_to_gain(gain_db), ceiling_db,
                        peak=peak * dsp.db_to_gain(gain_db), hold_s=settings.hold_s,
                        release_s=settings.release_s)
        error = settings.target_lufs - (dsp.integrated_lufs(out) or settings.target_lufs)
        if abs(error) < 0.05:
            break
        gain_db += error
    if settings.drive_db:
        driven = mix * dsp.db_to_gain(gain_db + settings.drive_db)
        if settings.soft_clip:  # loud masters clip the transients before limiting
            knee = dsp.db_to_gain(ceiling_db)
            driven = (knee * np.tanh(driven / knee)).astype(np.float32)
        out = dsp.limit(driven, ceiling_db, hold_s=settings.hold_s, release_s=settings.release_s)
        if settings.renormalize:
            out *= dsp.db_to_gain(settings.target_lufs - (dsp.integrated_lufs(out) or 0.0))
    return out.astype(np.float32)


def produce(
    spec: SongSpec,
    placed: dict[str, np.ndarray],
    hooks: Hooks,
    ctx: Context,
    *,
    clean_bus: np.ndarray | None = None,
) -> np.ndarray:
    """One finished master (float32, (n, 2)) of a song with the given injections.

    ``placed`` comes from ``place_stems``; ``clean_bus`` (the glued bus without stem
    injections) may be passed to skip re-mixing when ``hooks.stem`` is empty.
    """
    if hooks.stem or clean_bus is None:
        stems = dict(placed)  # stem hooks replace entries, never edit arrays in place
        for stem_hook in hooks.stem:
            stem_hook(stems, ctx)
        mix = glue(bus(spec, stems))
    else:
        mix = clean_bus
    for bus_hook in hooks.bus:
        mix = bus_hook(mix, ctx)
    settings = MasterSettings()
    for master_hook in hooks.master:
        master_hook(settings, ctx)
    out = master(mix, settings)
    for post_hook in hooks.post:
        out = post_hook(out, ctx)
    return out
