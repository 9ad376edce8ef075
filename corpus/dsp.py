"""Signal processing of the corpus: filters, placement, reverb, dynamics and a loudness meter.

Everything works on whole float32 arrays of shape (n,) or (n, 2) at one sample rate and is
vectorised (scipy filters and ndimage windows, no Python loop over samples). The meter is
deliberately independent of ``expert.features``: the corpus must not be labelled by the
tool it evaluates.

References:
- R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter coefficients" (RBJ).
- ITU-R BS.1770-4 (2015): K-weighting, gated integrated loudness, true peak (Annex 2).
- Analog K-weighting parameters re-derived for any sample rate: B. De Man,
  "Evaluation of implementations of the EBU R128 loudness measurement", AES 145 (2018).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, signal

SR_HZ = 44100


def db_to_gain(db: float) -> float:
    """Linear amplitude factor of a level change in dB."""
    return float(10.0 ** (db / 20.0))


def _biquad(b: tuple[float, float, float], a: tuple[float, float, float]) -> np.ndarray:
    """One second-order section, normalised so that a0 = 1."""
    a0 = a[0]
    return np.array([[b[0] / a0, b[1] / a0, b[2] / a0, 1.0, a[1] / a0, a[2] / a0]])


def peaking_sos(freq_hz: float, gain_db: float, q: float, sr_hz: int = SR_HZ) -> np.ndarray:
    """RBJ peaking EQ: ``gain_db`` at ``freq_hz``, bandwidth set by ``q`` (> 0)."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * freq_hz / sr_hz
    alpha = math.sin(w0) / (2.0 * q)
    cos_w0 = math.cos(w0)
    return _biquad(
        (1 + alpha * amp, -2 * cos_w0, 1 - alpha * amp),
        (1 + alpha / amp, -2 * cos_w0, 1 - alpha / amp),
    )


def shelf_sos(
    freq_hz: float, gain_db: float, *, high: bool, slope: float = 1.0, sr_hz: int = SR_HZ
) -> np.ndarray:
    """RBJ low (``high=False``) or high shelf of ``gain_db`` with its midpoint at ``freq_hz``."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * freq_hz / sr_hz
    cos_w0 = math.cos(w0)
    alpha = math.sin(w0) / 2.0 * math.sqrt((amp + 1 / amp) * (1 / slope - 1) + 2)
    root = 2.0 * math.sqrt(amp) * alpha
    sign = 1.0 if high else -1.0  # the high shelf is the low shelf with cos(w0) mirrored
    return _biquad(
        (
            amp * ((amp + 1) + sign * (amp - 1) * cos_w0 + root),
            -sign * 2 * amp * ((amp - 1) + sign * (amp + 1) * cos_w0),
            amp * ((amp + 1) + sign * (amp - 1) * cos_w0 - root),
        ),
        (
            (amp + 1) - sign * (amp - 1) * cos_w0 + root,
            sign * 2 * ((amp - 1) - sign * (amp + 1) * cos_w0),
            (amp + 1) - sign * (amp - 1) * cos_w0 - root,
        ),
    )


def butter_sos(order: int, freq_hz: float | tuple[float, float], kind: str) -> np.ndarray:
    """Butterworth sections (``kind`` = lowpass, highpass or bandpass)."""
    return signal.butter(order, freq_hz, btype=kind, fs=SR_HZ, output="sos")


def apply(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Filter along time (axis 0), keeping float32."""
    return signal.sosfilt(sos, x, axis=0).astype(np.float32)


def pan(mono: np.ndarray, position: float) -> np.ndarray:
    """Constant-power pan (-3 dB at the centre): ``position`` -1 = left .. +1 = right."""
    theta = (position + 1.0) * math.pi / 4.0
    return np.stack([mono * math.cos(theta), mono * math.sin(theta)], axis=1).astype(np.float32)


