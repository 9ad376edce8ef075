"""Noise floor, SNR and hiss from per-tick band spectra (minimum statistics).

Every 100 ms tick contributes one Hann-windowed frame of ~23 ms (2^k samples) taken at the
tick's start. In each octave band the frame's *noise-like* power is estimated as the median
power of 16 bins spread over the band times the number of bins, corrected for the
median/mean ratio of the averaged periodogram (chi-square with 2 x channels degrees of
freedom): tonal partials occupy few bins and barely move a median, while hiss raises every
bin. A band's floor is the 10th
percentile of that power over the non-silent ticks (after Martin, "Noise power spectral
density estimation based on optimal smoothing and minimum statistics", IEEE TSAP 2001,
in a simplified form). The noise floor is the sum of the band floors from 500 Hz to
Nyquist (lower bands have too few bins to separate notes from noise; hum has its own
measure); hiss is the same sum over 4-16 kHz.
"""

from __future__ import annotations

import math

import numpy as np

#: Octave band edges in Hz; the last band runs to Nyquist.
BAND_EDGES_HZ = (20.0, 62.5, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
HISS_BAND_HZ = (4000.0, 16000.0)
#: The noise floor sums the bands from here up: below, 23 ms frames have too few bins for a
#: median to tell a held note from noise (and hum is measured on its own).
NOISE_LOW_HZ = 500.0
FLOOR_PERCENTILE = 10.0
BINS_PER_BAND = 16  # bins whose median stands for a band (evenly spread over it)
SILENT_DBFS = -120.0  # tick RMS under which a tick is digital silence
# Median / mean of a chi-square variable with 2k degrees of freedom, scaled to mean 1,
# for k = 1 (mono) and 2 (stereo): ln 2 and the Gamma(2, 1/2) median.
_MEDIAN_OVER_MEAN = {1: math.log(2.0), 2: 0.8391735}


class TickSpectra:
    """Band powers (noise-like part) of one frame per tick, fed block by block."""

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.rate = rate_hz
        self.channels = channels
        self.frame = 1 << round(math.log2(0.023 * rate_hz))
        self.frame = min(self.frame, rate_hz // 10)  # a frame never outlasts its tick
        freqs = np.fft.rfftfreq(self.frame, 1 / rate_hz)
        nyquist = rate_hz / 2
        edges = [e for e in BAND_EDGES_HZ if e < nyquist] + [nyquist]
        self.bands = list(zip(edges[:-1], edges[1:], strict=True))
        # Bins 0-1 hold the Hann main lobe of any DC offset: not noise.
        lowest = max(freqs[2], 0.0)
        bins = [np.flatnonzero((freqs >= max(lo, lowest)) & (freqs < hi)) for lo, hi in self.bands]
        self._band_bins = np.array([b.size for b in bins], dtype=np.float64)
        # A fixed number of bins per band, evenly spread (repeated in narrow bands), so that
        # one vectorized median serves every band.
        self._picks = np.stack([b[np.linspace(0, b.size - 1, BINS_PER_BAND).round().astype(int)]
                                if b.size else np.zeros(BINS_PER_BAND, int) for b in bins])
        window = np.hanning(self.frame).astype(np.float32)
        self._window = window
        # |X_k|^2 * scale = power of bin k in full-scale^2 (sums to the frame's mean square).
        self._scale = 2.0 / (self.frame * float(np.sum(window.astype(np.float64) ** 2)))
        self._median_fix = _MEDIAN_OVER_MEAN[min(channels, 2)]
        self._next_tick = 0
        self._pending = np.zeros((channels, 0), np.float32)  # start of a frame cut by a block end
        self.band_power: list[np.ndarray] = []  # (ticks, bands) per processed chunk

    def _tick_start(self, k: np.ndarray | int) -> np.ndarray:
        return np.rint(np.asarray(k, dtype=np.int64) * self.rate / 10).astype(np.int64)

    def process(self, x: np.ndarray, position: int) -> None:
        """``x``: the block, (channels, n) float32, starting at global sample ``position``."""
        n = x.shape[1]
        frames: list[np.ndarray] = []
        if self._pending.shape[1]:
            need = self.frame - self._pending.shape[1]
            if need > n:
                self._pending = np.concatenate([self._pending, x], axis=1)
                return
            frames.append(np.concatenate([self._pending, x[:, :need]], axis=1)[:, None, :])
            self._pending = np.zeros((self.channels, 0), np.float32)
            self._next_tick += 1
        end = position + n
        k_last = int(end * 10 // self.rate) + 1
        ticks = np.arange(self._next_tick, k_last + 1)
        starts = self._tick_start(ticks)
        inside = starts < end
        ticks, starts = ticks[inside], starts[inside]
        whole = starts + self.frame <= end
        if np.any(whole):
            local = starts[whole] - position
            idx = local[:, None] + np.arange(self.frame)
            frames.append(x[:, idx])  # (channels, ticks, frame)
            self._next_tick = int(ticks[whole][-1]) + 1
        if np.any(~whole):
            self._pending = x[:, int(starts[~whole][0] - position):].copy()
        if frames:
            self._analyse(np.concatenate(frames, axis=1))

    def _analyse(self, frames: np.ndarray) -> None:
        spectrum = np.abs(np.fft.rfft(frames * self._window, axis=-1)) ** 2
        power = spectrum.mean(axis=0) * self._scale  # (ticks, bins), mean over channels
        bands = np.median(power[:, self._picks], axis=2) * (self._band_bins / self._median_fix)
        self.band_power.append(bands)

    def floors(self, tick_level_dbfs: np.ndarray) -> np.ndarray | None:
        """Per-band floor power (full-scale^2) over the non-silent ticks; None if none."""
        if not self.band_power:
            return None
        bands = np.concatenate(self.band_power)
        m = min(bands.shape[0], tick_level_dbfs.size)
        active = tick_level_dbfs[:m] > SILENT_DBFS
        if not np.any(active):
            return None
        return np.percentile(bands[:m][active], FLOOR_PERCENTILE, axis=0)

    def noise_bands(self) -> np.ndarray:
        """Mask of the bands summed into the noise floor (500 Hz to Nyquist)."""
        return np.array([b_lo >= NOISE_LOW_HZ for b_lo, _ in self.bands])

    def hiss_bands(self) -> np.ndarray:
        """Mask of the bands that lie in the hiss region (4-16 kHz)."""
        lo, hi = HISS_BAND_HZ
        return np.array([lo <= b_lo < hi for b_lo, _ in self.bands])
