"""The song's key, for the resonance test: Essentia's HPCP and Key, frame by frame.

A steady narrow line in the long-term spectrum is either the signal chain's (a ringing
body, a boosted EQ band) or the music's: a pedal note held under the harmony, which in
tonal music sits on the key's tonic or dominant. The key comes from Essentia's algorithms
chained and set as its ``KeyExtractor`` chains them (Gómez 2006, "Tonal description of
music audio signals"): 4096-sample Hann frames, their 60 strongest spectral peaks 25 Hz-3.5
kHz, whitened, a 12-bin harmonic pitch class profile (HPCP) per frame, and ``Key`` with the
``bgate`` profiles on their sum. ``KeyExtractor`` itself wants the whole signal in memory;
here one frame in four of the stream (at most ``MAX_FRAMES``, spread over the file) is
analysed as the blocks arrive, since a key is the whole song's: on real-dev's 71 masters
this names the key ``KeyExtractor`` names on 60, and ``KeyExtractor`` at the same hop
agrees with itself at its own on 66.

A resonance is itself a steady partial, and a strong one pulls the profile to its own pitch
class: on real-dev a +14 dB ring at 1.24 kHz (D#) on a master in F# major (by this estimate)
made it name D# minor, the ring on its tonic; the registers away from the ring still name
F# major. So the profile is kept per register (``REGISTERS_HZ``, one HPCP per
band of peaks), and the key a resonance is placed in (``key_without``) is estimated from the
registers more than a third of an octave away from it. A ring excludes one register or two
neighbours, so the analyzer (in the process group that already has Essentia loaded)
estimates the key for each such choice, and the table travels to the spectral family's
finish as a partial result.
"""

from __future__ import annotations

import numpy as np

from expert.features.base import AnalysisContext, Analyzer, Measurements
from expert.features.essentia_algorithms import algorithm
from expert.features.spectrum.shape import parabolic_offset

#: The partial result: one row per entry of ``EXCLUDED``, [tonic (index into
#: ``PITCH_CLASSES``), 1 for minor, strength], NaN where no frame had a tonal peak.
KEY_TABLE = "spectrum.key_table"
HPCP_SIZE = 12
FRAME_AT_44K1 = 4096  # KeyExtractor's frame (~93 ms)
FRAMES_PER_HOP = 4
#: At most this many frames per file, spread over it: a key is the whole song's, and each
#: frame costs ~0.25 ms (nine Essentia calls), 2.5 s of CPU for an hour at four per hop.
MAX_FRAMES = 300
#: Registers of the per-band profiles (edges, Hz): the HPCP's 25 Hz-3.5 kHz in about octaves.
REGISTERS_HZ = (25.0, 250.0, 500.0, 1000.0, 2000.0, 3500.0)
_N_REGISTERS = len(REGISTERS_HZ) - 1
#: The registers left out of each row of the table: none (the song's key), then each one
#: and each two neighbours (a resonance's clearance never spans three).
EXCLUDED: tuple[tuple[int, ...], ...] = (
    ((),) + tuple((i,) for i in range(_N_REGISTERS))
    + tuple((i, i + 1) for i in range(_N_REGISTERS - 1)))
#: Registers nearer than this to a resonance leave its key (octaves).
RESONANCE_CLEARANCE_OCT = 1 / 3
PITCH_CLASSES = ("A", "A#", "B", "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#")
#: Essentia's flat names of the tonics (``Key`` answers "Eb", "Ab", ...).
_SHARP_OF = {"Bb": "A#", "Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#"}


