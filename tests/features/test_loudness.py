"""Properties of the loudness analyzer on simple signals whose answers follow from theory.

K-weighting facts: ITU-R BS.1770-4 Annex 1 Tables 1-2 (48 kHz coefficients). A sine of
peak amplitude A on one channel has mean square A^2 / 2, so its loudness is
-0.691 + 20 log10(A) - 3.01 + K(f), where K(f) is the filter's gain in dB at f.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import sosfilt, sosfreqz

from expert.descriptors import CATALOGUE
from expert.descriptors.loudness import MONO_FOLD_LOSS_CAP_DB
from expert.features.base import TimeGrid
from expert.features.loudness import kweighting
from expert.features.loudness.analyzer import measure_loudness
from expert.features.loudness.kweighting import (
    BS1770_HIGHPASS_48K,
    BS1770_SHELF_48K,
    BlockFilter,
    _prewarped_stage,
    k_weighting_sos,
)
from expert.features.loudness.truepeak import (
    HALF_TAPS,
    TruePeakEnvelope,
    interpolation_matrix,
    oversampling_factor,
)
from expert.features.registry import family

RATES_HZ = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000]
SINE_DB_OF_PEAK = 10 * math.log10(0.5)  # mean square of a sine relative to its peak: -3.01 dB


def sine(freq_hz: float, level_dbfs: float, seconds: float, rate_hz: int,
         phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * rate_hz)) / rate_hz
    return 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * freq_hz * t + phase)


def stereo(mono: np.ndarray) -> np.ndarray:
    return np.stack([mono, mono], axis=1)


def k_gain_db(freq_hz: float) -> float:
    """Gain of the 48 kHz table filter at ``freq_hz`` (independent of our redesign)."""
    sos = np.array([[*BS1770_SHELF_48K[0], *BS1770_SHELF_48K[1]],
                    [*BS1770_HIGHPASS_48K[0], *BS1770_HIGHPASS_48K[1]]])
    return 20 * math.log10(abs(sosfreqz(sos, worN=[freq_hz], fs=48000)[1][0]))


def values_of(samples: np.ndarray, rate_hz: int, **kwargs: int) -> dict:
    return measure_loudness(samples, rate_hz, **kwargs)[1].values


# -- K-weighting design ------------------------------------------------------------------

@pytest.mark.parametrize("stage", [BS1770_SHELF_48K, BS1770_HIGHPASS_48K], ids=["shelf", "rlb"])
def test_analog_round_trip_reproduces_the_48k_tables(stage: tuple) -> None:
    row = _prewarped_stage(*stage, 48000)
    np.testing.assert_allclose(row, [*stage[0], *stage[1]], rtol=0, atol=1e-13)


@pytest.mark.parametrize("rate_hz", RATES_HZ)
def test_k_weighting_matches_the_48k_response_at_every_rate(rate_hz: int) -> None:
    sos = k_weighting_sos(rate_hz)
    freqs = np.geomspace(20, 0.45 * min(rate_hz, 48000), 200)
    reference = 20 * np.log10(np.abs(sosfreqz(k_weighting_sos(48000), worN=freqs, fs=48000)[1]))
    response = 20 * np.log10(np.abs(sosfreqz(sos, worN=freqs, fs=rate_hz)[1]))
    assert np.max(np.abs(response - reference)) < 0.025
    assert np.all(np.abs(np.roots(sos[0, 3:])) < 1) and np.all(np.abs(np.roots(sos[1, 3:])) < 1)


@pytest.mark.parametrize("rate_hz", [8000, 44100, 192000])
@pytest.mark.parametrize("block_frames", [1, 63, 64, 2047, 2048, 65536])
def test_block_filter_equals_direct_recursion(rate_hz: int, block_frames: int) -> None:
    """Same output as scipy's sosfilt (direct form, float64) within float32 rounding, on a
    full-scale signal with DC, low and high frequencies, fed in blocks of every alignment."""
    rng = np.random.default_rng(rate_hz + block_frames)
    n = min(40 * block_frames, 3 * 65536) + 5
    t = np.arange(n) / rate_hz
    signal = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * 30 * t),
                       np.clip(rng.standard_normal(n), -1, 1)]).astype(np.float32)
    sos = k_weighting_sos(rate_hz)
    expected = sosfilt(sos, signal.astype(np.float64), axis=1)
    block_filter = BlockFilter(sos, 2)
    got = np.concatenate([block_filter.apply(signal[:, i:i + block_frames])
                          for i in range(0, n, block_frames)], axis=1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6)


def test_loudness_does_not_import_scipy_signal() -> None:
    """scipy.signal costs 0.4-0.9 s of start-up on every run (see kweighting's doc)."""
    code = "import sys, expert.features.loudness.analyzer; print('scipy.signal' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


# -- levels of simple signals --------------------------------------------------------------

@pytest.mark.parametrize("channels", [1, 2])
def test_sine_loudness_follows_bs1770(channels: int) -> None:
    """-20 dBFS 1 kHz: stereo -19.99 LUFS, mono (one channel, G = 1) 3.01 LU lower."""
    mono = sine(1000, -20.0, 10.0, 48000)
    values = values_of(stereo(mono) if channels == 2 else mono, 48000)
    expected = -0.691 + 10 * math.log10(channels) + SINE_DB_OF_PEAK - 20.0 + k_gain_db(1000)
    for name in ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs"):
        assert values[f"loudness.{name}"] == pytest.approx(expected, abs=0.005)
    assert values["loudness.range_lu"] == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("channels", [1, 2])
def test_sine_rms_peak_and_crest(channels: int) -> None:
    mono = sine(997, -20.0, 5.0, 44100, phase=0.3)
    values = values_of(stereo(mono) if channels == 2 else mono, 44100)
    assert values["loudness.rms_dbfs"] == pytest.approx(-20.0 + SINE_DB_OF_PEAK, abs=0.01)
    assert values["loudness.sample_peak_dbfs"] == pytest.approx(-20.0, abs=0.01)
    assert values["loudness.true_peak_dbtp"] == pytest.approx(-20.0, abs=0.01)
    assert values["loudness.crest_factor_db"] == pytest.approx(-SINE_DB_OF_PEAK, abs=0.02)
    assert values["loudness.plr_db"] == pytest.approx(
        values["loudness.true_peak_dbtp"] - values["loudness.integrated_lufs"])


def test_mono_file_has_no_stereo_values() -> None:
    values = values_of(sine(440, -12.0, 4.0, 44100), 44100)
    for name, spec in CATALOGUE.items():
        if name.startswith("loudness.") and spec.stereo_only:
            assert values[name] is None, name
    assert values["loudness.integrated_lufs"] is not None


@pytest.mark.parametrize("rate_hz", [8000, 11025, 22050, 44100, 96000, 192000])
def test_loudness_does_not_depend_on_the_sample_rate(rate_hz: int) -> None:
    """Tones below 3.6 kHz (inside every rate's band) read the same as at 48 kHz."""
    def mix(rate: int) -> np.ndarray:
        return stereo(sum(sine(f, -24.0, 6.0, rate, phase=f) for f in (100.0, 1000.0, 3000.0)))

    reference = values_of(mix(48000), 48000)
    values = values_of(mix(rate_hz), rate_hz)
    for name in ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs"):
        assert values[f"loudness.{name}"] == pytest.approx(reference[f"loudness.{name}"],
                                                           abs=0.05)


# -- stereo fold-down ----------------------------------------------------------------------

def noise(seconds: float, rate_hz: int, seed: int) -> np.ndarray:
    return 0.1 * np.random.default_rng(seed).standard_normal(round(seconds * rate_hz))


def test_identical_channels_fold_without_loss() -> None:
    values = values_of(stereo(noise(5.0, 44100, 1)), 44100)
    assert values["loudness.mono_integrated_lufs"] == pytest.approx(
        values["loudness.integrated_lufs"], abs=1e-6)
    assert values["loudness.mono_fold_loss_db"] == pytest.approx(0.0, abs=1e-6)


def test_unrelated_channels_lose_3_db_in_mono() -> None:
    values = values_of(np.stack([noise(10.0, 44100, 1), noise(10.0, 44100, 2)], axis=1), 44100)
    assert values["loudness.mono_fold_loss_db"] == pytest.approx(3.01, abs=0.1)


def test_polarity_inverted_channel_cancels_in_mono() -> None:
    left = noise(5.0, 44100, 3)
    analyzer, measured = measure_loudness(np.stack([left, -left], axis=1), 44100)
    assert measured.values["loudness.integrated_lufs"] is not None
    assert measured.values["loudness.mono_fold_loss_db"] == MONO_FOLD_LOSS_CAP_DB
    assert measured.values["loudness.mono_integrated_lufs"] is None
    assert any("mono fold-down cancels" in note for note in measured.notes)


# -- undefined values ---------------------------------------------------------------------

GATED = ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "range_lu", "plr_db")


