"""ArtifactsAnalyzer on synthetic music with injected faults (tests/features/signals.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from expert.descriptors import CATALOGUE
from expert.features.artifacts.analyzer import ArtifactsAnalyzer
from expert.features.base import AnalysisContext, Measurements, TimeGrid
from expert.features.registry import family
from tests.features import signals as sig

RATE = 44100
# Between drum hits, in the breakdown, under the bass (150 ms after a hi-hat: a click in
# the hat's noise is masked, by ear and for the detector).
CLICK_TIMES_S = [2.2, 5.013, 11.4]


def analyse(x: np.ndarray, rate: int = RATE, block: int = 65536) -> Measurements:
    analyzer = ArtifactsAnalyzer(AnalysisContext(rate, x.shape[1], x.shape[0]))
    for start in range(0, x.shape[0], block):
        analyzer.process(np.ascontiguousarray(x[start:start + block]))
    return analyzer.finish()


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return sig.music(16.0, RATE)


@pytest.fixture(scope="module")
def clean(song: np.ndarray) -> Measurements:
    return analyse(song)


def test_provides_only_catalogued_names(clean: Measurements) -> None:
    assert set(family("artifacts").provides) <= set(CATALOGUE)
    assert set(clean.values) == set(family("artifacts").provides)
    assert set(clean.series) <= set(CATALOGUE)


def test_clean_song_has_no_faults(clean: Measurements) -> None:
    v = clean.values
    assert v["artifacts.clipped_samples"] == 0
    assert v["artifacts.click_count"] == 0
    assert v["artifacts.dropout_count"] == 0
    assert v["artifacts.hum_salience_db"] < 12
    assert v["artifacts.leading_silence_s"] == 0.0
    assert v["artifacts.noise_floor_dbfs"] is None and v["artifacts.noise_bands"] == 0


def test_series_have_one_value_per_window(song: np.ndarray, clean: Measurements) -> None:
    windows = len(TimeGrid(RATE).windows(TimeGrid(RATE).n_ticks(song.shape[0])))
    for name in ("artifacts.clipped_samples", "artifacts.click_count", "artifacts.dropout_count"):
        assert clean.series[name].shape == (windows,)


@pytest.mark.parametrize("block", [65536, 4096, 1000])
def test_block_size_does_not_change_results(song: np.ndarray, block: int) -> None:
    faulty = sig.add_dropout(sig.add_clicks(song, CLICK_TIMES_S, RATE), 7.3, 0.05, RATE)
    got, want = analyse(faulty, block=block).values, analyse(faulty).values
    assert want["artifacts.click_count"] == len(CLICK_TIMES_S)
    assert got.keys() == want.keys()
    for name, value in want.items():
        if isinstance(value, float):  # float32 cell sums may round differently
            assert got[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name
        else:
            assert got[name] == value, name


@pytest.mark.parametrize("left, right", [(0.02, -0.01), (0.0, 0.005)])
def test_dc_offset(song: np.ndarray, left: float, right: float) -> None:
    shifted = song + np.array([left, right], np.float32)
    v = analyse(shifted).values
    base = analyse(song).values
    for name, offset in (("left", left), ("right", right)):
        key = f"artifacts.dc_offset_{name}"
        assert v[key] - base[key] == pytest.approx(offset, abs=1e-5)
    want = max(abs(base["artifacts.dc_offset_left"] + left),
               abs(base["artifacts.dc_offset_right"] + right))
    # The steady offset: what every second holds (the music's own per-second mean wanders).
    assert v["artifacts.dc_offset_dbfs"] == pytest.approx(20 * np.log10(want), abs=0.6)


def test_an_offset_is_held_through_an_edited_tail_of_digital_silence(song: np.ndarray) -> None:
    """Zeros appended after a programme that carries an offset (a quarter of the file) hold
    no offset themselves: the offset the music holds is still read."""
    shifted = sig.pad_silence(song + np.float32(0.01), RATE, 0.0, 6.0)
    assert analyse(shifted).values["artifacts.dc_offset_dbfs"] == pytest.approx(-40.0, abs=0.6)


def test_offset_from_asymmetric_clipping_is_not_a_steady_dc(breakdown_song: np.ndarray) -> None:
    """Clipping only the positive half-waves of the loud passages leaves a negative mean
    there, none in the quiet breakdown: the file's mean moves, but no DC offset is held."""
    x = breakdown_song.copy()
    loud = np.ones(x.shape[0], bool)
    loud[int(4.0 * RATE):int(8.0 * RATE)] = False
    x[loud] = np.minimum(x[loud], 0.05)
    v = analyse(x).values
    assert abs(v["artifacts.dc_offset_left"]) > 0.01  # the file's mean has moved (-38 dBFS)
    assert v["artifacts.dc_offset_dbfs"] is None or v["artifacts.dc_offset_dbfs"] < -60


