"""Noise floor, SNR and hiss: the steady, broadband part of the signal under the music.

Every 100 ms tick contributes one Hann-windowed frame of ~23 ms (2^k samples) taken at the
tick's start. In each half-octave band from 500 Hz up, the frame's *noise-like* power is
estimated as the median power of 16 bins spread over the band times the number of bins,
corrected for the median/mean ratio of the averaged periodogram (chi-square with
2 x channels degrees of freedom): tonal partials occupy few bins and barely move a median,
while hiss raises every bin.

Noise is what stays: hiss, preamp and room noise are stationary and present through the
quietest moments, while the quietest moments of music (a decay, a gap between notes, an
intro) differ from one another. So a band's distribution of per-tick powers is read at its
quietest quarter: where noise sits under the music, the music is absent from the band for
at least part of the time and those ticks pile up on one level, the noise's; the band is
*steady* when its quietest quarter of ticks spans at most ``STEADY_SPREAD_DB`` (the 25th
minus the 5th percentile; for a noise-only band the estimator's own spread is about 1.5 dB).
Quiet music does not pile up like that: its quietest ticks spread over tens of dB (decays
to near silence, sparse hats). The steady band's floor is the median of its quietest
quarter (the 12.5th percentile; for noise alone about 1 dB under its power). This is a
simplified form of minimum statistics (Martin, IEEE TSAP 9(5), 2001) with a stationarity
test in place of the bias model.

The noise floor sums the floors of the steady bands from 500 Hz to Nyquist (lower bands
have too few bins per frame to separate notes from noise; hum has its own measure). Where
no band is steady the noise lies under the music everywhere and the floor is undefined
(null), not the music's level.

Hiss (thermal, preamp, tape noise) is white: the same power per hertz up to the top of the
spectrum, whereas the steady floor that music leaves (reverb tails, pads, the wash of a
dense mix) falls with frequency. Every band's quiet floor bounds the white noise it can
hold, so the hiss is read from the band of 4 kHz-Nyquist with the least floor per hertz,
spread over that whole range, and only when that band is steady (a floor of music there
still moves with the music). On real-dev a clean master's least floor lies at least 50 dB
under its programme or is not steady, while hiss injected 30 dB under reads 29.5-31.2
even under dense rock, where the sum of the steady floors read the guitars' wash.
"""

from __future__ import annotations

import math

import numpy as np

from expert.features.base import TimeGrid

#: Half-octave bands from 500 Hz; the last band runs to Nyquist.
NOISE_LOW_HZ = 500.0
BAND_EDGES_HZ = tuple(NOISE_LOW_HZ * 2 ** (k / 2) for k in range(11))  # 500 Hz .. 16 kHz
HISS_LOW_HZ = 4000.0  # hiss is read from here to Nyquist
#: Percentiles (over the non-silent ticks) of a band's quietest quarter: its ends and middle.
QUIET_LOW_PCT, QUIET_MID_PCT, QUIET_HIGH_PCT = 5.0, 12.5, 25.0
#: A band is steady when its quietest quarter of ticks spans at most this (dB).
STEADY_SPREAD_DB = 3.0
BINS_PER_BAND = 16  # bins whose median stands for a band (evenly spread over it)
SILENT_DBFS = -120.0  # tick RMS under which a tick is digital silence
# Median / mean of a chi-square variable with 2k degrees of freedom, scaled to mean 1,
# for k = 1 (mono) and 2 (stereo): ln 2 and the Gamma(2, 1/2) median.
_MEDIAN_OVER_MEAN = {1: math.log(2.0), 2: 0.8391735}


class TickSpectra:
    """Band powers (noise-like part) of one frame per tick, fed block by block."""

    def __init__(self, rate_hz: int, channels: int) -> None:
        self.rate = rate_hz
        self._ticks = TimeGrid(rate_hz).ticks
        self.channels = channels
        self.frame = 1 << round(math.log2(0.023 * rate_hz))
        self.frame = min(self.frame, rate_hz // 10)  # a frame never outlasts its tick
        freqs = np.fft.rfftfreq(self.frame, 1 / rate_hz)
        nyquist = rate_hz / 2
        edges = [e for e in BAND_EDGES_HZ if e < nyquist] + [nyquist]
        self.bands = list(zip(edges[:-1], edges[1:], strict=True))
        self._band_width_hz = np.array([hi - lo for lo, hi in self.bands])
        self._hiss_bands = np.array([lo >= HISS_LOW_HZ for lo, _ in self.bands], dtype=bool)
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
        starts = self._ticks.start(ticks)
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

    def floors(self, tick_level_dbfs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Per band: the quiet floor's power (full-scale^2, the 12.5th percentile) and
        whether the band is steady, over the non-silent ticks; None when there is no such
        tick."""
        if not self.band_power:
            return None
        # Merged in place of the chunks, and the percentiles taken a band at a time: a long
        # file's band powers (3.4 MB an hour) are held once during the finish, not three times.
        bands = np.concatenate(self.band_power)
        self.band_power = [bands]
        m = min(bands.shape[0], tick_level_dbfs.size)
        active = tick_level_dbfs[:m] > SILENT_DBFS
        if not np.any(active):
            return None
        low, mid, high = np.stack([
            np.percentile(band[active], [QUIET_LOW_PCT, QUIET_MID_PCT, QUIET_HIGH_PCT],
                          overwrite_input=True)
            for band in bands[:m].T], axis=1)
        # A band at digital zero has no noise at all: not a steady floor.
        steady = (low > 0) & (high <= low * 10 ** (STEADY_SPREAD_DB / 10))
        return mid, steady

    def hiss_power(self, floor: np.ndarray, steady: np.ndarray) -> float | None:
        """Power (full-scale^2) over 4 kHz-Nyquist of the white noise that the bands' quiet
        floors (``floors``) leave room for; None when no band there has a floor or the band
        with the least floor per hertz is not steady."""
        region = self._hiss_bands & (floor > 0)
        if not np.any(region):
            return None
        per_hz = floor / self._band_width_hz
        least = np.flatnonzero(region)[np.argmin(per_hz[region])]
        if not steady[least]:
            return None
        return float(per_hz[least] * self._band_width_hz[self._hiss_bands].sum())