def assert_no_nan_or_inf(values: dict) -> None:
    for name, value in values.items():
        assert value is None or math.isfinite(value), name


@pytest.mark.parametrize("channels", [1, 2])
def test_silence_is_undefined_not_minus_infinity(channels: int) -> None:
    _, measured = measure_loudness(np.zeros((5 * 44100, channels)), 44100)
    for name in (*GATED, "true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs", "crest_factor_db"):
        assert measured.values[f"loudness.{name}"] is None, name
    assert measured.values["loudness.true_peak_over_count"] == 0
    assert any(note.startswith("gated loudness undefined") for note in measured.notes)
    assert_no_nan_or_inf(measured.values)


def test_file_shorter_than_400_ms_is_undefined_with_a_note() -> None:
    _, measured = measure_loudness(stereo(sine(1000, -10.0, 0.3, 48000)), 48000)
    for name in GATED:
        assert measured.values[f"loudness.{name}"] is None, name
    assert measured.values["loudness.sample_peak_dbfs"] == pytest.approx(-10.0, abs=0.01)
    assert any("shorter than one 400 ms block" in note for note in measured.notes)
    assert_no_nan_or_inf(measured.values)


def test_file_shorter_than_3_s_has_no_short_term_values() -> None:
    _, measured = measure_loudness(stereo(sine(1000, -10.0, 2.0, 48000)), 48000)
    assert measured.values["loudness.integrated_lufs"] is not None
    assert measured.values["loudness.short_term_max_lufs"] is None
    assert measured.values["loudness.range_lu"] is None
    assert any("shorter than one 3 s window" in note for note in measured.notes)


