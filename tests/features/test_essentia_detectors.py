"""Essentia's audio-problem detectors, checked on signals with known injected faults.

Why ``ArtifactsAnalyzer`` calls none of them (each test documents one reason, and fails if
Essentia's behaviour changes so that the reason no longer holds):

- ClickDetector finds the injected clicks without false alarms, but driven frame by frame
  from Python it costs about 4 s per 4 minutes of mono audio (our detector: a few 10 ms).
- DiscontinuityDetector misses clicks that ClickDetector and ours find, and reports one at
  the abrupt end of the signal.
- SaturationDetector only sees clipping near full scale (energyThreshold, -1 dB by default):
  a clipped mix turned down 3 dB reads clean.
- GapsDetector finds a 50 ms dropout; it agrees with ours and costs ~1.5 s per 4 minutes.
- StartStopCut says only *whether* a file starts/ends within 10 ms of signal, not how much
  silence there is, so it cannot give leading/trailing silence in seconds.
- HumDetector reports the 220 Hz pad chord of the test song as "hum" and misses an
  injected 60 Hz hum at -50 dBFS that ours finds.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.features import signals as sig

es = pytest.importorskip("essentia.standard")

RATE = 44100
CLICK_TIMES_S = [2.2, 5.013, 11.3]


@pytest.fixture(scope="module", autouse=True)
def _quiet_essentia() -> None:
    import essentia

    essentia.log.infoActive = False
    essentia.log.warningActive = False


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return sig.music(16.0, RATE, breakdown=(4.0, 8.0))


def mono(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.mean(axis=1), dtype=np.float32)


def framewise(algorithm, signal: np.ndarray, frame: int, hop: int) -> list[float]:
    """Run a frame-wise detector over a signal; event start times in seconds."""
    times: list[float] = []
    frames = es.FrameGenerator(signal, frameSize=frame, hopSize=hop, startFromZero=True)
    for index, samples in enumerate(frames):
        starts = algorithm(samples)[0]
        times.extend((index * hop + float(s)) / RATE for s in starts)
    return sorted({round(t, 3) for t in times})


def test_click_detector_is_right_but_slow(song: np.ndarray) -> None:
    detector = es.ClickDetector(sampleRate=RATE, frameSize=512, hopSize=256)
    assert framewise(detector, mono(song), 512, 256) == []
    clicked = mono(sig.add_clicks(song, CLICK_TIMES_S, RATE, 0.1))
    began = time.perf_counter()
    found = framewise(detector, clicked, 512, 256)
    per_4_min_s = (time.perf_counter() - began) * 240 / 16
    assert len(found) == 3 and np.allclose(found, CLICK_TIMES_S, atol=0.01)
    assert per_4_min_s > 1.0  # mono only; our whole analyzer budget is ~0.4 s for stereo


def test_discontinuity_detector_misses_clicks(song: np.ndarray) -> None:
    detector = es.DiscontinuityDetector(frameSize=512, hopSize=256)
    clicked = mono(sig.add_clicks(song, CLICK_TIMES_S, RATE, 0.1))
    found = np.array(framewise(detector, clicked, 512, 256))
    hits = sum(bool(np.any(np.abs(found - t) < 0.01)) for t in CLICK_TIMES_S)
    assert hits < len(CLICK_TIMES_S)


@pytest.mark.parametrize("gain_db, detected", [(0.0, True), (-3.0, False)])
def test_saturation_detector_needs_full_scale(song: np.ndarray, gain_db: float,
                                              detected: bool) -> None:
    clipped = mono(sig.hard_clip(song, 6.0) * np.float32(10 ** (gain_db / 20)))
    detector = es.SaturationDetector(sampleRate=RATE, frameSize=512, hopSize=256)
    found = []
    for samples in es.FrameGenerator(clipped, frameSize=512, hopSize=256, startFromZero=True):
        found.extend(detector(samples)[0])
    assert bool(found) is detected


def test_gaps_detector_agrees_on_a_dropout(song: np.ndarray) -> None:
    detector = es.GapsDetector(sampleRate=RATE, frameSize=2048, hopSize=1024)
    gaps = []
    dropped = mono(sig.add_dropout(song, 9.3, 0.05, RATE))
    for samples in es.FrameGenerator(dropped, frameSize=2048, hopSize=1024, startFromZero=True):
        starts, ends = detector(samples)
        gaps.extend(zip(starts, ends, strict=True))
    assert len(gaps) == 1
    assert gaps[0][0] == pytest.approx(9.3, abs=0.005)
    assert gaps[0][1] - gaps[0][0] == pytest.approx(0.05, abs=0.005)


def test_start_stop_cut_gives_flags_not_durations(song: np.ndarray) -> None:
    cut = es.StartStopCut(sampleRate=RATE)
    assert tuple(cut(mono(song))) == (1, 1)  # starts and ends on signal
    padded = mono(sig.pad_silence(song, RATE, 1.234, 2.5))
    assert tuple(cut(padded)) == (0, 0)  # 1.234 s and 2.5 s of silence: only "not cut"


def test_hum_detector_misreads_the_test_song(song: np.ndarray) -> None:
    detector = es.HumDetector(sampleRate=RATE)
    hummed = mono(sig.add_hum(song, RATE, 60.0, -50.0))
    frequencies = detector(hummed)[1]
    assert not np.any(np.abs(np.asarray(frequencies) - 60.0) < 2.0)  # the hum is missed
    clean_frequencies = detector(mono(song))[1]
    assert len(clean_frequencies) > 0  # and the chord of the clean song is "hum"


def test_onset_detection_cannot_be_configured_at_192k_and_scales_with_the_rate() -> None:
    """Why ``declick.ClickVerifier`` configures OnsetDetection('hfc') at a fixed rate: at
    192 kHz the configuration fails (it builds mel bands even for 'hfc'), and the HFC is
    the same weighted sum scaled by the configured rate, so a ratio of two values is not
    changed by it."""
    from expert.features.artifacts.declick import ONSET_CONFIG_RATE_HZ

    with pytest.raises(RuntimeError, match="TriangularBands"):
        es.OnsetDetection(method="hfc", sampleRate=192000)
    rng = np.random.default_rng(0)
    mags = np.abs(rng.standard_normal((2, 257))).astype(np.float32)
    phase = np.zeros(257, np.float32)
    ratios = []
    for rate in (ONSET_CONFIG_RATE_HZ, 96000.0):
        hfc = es.OnsetDetection(method="hfc", sampleRate=rate)
        ratios.append(hfc(mags[0], phase) / hfc(mags[1], phase))
    assert ratios[0] == pytest.approx(ratios[1], rel=1e-5)


def test_declick_onset_function_is_essentias() -> None:
    """``declick._hfc_onset`` (made from Essentia's extension module, to skip the 1.8 s
    import of essentia.standard) computes what essentia.standard's OnsetDetection does."""
    from expert.features.artifacts.declick import ONSET_CONFIG_RATE_HZ, _hfc_onset

    rng = np.random.default_rng(1)
    mag = np.abs(rng.standard_normal(257)).astype(np.float32)
    phase = rng.uniform(-np.pi, np.pi, 257).astype(np.float32)
    reference = es.OnsetDetection(method="hfc", sampleRate=ONSET_CONFIG_RATE_HZ)
    assert _hfc_onset()(mag, phase) == pytest.approx(reference(mag, phase), rel=1e-6)
