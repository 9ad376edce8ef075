"""The key of the resonance test (``expert.features.spectrum.key``) on music of known key."""

from __future__ import annotations

import numpy as np
import pytest

from expert.features.base import AnalysisContext
from expert.features.spectrum.key import (
    KEY_TABLE,
    KeyProfile,
    cents_off_pitch,
    degree_above,
    key_of,
    key_without,
    line_pitch_hz,
)

RATE = 44100


def _note_hz(midi: int) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _cadences(seconds: float, chords: list[list[int]], *, seed: int = 5) -> np.ndarray:
    """Stereo chords (MIDI notes, 4 harmonics each) 1 s apparent each, cycled, with a
    little noise: a song that dwells on its key."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    x = np.zeros(n)
    for second in range(int(seconds)):
        chord = chords[second % len(chords)]
        span = slice(second * RATE, (second + 1) * RATE)
        for midi in chord:
            for h in range(1, 5):
                x[span] += 0.05 / h * np.sin(2 * np.pi * _note_hz(midi) * h * t[span])
    x += 0.001 * np.random.default_rng(seed).standard_normal(n)
    return np.stack([x, x], axis=1).astype(np.float32)


# A minor: i - iv - V - i (A C E, D F A, E G# B, A C E), bass an octave down.
A_MINOR = [[45, 57, 60, 64], [50, 62, 65, 69], [52, 64, 68, 71], [45, 57, 60, 64]]
# C major: I - IV - V - I.
C_MAJOR = [[48, 60, 64, 67], [53, 65, 69, 72], [55, 67, 71, 74], [48, 60, 64, 67]]


def _table(x: np.ndarray, block: int = 65536) -> np.ndarray:
    analyzer = KeyProfile(AnalysisContext(RATE, x.shape[1], x.shape[0]))
    for start in range(0, x.shape[0], block):
        analyzer.process(x[start:start + block])
    return analyzer.finish().partials[KEY_TABLE]


@pytest.mark.parametrize(("chords", "tonic", "scale"),
                         [(A_MINOR, "A", "minor"), (C_MAJOR, "C", "major")])
def test_key_of_cadences(chords: list[list[int]], tonic: str, scale: str) -> None:
    key = key_of(_table(_cadences(20.0, chords)))
    assert key is not None and key[:2] == (tonic, scale)


def test_the_profile_does_not_depend_on_the_block_size() -> None:
    x = _cadences(12.0, A_MINOR)
    assert np.array_equal(_table(x), _table(x, block=3000))


def test_the_key_away_from_a_ring_is_the_songs() -> None:
    """A loud steady line at 1245 Hz (D#6) in a C major song: the registers more than a
    third of an octave from it name C major, and the ring lies 3 semitones above that
    tonic, off the pedal degrees 0 and 7. (On real-dev a +14 dB bell on dense music pulled
    the whole profile to the ring's pitch class; a synthetic song's few partials do not
    show that, the module doc gives the case.)"""
    x = _cadences(20.0, C_MAJOR)
    t = np.arange(x.shape[0]) / RATE
    ring = 0.4 * np.sin(2 * np.pi * 1244.5 * t)
    x = (x + ring[:, None]).astype(np.float32)
    placed = key_without(_table(x), 1244.5)
    assert placed is not None and placed[:2] == ("C", "major")
    assert degree_above(placed[0], 1244.5) == 3


def test_registers_left_out_around_a_frequency() -> None:
    table = np.arange(10 * 3, dtype=float).reshape(10, 3) % 2  # defined rows, any values
    # 1250 Hz: 992-1575 Hz touches 500-1000 and 1000-2000 Hz (registers 2 and 3).
    assert key_without(table, 1250.0) == key_of(table, (2, 3))
    assert key_without(table, 3000.0) == key_of(table, (4,))
    assert key_without(table, 6000.0) == key_of(table, ())


def test_no_key_in_silence_or_without_a_table() -> None:
    assert key_of(_table(np.zeros((RATE * 5, 2), dtype=np.float32))) is None
    assert key_of(None) is None and key_without(None, 1000.0) is None


@pytest.mark.parametrize(("tonic", "frequency_hz", "degree"),
                         [("A", 440.0, 0), ("A", 1318.5, 7), ("C", 1244.5, 3),
                          ("G#", 415.3, 0), ("C", 261.6 * 2 ** (11.4 / 12), 11)])
def test_degree_above_the_tonic(tonic: str, frequency_hz: float, degree: int) -> None:
    assert degree_above(tonic, frequency_hz) == degree


@pytest.mark.parametrize(("frequency_hz", "cents"),
                         [(440.0, 0.0), (1318.51, 0.0), (1200.0, 37.0), (1250.0, 7.6),
                          (440.0 * 2 ** (-0.49 / 12), -49.0)])
def test_cents_off_the_tempered_note(frequency_hz: float, cents: float) -> None:
    assert cents_off_pitch(frequency_hz) == pytest.approx(cents, abs=0.1)


def _line_power(frequency_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum of a steady sine in the spectral analyzer's ~186 ms Hann frame
    (5.4 Hz bins, 36 cents at 260 Hz)."""
    n_fft = 8192
    t = np.arange(n_fft) / RATE
    frame = np.hanning(n_fft) * np.sin(2 * np.pi * frequency_hz * t + 0.3)
    return np.abs(np.fft.rfft(frame)) ** 2 + 1e-9, np.fft.rfftfreq(n_fft, 1 / RATE)


@pytest.mark.parametrize("frequency_hz", [98.0, 130.06, 198.28, 309.34])
def test_the_pitch_of_a_low_line_comes_from_the_bins(frequency_hz: float) -> None:
    power, bins_hz = _line_power(frequency_hz)
    for guess_cents in (30.0, -30.0):
        pitch_hz = line_pitch_hz(power, bins_hz, frequency_hz * 2 ** (guess_cents / 1200),
                                 cells_per_octave=48)
        assert 1200 * np.log2(pitch_hz / frequency_hz) == pytest.approx(0.0, abs=2.0)


def test_above_the_bins_resolution_the_cells_estimate_stands() -> None:
    # A partial inside a broad ring must not move the ring's frequency onto a note.
    power, bins_hz = _line_power(1174.66)
    assert line_pitch_hz(power, bins_hz, 1200.0, cells_per_octave=48) == 1200.0
