"""Mains hum (50/60 Hz and harmonics) from a fine long-term spectrum of the decimated mono sum.

The mono sum is decimated to about 1.4 kHz (a boxcar to ~5.5 kHz, then a 63-tap windowed-sinc
low-pass and a factor of ~4) and cut into segments of 2048 samples (~1.5 s, 0.67 Hz bins).
For every segment and every candidate line (harmonics 1..6 of 50 Hz and of 60 Hz) it keeps
two numbers: the line power (highest bin within +-0.5 % of the nominal frequency, at least
+-0.4 Hz) and the background (mean of the lowest 36 of the 24 bins each side from 1.5 Hz
beyond the line, corrected for the trimming: the mean of a noise-like neighbourhood).

Hum is what never goes away and is heard where the music is quiet. A line's salience is the
smaller of two prominences: (a) its *lasting* power (10th percentile over all non-silent
segments; a bass note on 55 or 60 Hz comes and goes, so this is the empty bin) over the
median background of the quiet segments (within 6 dB of the quietest), and (b) the median, over
those quiet segments, of line power minus background. A kick or bass drone sitting exactly
on 50/60 Hz in every segment cannot be told from hum by this measure.
"""

from __future__ import annotations

import math

import numpy as np

FAMILIES_HZ = (50.0, 60.0)
HARMONICS = 6
#: A line this far over its neighbourhood, all the time, counts as a hum harmonic.
PROMINENT_DB = 12.0
SEGMENT = 2048
SILENT_DB = -100.0
RING_BINS = 24  # background bins on each side of a line (about 16 Hz)
RING_KEEP = 36  # the lowest 36 of the 48 background bins (other partials may sit there)
# Expected mean of the lowest RING_KEEP of 2*RING_BINS exponential variables of mean 1
# (order statistics: E[X_(i)] = sum_{j=n-i+1}^{n} 1/j), to undo the trimming bias.
_RING_BIAS = float(np.mean([sum(1.0 / j for j in range(2 * RING_BINS - i + 1, 2 * RING_BINS + 1))
                            for i in range(1, RING_KEEP + 1)]))
#: Segments within this range of the quietest one are "quiet": where hum is heard.
QUIET_RANGE_DB = 6.0  # decimated-signal RMS under which a segment is digital silence


def _lowpass(taps: int, cutoff: float) -> np.ndarray:
    """Hamming-windowed sinc low-pass, ``cutoff`` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float64)


class HumMeter:
    """Streams the mono sum through the decimator and keeps per-segment line statistics."""

    def __init__(self, rate_hz: int) -> None:
        self.q1 = max(1, round(rate_hz / 5512.5))
        rate1 = rate_hz / self.q1
        self.q2 = max(1, round(rate1 / 1400.0))
        self.rate2 = rate1 / self.q2
        self._fir = _lowpass(63, 500.0 / rate1)
        self._rest1 = np.zeros(0, np.float32)  # samples waiting for a full boxcar
        self._hist = np.zeros(self._fir.size - 1)  # stage-1 history for the FIR
        self._phase = 0  # offset of the next kept FIR output in the next chunk
        self._seg = np.zeros(0)
        self._window = np.hanning(SEGMENT)
        freqs = np.fft.rfftfreq(SEGMENT, 1 / self.rate2)
        bin_hz = self.rate2 / SEGMENT
        lines, rings = [], []
        for fam in FAMILIES_HZ:
            for h in range(1, HARMONICS + 1):
                f = fam * h
                tol = max(0.4, 0.005 * f)
                centre = int(round(f / bin_hz))
                half = max(1, int(round(tol / bin_hz)))
                lines.append(np.clip(centre + np.arange(-half, half + 1), 0, freqs.size - 1))
                inner = int(np.ceil((tol + 1.5) / bin_hz))
                side = centre + inner + np.arange(RING_BINS)
                rings.append(np.concatenate([centre - inner - np.arange(RING_BINS), side]))
        width = max(len(idx) for idx in lines)
        # Equal widths so that one vectorized max/median serves all lines (edges repeat).
        self._lines = np.stack([np.resize(idx, width) for idx in lines])
        self._rings = np.clip(np.stack(rings), 0, freqs.size - 1)
        self.levels_db: list[float] = []
        self.line_db: list[np.ndarray] = []
        self.ring_db: list[np.ndarray] = []

    def process(self, mono: np.ndarray) -> None:
        """``mono``: the next samples of the mono sum at the file's rate."""
        data = np.concatenate([self._rest1, mono]) if self._rest1.size else mono
        usable = data.size // self.q1 * self.q1
        self._rest1 = data[usable:].copy()
        if usable == 0:
            return
        stage1 = data[:usable].reshape(-1, self.q1).mean(axis=1, dtype=np.float64)
        padded = np.concatenate([self._hist, stage1])
        filtered = np.convolve(padded, self._fir, mode="valid")
        self._hist = padded[-(self._fir.size - 1):]
        kept = filtered[self._phase::self.q2]
        self._phase = (self._phase - filtered.size) % self.q2
        self._seg = np.concatenate([self._seg, kept])
        while self._seg.size >= SEGMENT:
            self._analyse(self._seg[:SEGMENT])
            self._seg = self._seg[SEGMENT:]

    def _analyse(self, seg: np.ndarray) -> None:
        rms = math.sqrt(float(np.mean(seg * seg)))
        self.levels_db.append(20 * math.log10(max(rms, 1e-12)))
        power = np.abs(np.fft.rfft(seg * self._window)) ** 2 + 1e-30
        self.line_db.append(10 * np.log10(power[self._lines].max(axis=1)))
        ring = np.sort(power[self._rings], axis=1)[:, :RING_KEEP]
        self.ring_db.append(10 * np.log10(ring.mean(axis=1) / _RING_BIAS))

    def result(self) -> tuple[float | None, float | None, int | None]:
        """(hum frequency in Hz or None, salience in dB or None, prominent harmonics)."""
        levels = np.asarray(self.levels_db)
        valid = levels > SILENT_DB
        if not np.any(valid):
            return None, None, None
        line = np.asarray(self.line_db)[valid]
        ring = np.asarray(self.ring_db)[valid]
        quiet = levels[valid] <= levels[valid].min() + QUIET_RANGE_DB
        lasting = np.percentile(line, 10, axis=0) - np.median(ring[quiet], axis=0)
        heard = np.median(line[quiet] - ring[quiet], axis=0)
        salience = np.minimum(lasting, heard).reshape(len(FAMILIES_HZ), HARMONICS)
        best = salience.max(axis=1)
        fam = int(np.argmax(best))
        count = int(np.sum(salience[fam] >= PROMINENT_DB))
        frequency = FAMILIES_HZ[fam] if count else None
        return frequency, round(float(best[fam]), 2), count