def test_dc_offset_mono_has_no_right_channel(song: np.ndarray) -> None:
    v = analyse(song[:, :1] + np.float32(0.01)).values
    assert v["artifacts.dc_offset_right"] is None
    assert v["artifacts.dc_offset_left"] == pytest.approx(0.01, abs=1e-3)


def _sine_with_clipped_bursts(gain_after: float) -> tuple[np.ndarray, list[float]]:
    """A 1 kHz sine at -6.5 dBFS with two 20 ms bursts driven 6 dB into a 0.9 ceiling."""
    t = np.arange(4 * RATE) / RATE
    x = 0.47 * np.sin(2 * np.pi * 1000.5 * t)
    bursts = [1.0, 2.5]
    for at in bursts:
        i = int(at * RATE)
        x[i:i + 882] = np.clip(2 * x[i:i + 882], -0.9, 0.9)
    return (x * gain_after)[:, None].repeat(2, axis=1).astype(np.float32), bursts


@pytest.mark.parametrize("gain_after", [1.0, 0.7])  # 0.7: clipped, then turned down
def test_clipped_runs_counted_at_their_times(gain_after: float) -> None:
    x, bursts = _sine_with_clipped_bursts(gain_after)
    v = analyse(x).values
    # 20 ms of a 1 kHz tone = 20 periods, two flat tops each, two channels.
    assert v["artifacts.clipped_runs"] == 2 * 2 * 20 * 2
    assert v["artifacts.clipped_samples"] > 3 * v["artifacts.clipped_runs"]
    times = np.array(v["artifacts.clipped_times_s"])
    assert all(np.any((times >= at) & (times < at + 0.021)) for at in bursts)
    assert np.all([(times >= at) & (times < at + 0.021) for at in bursts][0] | [
        (times >= at) & (times < at + 0.021) for at in bursts][1])


def test_loud_sine_is_not_clipping() -> None:
    t = np.arange(2 * RATE) / RATE
    x = (0.99 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)[:, None]
    assert analyse(x).values["artifacts.clipped_runs"] == 0


def test_hard_clipped_song_series_points_at_the_clipping(song: np.ndarray) -> None:
    x = song.copy()
    x[int(9 * RATE):int(10 * RATE)] = sig.hard_clip(song[int(9 * RATE):int(10 * RATE)], 8, 0.95)
    m = analyse(x)
    assert m.values["artifacts.clipped_samples"] > 0
    assert m.values["artifacts.click_count"] == 0  # the corners of flat tops are clipping
    series = m.series["artifacts.clipped_samples"]
    starts = np.array(TimeGrid(RATE).window_starts_s(TimeGrid(RATE).n_ticks(x.shape[0])))
    assert np.all(series[(starts + 3.0 <= 9.0) | (starts >= 10.0)] == 0)
    assert series[starts == 8.0][0] > 0


@pytest.mark.parametrize("rate", [44100, 96000])
@pytest.mark.parametrize("amplitude", [0.3, 0.2])
def test_clicks_found_on_drums(rate: int, amplitude: float) -> None:
    """Impulses over the envelope of the music around them (the quietest, at 2.2 s, reads
    1.6-2.6x its envelope)."""
    x = sig.music(16.0, rate)
    assert analyse(x, rate).values["artifacts.click_count"] == 0
    v = analyse(sig.add_clicks(x, CLICK_TIMES_S, rate, amplitude), rate).values
    assert v["artifacts.click_count"] == len(CLICK_TIMES_S)
    assert np.allclose(v["artifacts.click_times_s"], CLICK_TIMES_S, atol=0.002)
    assert v["artifacts.click_rate_per_min"] == pytest.approx(3 / 16 * 60)


