"""Mains hum (50/60 Hz and harmonics) from a fine long-term spectrum of the decimated channels.

Each channel is decimated to about 1.4 kHz (a boxcar to ~5.5 kHz, then a 63-tap windowed-sinc
low-pass and a factor of ~4) and cut into segments of 2048 samples (~1.5 s, 0.67 Hz bins).
For every segment and every candidate line (harmonics 1..6 of 50 Hz and of 60 Hz) it keeps
two numbers: the line power and the background (the mean of the lowest 36 of the 48 bins
that start 1.5 Hz beyond a +-0.5 % band around the line, 24 on each side, corrected for the
trimming: the mean of a noise-like neighbourhood).

The line power is the Hann-windowed DFT evaluated *exactly* at the mains harmonic, and it
counts only where the spectrum peaks there: the power must exceed the power one bin
(0.67 Hz) below and above. Mains hum sits on the grid frequency (continental Europe: within
+-50 mHz in normal operation, +-200 mHz at most, ENTSO-E Operation Handbook, Policy 1);
a bass note near it (G1 =
49.0 Hz, G#1 = 51.9 Hz, A#1 = 58.3 Hz, B1 = 61.7 Hz) peaks a bin or more away and then
leaves the mains line at its background level. Where the line is no local maximum, the
segment's line power is taken as its background.

Hum is what never goes away and is heard where the music is quiet. A line's salience is the
smaller of two prominences: (a) its *lasting* power (10th percentile over all non-silent
segments; a bass note that comes and goes leaves this empty) over the median background of
the quiet segments (within 6 dB of the quietest), and (b) the median, over those quiet
segments, of line power minus background. The family's salience is that of its strongest
line among the fundamental and the 2nd and 3rd harmonics, where ground loops and rectifier
ripple put their energy; a lasting partial of the music on a high harmonic alone (300 Hz is
the 6th of 50 Hz and the 5th of 60 Hz) is not hum. A kick or bass drone sitting exactly on
50/60 Hz in every segment cannot be told from hum by this measure.

Under music that never gets quiet the quiet segments are as loud as the rest, and a line
that is there all along can still be masked in every segment. The *family* salience looks
for what only the mains makes: two of the first three harmonics standing on their exact
frequencies at once, in the typical segment (the median over all non-silent segments of line
minus background, the second-strongest of the three). A bass line or a drone is one note
at a time and rarely an exact multiple of 50/60 Hz; ground-loop hum brings its harmonic
family wherever it is (a buzz at 1/k amplitudes: 50, 100, 150 Hz together).

Under dense bass even the family can drown: in a 0.67 Hz bin the music beside a mains line
holds as much power as a hum 20 dB under the mix. A steady tone keeps all its power in one
bin however fine the bins, where the music's power per bin falls with the bin's width, so
the *fine* salience measures the family again in long segments of 16384 samples (~12 s,
0.085 Hz bins: 9 dB less music per bin). The line power is the largest of the DFTs at the
harmonic for a grid off its nominal frequency by -50 to +50 mHz in steps of 25 (ENTSO-E's
normal band; the harmonic h moves h times as far), kept where it exceeds the power two bins
(the Hann window's first zero) beyond that band on both sides; the background is the
trimmed mean of the bins 0.5-3 Hz away. The family's value is the median over segments,
second-strongest of harmonics 1-3, less the larger (when positive) of the other family's and
of its own lines at 1/2 and 3/2 of the mains: a spectrum so full of steady partials that
some fall on exact multiples of 50 Hz puts them on those of 60 Hz as well, and a sound
whose period is a whole number of mains periods (a sample loop of exactly 1/30 s: lines on
every multiple of 30 Hz) on the half-multiples, where hum is one family with the mains as
its fundamental.

A pattern that repeats at an exact period (a sample loop, programmed drums locked to the
tempo: a bar, a beat or a subdivision) makes a *comb*: steady lines on every multiple of
1/period, 1-12 Hz apart, and some fall on mains harmonics (at 100 BPM the eighth notes
repeat at 3.33 Hz, whose 18th and 36th multiples are 60 and 120 Hz). Hum stands alone on
its harmonics; a comb member has neighbours at the same spacing. The *comb* reading looks,
in the mean fine spectrum, at each of harmonics 1-3 as the n-th line of a comb of spacing
h f / n (1-12 Hz) and keeps the weakest of the comb's four nearest lines (n-1, n+1, n-2,
n+2: lines over the median of the bins within 2 Hz, local maxima found within one bin);
the family's comb is the best such weakest line. A hum that happens to sit on the music's
comb cannot be told from it by this measure.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from expert.features.base import running

FAMILIES_HZ = (50.0, 60.0)
HARMONICS = 6
#: Harmonics whose salience stands for the family (1-based, inclusive).
FAMILY_HARMONICS = 3
#: A line this far over its neighbourhood, all the time, is counted in hum_harmonics.
PROMINENT_DB = 12.0
SEGMENT = 2048
SILENT_DB = -100.0
RING_BINS = 24  # background bins on each side of a line (about 16 Hz)
RING_KEEP = 36  # the lowest 36 of the 48 background bins (other partials may sit there)
# Expected mean of the lowest RING_KEEP of 2*RING_BINS exponential variables of mean 1
# (order statistics: E[X_(i)] = sum_{j=n-i+1}^{n} 1/j), to undo the trimming bias.
def _trim_bias(n: int, keep: int) -> float:
    """Mean of the lowest ``keep`` of ``n`` exponential variables of mean 1."""
    return float(np.mean([sum(1.0 / j for j in range(n - i + 1, n + 1))
                          for i in range(1, keep + 1)]))


_RING_BIAS = _trim_bias(2 * RING_BINS, RING_KEEP)
#: Segments within this range of the quietest one are "quiet": where hum is heard.
QUIET_RANGE_DB = 6.0  # decimated-signal RMS under which a segment is digital silence
#: Long segments of the fine salience (~12 s, 0.085 Hz bins), overlapping by half.
FINE_SEGMENT = 16384
FINE_RING_HZ = (0.5, 3.0)  # background: bins this far from the line on each side
FINE_RING_KEEP = 0.75  # the lowest three quarters of them
GRID_DEVIATIONS_HZ = (-0.05, -0.025, 0.0, 0.025, 0.05)  # mains off its nominal frequency
#: Lines measured per family, in multiples of the mains: harmonics 1-3, then 1/2 and 3/2,
#: where hum has none and a sound whose period is twice the mains' has its odd partials.
FINE_MULTIPLES = (1.0, 2.0, 3.0, 0.5, 1.5)
COMB_SPACING_HZ = (1.0, 12.0)  # a beat at 60 BPM .. a sixteenth at 180 BPM
COMB_NEIGHBOURS = (-2, -1, 1, 2)  # the comb's lines nearest the harmonic, in spacings
COMB_MEDIAN_HZ = 2.0  # a line's background: the median of the bins this far on each side


class HumReading(NamedTuple):
    """What ``HumMeter`` concludes; every field is None when nothing is measurable."""

    frequency_hz: float | None  # the family (50 or 60 Hz) that stands out more
    salience_db: float | None  # its best lasting line over the quiet passages' background
    harmonics: int | None  # its harmonics (1-6) at least PROMINENT_DB over the background
    family_salience_db: float | None  # its second-strongest of harmonics 1-3, typical segment
    fine_salience_db: float | None  # the same in 0.085 Hz bins, less the other family's and
    #                                 the half-multiples' lines
    comb_db: float | None  # the music's own comb of lines through a harmonic 1-3 (module doc)


def _lowpass(taps: int, cutoff: float) -> np.ndarray:
    """Hamming-windowed sinc low-pass, ``cutoff`` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float64)


