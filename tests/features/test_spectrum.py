"""Spectrum descriptors of ``SpectralAnalyzer`` on signals whose spectrum is known.

Every signal is generated here, deterministically; the expected values follow from the
signal's definition (a sine's power sits in its band, pink noise has equal power per 1/3
octave, white noise gains 3.01 dB per octave, a brick-wall low-pass ends the spectrum).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from expert.descriptors import CATALOGUE
from expert.descriptors.spectrum import NAMED_BANDS_HZ, THIRD_OCTAVE_NOMINAL_HZ
from expert.descriptors.spectrum import SPECS as SPECTRUM_SPECS
from expert.descriptors.stereo import SPECS as STEREO_SPECS
from expert.features.base import AnalysisContext, Measurements, TimeGrid
from expert.features.registry import family
from expert.features.spectrum.analyzer import SpectralAnalyzer, frame_length
from expert.features.spectrum.shape import resonances


def analyse(x: np.ndarray, rate: int = 44100, block: int = 65536) -> Measurements:
    """Run the analyzer over ``x`` (n,) or (n, channels) in blocks of ``block`` samples."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    analyzer = SpectralAnalyzer(AnalysisContext(rate, x.shape[1], x.shape[0]))
    for start in range(0, x.shape[0], block):
        analyzer.process(x[start : start + block])
    return analyzer.finish()


def sine(freq_hz: float, seconds: float, rate: int, dbfs: float = -20.0) -> np.ndarray:
    """A sine whose RMS is ``dbfs`` (peak 3.01 dB higher)."""
    t = np.arange(int(seconds * rate)) / rate
    return math.sqrt(2) * 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq_hz * t)


def coloured_noise(
    seconds: float, rate: int, exponent: float, top_hz: float | None = None, seed: int = 1
) -> np.ndarray:
    """Gaussian noise with power density ~ f**-exponent (0 white, 1 pink), -20 dBFS RMS.

    ``top_hz`` zeroes every component above it (an ideal brick-wall low-pass).
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / rate)
    f[0] = f[1]
    spectrum *= f ** (-exponent / 2)
    if top_hz is not None:
        spectrum[f > top_hz] = 0
    x = np.fft.irfft(spectrum, n)
    return 0.1 * x / np.sqrt(np.mean(x**2))


def music_like(seconds: float, rate: int, seed: int = 5) -> np.ndarray:
    """Mono 'music': pulsed pink noise, a melody of 4 notes/s with 5 harmonics, chords.

    The melody draws from a 10-note scale and the chords cycle every 2 s, so single pitches
    recur often (E3 sounds in 3 of 4 chords) without lasting the whole track.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    pulse = np.exp(-((t * 2) % 1.0) * 8)
    noise = coloured_noise(seconds, rate, 1.0, seed=seed) * 3 * (0.4 + pulse)
    scale = 220 * 2 ** (np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16]) / 12)
    notes = rng.choice(scale, size=int(seconds * 4) + 1)[(t * 4).astype(int)]
    phase = 2 * np.pi * np.cumsum(notes) / rate
    melody = sum(0.3 / h * np.sin(h * phase) for h in range(1, 6))
    chords = np.array(
        [[130.8, 164.8, 196.0], [110.0, 130.8, 164.8], [174.6, 220.0, 261.6], [164.8, 246.9, 293.7]]
    )[(t / 2).astype(int) % 4]
    harmony = sum(0.15 * np.sin(2 * np.pi * chords[:, k] * t) for k in range(3))
    x = noise + melody + harmony
    return 0.1 * x / np.sqrt(np.mean(x**2))