@pytest.mark.parametrize("rate", [44100, 96000])
@pytest.mark.parametrize("bass_notes_hz", [(49.0, 73.42), (41.2,)])
def test_sharp_musical_edges_are_not_clicks(rate: int, bass_notes_hz: tuple[float, ...]) -> None:
    """Raw sawtooth bass edges every period, 16th-note closed hats, kicks starting with a
    step: sharp, but recurring or noise-like; clicks in the bass rests are still found."""
    x = sig.sharp_groove(8.0, rate, bass_notes_hz=bass_notes_hz)
    assert analyse(x, rate).values["artifacts.click_count"] == 0
    times = [3.31, 5.81]  # in the rests (at 1.56 s a 0.05 click is 0.2x the groove's envelope)
    v = analyse(sig.add_clicks(x, times, rate, 0.05), rate).values
    assert v["artifacts.click_times_s"] == pytest.approx(times, abs=0.002)


def test_click_within_the_music_envelope_is_not_counted(song: np.ndarray) -> None:
    """The price of not counting drum hits: an impulse no larger than the RMS envelope of
    the music around it (0.05 FS at 2.2 s: 0.45x) is not out of proportion to it."""
    assert analyse(sig.add_clicks(song, [2.2], RATE, 0.05)).values["artifacts.click_count"] == 0


def _transients(kind: str, seconds: float = 8.0,
                rate: int = RATE) -> tuple[np.ndarray, list[float]]:
    """A quiet two-tone pad with an isolated transient every 1.3 s: a plucked string
    (harmonics of 196 Hz, instant attack, 0.15 s decay), a kick (a pitch-swept cosine that
    starts with a step, 80 ms decay) or a hat (noise with a one-sample attack, 40 ms)."""
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.03 * np.sin(2 * np.pi * 220 * t) + 0.02 * np.sin(2 * np.pi * 331 * t)
    tt = np.arange(int(1.2 * rate)) / rate
    if kind == "pluck":
        partials = sum(np.sin(2 * np.pi * 196 * k * tt) / k for k in range(1, 12))
        hit = 0.4 * partials * np.exp(-tt / 0.15)
    elif kind == "kick":
        sweep = 2 * np.pi * (55 * tt + 1.8 * (1 - np.exp(-tt / 0.03)))
        hit = 0.8 * np.cos(sweep) * np.exp(-tt / 0.08)
    else:
        hit = 0.5 * rng.standard_normal(tt.size) * np.exp(-tt / 0.04)
    times = [round(0.75 + 1.3 * k, 3) for k in range(5)]
    for at in times:
        i = int(round(at * rate))
        x[i:i + tt.size] += hit[:x.size - i]
    return np.stack([x, 0.9 * x], axis=1).astype(np.float32), times


@pytest.mark.parametrize("kind", ["pluck", "kick", "hat"])
def test_musical_transients_are_not_clicks(kind: str) -> None:
    """Isolated hits over a quiet pad are one-off sharp edges (the residual finder proposes
    the pluck and the kick), but musical onsets: the energy after them lasts. Clicks between
    the hits are still found, with their times."""
    x, hits = _transients(kind)
    assert analyse(x).values["artifacts.click_count"] == 0
    times = [1.4, 3.3, 6.1]
    v = analyse(sig.add_clicks(x, times, RATE, 0.2)).values
    assert v["artifacts.click_times_s"] == pytest.approx(times, abs=0.002)


