"""CodecRoundTripAnalyzer: a lossy encode turns a master limited near 0 dBTP into overs."""

from __future__ import annotations

import glob
import os
import tempfile

import numpy as np
import pytest

from expert.descriptors import CATALOGUE
from expert.features.base import AnalysisContext, Measurements
from expert.features.codec.analyzer import CodecRoundTripAnalyzer
from expert.features.registry import family
from tests.features import signals as sig


def round_trip(x: np.ndarray, rate: int) -> Measurements:
    analyzer = CodecRoundTripAnalyzer(AnalysisContext(rate, x.shape[1], x.shape[0]))
    for start in range(0, x.shape[0], 65536):
        analyzer.process(x[start:start + 65536])
    return analyzer.finish()


def limited_master(rate: int, channels: int = 2) -> np.ndarray:
    """A loud master: music with a gentle top-octave roll-off, saturated 10 dB into a soft
    limiter and set to a -0.1 dBFS ceiling (sample peak = true peak here)."""
    m = sig.music(6.0, rate, channels=channels).astype(np.float64)
    m = (m + np.roll(m, 1, axis=0) + np.roll(m, 2, axis=0)) / 3
    x = np.tanh(m * 10 ** (10 / 20))
    return (x * 10 ** (-0.1 / 20) / np.abs(x).max()).astype(np.float32)


@pytest.mark.parametrize("rate, channels", [(44100, 2), (48000, 1)])
def test_round_trip_raises_true_peak_of_limited_master(rate: int, channels: int) -> None:
    v = round_trip(limited_master(rate, channels), rate).values
    assert set(v) == set(family("codec").provides) <= set(CATALOGUE)
    assert v["codec.true_peak_change_db"] > 0.05
    assert v["codec.true_peak_dbtp"] > -0.05  # over the master's -0.1 dBFS ceiling
    assert v["codec.clipped_samples"] >= 1  # decoded samples at or over full scale
    assert v["codec.bitrate_kbps"] > 64


def test_quiet_master_has_headroom_after_round_trip() -> None:
    v = round_trip(sig.music(6.0, 44100, peak_dbfs=-6.0), 44100).values
    assert v["codec.true_peak_dbtp"] < -3.0
    assert v["codec.clipped_samples"] == 0
    assert abs(v["codec.true_peak_change_db"]) < 1.5


def test_temporary_file_is_removed() -> None:
    pattern = os.path.join(tempfile.gettempdir(), "mixexpert-*.ogg")
    before = set(glob.glob(pattern))
    round_trip(sig.music(1.0, 22050), 22050)
    assert set(glob.glob(pattern)) == before