def _read_only(*tables: np.ndarray) -> None:
    """Tables built once per rate are shared by every meter of that rate: none may write."""
    for table in tables:
        table.flags.writeable = False


class _FineLayout(NamedTuple):
    """``FineLineMeter``'s tables, which depend on the decimated rate only."""

    window: np.ndarray
    bin_hz: float
    comb_bins: int
    n_dev: int
    step: int
    inner: tuple[np.ndarray, np.ndarray]
    outer: tuple[np.ndarray, np.ndarray]
    rings: list[np.ndarray]
    keep: list[int]
    bias: np.ndarray


@cache
def _fine_layout(rate_hz: float) -> _FineLayout:
    """Built once per decimated rate: per file, they cost a batch of short files ~4 ms each."""
    bin_hz = rate_hz / FINE_SEGMENT
    top_hz = max(FAMILIES_HZ) * FAMILY_HARMONICS + 2 * COMB_SPACING_HZ[1] + 2 * COMB_MEDIAN_HZ
    comb_bins = min(int(math.ceil(top_hz / bin_hz)) + 2, FINE_SEGMENT // 2 + 1)
    freqs = np.fft.rfftfreq(FINE_SEGMENT, 1 / rate_hz)
    harmonic = np.tile(FINE_MULTIPLES, len(FAMILIES_HZ))
    lines_hz = np.repeat(FAMILIES_HZ, len(FINE_MULTIPLES)) * harmonic
    deviation_hz = np.array(GRID_DEVIATIONS_HZ)
    # Probes: the line under each grid deviation, then two bins beyond that band each side.
    line_probes = lines_hz[:, None] + harmonic[:, None] * deviation_hz
    flanks = np.stack([line_probes[:, 0] - 2 * bin_hz, line_probes[:, -1] + 2 * bin_hz],
                      axis=1)
    probe_hz = np.concatenate([line_probes, flanks], axis=1).ravel()
    # The DFT at each probe frequency, factored as n = a * B + b (B = sqrt of the
    # segment): e^(-i w n) = e^(-i w a B) e^(-i w b), so two tables of B rows per probe
    # (150 kB) stand for the 9 MB of whole-segment sinusoids, for the same arithmetic.
    step = math.isqrt(FINE_SEGMENT)
    assert step ** 2 == FINE_SEGMENT, "the factored DFT needs a square segment"
    omega = 2 * np.pi * probe_hz / rate_hz
    inner = np.arange(step)[:, None] * omega[None, :]
    outer = step * inner
    distance = np.abs(freqs[None, :] - lines_hz[:, None])
    rings = [np.nonzero((d >= FINE_RING_HZ[0]) & (d <= FINE_RING_HZ[1]))[0] for d in distance]
    keep = [int(FINE_RING_KEEP * r.size) for r in rings]
    bias = np.array([_trim_bias(r.size, k) for r, k in zip(rings, keep, strict=True)])
    layout = _FineLayout(np.hanning(FINE_SEGMENT), bin_hz, comb_bins, len(GRID_DEVIATIONS_HZ),
                         step, (np.cos(inner), np.sin(inner)), (np.cos(outer), np.sin(outer)),
                         rings, keep, bias)
    _read_only(layout.window, *layout.inner, *layout.outer, *rings, bias)
    return layout


class FineLineMeter:
    """The fine salience (module doc): mains lines in ~12 s segments of the decimated
    channels, each segment's line-over-background per family and harmonic 1-3."""

    def __init__(self, rate_hz: float) -> None:
        self._layout = _fine_layout(rate_hz)
        self._seg = np.zeros((0, 0))
        self._power_sum = np.zeros(self._layout.comb_bins)  # the comb's mean spectrum, summed
        self.line_db: list[np.ndarray] = []  # per segment: (families * multiples,)

    def process(self, decimated: np.ndarray) -> None:
        """``decimated``: the next (channels, n) samples at the decimated rate."""
        self._seg = (np.concatenate([self._seg, decimated], axis=1) if self._seg.size
                     else decimated)
        hop = FINE_SEGMENT // 2
        while self._seg.shape[1] >= FINE_SEGMENT:
            self._analyse(self._seg[:, :FINE_SEGMENT])
            self._seg = self._seg[:, hop:]

    def _analyse(self, seg: np.ndarray) -> None:
        if 10 * math.log10(max(float(np.mean(seg * seg)), 1e-24)) <= SILENT_DB:
            return
        layout = self._layout
        power = (np.abs(np.fft.rfft(seg * layout.window, axis=1)) ** 2).mean(axis=0) + 1e-30
        self._power_sum += power[:layout.comb_bins]
        ring = np.array([np.sort(power[r])[:k].mean()
                         for r, k in zip(layout.rings, layout.keep, strict=True)]) / layout.bias
        blocks = (seg * layout.window).reshape(seg.shape[0] * layout.step, -1)
        cos_in, sin_in = (blocks @ table for table in layout.inner)  # (channels * a, probes)
        cos_in, sin_in = (part.reshape(seg.shape[0], -1, part.shape[1])
                          for part in (cos_in, sin_in))
        cos_out, sin_out = layout.outer
        real = (cos_out * cos_in - sin_out * sin_in).sum(axis=1)
        imag = (cos_out * sin_in + sin_out * cos_in).sum(axis=1)
        probe = ((real ** 2 + imag ** 2).mean(axis=0) + 1e-30).reshape(ring.size, -1)
        line = probe[:, :layout.n_dev].max(axis=1)
        peaked = line > probe[:, layout.n_dev:].max(axis=1)
        self.line_db.append(10 * np.log10(np.where(peaked, line, ring) / ring))

    def result(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per family (medians over segments): the second-strongest of harmonics 1-3, and
        the stronger of the lines at 1/2 and 3/2 of the mains; None under one segment."""
        if not self.line_db:
            return None
        typical = np.median(np.asarray(self.line_db), axis=0).reshape(len(FAMILIES_HZ), -1)
        harmonics = typical[:, :FAMILY_HARMONICS]
        return np.sort(harmonics, axis=1)[:, -2], typical[:, FAMILY_HARMONICS:].max(axis=1)

    def comb_db(self) -> np.ndarray | None:
        """Per family: the best, over harmonics 1-3 and comb spacings, of the weakest of the
        comb's four lines nearest the harmonic (dB over their background; 0 if none)."""
        if not self.line_db:
            return None
        power = self._power_sum / len(self.line_db) + 1e-30
        half = int(round(COMB_MEDIAN_HZ / self._layout.bin_hz))
        background = np.median(sliding_window_view(np.pad(power, half, mode="edge"),
                                                   2 * half + 1), axis=1)
        inner = power[1:-1]
        peaked = (inner >= power[:-2]) & (inner >= power[2:])
        line_db = np.zeros_like(power)
        line_db[1:-1] = np.where(peaked, np.maximum(10 * np.log10(inner / background[1:-1]), 0), 0)
        # A comb's line may fall a bin from where the spacing puts it (the spacing is known
        # to the harmonic's bin only): the strongest line within one bin.
        near_db = running(np.maximum, line_db, 3, 1)
        low_hz, high_hz = COMB_SPACING_HZ
        best = np.zeros(len(FAMILIES_HZ))
        for i, family_hz in enumerate(FAMILIES_HZ):
            for harmonic in range(1, FAMILY_HARMONICS + 1):
                line_hz = family_hz * harmonic
                n = np.arange(math.ceil(line_hz / high_hz), math.floor(line_hz / low_hz) + 1)
                spacing_hz = line_hz / n
                neighbours = (n[:, None] + np.array(COMB_NEIGHBOURS)) * spacing_hz[:, None]
                index = np.clip(np.rint(neighbours / self._layout.bin_hz).astype(int), 0,
                                power.size - 1)
                best[i] = max(best[i], float(near_db[index].min(axis=1).max()))
        return best


class _CoarseLayout(NamedTuple):
    """``HumMeter``'s decimation and tables, which depend on the file's rate only."""

    q1: int  # the boxcar's factor, to ~5.5 kHz
    q2: int  # the FIR stage's factor, to ~1.4 kHz
    rate2: float  # the decimated rate
    fir: np.ndarray
    window: np.ndarray
    rings: np.ndarray
    probes: np.ndarray


@cache
def _coarse_layout(rate_hz: int) -> _CoarseLayout:
    """Built once per rate, as ``_fine_layout``."""
    q1 = max(1, round(rate_hz / 5512.5))
    rate1 = rate_hz / q1
    q2 = max(1, round(rate1 / 1400.0))
    rate2 = rate1 / q2
    fir = _lowpass(63, 500.0 / rate1)
    window = np.hanning(SEGMENT)
    freqs = np.fft.rfftfreq(SEGMENT, 1 / rate2)
    bin_hz = rate2 / SEGMENT
    lines_hz = np.array([fam * h for fam in FAMILIES_HZ for h in range(1, HARMONICS + 1)])
    rings = []
    for f in lines_hz:
        centre = int(round(f / bin_hz))
        inner = int(np.ceil((max(0.4, 0.005 * f) + 1.5) / bin_hz))
        side = centre + inner + np.arange(RING_BINS)
        rings.append(np.concatenate([centre - inner - np.arange(RING_BINS), side]))
    ring_bins = np.clip(np.stack(rings), 0, freqs.size - 1)
    # DFT rows (cosine, then sine) at each line and one bin below and above it, with the
    # Hann window and no normalisation, as the FFT bins are, so line and ring compare.
    probe_hz = (lines_hz[:, None] + bin_hz * np.array([-1.0, 0.0, 1.0])).reshape(-1, 1)
    phase = 2 * np.pi * probe_hz * np.arange(SEGMENT) / rate2
    probes = np.concatenate([np.cos(phase), np.sin(phase)]) * window
    _read_only(fir, window, ring_bins, probes)
    return _CoarseLayout(q1, q2, rate2, fir, window, ring_bins, probes)


class HumMeter:
    """Streams the channels through the decimator and keeps per-segment line statistics."""

    def __init__(self, rate_hz: int) -> None:
        self._layout = _coarse_layout(rate_hz)
        self._rest1 = np.zeros((0, 0), np.float32)  # samples waiting for a full boxcar
        self._hist = np.zeros((0, 0))  # stage-1 history for the FIR (zeros before the start)
        self._phase = 0  # offset of the next kept FIR output in the next chunk
        self._seg = np.zeros((0, 0))
        self._fine = FineLineMeter(self._layout.rate2)
        self.levels_db: list[float] = []
        self.line_db: list[np.ndarray] = []
        self.ring_db: list[np.ndarray] = []

    def process(self, x: np.ndarray) -> None:
        """``x``: the next samples, (channels, n) at the file's rate. Channels are analysed
        separately and their powers averaged, so hum survives a polarity-inverted channel."""
        layout = self._layout
        q1, fir = layout.q1, layout.fir
        data = np.concatenate([self._rest1, x], axis=1) if self._rest1.size else x
        usable = data.shape[1] // q1 * q1
        self._rest1 = data[:, usable:].copy()
        if usable == 0:
            return
        # The boxcar's mean as q1 strided sums in float64, a third faster than the reduction
        # over a short last axis; a sum of q1 float32 values is exact in float64 whatever the
        # order, so the numbers are the same.
        stage1 = data[:, :usable:q1].astype(np.float64)
        for offset in range(1, q1):
            stage1 += data[:, offset:usable:q1]
        stage1 /= q1
        padded = np.concatenate([self._hist, stage1], axis=1) if self._hist.size else np.pad(
            stage1, ((0, 0), (fir.size - 1, 0)))
        # Only the FIR outputs the second stage keeps (every q2-th): windows of the input
        # times the reversed taps, as the convolution's output at each of them.
        windows = sliding_window_view(padded, fir.size, axis=1)
        kept = windows[:, self._phase::layout.q2] @ fir[::-1]
        self._hist = padded[:, -(fir.size - 1):]
        self._phase = (self._phase - windows.shape[1]) % layout.q2
        self._fine.process(kept)
        self._seg = np.concatenate([self._seg, kept], axis=1) if self._seg.size else kept
        while self._seg.shape[1] >= SEGMENT:
            self._analyse(self._seg[:, :SEGMENT])
            self._seg = self._seg[:, SEGMENT:]

    def _analyse(self, seg: np.ndarray) -> None:
        """``seg``: (channels, SEGMENT) decimated samples."""
        rms = math.sqrt(float(np.mean(seg * seg)))
        self.levels_db.append(20 * math.log10(max(rms, 1e-12)))
        layout = self._layout
        power = (np.abs(np.fft.rfft(seg * layout.window, axis=1)) ** 2).mean(axis=0) + 1e-30
        ring = np.sort(power[layout.rings], axis=1)[:, :RING_KEEP].mean(axis=1) / _RING_BIAS
        parts = layout.probes @ np.ascontiguousarray(seg.T)  # (2 * lines * 3, channels)
        half = parts.shape[0] // 2
        probe = ((parts[:half] ** 2 + parts[half:] ** 2).mean(axis=1) + 1e-30).reshape(-1, 3)
        peaked = probe[:, 1] > np.maximum(probe[:, 0], probe[:, 2])
        line = np.where(peaked, probe[:, 1], ring)
        self.line_db.append(10 * np.log10(line))
        self.ring_db.append(10 * np.log10(ring))

    def result(self) -> HumReading:
        levels = np.asarray(self.levels_db)
        valid = levels > SILENT_DB
        if not np.any(valid):
            return HumReading(None, None, None, None, None, None)
        line = np.asarray(self.line_db)[valid]
        ring = np.asarray(self.ring_db)[valid]
        quiet = levels[valid] <= levels[valid].min() + QUIET_RANGE_DB
        lasting = np.percentile(line, 10, axis=0) - np.median(ring[quiet], axis=0)
        heard = np.median(line[quiet] - ring[quiet], axis=0)
        salience = np.minimum(lasting, heard).reshape(len(FAMILIES_HZ), HARMONICS)
        best = salience[:, :FAMILY_HARMONICS].max(axis=1)
        typical = np.median(line - ring, axis=0).reshape(len(FAMILIES_HZ), HARMONICS)
        together = np.sort(typical[:, :FAMILY_HARMONICS], axis=1)[:, -2]
        fine = self._fine.result()
        specific = None
        if fine is not None:
            # Hum is one family, with the mains as its fundamental: less the other family's
            # lines and the lines at half-multiples of the mains (a sound of period 1/30 s
            # puts lines on 60, 120 and 180 Hz, but also on 30 and 90).
            lines, halves = fine
            specific = lines - np.maximum(np.maximum(lines[::-1], halves), 0.0)
        # The stronger family whatever its saliences: whether it is heard is the rule's call.
        strongest = np.maximum(best, together)
        fam = int(np.argmax(strongest if specific is None else np.maximum(strongest, specific)))
        count = int(np.sum(salience[fam] >= PROMINENT_DB))
        comb = self._fine.comb_db()
        return HumReading(FAMILIES_HZ[fam], round(float(best[fam]), 2), count,
                          round(float(together[fam]), 2),
                          None if specific is None else round(float(specific[fam]), 2),
                          None if comb is None else round(float(comb[fam]), 2))