@pytest.mark.parametrize("offset", [-1, 0, 1, 30])
def test_click_at_a_block_edge(song: np.ndarray, offset: int) -> None:
    """A candidate judged before the samples after it have arrived waits for them."""
    at = (5.013 * RATE // 4096 * 4096 + offset) / RATE
    v = analyse(sig.add_clicks(song, [at], RATE, 0.2), block=4096).values
    assert v["artifacts.click_times_s"] == pytest.approx([at], abs=0.002)


def test_click_in_silence_is_a_click(song: np.ndarray) -> None:
    x = sig.add_clicks(sig.pad_silence(song, RATE, 1.0, 0.0), [0.5], RATE, 0.05)
    v = analyse(x).values
    assert v["artifacts.click_times_s"] == pytest.approx([0.5], abs=0.002)
    assert v["artifacts.leading_silence_s"] == pytest.approx(0.5, abs=0.002)


def test_click_in_one_channel_only(song: np.ndarray) -> None:
    v = analyse(sig.add_clicks(song, [5.013], RATE, 0.05, channel=1)).values
    assert v["artifacts.click_times_s"] == pytest.approx([5.013], abs=0.002)


def test_dropout_found_at_its_time(song: np.ndarray) -> None:
    x = sig.pad_silence(sig.add_dropout(song, 7.3, 0.05, RATE), RATE, 1.0, 1.0)
    m = analyse(x)
    v = m.values
    assert v["artifacts.dropout_count"] == 1  # the leading/trailing silence are not dropouts
    assert v["artifacts.dropout_times_s"][0] == pytest.approx(8.3, abs=0.002)
    assert v["artifacts.dropout_total_s"] == pytest.approx(0.05, abs=0.002)
    assert v["artifacts.click_count"] == 0  # its abrupt edges are the dropout, not clicks
    assert np.nansum(m.series["artifacts.dropout_count"]) == 3  # three overlapping windows


def test_musical_fade_is_not_a_dropout(song: np.ndarray) -> None:
    x = song.copy()
    fade = np.exp(-np.arange(int(0.3 * RATE)) / (0.03 * RATE))  # a 30 ms decay to silence
    i = int(6.5 * RATE)
    x[i:i + fade.size] *= fade[:, None].astype(np.float32)
    x[i + fade.size:i + fade.size + int(0.1 * RATE)] = 0.0
    assert analyse(x).values["artifacts.dropout_count"] == 0


@pytest.mark.parametrize("lead_s, trail_s", [(0.0, 0.0), (1.234, 2.5), (0.5, 0.0)])
def test_leading_and_trailing_silence(song: np.ndarray, lead_s: float, trail_s: float) -> None:
    v = analyse(sig.pad_silence(song, RATE, lead_s, trail_s)).values
    assert v["artifacts.leading_silence_s"] == pytest.approx(lead_s, abs=0.01)
    assert v["artifacts.trailing_silence_s"] == pytest.approx(trail_s, abs=0.01)


def test_silent_file_is_all_silence() -> None:
    m = analyse(np.zeros((RATE, 2), np.float32))
    assert m.values["artifacts.leading_silence_s"] == pytest.approx(1.0)
    assert m.values["artifacts.noise_floor_dbfs"] is None
    assert m.values["artifacts.dc_offset_dbfs"] is None
    assert m.notes


@pytest.fixture(scope="module")
def breakdown_song() -> np.ndarray:
    return sig.music(16.0, RATE, breakdown=(4.0, 8.0))


@pytest.mark.parametrize("frequency_hz", [50.0, 60.0])
@pytest.mark.parametrize("level_dbfs", [-50.0, -65.0])
def test_hum_found_at_its_frequency(breakdown_song: np.ndarray, frequency_hz: float,
                                    level_dbfs: float) -> None:
    v = analyse(sig.add_hum(breakdown_song, RATE, frequency_hz, level_dbfs)).values
    assert v["artifacts.hum_frequency_hz"] == frequency_hz
    assert v["artifacts.hum_harmonics"] >= 3
    assert v["artifacts.hum_salience_db"] > 12


@pytest.mark.parametrize("rate", [8000, 48000, 192000])
def test_hum_at_other_rates(rate: int) -> None:
    x = sig.add_hum(sig.music(12.0, rate, channels=1, breakdown=(3.0, 7.0)), rate, 60.0, -55.0)
    assert analyse(x, rate).values["artifacts.hum_frequency_hz"] == 60.0


def test_bass_note_on_60_hz_is_not_hum(breakdown_song: np.ndarray) -> None:
    x = sig.music(16.0, RATE, breakdown=(4.0, 8.0), bass_notes_hz=(60.0, 65.41, 60.0, 82.41))
    v = analyse(x).values
    assert v["artifacts.hum_salience_db"] < 6


@pytest.mark.parametrize("frequency_hz", [49.0, 51.91, 58.27, 61.74])  # G1, G#1, A#1, B1
def test_held_bass_note_near_mains_is_not_hum(breakdown_song: np.ndarray,
                                              frequency_hz: float) -> None:
    """A note held through the whole song, quiet passages included, 1 Hz or more off the
    mains frequency: the spectrum peaks on the note, not on 50/60 Hz."""
    v = analyse(sig.add_tone(breakdown_song, RATE, frequency_hz, -20.0)).values
    assert v["artifacts.hum_salience_db"] < 6


def test_steady_tone_exactly_on_mains_reads_as_hum(breakdown_song: np.ndarray) -> None:
    """The documented limit: a drone exactly on 50 Hz cannot be told from hum."""
    v = analyse(sig.add_tone(breakdown_song, RATE, 50.0, -50.0)).values
    assert v["artifacts.hum_frequency_hz"] == 50.0


def test_lasting_partial_on_a_high_harmonic_alone_is_not_hum(breakdown_song: np.ndarray) -> None:
    """300 Hz is the 6th harmonic of 50 Hz and the 5th of 60 Hz; without the fundamental
    or the low harmonics a steady partial there is music, not hum."""
    v = analyse(sig.add_tone(breakdown_song, RATE, 300.0, -40.0)).values
    assert v["artifacts.hum_salience_db"] < 12
    assert v["artifacts.hum_harmonics"] >= 1  # it is salient, and counted as a harmonic


@pytest.mark.parametrize("frequency_hz", [50.0, 60.0])
def test_hum_under_music_that_never_gets_quiet(frequency_hz: float) -> None:
    """No quiet passage to hear it in: the quiet-passage salience stays under AR002's 18
    dB, the family of harmonics standing together in the typical passage does not."""
    song = sig.music(16.0, RATE, breakdown=None)
    v = analyse(sig.add_hum(song, RATE, frequency_hz, -25.0)).values
    assert v["artifacts.hum_frequency_hz"] == frequency_hz
    assert v["artifacts.hum_salience_db"] < 18
    assert v["artifacts.hum_family_salience_db"] > 9
    assert analyse(song).values["artifacts.hum_family_salience_db"] < 2


def test_bass_line_through_60_hz_is_no_hum_family() -> None:
    """A bass line that keeps coming back to 60 Hz (with its harmonics on 120 and 180 Hz)
    but plays other notes between: not the family standing all the time."""
    x = sig.music(16.0, RATE, breakdown=None, bass_notes_hz=(60.0, 65.41, 60.0, 82.41))
    assert analyse(x).values["artifacts.hum_family_salience_db"] < 3


def _bass_bed(seconds: float, level_dbfs: float, seed: int = 3) -> np.ndarray:
    """Dense stereo noise in 20-200 Hz at ``level_dbfs`` RMS: bass that fills every bin."""
    n = int(seconds * RATE)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal((n, 2)), axis=0)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < 20) | (freqs > 200)] = 0
    bed = np.fft.irfft(spectrum, n, axis=0)
    return (bed * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(bed**2))).astype(np.float32)


