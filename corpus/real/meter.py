"""The independent meter of the real corpus: what the labels are measured with.

Nothing here imports ``expert``: the corpus must not grade the tool with its own
descriptors. Integrated loudness comes from ``corpus.dsp`` (ITU-R BS.1770-4: K-weighting and
gating); true peak from a 4x polyphase interpolator here (BS.1770-4 Annex 2); spectra
are a plain numpy FFT (Hann-windowed 8192-point frames, 50 % overlap, power averaged over
frames and channels = Welch's method).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from corpus import dsp

NFFT = 8192
#: Infrasound: below the 20 Hz where ISO 226:2003's equal-loudness contours start and under
#: every note these sources play (the piano's lowest, A0, is 27.5 Hz). From two bins above DC.
INFRASONIC_HZ = (10.0, 20.0)
#: Band edges (Hz) of the shares the tonal labels compare; one place for them.
BANDS_HZ: dict[str, tuple[float, float]] = {
    "sub": (20.0, 60.0),
    "bass": (60.0, 250.0),
    "low_mid": (250.0, 500.0),
    "mid": (500.0, 2000.0),
    "upper_mid": (2000.0, 5000.0),
    "high": (5000.0, 16000.0),
}


def spectra(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Frequencies (Hz), mean power per bin of a (n, 2) signal (Welch, Hann, 50 %) and the
    correlation of the channels over 20-150 Hz (real part of the cross-spectrum over the
    geometric mean of the auto-spectra; None when either channel is silent there)."""
    mono_frames = []
    ffts = []
    hop = NFFT // 2
    window = np.hanning(NFFT)
    for c in range(x.shape[1]):
        ch = x[:, c].astype(np.float64)
        count = max(1, (ch.shape[0] - NFFT) // hop + 1)
        idx = np.arange(NFFT)[None, :] + hop * np.arange(count)[:, None]
        frames = ch[np.minimum(idx, ch.shape[0] - 1)] * window
        spec = np.fft.rfft(frames, axis=1)
        ffts.append(spec)
        mono_frames.append((np.abs(spec) ** 2).mean(axis=0))
    freqs = np.fft.rfftfreq(NFFT, 1.0 / dsp.SR_HZ)
    low = (freqs >= 20.0) & (freqs <= 150.0)
    cross = float(np.real((ffts[0][:, low] * np.conj(ffts[1][:, low])).mean(axis=0)).sum())
    pl, pr = float(mono_frames[0][low].sum()), float(mono_frames[1][low].sum())
    corr = None if pl <= 1e-20 or pr <= 1e-20 else round(cross / math.sqrt(pl * pr), 3)
    return freqs, np.mean(mono_frames, axis=0), corr


def band_shares_db(freqs: np.ndarray, power: np.ndarray,
                   bands: dict[str, tuple[float, float]] = BANDS_HZ) -> dict[str, float]:
    """Each band's share of the 20 Hz - 16 kHz power, in dB (10 log10 of the fraction)."""
    total = power[(freqs >= 20.0) & (freqs < 16000.0)].sum() + 1e-30
    return {name: round(10.0 * math.log10(power[(freqs >= lo) & (freqs < hi)].sum() / total
                                          + 1e-30), 2)
            for name, (lo, hi) in bands.items()}


#: A cliff's drop is measured against the bands from this many on (500 Hz above its band).
_CUTOFF_GAP_BANDS = 3


def cutoff_hz(freqs: np.ndarray, power: np.ndarray) -> float:
    """The frequency above which the spectrum has fallen off a cliff (a lossy encoder's or
    a resampler's low-pass), or the Nyquist frequency when there is no cliff.

    The power is summed in 250 Hz bands from 2 kHz up. The cut-off is the top edge of the
    highest band that is at least 30 dB above every band 500 Hz or more above it (a cliff:
    the gentle roll-off of a dark recording never drops 30 dB within 750 Hz and stays
    down). The two bands skipped hold the filter's transition: a low-pass whose corner
    falls inside a band spreads its fall over that band and the next, and a file whose
    floor above the corner is not silent (dither, a limiter's products) then missed the
    30 dB by a few dB against the band next to it (real-dev: a 16 kHz encode, -37 dB at 16
    kHz and -64 dB at 16.5 kHz re its 2-4 kHz, read as full band in four of its five files).
    Without such a band, Nyquist.
    """
    nyquist = dsp.SR_HZ / 2
    edges = np.arange(2000.0, nyquist + 1.0, 250.0)
    idx = np.searchsorted(freqs, edges)
    bands = np.array([power[a:b].sum() for a, b in zip(idx[:-1], idx[1:], strict=True)])
    level = 10.0 * np.log10(bands + 1e-30)
    # highest level of all bands from k + _CUTOFF_GAP_BANDS on, for every k
    above = np.maximum.accumulate(level[::-1])[::-1]
    for k in range(len(level) - 1 - _CUTOFF_GAP_BANDS, -1, -1):
        if level[k] - above[k + _CUTOFF_GAP_BANDS] >= 30.0 and level[k] > level.max() - 60.0:
            return float(edges[k + 1])
    return nyquist


def hum_prominence_db(freqs: np.ndarray, power: np.ndarray) -> float:
    """How far the mains lines (50 and 100 Hz, or 60 and 120 Hz) stand above the median of
    the bins 5-15 Hz either side, the smaller of the two lines, the larger of 50/60 Hz."""
    def line(f0: float) -> float:
        peak = power[np.abs(freqs - f0) <= 3.0].max()
        near = power[(np.abs(freqs - f0) >= 5.0) & (np.abs(freqs - f0) <= 15.0)]
        return 10.0 * math.log10(peak / (np.median(near) + 1e-30) + 1e-30)
    return round(max(min(line(m), line(2 * m)) for m in (50.0, 60.0)), 2)


def clipped_runs(x: np.ndarray, *, level: float = 0.999, min_len: int = 3) -> int:
    """Runs of at least ``min_len`` consecutive samples at or above ``level`` of full scale
    (either channel): the flat tops of hard clipping."""
    runs = 0
    for c in range(x.shape[1]):
        hot = np.abs(x[:, c]) >= level
        edges = np.diff(np.concatenate([[0], hot.astype(np.int8), [0]]))
        starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
        runs += int(np.sum(ends - starts >= min_len))
    return runs


#: 4x oversampling interpolator for true peak (BS.1770-4 Annex 2 uses a 48-tap, 4-phase
#: FIR): a Kaiser-windowed sinc cut at the original Nyquist frequency, 12 taps per phase.
_TP_FACTOR = 4
_TP_TAPS = signal.firwin(48, 1.0 / _TP_FACTOR, window=("kaiser", 8.0)) * _TP_FACTOR


def peak_envelope(x: np.ndarray) -> np.ndarray:
    """Per-sample true-peak envelope, shape (n,): the largest |value| over the channels and
    the 4 interpolated phases around each sample (the FIR's delay compensated)."""
    n = x.shape[0]
    delay = (len(_TP_TAPS) // _TP_FACTOR) // 2
    env = np.zeros(n, dtype=np.float32)
    for c in range(x.shape[1]):
        ch = x[:, c].astype(np.float32)
        for phase in range(_TP_FACTOR):
            taps = _TP_TAPS[phase::_TP_FACTOR].astype(np.float32)
            np.maximum(env, np.abs(np.convolve(ch, taps)[delay: delay + n]), out=env)
    return env


def true_peak_dbtp(x: np.ndarray) -> float | None:
    """True peak (dBTP) of a (n, channels) signal, None for digital silence."""
    peak = float(peak_envelope(x).max()) if x.size else 0.0
    return round(20.0 * math.log10(peak), 2) if peak > 0 else None


def held_offset(x: np.ndarray) -> float:
    """The offset that the sounding seconds of a (n, channels) signal hold: per channel,
    the 10th percentile of its whole seconds' means taken with the sign of their average
    (0 when more than a tenth point the other way), the larger of the channels. A fault's
    offset is constant, so nine seconds in ten hold it through the music's own excursions;
    a mean that wanders (heavy infrasound, asymmetric distortion) holds none, whatever the
    whole excerpt's mean. Seconds of digital silence (peak under -80 dBFS) are left out."""
    seconds = x.shape[0] // dsp.SR_HZ
    held = 0.0
    if seconds == 0:
        return held
    frames = x[: seconds * dsp.SR_HZ].astype(np.float64).reshape(seconds, dsp.SR_HZ, -1)
    means, peaks = frames.mean(axis=1), np.abs(frames).max(axis=1)
    for c in range(means.shape[1]):
        sounding = means[peaks[:, c] > 1e-4, c]
        if sounding.size:
            aligned = sounding * np.sign(sounding.mean())
            held = max(held, float(np.percentile(aligned, 10)))
    return round(held, 5)


def _db(power: float) -> float | None:
    return None if power <= 0 else round(10.0 * math.log10(power), 2)


def measure(x: np.ndarray) -> dict[str, float | int | dict[str, float] | None]:
    """Every label measurement of a (n, 2) file at 44.1 kHz."""
    lufs, peak = dsp.integrated_lufs(x), true_peak_dbtp(x)
    freqs, power, low_corr = spectra(x)
    xd = x.astype(np.float64)
    mid, side = 0.5 * (xd[:, 0] + xd[:, 1]), 0.5 * (xd[:, 0] - xd[:, 1])
    mid_p, side_p = float(np.mean(mid**2)), float(np.mean(side**2))
    left_p, right_p = float(np.mean(xd[:, 0] ** 2)), float(np.mean(xd[:, 1] ** 2))
    corr = float(np.corrcoef(xd[:, 0], xd[:, 1])[0, 1]) if left_p and right_p else 1.0
    sample_peak = float(np.abs(xd).max())
    return {
        "integrated_lufs": None if lufs is None else round(lufs, 2),
        "true_peak_dbtp": None if peak is None else round(peak, 2),
        "sample_peak_dbfs": None if sample_peak == 0 else round(20 * math.log10(sample_peak), 2),
        "plr_db": None if lufs is None or peak is None else round(peak - lufs, 2),
        "band_shares_db": band_shares_db(freqs, power),
        "infrasonic_db": band_shares_db(freqs, power, {"infra": INFRASONIC_HZ})["infra"],
        "cutoff_hz": cutoff_hz(freqs, power),
        "hum_prominence_db": hum_prominence_db(freqs, power),
        "side_to_mid_db": None if mid_p == 0 else
        (None if side_p == 0 else round(10 * math.log10(side_p / mid_p), 2)),
        "correlation": round(corr, 3),
        "low_correlation": low_corr,
        "balance_db": None if not left_p or not right_p else
        round(10 * math.log10(left_p / right_p), 2),
        "dc_offset": round(float(np.abs(xd.mean(axis=0)).max()), 5),
        "dc_held": held_offset(x),
        "clipped_runs": clipped_runs(x),
        "identical_channels": bool(np.array_equal(x[:, 0], x[:, 1])),
        "mean_square_db": _db(0.5 * (left_p + right_p)),
    }
