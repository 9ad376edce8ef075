"""Synthetic music-like signals and fault injectors, to test and calibrate the artifact detectors.

The "song" has what makes artifact detection hard on real mixes: drums with sharp transients
(kick with a beater click, snare and hi-hat noise bursts), a bass line that visits 55 Hz,
chords, a vibrato lead, and a quiet breakdown. Every function is deterministic (seeded) and
returns float32 arrays of shape (n, channels) in full-scale units (1.0 = 0 dBFS).
"""

from __future__ import annotations

import numpy as np

BPM = 120.0
#: Bass notes (Hz) of the four-bar loop: A1 (55 Hz), C2, D2, E2.
BASS_NOTES_HZ = (55.0, 65.41, 73.42, 82.41)


def _env(n: int, rate: int, attack_s: float, decay_s: float) -> np.ndarray:
    """Linear attack, exponential decay, and a 10 ms fade at the end (no truncation click)."""
    t = np.arange(n) / rate
    fade = np.clip((n - 1 - np.arange(n)) / (0.01 * rate), 0.0, 1.0)
    return np.minimum(t / attack_s, 1.0) * np.exp(-t / decay_s) * fade


def music(
    seconds: float = 12.0,
    rate: int = 44100,
    *,
    channels: int = 2,
    seed: int = 1,
    peak_dbfs: float = -1.0,
    breakdown: tuple[float, float] | None = (4.0, 6.0),
    bass_notes_hz: tuple[float, ...] = BASS_NOTES_HZ,
) -> np.ndarray:
    """A deterministic pop-like mix: drums, bass, chords, lead; peak normalised to ``peak_dbfs``.

    ``breakdown`` (start_s, end_s): a quiet passage (pad only, about -30 dB under the full mix),
    the kind of place where noise and hum are heard. ``None`` for none.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    beat = 60.0 / BPM
    left = np.zeros(n)
    right = np.zeros(n)

    def place(sound: np.ndarray, at_s: float, gain_l: float, gain_r: float) -> None:
        i = int(round(at_s * rate))
        if i >= n:
            return
        m = min(sound.size, n - i)
        left[i:i + m] += gain_l * sound[:m]
        right[i:i + m] += gain_r * sound[:m]

    # Drums: kick on beats 1 and 3, snare on 2 and 4, hats on eighth notes.
    kick_n = int(0.35 * rate)
    kt = np.arange(kick_n) / rate
    kick_phase = 2 * np.pi * np.cumsum(45.0 + 100.0 * np.exp(-kt / 0.03)) / rate
    beater = rng.standard_normal(kick_n) * _env(kick_n, rate, 0.0002, 0.005)
    kick = np.sin(kick_phase) * _env(kick_n, rate, 0.001, 0.12) + 0.15 * beater
    snare_n = int(0.25 * rate)
    snare_noise = np.diff(rng.standard_normal(snare_n + 1))
    body = np.sin(2 * np.pi * 190 * np.arange(snare_n) / rate)
    snare = (0.5 * snare_noise * _env(snare_n, rate, 0.0005, 0.06)
             + 0.5 * body * _env(snare_n, rate, 0.001, 0.05))
    hat_n = int(0.06 * rate)
    hat = np.diff(rng.standard_normal(hat_n + 1)) * _env(hat_n, rate, 0.0002, 0.02) * 0.15
    for k in range(int(seconds / beat * 2) + 1):
        at = k * beat / 2
        if breakdown and breakdown[0] <= at < breakdown[1]:
            continue
        if k % 4 == 0:
            place(kick, at, 0.9, 0.9)
        if k % 4 == 2:
            place(snare, at, 0.6, 0.7)
        place(hat * (1.0 if k % 2 else 0.6), at, 0.3, 0.5)

    # Bass: one note per bar (4 beats), five harmonics, plucked envelope.
    bar = 4 * beat
    for b in range(int(seconds / bar) + 1):
        if breakdown and breakdown[0] <= b * bar < breakdown[1]:
            continue
        f0 = bass_notes_hz[b % len(bass_notes_hz)]
        m = int(bar * rate)
        tt = np.arange(m) / rate
        note = sum(np.sin(2 * np.pi * f0 * h * tt) / h**1.5 for h in range(1, 6))
        place(0.35 * note * _env(m, rate, 0.005, 0.8), b * bar, 1.0, 1.0)

    # Chords (pad) everywhere, and a lead with vibrato outside the breakdown.
    pad = sum(np.sin(2 * np.pi * f * t + p) for f, p in ((220.0, 0.0), (277.2, 1.0), (329.6, 2.0)))
    left += 0.04 * pad
    right += 0.04 * np.roll(pad, 200)
    vib = 2 * np.pi * np.cumsum(659.3 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))) / rate
    lead = sum(np.sin(h * vib) / h for h in range(1, 5)) * 0.08
    if breakdown:
        # The pad alone, well below the full mix; 20 ms gain ramps, so no edge clicks.
        ramp_s = 0.02
        inside = np.clip(np.minimum(t - breakdown[0], breakdown[1] - t) / ramp_s, 0.0, 1.0)
        lead *= 1.0 - inside
        left *= 1.0 - 0.7 * inside
        right *= 1.0 - 0.7 * inside
    left += 0.8 * lead
    right += 1.0 * lead

    mix = np.stack([left, right], axis=1)
    if channels == 1:
        mix = mix.mean(axis=1, keepdims=True)
    mix *= 10 ** (peak_dbfs / 20) / np.max(np.abs(mix))
    return mix.astype(np.float32)


def add_clicks(x: np.ndarray, times_s: list[float], rate: int, amplitude: float = 0.2,
               channel: int | None = None) -> np.ndarray:
    """Single-sample impulses (alternating sign) added at ``times_s``, on one or all channels."""
    y = x.copy()
    for k, at in enumerate(times_s):
        i = int(round(at * rate))
        cols = slice(None) if channel is None else slice(channel, channel + 1)
        y[i, cols] += amplitude * (1 if k % 2 == 0 else -1)
    return y


def add_dropout(x: np.ndarray, at_s: float, duration_s: float, rate: int) -> np.ndarray:
    """Digital silence written over ``duration_s`` from ``at_s`` (a lost buffer)."""
    y = x.copy()
    i = int(round(at_s * rate))
    y[i:i + int(round(duration_s * rate))] = 0.0
    return y


def add_hum(x: np.ndarray, rate: int, frequency_hz: float = 60.0, level_dbfs: float = -50.0,
            harmonics: int = 4) -> np.ndarray:
    """Mains hum: ``frequency_hz`` and its harmonics (falling 6 dB each), fundamental at
    ``level_dbfs`` peak, the same in every channel."""
    t = np.arange(x.shape[0]) / rate
    hum = sum(10 ** (-6.0 * (h - 1) / 20) * np.sin(2 * np.pi * frequency_hz * h * t + h)
              for h in range(1, harmonics + 1))
    return (x + 10 ** (level_dbfs / 20) * hum[:, None]).astype(np.float32)


def add_hiss(x: np.ndarray, level_dbfs: float = -50.0, seed: int = 7) -> np.ndarray:
    """White noise of RMS ``level_dbfs``, independent per channel (tape/preamp hiss)."""
    rng = np.random.default_rng(seed)
    return (x + 10 ** (level_dbfs / 20) * rng.standard_normal(x.shape)).astype(np.float32)


def pad_silence(x: np.ndarray, rate: int, lead_s: float, trail_s: float) -> np.ndarray:
    """Digital silence before and after the programme."""
    ch = x.shape[1]
    return np.concatenate([np.zeros((int(round(lead_s * rate)), ch), np.float32), x,
                           np.zeros((int(round(trail_s * rate)), ch), np.float32)])


def hard_clip(x: np.ndarray, drive_db: float, ceiling: float = 1.0) -> np.ndarray:
    """Amplify by ``drive_db`` and clip at +-``ceiling`` (a digital over, flattened)."""
    return np.clip(x * 10 ** (drive_db / 20), -ceiling, ceiling).astype(np.float32)


def sharp_groove(seconds: float = 8.0, rate: int = 44100, *, bass_notes_hz: tuple[float, ...] = (
        49.0, 73.42), seed: int = 3) -> np.ndarray:
    """Music whose sharpest edges are musical, to test click detection (stereo float32).

    A naive sawtooth synth bass (a true discontinuity every period, as a raw oscillator
    has) playing ``bass_notes_hz`` in turn, one per bar, for the first half of each bar;
    closed hi-hats on sixteenth notes (noise bursts with a 0.2 ms attack and 3 ms decay)
    and a kick on every beat that starts with a step (a sample that begins at full
    amplitude). The second half of every bar (1-2 s, 3-4 s, ...) has no bass. Peak -1 dBFS.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    beat = 60.0 / BPM
    bar = int(4 * beat * rate)
    index = np.arange(n)
    f0 = np.asarray(bass_notes_hz)[(index // bar) % len(bass_notes_hz)]
    bass = 0.3 * (2 * ((np.cumsum(f0) / rate) % 1.0) - 1)  # a raw sawtooth
    bass *= (index % bar) < bar // 2
    hats = np.zeros(n)
    hat_n = int(0.03 * rate)
    hat_env = _env(hat_n, rate, 0.0002, 0.003)
    for k in range(int(seconds / beat * 4)):
        i = int(k * beat / 4 * rate)
        m = min(hat_n, n - i)
        hats[i:i + m] += 0.12 * rng.standard_normal(m) * hat_env[:m]
    kick_n = int(0.3 * rate)
    kt = np.arange(kick_n) / rate
    # A cosine chirp under an exponential decay: it starts at full amplitude, with a step.
    kick = 0.6 * np.cos(2 * np.pi * np.cumsum(50.0 + 80.0 * np.exp(-kt / 0.02)) / rate)
    kick *= _env(kick_n, rate, 1e-9, 0.1)
    kicks = np.zeros(n)
    for k in range(int(seconds / beat)):
        i = int(k * beat * rate)
        m = min(kick_n, n - i)
        kicks[i:i + m] += kick[:m]
    mix = np.stack([bass + 0.8 * hats + kicks, bass + 1.2 * hats + kicks], axis=1)
    mix *= 10 ** (-1.0 / 20) / np.max(np.abs(mix))
    return mix.astype(np.float32)


def add_tone(x: np.ndarray, rate: int, frequency_hz: float, level_dbfs: float) -> np.ndarray:
    """A steady sine of ``level_dbfs`` peak through the whole file in every channel (a held
    bass or organ note, a drone)."""
    t = np.arange(x.shape[0]) / rate
    tone = 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * frequency_hz * t)
    return (x + tone[:, None]).astype(np.float32)