@pytest.mark.parametrize("frequency_hz", [50.0, 50.04, 60.0])  # 50.04: the grid 40 mHz high
def test_hum_under_dense_bass_stands_out_in_fine_bins(frequency_hz: float) -> None:
    """Bass that fills the 0.67 Hz bins masks a hum there (under AR002's 7 dB), not in
    bins eight times finer (over its 10 dB); the bass alone reads about 0 in both."""
    bed = _bass_bed(25.0, -18.0)
    v = analyse(sig.add_hum(bed, RATE, frequency_hz, -25.0)).values
    assert v["artifacts.hum_frequency_hz"] == round(frequency_hz / 10) * 10
    assert v["artifacts.hum_family_salience_db"] < 7
    assert v["artifacts.hum_fine_salience_db"] > 12
    quiet = analyse(bed).values
    assert quiet["artifacts.hum_family_salience_db"] < 1
    assert abs(quiet["artifacts.hum_fine_salience_db"]) < 2


def test_steady_partials_on_both_mains_families_are_not_fine_hum() -> None:
    """Steady lines on 50, 100, 150 and on 60, 120, 180 Hz at once: no mains makes both."""
    x = _bass_bed(25.0, -18.0)
    for frequency_hz in (50.0, 100.0, 150.0, 60.0, 120.0, 180.0):
        x = sig.add_tone(x, RATE, frequency_hz, -25.0)
    v = analyse(x).values
    assert v["artifacts.hum_salience_db"] > 5  # each family alone looks like hum
    assert v["artifacts.hum_fine_salience_db"] < 3


