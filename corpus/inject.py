"""Problem injectors: named, parameterised edits at the stage where the problem arises.

Each injector is a function registered with its stage (see ``corpus.mixing``):

- ``stem``: ``fn(stems, ctx, **params)`` replaces entries of the dict of stereo stems;
- ``bus``: ``fn(mix, ctx, **params) -> mix`` before the mastering chain;
- ``master``: ``fn(settings, ctx, **params)`` edits the mastering chain's settings;
- ``post``: ``fn(master, ctx, **params) -> master`` on the delivered file.

Levels of added noises are relative to the active RMS of what they are added to (a stem or
the mix), so that they mean the same in every song. The recipe names injectors and
parameters; ``bind`` checks the names against the function signatures.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from scipy import signal

from corpus import dsp
from corpus.mixing import Context, Hooks, MasterSettings
from corpus.render import active_rms

Stage = Literal["stem", "bus", "master", "post"]


@dataclass(frozen=True)
class Injector:
    name: str
    stage: Stage
    order: int  # position within the stage (edits before damage before encoding)
    fn: Callable[..., Any]

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]


INJECTORS: dict[str, Injector] = {}


def injector(stage: Stage, order: int = 0) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        INJECTORS[fn.__name__] = Injector(fn.__name__, stage, order, fn)
        return fn

    return register


class InjectionError(ValueError):
    """A recipe names an unknown injector, stem or parameter."""


def _eq_sos(shape: str, freq_hz: float, gain_db: float, q: float) -> np.ndarray:
    if shape == "peak":
        return dsp.peaking_sos(freq_hz, gain_db, q)
    if shape in ("low_shelf", "high_shelf"):
        return dsp.shelf_sos(freq_hz, gain_db, high=shape == "high_shelf")
    raise InjectionError(f"eq shape must be peak, low_shelf or high_shelf, not {shape!r}")


def _stem(stems: dict[str, np.ndarray], name: str) -> np.ndarray:
    if name not in stems:
        raise InjectionError(f"unknown stem {name!r}; stems are {', '.join(stems)}")
    return stems[name]


def _seconds(n: int) -> float:
    return n / dsp.SR_HZ


# --- stems -----------------------------------------------------------------------------------


@injector("stem")
def gain(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, gain_db: float) -> None:
    """Move a stem's fader by ``gain_db`` (bass +8 dB: boomy; -12 dB: weak bass)."""
    stems[stem] = _stem(stems, stem) * dsp.db_to_gain(gain_db)


@injector("stem")
def eq(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, freq_hz: float,
       gain_db: float, q: float = 1.0, shape: str = "peak") -> None:
    """EQ on a stem: RBJ peak (``q``) or shelf (muddy 300 Hz pads, harsh 3 kHz voice)."""
    stems[stem] = dsp.apply(_eq_sos(shape, freq_hz, gain_db, q), _stem(stems, stem))


@injector("stem", order=1)
def widen(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, amount: float,
          delay_ms: float = 12.0) -> None:
    """Mid/side widener: side = ``amount`` x the mid delayed by ``delay_ms`` (bass not mono)."""
    audio = _stem(stems, stem)
    mid = audio.mean(axis=1)
    side = dsp.delay(mid, int(delay_ms * 1e-3 * dsp.SR_HZ)) * amount
    stems[stem] = np.stack([mid + side, mid - side], axis=1).astype(np.float32)


@injector("stem", order=1)
def antiphase(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, amount: float) -> None:
    """Phase-trick widening: blend ``amount`` (0..1) of the stem as L = m, R = -m."""
    audio = _stem(stems, stem)
    mid = audio.mean(axis=1)
    trick = np.stack([mid, -mid], axis=1)
    stems[stem] = ((1.0 - amount) * audio + amount * trick).astype(np.float32)


@injector("stem", order=1)
def stem_polarity(stems: dict[str, np.ndarray], ctx: Context, *, stem: str) -> None:
    """Invert the right channel of one stereo stem (a miswired stereo pair)."""
    audio = _stem(stems, stem).copy()
    audio[:, 1] *= -1.0
    stems[stem] = audio


@injector("stem", order=1)
def repan(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, position: float) -> None:
    """Move a stem (folded to mono) to ``position`` (-1 left .. +1 right)."""
    stems[stem] = dsp.pan(_stem(stems, stem).sum(axis=1) * math.sqrt(0.5), position)


@injector("stem", order=2)
def mono_stems(stems: dict[str, np.ndarray], ctx: Context) -> None:
    """Fold every stem to the centre (only the reverb return stays stereo)."""
    for name, audio in stems.items():
        mid = audio.mean(axis=1)
        stems[name] = np.stack([mid, mid], axis=1)