def mid_side_width(stereo: np.ndarray, width: float) -> np.ndarray:
    """Scale the side signal by ``width`` (0 = mono, 1 = unchanged, > 1 = wider)."""
    mid = 0.5 * (stereo[:, 0] + stereo[:, 1])
    side = 0.5 * (stereo[:, 0] - stereo[:, 1]) * width
    return np.stack([mid + side, mid - side], axis=1).astype(np.float32)


def delay(x: np.ndarray, samples: int) -> np.ndarray:
    """Delay by a whole number of samples (>= 0), same length, zeros shifted in."""
    if samples <= 0:
        return x.copy()
    out = np.zeros_like(x)
    out[samples:] = x[:-samples]
    return out


def reverb_ir(rt60_s: float, seed: int, *, predelay_s: float = 0.018) -> np.ndarray:
    """Stereo impulse response of a small hall: early taps plus a decaying noise tail.

    The tail is decorrelated Gaussian noise under an exponential envelope that falls 60 dB
    in ``rt60_s``; the band above 4 kHz decays twice as fast (air absorption), and the
    response is normalised to unit energy per channel. Shape (n, 2), float32.
    """
    rng = np.random.default_rng(seed)
    n = int((rt60_s * 1.2 + predelay_s) * SR_HZ)
    t = np.arange(n) / SR_HZ
    noise = rng.standard_normal((n, 2))
    high = signal.sosfilt(butter_sos(2, 4000.0, "highpass"), noise, axis=0)
    low = noise - high
    decay = (6.91 / rt60_s) * t  # exp(-6.91) = -60 dB
    tail = low * np.exp(-decay)[:, None] + high * np.exp(-2.0 * decay)[:, None]
    tail[: int(predelay_s * SR_HZ)] = 0.0
    for tap_s, gain in ((0.011, 0.5), (0.017, -0.35), (0.023, 0.3), (0.031, -0.25)):
        tail[int(tap_s * SR_HZ), int(tap_s * 1000) % 2] += gain * math.sqrt(n) * 0.05
    tail /= np.sqrt(np.sum(tail**2, axis=0, keepdims=True))
    return tail.astype(np.float32)