def test_a_sound_of_period_two_mains_cycles_is_not_fine_hum() -> None:
    """Partials on every multiple of 30 Hz (a loop of exactly 1/30 s) land on 60, 120 and
    180 Hz but also on 30 and 90, where 60 Hz hum has none; 60 Hz hum itself has none there."""
    bed = _bass_bed(25.0, -18.0)
    x = bed
    for k in range(1, 7):
        x = sig.add_tone(x, RATE, 30.0 * k, -25.0)
    assert analyse(x).values["artifacts.hum_fine_salience_db"] < 3
    hum = analyse(sig.add_hum(bed, RATE, 60.0, -25.0)).values
    assert hum["artifacts.hum_fine_salience_db"] > 12


def _loop(seconds: float, period_s: float, level_dbfs: float, seed: int = 5) -> np.ndarray:
    """A drum-like burst (20 ms of decaying noise, the same every time) repeated at exactly
    ``period_s``: steady lines on every multiple of 1 / period_s."""
    period = round(period_s * RATE)
    burst = np.random.default_rng(seed).standard_normal(period) * np.exp(
        -np.arange(period) / (0.02 * RATE))
    x = np.tile(burst, int(seconds / period_s) + 1)[:int(seconds * RATE)]
    x *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x**2))
    return np.stack([x, x], axis=1).astype(np.float32)


def test_a_loop_on_the_tempo_is_a_comb_hum_stands_alone_in() -> None:
    """A loop repeating every 31/60 s (a beat at 116 BPM) puts steady lines every 1.94 Hz,
    on 60, 120 and 180 Hz (the 31st, 62nd, 93rd) but not on 30 or 90: the fine salience
    reads it as 60 Hz hum, the comb as one line among neighbours as strong. Hum under the
    same bass stands alone."""
    bed = _bass_bed(25.0, -40.0)
    loop = analyse(bed + _loop(25.0, 31 / 60, -18.0)).values
    assert loop["artifacts.hum_frequency_hz"] == 60.0
    assert loop["artifacts.hum_fine_salience_db"] > 8.5  # over AR002's fine threshold
    assert loop["artifacts.hum_comb_db"] > loop["artifacts.hum_fine_salience_db"]
    hum = analyse(sig.add_hum(bed, RATE, 60.0, -40.0)).values
    assert hum["artifacts.hum_fine_salience_db"] > 12
    assert hum["artifacts.hum_comb_db"] < 4


def test_fine_hum_needs_one_long_segment() -> None:
    v = analyse(sig.add_hum(sig.music(10.0, RATE, breakdown=None), RATE, 50.0, -40.0)).values
    assert v["artifacts.hum_fine_salience_db"] is None and v["artifacts.hum_comb_db"] is None
    assert v["artifacts.hum_family_salience_db"] is not None


def test_hum_survives_a_polarity_inverted_channel(breakdown_song: np.ndarray) -> None:
    hummed = sig.add_hum(breakdown_song, RATE, 50.0, -55.0)
    hummed[:, 1] *= -1  # the mono sum would cancel a centred hum
    assert analyse(hummed).values["artifacts.hum_frequency_hz"] == 50.0


def test_clean_and_hissy_songs_have_no_hum(breakdown_song: np.ndarray) -> None:
    for x in (breakdown_song, sig.add_hiss(breakdown_song, -50.0)):
        assert analyse(x).values["artifacts.hum_salience_db"] < 12