def peaking_eq(x: np.ndarray, rate: int, f0_hz: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ Audio EQ Cookbook peaking filter."""
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0_hz / rate
    alpha = np.sin(w0) / (2 * q)
    b = [1 + alpha * a_gain, -2 * np.cos(w0), 1 - alpha * a_gain]
    a = [1 + alpha / a_gain, -2 * np.cos(w0), 1 - alpha / a_gain]
    return signal.lfilter(b, a, x)


# -- band levels ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("freq_hz", "band"),
    [(1000.0, "mid"), (100.0, "bass"), (3150.0, "high_mid"), (5000.0, "presence"),
     (10000.0, "brilliance"), (40.0, "sub")],
)
def test_sine_puts_its_power_in_its_bands(freq_hz: float, band: str) -> None:
    m = analyse(sine(freq_hz, 5.0, 44100))
    v = m.values
    assert v[f"spectrum.{band}_db"] > -0.05
    for other in NAMED_BANDS_HZ:
        if other != band:
            assert v[f"spectrum.{other}_db"] < -30.0, other
    third = v["spectrum.third_octave_db"]
    own = int(np.argmin(np.abs(np.log(np.array(THIRD_OCTAVE_NOMINAL_HZ) / freq_hz))))
    # Above ~80 Hz the band is wider than the frame's main lobe: all the power is in it.
    assert third[own] > (-0.1 if freq_hz > 80 else -3.0)
    assert v["spectrum.centroid_hz"] == pytest.approx(freq_hz, rel=0.01)


@pytest.mark.parametrize(("freq_hz", "low", "high"), [(25.0, -0.5, 0.01), (100.0, -200, -40.0)])
def test_deep_sub_holds_rumble_not_bass_notes(freq_hz: float, low: float, high: float) -> None:
    m = analyse(sine(freq_hz, 5.0, 44100))
    assert low <= m.values["spectrum.deep_sub_db"] <= high
    windows = m.series["spectrum.deep_sub_db"]
    assert np.all((windows >= low) & (windows <= high))


def test_infrasonic_band_holds_rumble_not_notes_or_dc() -> None:
    """Noise under 20 Hz reads as infrasound; the lowest piano note (A0, 27.5 Hz) leaks the
    few per cent the catalogue states, a 31 Hz note next to nothing, and a DC offset only
    through the steps at the file's two ends (the periodic Hann window has its null two bins
    from DC)."""
    rate = 44100
    rng = np.random.default_rng(7)
    rumble = signal.sosfilt(signal.butter(8, [11.0, 19.0], "bandpass", fs=rate, output="sos"),
                            rng.standard_normal(10 * rate))
    music = sine(440.0, 10.0, rate)
    rumble *= np.sqrt(np.mean(music**2) / np.mean(rumble**2))  # as much power as the music
    both = analyse(music + rumble).values["spectrum.infrasonic_db"]
    # Most of the rumble inside 10-20 Hz (the main lobe spreads its top into the 21.5 Hz bin),
    # against the music and that spread.
    assert both > -3.0
    a0 = analyse(sine(27.5, 10.0, rate)).values["spectrum.infrasonic_db"]
    assert -17.0 < a0 < -14.0  # about 3 %
    assert analyse(sine(31.0, 10.0, rate)).values["spectrum.infrasonic_db"] < -25.0
    clean = analyse(music).values["spectrum.infrasonic_db"]
    offset = analyse(music + 0.03).values["spectrum.infrasonic_db"]  # 10 dB under the music
    assert clean < -55.0 and offset < -35.0


def test_third_octave_list_shape_and_labels() -> None:
    v = analyse(coloured_noise(10.0, 44100, 1.0)).values
    assert len(v["spectrum.third_octave_db"]) == 31
    assert v["spectrum.third_octave_centers_hz"][0] == 20
    assert v["spectrum.third_octave_centers_hz"][17] == 1000
    # Pink noise: equal power in every 1/3 octave, so each is 1/31 of the whole (-14.9 dB);
    # 10 s of noise leaves a random spread of ~0.4 dB in the narrow bands below 100 Hz.
    error = np.array(v["spectrum.third_octave_db"]) - 10 * math.log10(1 / 31)
    assert np.all(np.abs(error[7:30]) < 0.5)
    assert np.all(np.abs(error[2:7]) < 1.5)
    assert abs(np.mean(error[7:30])) < 0.1


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize(("exponent", "tilt"), [(1.0, 0.0), (0.0, 10 * math.log10(2))])
def test_tilt_of_pink_and_white_noise(rate: int, exponent: float, tilt: float) -> None:
    m = analyse(coloured_noise(6.0, rate, exponent), rate)
    assert m.values["spectrum.tilt_db_per_octave"] == pytest.approx(tilt, abs=0.15)
    windows = m.series["spectrum.tilt_db_per_octave"]
    assert np.all(np.abs(windows - tilt) < 0.3)


@pytest.mark.parametrize(
    ("exponent", "expected_hz"),
    # White: 95 % of 20 Hz-20 kHz lies below 20 + 0.95 * 19980 Hz. Pink: power is even over
    # log frequency, so 20 Hz * 1000**0.95.
    [(0.0, 20 + 0.95 * 19980), (1.0, 20 * 1000**0.95)],
)
def test_rolloff(exponent: float, expected_hz: float) -> None:
    m = analyse(coloured_noise(6.0, 44100, exponent))
    assert m.values["spectrum.rolloff_hz"] == pytest.approx(expected_hz, rel=0.03)


def test_named_bands_tile_the_whole() -> None:
    v = analyse(coloured_noise(4.0, 44100, 0.5)).values
    shares = [10 ** (v[f"spectrum.{name}_db"] / 10) for name in NAMED_BANDS_HZ]
    assert sum(shares) == pytest.approx(1.0, abs=1e-9)


# -- cutoff --------------------------------------------------------------------------------
def _upsampled(source_rate: int, rate: int) -> np.ndarray:
    """Noise at ``source_rate`` resampled to ``rate`` through a steep anti-image filter.

    The filter (Kaiser beta 12, ~120 dB stopband, -6 dB at 98.5 % of the source's Nyquist)
    is as steep as a good resampler's (SoX, libsamplerate); scipy's default is much gentler.
    """
    x = coloured_noise(6.0, source_rate, 0.5)
    g = math.gcd(source_rate, rate)
    up, down = rate // g, source_rate // g
    fir = signal.firwin(1201, 0.985 * source_rate / 2, window=("kaiser", 12.0), fs=source_rate * up)
    return signal.resample_poly(x, up, down, window=fir)


@pytest.mark.parametrize(
    ("make", "rate", "expected_hz"),
    [
        (lambda: coloured_noise(6.0, 44100, 0.5, top_hz=16000), 44100, 16000.0),  # MP3 low-pass
        (lambda: _upsampled(22050, 44100), 44100, 11025.0),  # a 22.05 kHz file upsampled
        (lambda: _upsampled(8000, 48000), 48000, 4000.0),  # telephone-band source
        (lambda: coloured_noise(6.0, 96000, 0.5, top_hz=22050), 96000, 22050.0),
    ],
)
def test_cutoff_of_band_limited_sources(make, rate: int, expected_hz: float) -> None:
    v = analyse(make(), rate).values
    assert v["spectrum.cutoff_hz"] == pytest.approx(expected_hz, rel=0.04)
    # The abrupt first and last samples splatter a little above the cutoff (-60 dB or so).
    assert v["spectrum.cutoff_drop_db"] >= 45.0
    assert v["spectrum.cutoff_slope_db"] >= 40.0  # a filter's cliff


def test_a_gentle_low_pass_is_a_slope_not_a_cliff() -> None:
    """A 4th-order low-pass (24 dB per octave: a tone control, a dark synth) falls far
    enough to have a cutoff, but not as steeply as an encoder's (TB009 wants 20 dB)."""
    sos = signal.butter(4, 8000.0, fs=44100, output="sos")
    x = signal.sosfilt(sos, coloured_noise(6.0, 44100, 0.5), axis=0).astype(np.float32)
    v = analyse(x, 44100).values
    assert v["spectrum.cutoff_hz"] is not None
    assert v["spectrum.cutoff_slope_db"] < 20.0


@pytest.mark.parametrize(
    ("rate", "exponent"), [(44100, 1.0), (48000, 0.0), (44100, 2.0), (192000, 0.0), (8000, 0.0)]
)
def test_no_cutoff_when_the_spectrum_reaches_nyquist(rate: int, exponent: float) -> None:
    # Brown noise (exponent 2) falls 6 dB per octave: steep for music, still not a cutoff.
    v = analyse(coloured_noise(6.0, rate, exponent), rate).values
    assert v["spectrum.cutoff_hz"] is None
    assert v["spectrum.cutoff_drop_db"] is None
    assert v["spectrum.cutoff_slope_db"] is None


def test_a_low_pass_in_the_chain_cuts_every_passage() -> None:
    v = analyse(coloured_noise(12.0, 44100, 1.0, top_hz=11000)).values
    assert v["spectrum.cutoff_segments_pct"] == 100.0


def test_a_cliff_in_some_passages_only_is_not_the_chain_s() -> None:
    """Loud passages low-passed at 5 kHz (a synth's filter) between quiet full-band ones:
    the long-term spectrum ends in the cliff, but half of the passages do not."""
    rate = 44100
    loud = coloured_noise(12.0, rate, 1.0, top_hz=5000, seed=2)
    quiet = coloured_noise(12.0, rate, 1.0, seed=3) * 10 ** (-35 / 20)
    second = np.arange(loud.size) / rate
    x = np.where((second // 3) % 2 == 0, loud, quiet)
    v = analyse(x).values
    assert v["spectrum.cutoff_hz"] == pytest.approx(5000, rel=0.05)
    assert v["spectrum.cutoff_segments_pct"] == 50.0


def test_tilt_ignores_the_bands_above_a_cutoff() -> None:
    v = analyse(coloured_noise(6.0, 44100, 1.0, top_hz=11000)).values
    assert v["spectrum.cutoff_hz"] == pytest.approx(11000, rel=0.04)
    assert v["spectrum.tilt_db_per_octave"] == pytest.approx(0.0, abs=0.2)


# -- resonances ----------------------------------------------------------------------------
@pytest.mark.parametrize(("f0_hz", "q"), [(2000.0, 8.0), (800.0, 6.0), (5000.0, 12.0)])
def test_resonance_in_music_is_found(f0_hz: float, q: float) -> None:
    x = peaking_eq(music_like(20.0, 44100), 44100, f0_hz, gain_db=12.0, q=q)
    v = analyse(x).values
    assert v["spectrum.resonance_hz"] == pytest.approx(f0_hz, rel=0.03)
    assert 7.0 <= v["spectrum.resonance_prominence_db"] <= 13.0
    # Measured at half the prominence, like the EQ's own bandwidth; the median it is measured
    # against is lifted a little by the skirts, so allow a broad match.
    assert q / 1.5 <= v["spectrum.resonance_q"] <= q * 1.6
    assert v["spectrum.resonance_persistence_pct"] >= 90.0
    assert v["spectrum.resonances"][0][0] == pytest.approx(v["spectrum.resonance_hz"])
    # An EQ bump has no note an octave below it (TB010 reads this: under 10 dB).
    assert v["spectrum.resonance_suboctave_db"] < 10.0


def test_a_peak_on_a_held_note_s_second_partial_reads_the_note_below() -> None:
    """The octave below a peak is read from the spectrum with its lines kept."""
    centres = 100.0 * 2.0 ** (np.arange(4 * 48) / 48)
    excess = np.zeros(centres.size)
    excess[150] = 12.0  # the peak the search finds
    partials = np.zeros(centres.size)
    partials[102] = 18.0  # a line 1/48 octave off half its frequency (cell 102 = 150 - 48)
    (found,) = resonances(excess, centres, np.full(centres.size, 100.0), (100.0, 2000.0),
                          partials_db=partials, cells_per_octave=48)
    assert found.suboctave_db == 18.0
    (low,) = resonances(np.roll(excess, -120), centres, np.full(centres.size, 100.0),
                        (100.0, 2000.0), partials_db=partials, cells_per_octave=48)
    assert low.suboctave_db is None  # the octave below lies off the grid


@pytest.mark.parametrize("seed", [5, 6])
def test_recurring_notes_are_not_resonances(seed: int) -> None:
    """Notes and chords peak in the long-term spectrum but are lines, and they come and go."""
    v = analyse(music_like(20.0, 44100, seed=seed)).values
    assert v["spectrum.resonances"] == []
    assert v["spectrum.resonance_hz"] is None


def test_flat_noise_has_no_resonance() -> None:
    v = analyse(coloured_noise(10.0, 44100, 1.0)).values
    assert v["spectrum.resonances"] == []


# -- sample rates, silence, streaming ------------------------------------------------------
def test_bands_above_nyquist_are_none_at_8_khz() -> None:
    v = analyse(coloured_noise(5.0, 8000, 0.0), 8000).values
    third = dict(zip(THIRD_OCTAVE_NOMINAL_HZ, v["spectrum.third_octave_db"], strict=True))
    assert third[3150] is not None and third[4000] is not None  # centre 3981 Hz < 4000 Hz
    assert all(third[f] is None for f in THIRD_OCTAVE_NOMINAL_HZ if f >= 5000)
    assert v["spectrum.presence_db"] is None and v["spectrum.brilliance_db"] is None
    assert v["spectrum.high_mid_db"] is not None
    assert v["spectrum.tilt_db_per_octave"] == pytest.approx(3.01, abs=0.3)


@pytest.mark.parametrize("rate", [8000, 22050, 192000])
def test_frame_length_keeps_the_resolution(rate: int) -> None:
    n = frame_length(rate)
    assert n % 2 == 0
    assert rate / n == pytest.approx(44100 / 8192, rel=0.03)


def test_silence_gives_undefined_spectrum() -> None:
    m = analyse(np.zeros((44100 * 4, 2)))
    for spec in SPECTRUM_SPECS:
        if spec.name != "spectrum.third_octave_centers_hz":
            assert m.values[spec.name] in (None, []), spec.name
    assert all(np.all(np.isnan(s)) for name, s in m.series.items() if name.startswith("spectrum"))
    assert any("no energy" in note for note in m.notes)


def test_silent_windows_are_nan_and_loud_ones_defined() -> None:
    x = np.concatenate([coloured_noise(5.0, 44100, 1.0), np.zeros(44100 * 5)])
    series = analyse(x).series["spectrum.mid_db"]
    assert not np.isnan(series[0]) and np.isnan(series[-1])


def test_windows_follow_the_music() -> None:
    """Dark first half, bright second half: the per-window band levels say where."""
    dark = coloured_noise(6.0, 44100, 2.0, seed=2)
    bright = coloured_noise(6.0, 44100, 0.0, seed=3)
    m = analyse(np.concatenate([dark, bright]))
    n_windows = len(TimeGrid(44100).windows(TimeGrid(44100).n_ticks(12 * 44100)))
    for series in m.series.values():
        assert len(series) == n_windows
    bass, brilliance = m.series["spectrum.bass_db"], m.series["spectrum.brilliance_db"]
    assert bass[0] > bass[-1] + 10 and brilliance[-1] > brilliance[0] + 20
    assert m.series["spectrum.centroid_hz"][-1] > 5 * m.series["spectrum.centroid_hz"][0]


@pytest.mark.parametrize("block", [1000, 4097, 300000])
def test_block_size_does_not_change_results(block: int) -> None:
    x = np.stack([music_like(7.0, 44100), coloured_noise(7.0, 44100, 1.0)], axis=1)
    reference, other = analyse(x, block=65536), analyse(x, block=block)
    for name, value in reference.values.items():
        if isinstance(value, float):
            assert other.values[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
        else:
            assert np.allclose(
                np.array(other.values[name], dtype=float), np.array(value, dtype=float),
                rtol=1e-5, equal_nan=True,
            ), name
    for name, series in reference.series.items():
        assert np.allclose(other.series[name], series, rtol=1e-5, equal_nan=True), name


@pytest.mark.parametrize("seconds", [0.05, 0.5, 2.9, 3.05])
def test_short_files(seconds: float) -> None:
    m = analyse(coloured_noise(seconds, 44100, 0.0))
    assert m.values["spectrum.tilt_db_per_octave"] == pytest.approx(3.0, abs=1.0)
    n_windows = len(TimeGrid(44100).windows(TimeGrid(44100).n_ticks(int(seconds * 44100))))
    assert all(len(s) == n_windows for s in m.series.values())


# -- sibilance ----------------------------------------------------------------------------
def band_noise(seconds: float, rate: int, lo_hz: float, hi_hz: float, seed: int) -> np.ndarray:
    """Gaussian noise band-passed to [lo_hz, hi_hz] (4th-order Butterworth), unit RMS."""
    rng = np.random.default_rng(seed)
    sos = signal.butter(4, [lo_hz, hi_hz], btype="bandpass", fs=rate, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal(int(seconds * rate)))
    return x / np.sqrt(np.mean(x**2))


def voice_like(seconds: float, rate: int, seed: int = 11) -> np.ndarray:
    """A sung line: 300 ms syllables of a 40-harmonic tone (~ -12 dB/octave above its
    fundamental, so little energy above 4 kHz) separated by 100 ms rests, ~ -20 dBFS RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = rng.choice([196.0, 220.0, 247.0, 262.0, 294.0], size=int(seconds / 0.4) + 1)
    phase = 2 * np.pi * np.cumsum(f0[(t / 0.4).astype(int)]) / rate
    tone = sum(np.sin(h * phase) / h**2 for h in range(1, 41))
    gate = ((t % 0.4) < 0.3) * np.sin(np.pi * np.minimum((t % 0.4) / 0.3, 1.0)) ** 0.5
    x = tone * gate
    return 0.1 * x / np.sqrt(np.mean(x**2))


def with_bursts(x: np.ndarray, rate: int, burst: np.ndarray, every_s: float, length_s: float,
                level_db: float) -> np.ndarray:
    """Add ``length_s`` pieces of ``burst`` (Hann-shaped) every ``every_s`` seconds, their RMS
    ``level_db`` relative to the RMS of ``x``."""
    out = x.copy()
    n = int(length_s * rate)
    shape = np.hanning(n)
    gain = np.sqrt(np.mean(x**2)) * 10 ** (level_db / 20) / np.sqrt(np.mean(shape**2))
    for start in range(int(0.3 * rate), len(x) - n, int(every_s * rate)):
        out[start : start + n] += gain * shape * burst[start : start + n]
    return out


def test_sibilant_bursts_read_higher_than_the_plain_voice() -> None:
    """6-9 kHz bursts of 100 ms in the rests between syllables: the "s" of a voice."""
    rate = 44100
    voice = voice_like(8.0, rate)
    hiss = band_noise(8.0, rate, 6000.0, 9000.0, seed=3)
    plain = analyse(voice).values
    spitting = analyse(with_bursts(voice, rate, hiss, 0.8, 0.1, level_db=0.0))
    assert spitting.values["spectrum.sibilance_db"] > 10.0
    assert spitting.values["spectrum.sibilance_db"] > plain["spectrum.sibilance_db"] + 15.0
    assert 6000.0 < spitting.values["spectrum.sibilance_hz"] < 9000.0
    # Every window holds bursts, so every window reads them.
    assert np.all(spitting.series["spectrum.sibilance_db"] > 10.0)


@pytest.mark.parametrize("every_s", [0.125, 0.25])
def test_hats_and_cymbals_are_not_sibilance(every_s: float) -> None:
    """Hi-hat hits (noise from 5 kHz to Nyquist, 60 ms) as loud as the bursts above, and a
    steady cymbal wash: their energy reaches 16 kHz and beyond, so the air band holds them."""
    rate = 44100
    voice = voice_like(8.0, rate)
    hats_noise = band_noise(8.0, rate, 5000.0, 21000.0, seed=4)
    hats = analyse(with_bursts(voice, rate, hats_noise, every_s, 0.06, level_db=0.0)).values
    wash = analyse(voice + 0.3 * np.sqrt(np.mean(voice**2)) * hats_noise).values
    sibilant = analyse(
        with_bursts(voice, rate, band_noise(8.0, rate, 6000.0, 9000.0, seed=3), 0.8, 0.1, 0.0)
    ).values
    for value in (hats["spectrum.sibilance_db"], wash["spectrum.sibilance_db"]):
        assert value < 0.0
        assert value < sibilant["spectrum.sibilance_db"] - 10.0


def test_sibilance_is_undefined_below_a_20_khz_sample_rate() -> None:
    m = analyse(voice_like(4.0, 16000), rate=16000)
    assert m.values["spectrum.sibilance_db"] is None
    assert m.values["spectrum.sibilance_hz"] is None
    assert np.all(np.isnan(m.series["spectrum.sibilance_db"]))


# -- catalogue -----------------------------------------------------------------------------
def test_provides_exactly_the_spectrum_and_stereo_catalogue() -> None:
    names = {spec.name for spec in SPECTRUM_SPECS + STEREO_SPECS}
    assert set(family("spectrum").provides) == names
    assert names <= set(CATALOGUE)
    m = analyse(np.stack([sine(440, 4, 44100)] * 2, axis=1))
    assert set(m.values) == names
    windowed = {s.name for s in SPECTRUM_SPECS + STEREO_SPECS if s.scope != "track"}
    assert set(m.series) == windowed


@pytest.mark.parametrize("spec", SPECTRUM_SPECS + STEREO_SPECS, ids=lambda s: s.name)
def test_every_descriptor_is_documented(spec) -> None:
    assert spec.unit and spec.meaning and len(spec.method) > 20
    assert spec.stereo_only == spec.name.startswith("stereo.")