# -- true peak ----------------------------------------------------------------------------

@pytest.mark.parametrize(("rate_hz", "factor"), [(8000, 4), (44100, 4), (48000, 4), (88200, 2),
                                                 (96000, 2), (176400, 1), (192000, 1)])
def test_oversampling_factor(rate_hz: int, factor: int) -> None:
    assert oversampling_factor(rate_hz) == factor


@pytest.mark.parametrize("rate_hz", [44100, 96000, 192000])
def test_intersample_peak_of_a_12_khz_sine(rate_hz: int) -> None:
    """A faded -1 dBFS 12 kHz sine reads -1 dBTP (Tech 3341 tolerance +0.2/-0.4 dB) at
    every oversampling factor. (Without the fade, the band-limited reconstruction of the
    abrupt start rings 0.1 dB above the crest: a real inter-sample overshoot.)"""
    mono = sine(12000, -1.0, 1.0, rate_hz, phase=np.pi / 4)
    fade = np.linspace(0.0, 1.0, rate_hz // 100)
    mono[: fade.size] *= fade
    mono[-fade.size:] *= fade[::-1]
    assert -1.4 <= values_of(stereo(mono), rate_hz)["loudness.true_peak_dbtp"] <= -0.8


def test_overs_are_counted_per_100_ms_tick() -> None:
    """A fs/4 sine at 45 degrees: samples at 0.707 x peak. Peak 1.2: overs everywhere."""
    rate = 48000
    mono = 1.2 * np.sin(2 * np.pi * np.arange(rate) / 4 + np.pi / 4)
    mono[: rate // 2] *= 0.5  # first half 0.6: no overs
    values = values_of(stereo(mono), rate)
    assert values["loudness.sample_peak_dbfs"] < 0.0 < values["loudness.true_peak_dbtp"]
    assert values["loudness.true_peak_over_count"] == 5


def test_true_peak_per_channel() -> None:
    rate = 44100
    left, right = sine(1000, -3.0, 2.0, rate), sine(1000, -9.0, 2.0, rate)
    values = values_of(np.stack([left, right], axis=1), rate)
    assert values["loudness.true_peak_left_dbtp"] == pytest.approx(-3.0, abs=0.02)
    assert values["loudness.true_peak_right_dbtp"] == pytest.approx(-9.0, abs=0.02)
    assert values["loudness.true_peak_dbtp"] == values["loudness.true_peak_left_dbtp"]


def test_true_peak_envelope_never_below_the_samples() -> None:
    signal = np.random.default_rng(5).standard_normal((2, 5000)).astype(np.float32)
    envelope = TruePeakEnvelope(44100, 2)
    out = np.concatenate([envelope.push(signal), envelope.flush()], axis=1)
    assert out.shape == signal.shape
    assert np.all(out >= np.abs(signal))



def direct_envelope(signal: np.ndarray, rate_hz: int) -> np.ndarray:
    """The envelope point by point, in float64: each phase filter as a plain dot product."""
    factor = oversampling_factor(rate_hz)
    if factor == 1:
        return np.abs(signal)
    phases = interpolation_matrix(factor).astype(np.float64)
    padded = np.pad(signal.astype(np.float64), ((0, 0), (HALF_TAPS - 1, HALF_TAPS)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * HALF_TAPS, axis=1)
    between = np.abs(windows[:, :signal.shape[1]] @ phases.T).max(axis=2)
    return np.maximum(between, np.abs(signal))


def envelope_signals(rate_hz: int) -> dict[str, np.ndarray]:
    """Music-like noise and worst cases: full-scale tones near fs/4 and fs/2 (the Tech 3341
    true-peak tones, cases 15-23), a full-scale square wave, isolated full-scale clicks."""
    rng = np.random.default_rng(rate_hz)
    n = 3 * 65536 + 100
    t = np.arange(n) / rate_hz
    clicks = np.zeros(n)
    clicks[rng.integers(0, n, 40)] = rng.choice([-1.0, 1.0], 40)
    return {
        "noise": np.cumsum(rng.standard_normal((2, n)), axis=1) * 0.002
        + 0.1 * rng.standard_normal((2, n)),
        "quarter_rate_tone": np.stack([np.sin(2 * np.pi * t * rate_hz / 4 + np.pi / 4)] * 2),
        "near_nyquist_tone": np.stack([np.sin(2 * np.pi * t * 0.45 * rate_hz + 0.3),
                                       np.sin(2 * np.pi * t * rate_hz / 6 + 1.0)]),
        "square": np.stack([np.sign(np.sin(2 * np.pi * 997 * t))] * 2),
        "clicks": np.stack([clicks, -clicks]),
    }


@pytest.mark.parametrize("rate_hz", [44100, 96000, 192000])
@pytest.mark.parametrize("block_frames", [1, 11, 12, 777, 65536])
@pytest.mark.parametrize("kind", ["noise", "quarter_rate_tone", "near_nyquist_tone", "square",
                                  "clicks"])
def test_true_peak_envelope_equals_the_direct_computation(rate_hz: int, block_frames: int,
                                                          kind: str) -> None:
    signal = envelope_signals(rate_hz)[kind].astype(np.float32)
    if block_frames < 100:
        signal = signal[:, :3000]  # small blocks: a short signal keeps the test fast
    envelope = TruePeakEnvelope(rate_hz, 2)
    pieces = [envelope.push(signal[:, i:i + block_frames])
              for i in range(0, signal.shape[1], block_frames)]
    got = np.concatenate(pieces + [envelope.flush()], axis=1)
    assert envelope.emitted == signal.shape[1]
    np.testing.assert_allclose(got, direct_envelope(signal, rate_hz), rtol=1e-6, atol=1e-7)

# -- streaming, time-resolved series, catalogue -----------------------------------------

@pytest.mark.parametrize("block_frames", [777, 4410, 65536])
def test_results_do_not_depend_on_the_block_size(block_frames: int) -> None:
    rate = 44100
    signal = np.stack([noise(7.3, rate, 7), noise(7.3, rate, 8)], axis=1)
    signal[: rate] *= 0.05  # a quiet second, so that gating and LRA have work to do
    reference = measure_loudness(signal, rate, block_frames=100_000)[1]
    measured = measure_loudness(signal, rate, block_frames=block_frames)[1]
    # Block edges change the float32 rounding of the K-weighting (~1e-8 LU) and of the true
    # peak's polyphase filter (one float32 ulp of a peak is 1.04e-6 dB), nothing more.
    for name, value in reference.values.items():
        assert measured.values[name] == pytest.approx(value, abs=1e-5), name
    for name, series in reference.series.items():
        np.testing.assert_allclose(measured.series[name], series, atol=1e-6)


def test_series_follow_the_time_grid_and_locate_a_loud_passage() -> None:
    rate = 48000
    quiet, loud = sine(1000, -40.0, 10.0, rate), sine(1000, -10.0, 3.0, rate)
    mono = np.concatenate([quiet, loud, np.zeros(5 * rate)])  # loud 10-13 s, silent 13-18 s
    _, measured = measure_loudness(stereo(mono), rate)
    grid = TimeGrid(rate)
    windows = len(grid.windows(grid.n_ticks(mono.size)))
    short_term = measured.series["loudness.short_term_lufs"]
    assert all(series.shape == (windows,) for series in measured.series.values())
    assert int(np.nanargmax(short_term)) == 10  # the window starting at 10 s
    # Two channels of mean square A^2 / 2 each: -0.691 + 20 log10(A) + K(1 kHz).
    assert short_term[10] == pytest.approx(-0.691 - 10.0 + k_gain_db(1000), abs=0.01)
    assert measured.series["loudness.true_peak_dbtp"][10] == pytest.approx(-10.0, abs=0.02)
    assert measured.series["loudness.crest_factor_db"][0] == pytest.approx(3.01, abs=0.02)
    assert np.isnan(short_term[-1])  # 15-18 s: digital silence is undefined, not -inf
    assert np.isnan(measured.series["loudness.true_peak_dbtp"][-1])

def test_provides_matches_the_catalogue() -> None:
    loudness = {name for name in CATALOGUE if name.startswith("loudness.")}
    assert set(family("loudness").provides) == loudness
    _, measured = measure_loudness(stereo(sine(1000, -20.0, 4.0, 44100)), 44100)
    for name in loudness:
        scope = CATALOGUE[name].scope
        assert (name in measured.values) == (scope != "window"), name
        assert (name in measured.series) == (scope != "track"), name


@pytest.mark.parametrize("rate_hz", sorted(kweighting.FITTED_SHELF))
def test_stored_shelf_fit_matches_a_fresh_fit(rate_hz: int) -> None:
    start = kweighting._prewarped_stage(*kweighting.BS1770_SHELF_48K, rate_hz)
    fresh = kweighting._refined_shelf(start, rate_hz)
    # The least-squares optimum is flat: scipy versions land up to ~2e-9 apart in the
    # coefficients (8 kHz), 1e-9 dB apart in the response, which is what is measured with.
    assert np.allclose(fresh, kweighting.FITTED_SHELF[rate_hz], rtol=0, atol=1e-7)
    freqs_hz = np.geomspace(20.0, 0.49 * min(rate_hz, 48000), 200)
    stored = np.asarray(kweighting.FITTED_SHELF[rate_hz], dtype=np.float64)
    assert np.allclose(kweighting._magnitude_db(fresh, freqs_hz, rate_hz),
                       kweighting._magnitude_db(stored, freqs_hz, rate_hz), rtol=0, atol=1e-6)


def test_momentary_max_per_window_finds_a_short_burst() -> None:
    """A 0.5 s burst 20 dB over the music at 7.0-7.5 s: the windows that hold it whole read
    the track's loudest moment, the others the music's; short-term averages it down to
    about 12.4 dB over the music (2.5 s x 1 + 0.5 s x 100, over 3 s)."""
    rate = 48000
    mono = sine(1000, -40.0, 14.0, rate)
    mono[7 * rate:int(7.5 * rate)] = sine(1000, -20.0, 0.5, rate)
    _, measured = measure_loudness(stereo(mono), rate)
    momentary = measured.series["loudness.momentary_max_lufs"]
    starts = TimeGrid(rate).window_starts_s(TimeGrid(rate).n_ticks(mono.size))
    holds = [4.6 <= s <= 7.0 for s in starts]  # 400 ms of the burst inside [s, s + 3]
    loud = measured.values["loudness.momentary_max_lufs"]
    assert momentary[holds] == pytest.approx(loud, abs=0.01)
    music = -0.691 - 40.0 + k_gain_db(1000)
    apart = [s + 3 <= 7.0 or s >= 7.5 for s in starts]
    assert momentary[apart] == pytest.approx(music, abs=0.02)
    assert loud - music == pytest.approx(20.0, abs=0.05)
    short_term = measured.series["loudness.short_term_lufs"]
    assert np.nanmax(short_term) - music == pytest.approx(12.43, abs=0.05)
