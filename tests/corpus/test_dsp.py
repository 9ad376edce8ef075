"""The corpus's own meter and dynamics (it must not depend on the tool it evaluates)."""

from __future__ import annotations

import numpy as np
import pytest

from corpus import dsp


def sine(freq_hz: float, level_dbfs: float, seconds: float = 5.0) -> np.ndarray:
    t = np.arange(int(seconds * dsp.SR_HZ)) / dsp.SR_HZ
    mono = dsp.db_to_gain(level_dbfs) * np.sin(2 * np.pi * freq_hz * t)
    return np.stack([mono, mono], axis=1).astype(np.float32)


@pytest.mark.parametrize(("level_dbfs", "expected_lufs"), [(-20.0, -20.0), (-26.0, -26.0)])
def test_integrated_loudness_of_the_ebu_reference_sine(level_dbfs: float,
                                                       expected_lufs: float) -> None:
    # EBU Tech 3341 cases 1-2: 1 kHz sine in both channels reads its level, +-0.1 LU.
    assert dsp.integrated_lufs(sine(1000.0, level_dbfs)) == pytest.approx(expected_lufs,
                                                                          abs=0.1)


def test_silence_has_no_loudness_or_true_peak() -> None:
    silent = np.zeros((dsp.SR_HZ * 2, 2), dtype=np.float32)
    assert dsp.integrated_lufs(silent) is None and dsp.true_peak_dbtp(silent) is None


def test_true_peak_sees_inter_sample_peaks() -> None:
    # fs/4 sine sampled at +-45 degrees: samples at 0.707 of the real peak (-3 dB).
    n = np.arange(dsp.SR_HZ)
    x = np.sin(np.pi / 2 * n + np.pi / 4).astype(np.float32)
    assert np.abs(x).max() == pytest.approx(0.7071, abs=1e-3)
    assert dsp.true_peak_dbtp(np.stack([x, x], axis=1)) == pytest.approx(0.0, abs=0.2)


@pytest.mark.parametrize("drive_db", [0.0, 6.0, 12.0])
def test_limiter_holds_its_ceiling(drive_db: float) -> None:
    rng = np.random.default_rng(0)
    bursts = rng.standard_normal((dsp.SR_HZ * 3, 2)) * np.repeat(rng.uniform(0.05, 0.5, 30),
                                                                 dsp.SR_HZ // 10)[:, None]
    out = dsp.limit((bursts * dsp.db_to_gain(drive_db)).astype(np.float32), -1.3)
    assert dsp.true_peak_dbtp(out) <= -1.0


@pytest.mark.parametrize(("before", "after"), [(0, 3), (4, 0), (2, 5), (0, 0)])
def test_sliding_windows_match_their_definition(before: int, after: int) -> None:
    x = np.random.default_rng(1).standard_normal(40)
    padded = np.concatenate([np.full(before, x[0]), x, np.full(after, x[-1])])
    windows = [padded[i : i + before + after + 1] for i in range(x.size)]
    np.testing.assert_allclose(dsp.window_min(x, before, after), [w.min() for w in windows])
    np.testing.assert_allclose(dsp.window_mean(x, before, after), [w.mean() for w in windows])