@pytest.mark.parametrize("gain_db", [0.0, -30.0])
def test_quiet_music_is_not_noise(breakdown_song: np.ndarray, gain_db: float) -> None:
    """The quietest passages of music (a pad-only breakdown, a master turned down 30 dB)
    are music: their level is no noise floor."""
    v = analyse(breakdown_song * np.float32(10 ** (gain_db / 20))).values
    assert v["artifacts.noise_floor_dbfs"] is None
    assert v["artifacts.snr_db"] is None
    assert v["artifacts.noise_bands"] == 0


@pytest.mark.parametrize("level_dbfs", [-50.0, -70.0, -90.0])
def test_hiss_shows_as_a_steady_broadband_floor(song: np.ndarray, level_dbfs: float) -> None:
    v = analyse(sig.add_hiss(song, level_dbfs)).values
    assert v["artifacts.noise_bands"] >= 5  # broadband: many half-octave bands
    # White noise puts (22050 - 500) / 22050 of its power above 500 Hz; where the music
    # covers a band the floor is not seen there, so the reading is a lower bound, and the
    # 12.5th percentile reads steady noise about 1 dB low.
    assert level_dbfs - 3.0 < v["artifacts.noise_floor_dbfs"] < level_dbfs
    programme_dbfs = 10 * np.log10(np.mean(song.astype(np.float64) ** 2))
    assert v["artifacts.snr_db"] == pytest.approx(
        programme_dbfs - v["artifacts.noise_floor_dbfs"], abs=1.0)
    # 18.05/22.05 of white noise power lies in 4 kHz-Nyquist (-0.9 dB), read ~1 dB low.
    assert v["artifacts.hiss_db"] == pytest.approx(level_dbfs - 1.9, abs=1.0)


def test_a_dense_mix_wash_is_no_hiss_but_hides_none(song: np.ndarray) -> None:
    """The steady wash of a dense mix (distorted guitars, pads: broadband, falling with
    frequency) leaves a steady floor in many bands that is not hiss; white hiss 30 dB under
    the programme is still read under it, since the wash falls away towards the top."""
    rng = np.random.default_rng(11)
    sos = butter(2, 2000.0, fs=RATE, output="sos")  # -12 dB/octave above 2 kHz
    wash = sosfilt(sos, rng.standard_normal(song.shape), axis=0)
    washed = (song + 0.1 * wash / np.std(wash)).astype(np.float32)
    programme_dbfs = 10 * np.log10(np.mean(washed.astype(np.float64) ** 2))
    v = analyse(washed).values
    assert v["artifacts.noise_bands"] >= 5  # a steady floor, most of the spectrum over
    assert v["artifacts.hiss_snr_db"] is None or v["artifacts.hiss_snr_db"] > 50
    hissy = analyse(sig.add_hiss(washed, programme_dbfs - 30.0)).values
    assert hissy["artifacts.hiss_snr_db"] == pytest.approx(30.0 + 1.9, abs=1.5)


@pytest.mark.parametrize("rate, channels", [(8000, 1), (22050, 2), (192000, 2)])
def test_any_rate_and_channel_count(rate: int, channels: int) -> None:
    x = sig.music(5.0, rate, channels=channels)
    v = analyse(sig.add_clicks(x, [2.2], rate, 0.2), rate).values
    assert v["artifacts.click_times_s"] == pytest.approx([2.2], abs=0.002)
    assert (v["artifacts.dc_offset_right"] is None) == (channels == 1)
    assert v["artifacts.noise_floor_dbfs"] is None
    hissy = analyse(sig.add_hiss(x, -50.0), rate).values
    assert hissy["artifacts.noise_bands"] >= 3
    assert (hissy["artifacts.hiss_db"] is None) == (rate / 2 <= 4000)
    assert all(not isinstance(val, float) or np.isfinite(val) for val in v.values())


def test_artifacts_do_not_import_scipy() -> None:
    """The artifacts run in the child process of a long file: scipy.linalg and
    scipy.ndimage would add some 26 MB to its memory (README, "Speed and memory")."""
    code = "import sys, expert.features.artifacts.analyzer; print('scipy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
