"""Stereo descriptors of ``SpectralAnalyzer`` on channel pairs whose relation is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from expert.descriptors.spectrum import NAMED_BANDS_HZ
from expert.descriptors.stereo import SPECS as STEREO_SPECS
from expert.features.base import AnalysisContext, Measurements
from expert.features.spectrum.analyzer import SpectralAnalyzer

RATE = 44100


def analyse(left: np.ndarray, right: np.ndarray | None = None, rate: int = RATE) -> Measurements:
    """Run the analyzer over a mono (right None) or stereo pair, in 64 k-sample blocks."""
    x = np.asarray(left if right is None else np.stack([left, right], axis=1), dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    analyzer = SpectralAnalyzer(AnalysisContext(rate, x.shape[1], x.shape[0]))
    for start in range(0, x.shape[0], 65536):
        analyzer.process(x[start : start + 65536])
    return analyzer.finish()


def noise(seconds: float, seed: int, rms_db: float = -20.0) -> np.ndarray:
    """White Gaussian noise at ``rms_db`` dBFS RMS."""
    x = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    return 10 ** (rms_db / 20) * x / np.sqrt(np.mean(x**2))


def test_inverted_channel() -> None:
    x = noise(5, 1)
    v = analyse(x, -x).values
    assert v["stereo.correlation"] == pytest.approx(-1.0, abs=1e-6)
    assert v["stereo.width_pct"] == pytest.approx(100.0, abs=1e-4)
    assert v["stereo.side_to_mid_db"] == 120.0  # no mid at all: the documented limit
    assert v["stereo.channel_difference_db"] == pytest.approx(10 * math.log10(4), abs=1e-3)
    assert v["stereo.identical_channels"] is False
    for band in (*NAMED_BANDS_HZ, "low"):
        assert v[f"stereo.correlation_{band}"] == pytest.approx(-1.0, abs=1e-5), band
        assert v[f"stereo.side_to_mid_{band}_db"] == 120.0, band
    assert v["stereo.correlation_min"] == pytest.approx(-1.0, abs=1e-6)


def test_identical_channels() -> None:
    x = noise(5, 2)
    m = analyse(x, x)
    v = m.values
    assert v["stereo.identical_channels"] is True
    assert v["stereo.channel_difference_db"] == -120.0
    assert v["stereo.correlation"] == pytest.approx(1.0, abs=1e-9)
    assert v["stereo.width_pct"] == 0.0
    assert v["stereo.side_to_mid_db"] == -120.0
    assert v["stereo.side_to_mid_low_db"] == -120.0
    assert v["stereo.balance_db"] == 0.0
    assert np.all(m.series["stereo.width_pct"] == 0.0)


@pytest.mark.parametrize(("difference_db", "identical"), [(-110.0, True), (-95.0, True),
                                                         (-85.0, False), (-40.0, False)])
def test_near_identical_channels_are_measured(difference_db: float, identical: bool) -> None:
    x = noise(5, 3)
    # A difference d with sum d^2 = 10**(difference_db / 10) * sum x^2 (the channels' mean).
    d = noise(5, 4, rms_db=-20.0 + difference_db)
    v = analyse(x + d / 2, x - d / 2).values
    assert v["stereo.channel_difference_db"] == pytest.approx(difference_db, abs=0.1)
    assert v["stereo.identical_channels"] is identical


@pytest.mark.parametrize("louder_db", [6.0, -6.0, 3.0, 0.0])
def test_balance(louder_db: float) -> None:
    x = noise(5, 5)
    m = analyse(x * 10 ** (louder_db / 20), x)
    assert m.values["stereo.balance_db"] == pytest.approx(louder_db, abs=1e-3)
    assert np.allclose(m.series["stereo.balance_db"], louder_db, atol=1e-3)


def test_one_silent_channel_reads_the_limit() -> None:
    x = noise(4, 6)
    v = analyse(x, np.zeros_like(x)).values
    assert v["stereo.balance_db"] == 120.0
    assert v["stereo.correlation"] is None  # undefined without a second signal


def test_uncorrelated_channels() -> None:
    v = analyse(noise(10, 7), noise(10, 8)).values
    assert v["stereo.correlation"] == pytest.approx(0.0, abs=0.01)
    assert v["stereo.width_pct"] == pytest.approx(50.0, abs=0.5)
    assert v["stereo.side_to_mid_db"] == pytest.approx(0.0, abs=0.1)
    assert v["stereo.channel_difference_db"] == pytest.approx(10 * math.log10(2), abs=0.05)


@pytest.mark.parametrize(("angle_deg", "correlation"), [(0, 1.0), (45, math.cos(math.radians(45))),
                                                        (90, 0.0), (135, -0.7071), (180, -1.0)])
def test_correlation_of_mixed_channels(angle_deg: float, correlation: float) -> None:
    """R = cos(a) L + sin(a) N with N independent of L has correlation cos(a)."""
    left, other = noise(10, 9), noise(10, 10)
    angle = math.radians(angle_deg)
    v = analyse(left, math.cos(angle) * left + math.sin(angle) * other).values
    assert v["stereo.correlation"] == pytest.approx(correlation, abs=0.01)
    # Width = 100 S / (M + S) = 50 (1 - correlation) for channels of equal level.
    assert v["stereo.width_pct"] == pytest.approx(50 * (1 - correlation), abs=0.6)


def test_dc_offsets_do_not_bend_the_correlation() -> None:
    """Opposite DC offsets (a sample-sum correlation would read them as anti-phase)."""
    left = noise(10, 20)
    right = 0.8 * left + 0.6 * noise(10, 21)
    v = analyse(left + 0.05, right - 0.05).values
    assert v["stereo.correlation"] == pytest.approx(0.8, abs=0.01)
    assert v["stereo.balance_db"] == pytest.approx(0.0, abs=0.05)


def test_mono_bass_wide_top() -> None:
    """Common low end (below 120 Hz), independent high end (above 8 kHz)."""
    low = signal.sosfiltfilt(signal.butter(8, 120, fs=RATE, output="sos"), noise(10, 11))
    tops = [signal.sosfiltfilt(signal.butter(8, 8000, "high", fs=RATE, output="sos"), noise(10, s))
            for s in (12, 13)]
    v = analyse(low + tops[0], low + tops[1]).values
    assert v["stereo.correlation_sub"] == pytest.approx(1.0, abs=1e-3)
    assert v["stereo.correlation_low"] == pytest.approx(1.0, abs=1e-3)
    assert v["stereo.side_to_mid_low_db"] < -40.0
    assert v["stereo.correlation_brilliance"] == pytest.approx(0.0, abs=0.05)
    # Band by band, side-to-mid shows where the image turns mono (a crossover).
    assert v["stereo.side_to_mid_sub_db"] < -40.0 and v["stereo.side_to_mid_bass_db"] < -20.0
    assert v["stereo.side_to_mid_brilliance_db"] == pytest.approx(0.0, abs=0.5)


def test_correlation_min_finds_the_inverted_passage_and_skips_silence() -> None:
    x = noise(20, 14)
    right = x.copy()
    right[8 * RATE : 12 * RATE] *= -1  # a polarity flip for 4 s
    # A silent stretch whose dither is uncorrelated must not count.
    quiet = noise(8, 15, rms_db=-90.0), noise(8, 16, rms_db=-90.0)
    m = analyse(np.concatenate([x, quiet[0]]), np.concatenate([right, quiet[1]]))
    assert m.values["stereo.correlation_min"] == pytest.approx(-1.0, abs=1e-3)
    series = m.series["stereo.correlation"]
    assert np.nanmax(series) == pytest.approx(1.0, abs=1e-6)
    assert np.isnan(series[-1])  # the last window lies in the silent stretch
    assert m.values["stereo.correlation"] == pytest.approx(0.6, abs=0.01)  # 16 s vs 4 s


def test_mono_file_has_no_stereo_values() -> None:
    m = analyse(noise(4, 17))
    for spec in STEREO_SPECS:
        assert spec.stereo_only
        assert m.values[spec.name] is None, spec.name
        if spec.scope != "track":
            assert np.all(np.isnan(m.series[spec.name]))
    assert m.values["spectrum.mid_db"] is not None  # the spectrum is still measured


@pytest.mark.parametrize(
    ("case", "right", "ours_identical", "essentia_flags"),
    [
        ("identical", lambda x, n: x, True, True),
        ("near-identical -100 dB", lambda x, n: x + 1e-5 * n, True, True),
        ("near-identical -40 dB", lambda x, n: x + 1e-2 * n, False, True),
        ("scaled copy (panned mono)", lambda x, n: 0.5 * x, False, True),
        ("real stereo", lambda x, n: 0.7 * x + 0.7 * n, False, False),
        ("inverted", lambda x, n: -x, False, False),
    ],
)
def test_against_essentia_false_stereo_detector(case, right, ours_identical, essentia_flags):
    """Essentia's FalseStereoDetector against stereo.identical_channels.

    Findings (Essentia 2.1b6, default correlationThreshold 0.9995, 512-sample frames):
    it agrees with us on identical channels (every frame flagged), on real stereo and on an
    inverted channel (never flagged: that is a polarity problem, not false stereo). It is
    more permissive: a difference 40 dB down still correlates above 0.9995 and is flagged,
    and, being a Pearson correlation, it flags a scaled copy (mono panned off centre), whose
    channels are far from identical. It cannot say how close two channels are. So we do not
    use it: stereo.channel_difference_db measures the closeness exactly (-120 for identical,
    ~-100 or ~-40 above), and a scaled copy shows as stereo.correlation = 1 (to 1e-6), which a
    fake-stereo rule can test alongside identical_channels.
    """
    es = pytest.importorskip("essentia.standard")
    x = noise(2, 18).astype(np.float32)
    n = noise(2, 19).astype(np.float32)
    r = np.asarray(right(x, n), dtype=np.float32)
    detector = es.FalseStereoDetector()
    pair = np.stack([x, r], axis=1)
    flags = [detector(pair[i : i + 512])[0] for i in range(0, len(x) - 512, 512)]
    assert bool(np.mean(flags) > 0.5) is essentia_flags, case
    ours = analyse(x, r).values
    assert ours["stereo.identical_channels"] is ours_identical, case
    if case.startswith("scaled"):
        assert ours["stereo.correlation"] == pytest.approx(1.0, abs=1e-6)