def convolve_reverb(send: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Mono send through a stereo IR; output truncated to the send's length, (n, 2)."""
    n = send.shape[0]
    wet = np.stack([signal.oaconvolve(send, ir[:, c])[:n] for c in range(2)], axis=1)
    return wet.astype(np.float32)


def window_min(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[i] = min(x[i - before .. i + after])`` (edges repeat the end values)."""
    size = before + after + 1
    padded = np.concatenate([np.full(before, x[0]), x, np.full(after, x[-1])])
    # A centred window of `size` at j covers [j - size//2, j - size//2 + size - 1].
    centred = ndimage.minimum_filter1d(padded, size, mode="nearest")
    return centred[size // 2 : size // 2 + x.shape[0]]


def window_mean(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``out[i] = mean(x[i - before .. i + after])`` (edges repeat the end values)."""
    padded = np.concatenate([np.full(before, x[0]), x, np.full(after + 1, x[-1])])
    csum = np.cumsum(padded, dtype=np.float64)
    csum = np.concatenate([[0.0], csum])
    size = before + after + 1
    return (csum[size : size + x.shape[0]] - csum[: x.shape[0]]) / size


def oversampled_peak(x: np.ndarray, factor: int = 4) -> np.ndarray:
    """Per-sample true-peak envelope: the largest |value| over channels and the
    ``factor`` interpolated points after each sample (BS.1770-4 Annex 2), shape (n,)."""
    up = signal.resample_poly(x.astype(np.float32), factor, 1, axis=0)
    per_sample = up.reshape(x.shape[0], -1)  # (n, factor * channels), contiguous
    return np.maximum(per_sample.max(axis=1), -per_sample.min(axis=1))


def limit(
    x: np.ndarray,
    ceiling_db: float,
    *,
    attack_s: float = 0.003,
    hold_s: float = 0.02,
    release_s: float = 0.12,
    peak: np.ndarray | None = None,
) -> np.ndarray:
    """Look-ahead brickwall limiter, linked stereo.

    The gain needed so that the (true-)peak envelope stays under ``ceiling_db`` is
    made smooth in two steps that never raise it: a look-ahead minimum followed by a
    moving average of ``attack_s`` (the gain is already down when the peak arrives), then a
    hold of ``hold_s`` and a linear recovery over ``release_s``. ``peak`` is the
    per-sample envelope to keep under the ceiling (default: the true-peak envelope).
    """
    if peak is None:
        peak = oversampled_peak(x)
    need = np.minimum(1.0, db_to_gain(ceiling_db) / np.maximum(peak, 1e-9))
    attack = max(1, int(attack_s * SR_HZ))
    gain = window_mean(window_min(need, 0, attack), attack, 0)
    hold, release = int(hold_s * SR_HZ), max(1, int(release_s * SR_HZ))
    recovery = window_mean(window_min(gain, hold + release, 0), release, 0)
    gain = np.minimum(gain, recovery)
    return (x * gain[:, None]).astype(np.float32)


def compress(
    x: np.ndarray,
    threshold_db: float,
    ratio: float,
    *,
    time_constant_s: float = 0.08,
    makeup_db: float = 0.0,
) -> np.ndarray:
    """Linked-stereo RMS compressor with a smooth (one-pole) gain, for bus glue.

    The detector is the mean square of both channels smoothed over ``time_constant_s``;
    above ``threshold_db`` (dBFS RMS) the level is reduced by ``1 - 1/ratio`` of the excess.
    """
    coeff = math.exp(-1.0 / (time_constant_s * SR_HZ))
    power = signal.lfilter([1 - coeff], [1, -coeff], np.mean(x.astype(np.float64) ** 2, axis=1))
    level_db = 10.0 * np.log10(np.maximum(power, 1e-12))
    reduction_db = np.maximum(0.0, level_db - threshold_db) * (1.0 - 1.0 / ratio)
    reduction_db = signal.lfilter([1 - coeff], [1, -coeff], reduction_db)
    gain = 10.0 ** ((makeup_db - reduction_db) / 20.0)
    return (x * gain[:, None]).astype(np.float32)


def _k_weighting_sos(sr_hz: int) -> np.ndarray:
    """BS.1770-4 K-weighting (shelf + RLB high-pass) for any rate, from the analog
    parameters derived by De Man (2018); equals the standard's table at 48 kHz."""
    k = math.tan(math.pi * 1681.974450955533 / sr_hz)
    q = 0.7071752369554196
    vh = 10.0 ** (3.999843853973347 / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    k = math.tan(math.pi * 38.13547087602444 / sr_hz)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def integrated_lufs(x: np.ndarray, sr_hz: int = SR_HZ) -> float | None:
    """Gated integrated loudness (BS.1770-4) of a stereo signal, None when all is gated."""
    weighted = signal.sosfilt(_k_weighting_sos(sr_hz), x.astype(np.float64), axis=0)
    hop = int(0.1 * sr_hz)
    ticks = weighted.shape[0] // hop
    if ticks < 4:
        return None
    tick_power = (weighted[: ticks * hop] ** 2).reshape(ticks, hop, -1).mean(axis=1).sum(axis=1)
    # 400 ms blocks with 75 % overlap: the mean of 4 consecutive 100 ms ticks (eq. 4).
    block_power = np.convolve(tick_power, np.full(4, 0.25), mode="valid")
    block_lufs = -0.691 + 10.0 * np.log10(np.maximum(block_power, 1e-20))
    gated = block_power[block_lufs > -70.0]
    if gated.size == 0:
        return None
    relative = -0.691 + 10.0 * np.log10(gated.mean()) - 10.0
    gated = block_power[(block_lufs > -70.0) & (block_lufs > relative)]
    return float(-0.691 + 10.0 * np.log10(gated.mean()))


def true_peak_dbtp(x: np.ndarray) -> float | None:
    """True peak in dBTP from 4x oversampling (BS.1770-4 Annex 2), None for silence."""
    peak = float(oversampled_peak(x).max()) if x.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else None