@injector("stem", order=3)
def hum(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, level_db: float,
        mains_hz: float = 50.0) -> None:
    """Ground-loop buzz on a stem: mains and 6 harmonics (1/k), ``level_db`` re its RMS."""
    audio = _stem(stems, stem)
    t = np.arange(audio.shape[0]) / dsp.SR_HZ
    buzz = sum(np.sin(2 * np.pi * mains_hz * k * t + k) / k for k in range(1, 8))
    buzz *= active_rms(audio) * dsp.db_to_gain(level_db) / float(np.sqrt(np.mean(buzz**2)))
    stems[stem] = audio + (buzz * math.sqrt(0.5)).astype(np.float32)[:, None]


@injector("stem", order=3)
def rumble(stems: dict[str, np.ndarray], ctx: Context, *, stem: str, level_db: float) -> None:
    """Sub-sonic rumble (noise under 35 Hz, 4th order) on a stem, ``level_db`` re its RMS."""
    audio = _stem(stems, stem)
    noise = dsp.apply(dsp.butter_sos(4, 35.0, "lowpass"),
                      ctx.rng.standard_normal(audio.shape[0]).astype(np.float32))
    noise *= active_rms(audio) * dsp.db_to_gain(level_db) / max(active_rms(noise), 1e-12)
    stems[stem] = audio + noise[:, None] * math.sqrt(0.5)


# --- mix bus ---------------------------------------------------------------------------------


@injector("bus")
def polarity(mix: np.ndarray, ctx: Context, *, channel: str = "right") -> np.ndarray:
    """Invert one channel of the whole mix (``left`` or ``right``)."""
    out = mix.copy()
    out[:, 0 if channel == "left" else 1] *= -1.0
    return out


@injector("bus")
def balance(mix: np.ndarray, ctx: Context, *, db: float) -> np.ndarray:
    """Left louder than right by ``db`` (split +db/2, -db/2); negative favours the right."""
    return (mix * np.array([dsp.db_to_gain(db / 2), dsp.db_to_gain(-db / 2)],
                           dtype=np.float32)).astype(np.float32)


@injector("bus")
def width(mix: np.ndarray, ctx: Context, *, factor: float) -> np.ndarray:
    """Mid/side width: side x ``factor`` (0.15 near mono, 2.8 extreme width)."""
    return dsp.mid_side_width(mix, factor)


@injector("bus")
def mono(mix: np.ndarray, ctx: Context) -> np.ndarray:
    """Identical channels (a mono bounce on two channels: fake stereo)."""
    mid = mix.mean(axis=1)
    return np.stack([mid, mid], axis=1)


@injector("bus")
def bus_eq(mix: np.ndarray, ctx: Context, *, freq_hz: float, gain_db: float, q: float = 1.0,
           shape: str = "peak") -> np.ndarray:
    """EQ on the mix bus (a narrow high-Q boost: a ringing resonance)."""
    return dsp.apply(_eq_sos(shape, freq_hz, gain_db, q), mix)


@injector("bus", order=1)
def hiss(mix: np.ndarray, ctx: Context, *, level_db: float) -> np.ndarray:
    """Broadband hiss (independent per channel, +3 dB/octave tilt above 2 kHz), re mix RMS."""
    noise = ctx.rng.standard_normal(mix.shape).astype(np.float32)
    noise = dsp.apply(dsp.shelf_sos(4000.0, 6.0, high=True), noise)
    noise *= active_rms(mix) * dsp.db_to_gain(level_db) / max(active_rms(noise), 1e-12)
    return mix + noise


# --- mastering chain -------------------------------------------------------------------------


@injector("master")
def master_eq(settings: MasterSettings, ctx: Context, *, freq_hz: float, gain_db: float,
              shape: str = "high_shelf", q: float = 0.7) -> None:
    """Tone EQ in the mastering chain (high shelf -10 dB: dull; +8 dB: too bright)."""
    settings.eq.append(_eq_sos(shape, freq_hz, gain_db, q))


@injector("master")
def drive(settings: MasterSettings, ctx: Context, *, drive_db: float,
          renormalize: bool = False) -> None:
    """Push a clipper and the limiter ``drive_db`` beyond the target (optionally level the
    result back down to the target: squashed, then normalised)."""
    settings.drive_db += drive_db
    settings.renormalize = renormalize
    settings.soft_clip = True
    settings.hold_s, settings.release_s = 0.005, 0.05  # loud masters use fast release


@injector("master")
def target(settings: MasterSettings, ctx: Context, *, lufs: float) -> None:
    """Master to another integrated loudness (-23 LUFS: too quiet for streaming)."""
    settings.target_lufs = lufs