class KeyProfile(Analyzer):
    """Summed HPCPs of the mono sum per register, a frame every ``FRAMES_PER_HOP`` frame
    lengths or more (``MAX_FRAMES``); at the end, the key for each row of ``EXCLUDED``."""

    def __init__(self, context: AnalysisContext) -> None:
        super().__init__(context)
        rate = float(context.sample_rate_hz)
        self._frame = 2 * round(FRAME_AT_44K1 * rate / 44100 / 2)
        self._hop = max(FRAMES_PER_HOP * self._frame,
                        -(-max(context.expected_frames, 0) // MAX_FRAMES))
        top_hz = min(3500.0, rate / 2)
        self._window = algorithm("Windowing", type="hann", size=self._frame)
        self._spectrum = algorithm("Spectrum", size=self._frame)
        self._peaks = algorithm("SpectralPeaks", sampleRate=rate, orderBy="magnitude",
                                magnitudeThreshold=1e-4, maxPeaks=60, minFrequency=25.0,
                                maxFrequency=top_hz)
        self._whitening = algorithm("SpectralWhitening", maxFrequency=top_hz, sampleRate=rate)
        edges = [min(edge, top_hz) for edge in REGISTERS_HZ]
        self._registers = list(zip(edges[:-1], edges[1:], strict=True))
        self._hpcps = [algorithm("HPCP", size=HPCP_SIZE, sampleRate=rate,
                                 referenceFrequency=440.0, minFrequency=lo,
                                 maxFrequency=max(hi, lo + 1.0), harmonics=4,
                                 weightType="cosine", nonLinear=False, windowSize=1.0,
                                 bandPreset=False, normalized="none", maxShifted=False)
                       for lo, hi in self._registers]
        self._sum = np.zeros((len(self._registers), HPCP_SIZE))
        self._pending = np.zeros((0, context.channels), dtype=np.float32)  # from the next frame on
        self._skip = 0  # samples still to drop before the next frame starts

    def process(self, block: np.ndarray) -> None:
        if self._skip >= block.shape[0]:
            self._skip -= block.shape[0]
            return
        rows = block[self._skip:]
        data = np.concatenate([self._pending, rows]) if self._pending.size else rows
        self._skip = 0
        start = 0
        while start + self._frame <= data.shape[0]:
            # The mono sum of the frame only: averaging whole blocks cost more than the HPCPs.
            self._add(data[start:start + self._frame].mean(axis=1))
            start += self._hop
        self._skip = max(start - data.shape[0], 0)
        self._pending = data[start:].copy() if start < data.shape[0] else data[:0]

    def _add(self, frame: np.ndarray) -> None:
        spectrum = self._spectrum(self._window(np.ascontiguousarray(frame, dtype=np.float32)))
        frequencies, magnitudes = self._peaks(spectrum)
        if not frequencies.size:
            return
        whitened = self._whitening(spectrum, frequencies, magnitudes)
        for row, ((lo, hi), hpcp) in enumerate(zip(self._registers, self._hpcps, strict=True)):
            inside = (frequencies >= lo) & (frequencies < hi)
            if np.any(inside):
                self._sum[row] += hpcp(frequencies[inside], whitened[inside])

    def finish(self) -> Measurements:
        key = algorithm("Key", profileType="bgate", pcpSize=HPCP_SIZE, numHarmonics=4,
                        slope=0.6, usePolyphony=False, useThreeChords=False)
        table = np.full((len(EXCLUDED), 3), np.nan)
        for row, left_out in enumerate(EXCLUDED):
            kept = [r for r in range(len(self._registers)) if r not in left_out]
            total = self._sum[kept].sum(axis=0)
            if np.any(total > 0):
                tonic, scale, strength, _ = key(total.astype(np.float32))
                table[row] = (PITCH_CLASSES.index(_SHARP_OF.get(tonic, tonic)),
                              float(scale == "minor"), round(float(strength), 3))
        return Measurements(partials={KEY_TABLE: table})


def key_of(table: np.ndarray | None, left_out: tuple[int, ...] = ()
           ) -> tuple[str, str, float] | None:
    """(tonic, "major"/"minor", strength) of the table's row for ``left_out``; None when
    that row is undefined or missing."""
    if table is None or left_out not in EXCLUDED:
        return None
    tonic, minor, strength = table[EXCLUDED.index(left_out)]
    if np.isnan(tonic):
        return None
    return PITCH_CLASSES[int(tonic)], "minor" if minor else "major", float(strength)


def key_without(table: np.ndarray | None, frequency_hz: float) -> tuple[str, str, float] | None:
    """``key_of`` the registers farther than ``RESONANCE_CLEARANCE_OCT`` from
    ``frequency_hz``, so that a partial there does not pull the key to itself."""
    lo_hz = frequency_hz * 2 ** -RESONANCE_CLEARANCE_OCT
    hi_hz = frequency_hz * 2 ** RESONANCE_CLEARANCE_OCT
    near = tuple(i for i, (lo, hi) in enumerate(zip(REGISTERS_HZ[:-1], REGISTERS_HZ[1:],
                                                      strict=True))
                 if lo < hi_hz and hi > lo_hz)
    return key_of(table, near)


def line_pitch_hz(power: np.ndarray, bins_hz: np.ndarray, near_hz: float, *,
                  cells_per_octave: int) -> float:
    """The pitch of a steady line found at ``near_hz`` by cells of 1/``cells_per_octave``
    octave.

    Where a cell is narrower than an FFT bin (below ~370 Hz with the analyzer's 1/48-octave
    cells and 5.4 Hz bins) the cells interpolate between bins and, measured on the spectrum
    with its narrow lines opened away, sit on the line's skirt: a line at 309.3 Hz (-10
    cents) was read at +21 cents. There the line is the strongest bin within the Hann
    window's main lobe (two bins) of ``near_hz``, placed by a parabola through its log power
    and its neighbours' (Smith & Serra 1987). Above, the cells are finer than the bins and
    their estimate stands; a wider search there would find a note's partial inside a broad
    ring.
    """
    step_hz = float(bins_hz[1] - bins_hz[0])
    if near_hz * (2 ** (1 / cells_per_octave) - 1) >= step_hz:
        return near_hz
    k0 = int(round(near_hz / step_hz))
    lo, hi = max(k0 - 2, 1), min(k0 + 3, len(bins_hz) - 1)
    if hi <= lo:
        return near_hz
    k = lo + int(np.argmax(power[lo:hi]))
    level_db = 10 * np.log10(np.maximum(power[k - 1:k + 2], 1e-30))
    return float(bins_hz[k] + parabolic_offset(level_db, 1) * step_hz)


def cents_off_pitch(frequency_hz: float) -> float:
    """Cents (-50..+50) from the equal-tempered note nearest ``frequency_hz`` (A4 = 440 Hz,
    ISO 16)."""
    cents = 1200 * float(np.log2(frequency_hz / 440.0))
    return round(cents - 100 * round(cents / 100), 1)


def degree_above(tonic: str, frequency_hz: float) -> int:
    """Semitones (0-11) from ``tonic`` up to the equal-tempered note nearest ``frequency_hz``
    (A4 = 440 Hz)."""
    semitones_from_a = round(12 * np.log2(frequency_hz / 440.0))
    return int((semitones_from_a - PITCH_CLASSES.index(tonic)) % 12)