@injector("master")
def sample_peak_limiter(settings: MasterSettings, ctx: Context, *, ceiling_db: float) -> None:
    """Limit sample peaks only, at ``ceiling_db`` dBFS: inter-sample peaks get through."""
    settings.true_peak_limiter = False
    settings.ceiling_db = ceiling_db


# --- delivered file --------------------------------------------------------------------------


@injector("post", order=0)
def clip(x: np.ndarray, ctx: Context, *, drive_db: float) -> np.ndarray:
    """Gain of ``drive_db`` into a hard clip at full scale (digital overs)."""
    return np.clip(x * dsp.db_to_gain(drive_db), -1.0, 1.0).astype(np.float32)


@injector("post", order=1)
def clicks(x: np.ndarray, ctx: Context, *, count: int, level_db: float) -> np.ndarray:
    """``count`` clicks (a 2-sample spike of ``level_db`` dBFS) at random times in the music."""
    out = x.copy()
    n = x.shape[0]
    for at in np.sort(ctx.rng.integers(int(0.1 * n), int(0.9 * n), count)):
        spike = dsp.db_to_gain(level_db) * ctx.rng.choice([-1.0, 1.0])
        out[at] += spike
        out[at + 1] -= 0.6 * spike
        ctx.note_event("clicks", _seconds(at), _seconds(at + 2))
    return np.clip(out, -1.0, 1.0)


@injector("post", order=1)
def dropouts(x: np.ndarray, ctx: Context, *, count: int, length_ms: float) -> np.ndarray:
    """``count`` gaps of digital silence, ``length_ms`` +-30 % long, in the music."""
    out = x.copy()
    n = x.shape[0]
    starts = np.sort(ctx.rng.choice(np.arange(int(0.25 * n), int(0.85 * n), dsp.SR_HZ // 2),
                                    count, replace=False))
    for start in starts:
        length = int(length_ms * 1e-3 * ctx.rng.uniform(0.7, 1.3) * dsp.SR_HZ)
        out[start : start + length] = 0.0
        ctx.note_event("dropouts", _seconds(start), _seconds(start + length))
    return out


@injector("post", order=1)
def dc(x: np.ndarray, ctx: Context, *, offset: float) -> np.ndarray:
    """A constant offset of ``offset`` x full scale on both channels (a faulty converter)."""
    return np.clip(x + np.float32(offset), -1.0, 1.0)


@injector("post", order=2)
def lowpass(x: np.ndarray, ctx: Context, *, cutoff_hz: float) -> np.ndarray:
    """Steep elliptic low-pass (12th order, 90 dB stop band) like an MP3 encoder's."""
    sos = signal.ellip(12, 0.05, 90.0, cutoff_hz, fs=dsp.SR_HZ, output="sos")
    return dsp.apply(sos, x)


@injector("post", order=3)
def silence(x: np.ndarray, ctx: Context, *, head_s: float = 0.0, tail_s: float = 0.0
            ) -> np.ndarray:
    """Digital silence added before (``head_s``) and after (``tail_s``) the music."""
    head, tail = int(head_s * dsp.SR_HZ), int(tail_s * dsp.SR_HZ)
    out = np.concatenate([np.zeros((head, 2), np.float32), x, np.zeros((tail, 2), np.float32)])
    if head:
        ctx.note_event("leading_silence", 0.0, head_s)
    if tail:
        ctx.note_event("trailing_silence", _seconds(out.shape[0] - tail),
                       _seconds(out.shape[0]))
    return out


def bind(steps: list[dict[str, dict[str, Any]]]) -> Hooks:
    """Hooks for a recipe's ``inject`` list (``[{name: {param: value}}, ...]``), staged."""
    bound: list[tuple[Injector, int, Callable[..., Any]]] = []
    for position, step in enumerate(steps):
        if not isinstance(step, dict) or len(step) != 1:
            raise InjectionError(f"each injection is one {{name: {{params}}}}, not {step!r}")
        (name, params), = step.items()
        if name not in INJECTORS:
            raise InjectionError(f"unknown injector {name!r}; known: {', '.join(INJECTORS)}")
        chosen = INJECTORS[name]
        try:
            inspect.signature(chosen.fn).bind(None, None, **(params or {}))
        except TypeError as exc:
            raise InjectionError(f"{name}: {exc}") from None
        bound.append((chosen, position, partial(chosen.fn, **(params or {}))))
    hooks = Hooks()
    for chosen, _, hook in sorted(bound, key=lambda b: (b[0].order, b[1])):
        getattr(hooks, chosen.stage).append(hook)
    return hooks
