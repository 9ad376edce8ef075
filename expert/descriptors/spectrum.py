"""Catalogue entries of the spectrum descriptors, and the band edges they are defined on.

The band edges live here (plain data, no signal processing) so that the analyzer, the stereo
catalogue and the rules all refer to one definition of "sub", "bass", ... and of the 1/3-octave
bands.
"""

from __future__ import annotations

from expert.descriptors.spec import DescriptorSpec, Gate

#: The range every relative level refers to ("the whole"), in Hz.
AUDIBLE_HZ: tuple[float, float] = (20.0, 20000.0)

#: IEC 61260-1 base-10 1/3-octave bands: exact midband f_m = 1000 * 10**(x / 10) Hz and edges
#: f_m * 10**(+-1 / 20), for x = -17 .. 13 (the 31 bands whose nominal centres run 20 Hz-20 kHz).
THIRD_OCTAVE_INDICES: tuple[int, ...] = tuple(range(-17, 14))
#: Nominal (labelling) midband frequencies of those bands, IEC 61260-1 / ISO 266.
THIRD_OCTAVE_NOMINAL_HZ: tuple[float, ...] = (
    20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
    1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
)
#: Nominal range of the 1/3-octave bands the spectral tilt is fitted over.
TILT_RANGE_HZ: tuple[float, float] = (31.5, 16000.0)

#: The named bands (Hz, lower edge inclusive): together they tile 20 Hz-20 kHz.
NAMED_BANDS_HZ: dict[str, tuple[float, float]] = {
    "sub": (20.0, 60.0),
    "bass": (60.0, 250.0),
    "low_mid": (250.0, 500.0),
    "mid": (500.0, 2000.0),
    "high_mid": (2000.0, 4000.0),
    "presence": (4000.0, 6000.0),
    "brilliance": (6000.0, 20000.0),
}

#: Below the lowest note of a 4-string bass (E1, 41.2 Hz): the 20, 25 and 31.5 Hz 1/3-octave
#: bands (IEC 61260-1 upper edge of the 31.5 Hz band: 35.5 Hz). Little music lives here;
#: rumble (stands, traffic, wind, handling noise, untreated synth subs) does.
DEEP_SUB_HZ: tuple[float, float] = (20.0, 35.48)
#: Infrasound: under the 20 Hz where ISO 226:2003's equal-loudness contours begin and under
#: the lowest piano note (A0, 27.5 Hz). No instrument's fundamental lies here but the 32-foot
#: organ stop's (down to C0 = 16.4 Hz); rumble that reaches the microphones (traffic, wind,
#: handling, stands) does. The lower edge keeps two 5.4 Hz bins from DC, where the Hann
#: window has its null.
INFRASONIC_HZ: tuple[float, float] = (10.0, 20.0)

ROLLOFF_FRACTION = 0.95
#: A cutoff is where the long-term spectrum stays this far below its level an octave lower.
CUTOFF_DROP_DB = 30.0
#: A fall deeper than this (down to digital silence) reads this.
CUTOFF_MAX_DROP_DB = 120.0
#: Where cutoffs are searched: above this, and below this fraction of the Nyquist frequency
#: (the last 10 % below Nyquist is the anti-alias filter's slope in every recording).
CUTOFF_MIN_HZ = 2000.0
CUTOFF_MAX_NYQUIST = 0.9
#: Resonance search range and the thresholds that make a peak a resonance.
#: Where rooms, instrument bodies, shells and boosted EQ bands ring: up to the top of the
#: 5 kHz 1/3-octave band. Above it a steady narrow peak is a synth line, an encoder's or
#: an oscillator's tone, or the air and sibilance the treble rules judge (real-dev: all
#: four sources whose clean masters held one, 7.5-11 kHz).
RESONANCE_RANGE_HZ: tuple[float, float] = (40.0, 6300.0)
RESONANCE_MIN_PROMINENCE_DB = 6.0
RESONANCE_MIN_PERSISTENCE_PCT = 75.0
RESONANCE_MAX_COUNT = 5
#: Peaks narrower than this are single partials (a Hann main lobe spans 4 bins = 21.5 Hz at the
#: 5.4 Hz resolution), removed before the resonance search.
PARTIAL_WIDTH_HZ = 32.0
#: Sibilance: the band of the fricatives /s/, /z/, /sh/ (de-esser detection band), the bands it
#: is compared with, the air band's weight, frame length at 44.1 kHz, smoothing and percentile.
SIBILANCE_BAND_HZ: tuple[float, float] = (5000.0, 10000.0)
SIBILANCE_HIGH_MID_HZ: tuple[float, float] = (1000.0, 4000.0)
SIBILANCE_AIR_HZ: tuple[float, float] = (10000.0, 16000.0)
#: The sibilance band must exceed the air band by 6 dB (x4 in power): hats and cymbals spread
#: their energy to 16 kHz and beyond, fricatives fall off above 10 kHz.
SIBILANCE_AIR_WEIGHT = 4.0
SIBILANCE_FRAME_AT_44K1 = 1024
SIBILANCE_SMOOTH_FRAMES = 3
SIBILANCE_PERCENTILE = 99.0
#: Level floor of relative band levels: a band holding no energy at all reads this.
LEVEL_FLOOR_DB = -120.0
#: Windows and segments quieter than this (RMS over the channels) are silent: no spectrum or
#: stereo value for them (the BS.1770 absolute gate and Essentia's detectors use -70 too).
SILENCE_DBFS = -70.0

_REFS_BANDS = (
    "IEC 61260-1:2014, Electroacoustics - Octave-band and fractional-octave-band filters",
    "ISO 266:1997, Acoustics - Preferred frequencies",
)
_REF_WELCH = (
    "P. D. Welch, The use of fast Fourier transform for the estimation of power spectra, "
    "IEEE Trans. Audio Electroacoustics 15(2), 1967"
)
_REF_PEETERS = (
    "G. Peeters, A large set of audio features for sound description, CUIDADO project "
    "report, IRCAM, 2004"
)
_REF_SERRA = (
    "J. Serra, Image Analysis and Mathematical Morphology, Academic Press, 1982 (opening)"
)
_REF_RBJ = "R. Bristow-Johnson, Cookbook formulae for audio EQ biquad filter coefficients"
_REF_ISO226 = "ISO 226:2003, Acoustics - Normal equal-loudness-level contours (from 20 Hz)"

_LTAS = (
    "Long-term average spectrum: Welch average of Hann-windowed STFT frames (186 ms, "
    "50 % overlap, 5.4 Hz bins at any rate), power averaged over L and R; band powers by "
    "fractional overlap of each bin's band with the band. "
)


def _hz(value: float) -> str:
    return f"{value / 1000:g} kHz" if value >= 1000 else f"{value:g} Hz"


def _named_band_spec(name: str, lo_hz: float, hi_hz: float) -> DescriptorSpec:
    return DescriptorSpec(
        name=f"spectrum.{name}_db", unit="dB", scope="both",
        meaning=(
            f"Share of the {name.replace('_', '-')} band ({_hz(lo_hz)}-{_hz(hi_hz)}) in the "
            f"power 20 Hz-20 kHz (<= 0; -3 dB = half of it)."
        ),
        method=(
            _LTAS + f"10*log10(power {_hz(lo_hz)}-{_hz(hi_hz)} / power 20 Hz-20 kHz), floored at "
            f"{LEVEL_FLOOR_DB:g} dB; null when the band lies above the Nyquist frequency or the "
            f"window is silent (below {SILENCE_DBFS:g} dBFS RMS)."
        ),
        references=(_REF_WELCH,),
    )


SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="spectrum.third_octave_db", unit="dB", kind="list",
        meaning=(
            "Long-term spectrum in the 31 1/3-octave bands 20 Hz-20 kHz, each relative to the "
            "power 20 Hz-20 kHz."
        ),
        method=(
            _LTAS + "IEC 61260-1 base-10 band edges f_m * 10**(+-1/20); 10*log10(band power / "
            f"power 20 Hz-20 kHz), floored at {LEVEL_FLOOR_DB:g} dB; a band whose centre lies "
            "above the Nyquist frequency is null. Below ~80 Hz the bands are narrower than the "
            "frame's resolution (Hann main lobe 21 Hz) and share energy with their neighbours."
        ),
        references=_REFS_BANDS + (_REF_WELCH,),
    ),
    DescriptorSpec(
        name="spectrum.third_octave_centers_hz", unit="Hz", kind="list",
        meaning="Nominal centre frequencies of spectrum.third_octave_db, for labelling.",
        method="IEC 61260-1 / ISO 266 nominal midband frequencies 20, 25, 31.5, ... 20000 Hz.",
        references=_REFS_BANDS,
    ),
    *(_named_band_spec(name, lo, hi) for name, (lo, hi) in NAMED_BANDS_HZ.items()),
    DescriptorSpec(
        name="spectrum.deep_sub_db", unit="dB", scope="both",
        meaning=(
            f"Share of {DEEP_SUB_HZ[0]:g}-{DEEP_SUB_HZ[1]:.1f} Hz (below the lowest bass-guitar "
            "note, E1 = 41.2 Hz) in the power 20 Hz-20 kHz: where rumble lives."
        ),
        method=(
            _LTAS + f"10*log10(power {DEEP_SUB_HZ[0]:g}-{DEEP_SUB_HZ[1]:.2f} Hz / power 20 Hz-20 "
            f"kHz), floored at {LEVEL_FLOOR_DB:g} dB; the range is the 20, 25 and 31.5 Hz "
            "1/3-octave bands (IEC 61260-1 edges). At 5.4 Hz resolution the Hann main lobe "
            "(21 Hz) lets a strong 40-45 Hz note leak a few per cent of its power into it."
        ),
        references=_REFS_BANDS + (_REF_WELCH,),
    ),
    DescriptorSpec(
        name="spectrum.infrasonic_db", unit="dB", scope="both",
        meaning=(
            f"Power {INFRASONIC_HZ[0]:g}-{INFRASONIC_HZ[1]:g} Hz (infrasound: below hearing's "
            "equal-loudness contours and every note but the 32-foot organ stop) against the "
            "power 20 Hz-20 kHz: rumble that reached the recording, inaudible but taking headroom."
        ),
        method=(
            _LTAS + f"10*log10(power {INFRASONIC_HZ[0]:g}-{INFRASONIC_HZ[1]:g} Hz / power 20 "
            f"Hz-20 kHz), floored at {LEVEL_FLOOR_DB:g} dB. The lowest bin used is two bins "
            "(10.8 Hz) from DC, where the periodic Hann window has its first null, so a DC "
            "offset leaks in only through the steps at the file's ends (-31 dB re its power "
            "in a 10 s file, less in a longer one). "
            "The 21.5 Hz bin counts for its part below 20 Hz, so a note at 27.5 Hz (A0) leaks "
            "about 3 % of its power into the band, one at 31 Hz 0.1 %."
        ),
        references=_REFS_BANDS + (_REF_WELCH, _REF_ISO226),
    ),
    DescriptorSpec(
        name="spectrum.tilt_db_per_octave", unit="dB/oct", scope="both",
        meaning=(
            "Overall slope of the spectrum: 0 = pink (equal power per octave), +3 = white, "
            "typical mixes -3 to -5 (darker is more negative)."
        ),
        method=(
            "Least-squares slope of the 1/3-octave band levels (dB) against log2 of the band "
            "centre, over the bands 31.5 Hz-16 kHz whose upper edge lies below both the Nyquist "
            "frequency and spectrum.cutoff_hz (a band-limited source would otherwise read as "
            "dark); pink noise has equal power per band, so 0; white noise gains 10*log10(2) = "
            "3.01 dB per octave."
        ),
        references=_REFS_BANDS,
    ),
    DescriptorSpec(
        name="spectrum.centroid_hz", unit="Hz", scope="both",
        meaning="Power-weighted mean frequency 20 Hz-20 kHz: higher = brighter.",
        method=_LTAS + "sum(f * P(f)) / sum(P(f)) over the bins 20 Hz-20 kHz.",
        references=(_REF_PEETERS,),
    ),
    DescriptorSpec(
        name="spectrum.rolloff_hz", unit="Hz", scope="both",
        meaning=(
            f"Frequency below which {ROLLOFF_FRACTION:.0%} of the power 20 Hz-20 kHz lies."
        ),
        method=(
            "Cumulative power of the 1/3-octave bands from 20 Hz; the crossing of "
            f"{ROLLOFF_FRACTION:.0%} of their sum is interpolated geometrically inside its band "
            "(the same computation for the track and for each window)."
        ),
        references=(_REF_PEETERS,),
    ),
    DescriptorSpec(
        name="spectrum.cutoff_hz", unit="Hz",
        gate=Gate(minimum=CUTOFF_MIN_HZ, reason=(
            "cutoffs are searched from there up; lower, a falling spectrum is the music's own")),
        meaning=(
            "Effective bandwidth of a band-limited source (lossy encode, upsampled or telephone "
            "audio); null when the spectrum reaches the Nyquist frequency."
        ),
        method=(
            "Long-term power spectral density on a 1/48-octave grid; the lowest frequency "
            f"f >= {_hz(CUTOFF_MIN_HZ)} (and <= {CUTOFF_MAX_NYQUIST:g} x Nyquist) above which "
            f"every grid cell up to Nyquist stays at least {CUTOFF_DROP_DB:g} dB below the mean "
            "density of the half octave around f/2. Natural high-frequency roll-off of music "
            "(6-12 dB per octave) does not qualify; an encoder low-pass or resampling filter does."
        ),
    ),
    DescriptorSpec(
        name="spectrum.cutoff_drop_db", unit="dB",
        gate=Gate(minimum=CUTOFF_DROP_DB, maximum=CUTOFF_MAX_DROP_DB, reason=(
            "a smaller fall is no cutoff (spectrum.cutoff_hz is null); digital silence reads "
            "the cap")),
        meaning="How far the spectrum falls above spectrum.cutoff_hz (null without a cutoff).",
        method=(
            "Mean density of the half octave around cutoff/2 minus the median density of the "
            f"grid cells from the cutoff to Nyquist, capped at {CUTOFF_MAX_DROP_DB:g} dB (digital "
            "silence)."
        ),
    ),
    DescriptorSpec(
        name="spectrum.cutoff_slope_db", unit="dB",
        meaning="How steeply the spectrum falls at spectrum.cutoff_hz: a filter's cliff (an "
                "encoder's or resampler's low-pass) against a dark recording's roll-off (null "
                "without a cutoff).",
        method=(
            "Mean density of the grid cells from a quarter to a twelfth of an octave below the "
            "cutoff minus that of the cells from a twelfth to a quarter of an octave above it, "
            f"capped at {CUTOFF_MAX_DROP_DB:g} dB: the fall across a third of an octave, the "
            "transition band left out."
        ),
    ),
    DescriptorSpec(
        name="spectrum.cutoff_segments_pct", unit="%",
        meaning="Share of the song whose own spectrum ends in a cliff: an encoder's or a "
                "resampler's low-pass is in every passage, a synth's filter only while that "
                "sound plays (null without a cutoff).",
        method=(
            "Non-overlapping 3 s windows (every third of the windows, silent ones left out), "
            "each window's power on the cutoff's 1/48-octave grid put to the cutoff test of "
            "spectrum.cutoff_hz; the percentage of windows in which it finds a cutoff, at any "
            "frequency."
        ),
    ),
    DescriptorSpec(
        name="spectrum.sibilance_db", unit="dB", scope="both",
        meaning=(
            f"How far the loudest short {_hz(SIBILANCE_BAND_HZ[0])}-{_hz(SIBILANCE_BAND_HZ[1])} "
            "bursts (the 's' of a voice) stand above the high mids around them: > 0 the bursts "
            "are louder than the high-mid band; a de-essed vocal stays near or below 0."
        ),
        method=(
            f"Hann STFT of ~23 ms ({SIBILANCE_FRAME_AT_44K1} samples at 44.1 kHz, 50 % overlap), "
            "power averaged over L and R; band powers smoothed over "
            f"{SIBILANCE_SMOOTH_FRAMES} frames (~46 ms, shorter than any sibilant); per frame "
            f"10*log10(P {_hz(SIBILANCE_BAND_HZ[0])}-{_hz(SIBILANCE_BAND_HZ[1])} / max(P "
            f"{_hz(SIBILANCE_HIGH_MID_HZ[0])}-{_hz(SIBILANCE_HIGH_MID_HZ[1])}, "
            f"{SIBILANCE_AIR_WEIGHT:g} x P {_hz(SIBILANCE_AIR_HZ[0])}-{_hz(SIBILANCE_AIR_HZ[1])}))"
            f": the band must stand above the high mids (a de-esser's split-band detector) and "
            "6 dB above the air band (hats and cymbals reach 16 kHz and beyond, fricatives fall "
            f"off above 10 kHz). The value is the {SIBILANCE_PERCENTILE:g}th percentile over the "
            f"frames whose 1-16 kHz power reaches {SILENCE_DBFS:g} dBFS, over the file or the 3 s "
            "window, i.e. the level the bursts exceed during 1 % of the time: steady brightness, "
            "hiss and shelf boosts move the median, not the bursts. Null when the Nyquist "
            f"frequency is below {_hz(SIBILANCE_BAND_HZ[1])}."
        ),
        references=(
            "ISO 226:2003 (the ear's sensitivity peaks at 2-5 kHz, so 5-10 kHz bursts above the "
            "high mids are heard as sharp)",
            "K. N. Stevens, Acoustic Phonetics, MIT Press, 1998 (spectra of fricative consonants)",
        ),
    ),
    DescriptorSpec(
        name="spectrum.sibilance_hz", unit="Hz",
        meaning="Where the sibilant bursts sit: the frequency a de-esser should listen at.",
        method=(
            f"Power-weighted mean frequency within {_hz(SIBILANCE_BAND_HZ[0])}-"
            f"{_hz(SIBILANCE_BAND_HZ[1])} over the frames whose sibilance ratio reaches "
            "spectrum.sibilance_db (see there); null when that is null."
        ),
    ),
    DescriptorSpec(
        name="spectrum.resonance_hz", unit="Hz",
        meaning="Frequency of the strongest persistent narrow peak (resonance); null if none.",
        method=(
            "For each non-silent 1 s segment: its spectrum with single partials removed (a "
            f"morphological opening over {PARTIAL_WIDTH_HZ:g} Hz: min then max, which erases "
            "peaks narrower than that, i.e. the lines of notes and hum, and keeps broader bumps), "
            "on a 1/48-octave grid, minus its running median over one octave; these excesses "
            f"(dB) are averaged over the segments. A local maximum {_hz(RESONANCE_RANGE_HZ[0])}-"
            f"{_hz(RESONANCE_RANGE_HZ[1])} is a resonance when that average reaches "
            f"{RESONANCE_MIN_PROMINENCE_DB:g} dB and it stood >= 3 dB out in at least "
            f"{RESONANCE_MIN_PERSISTENCE_PCT:g} % of the segments: a resonance (room, body of an "
            "instrument, ringing drum, EQ boost) colours whatever plays, while notes are lines "
            "and come and go. Limits: a resonance narrower than ~32 Hz is taken for a partial, "
            "so below ~300 Hz only broad ones (Q < f / 32 Hz) are found (band levels catch bass "
            "boom); above the range, where a steady narrow peak is a synth's, an encoder's or "
            "the air band's, none is looked for; a lone test tone leaves a sidelobe bump and is "
            "reported. Frequency refined "
            "by parabolic interpolation; peaks closer than 1/6 octave merge."
        ),
        references=(_REF_WELCH, _REF_SERRA),
    ),
    DescriptorSpec(
        name="spectrum.resonance_prominence_db", unit="dB",
        gate=Gate(minimum=RESONANCE_MIN_PROMINENCE_DB,
                  reason="weaker peaks are not resonances: the descriptor is null"),
        meaning="How far the strongest resonance stands above the smoothed spectrum.",
        method="Average over the segments of the peak's excess over the one-octave running "
               "median (see spectrum.resonance_hz).",
    ),
    DescriptorSpec(
        name="spectrum.resonance_q", unit="Q",
        meaning="Sharpness of the strongest resonance: centre frequency / bandwidth.",
        method=(
            "f0 / (f_hi - f_lo), where f_lo and f_hi are where the averaged excess has fallen to "
            "half its peak in dB (the bandwidth convention of a peaking EQ, so a notch with this "
            "Q matches it; reads ~10-40 % high because the median is lifted by the skirts)."
        ),
        references=(_REF_RBJ,),
    ),
    DescriptorSpec(
        name="spectrum.resonance_persistence_pct", unit="%",
        gate=Gate(minimum=RESONANCE_MIN_PERSISTENCE_PCT, maximum=100.0, reason=(
            "peaks that stand out less often are not resonances: the descriptor is null")),
        meaning="Share of the non-silent seconds in which the strongest resonance stands out.",
        method=(
            "Percentage of the non-silent 1 s segments whose line-free spectrum is >= 3 dB above "
            "its own one-octave running median within 1/48 octave of the resonance."
        ),
    ),
    DescriptorSpec(
        name="spectrum.resonance_suboctave_db", unit="dB",
        meaning="How far the spectrum stands out an octave below the strongest resonance: a "
                "held note whose second partial made the peak shows its fundamental there; an "
                "EQ bump or a ringing body does not (null without a resonance, or when the "
                "octave below is off the grid).",
        method="The long-term spectrum on the same 1/48-octave grid, its lines kept (the "
               "resonance search removes them), in dB over its one-octave running median; the "
               "largest value within 1/24 octave of half the resonance's frequency.",
    ),
    DescriptorSpec(
        name="spectrum.key", unit="key", kind="text",
        meaning="The song's key, e.g. 'D minor' (null when no frame holds a tonal peak).",
        method="Essentia's HPCP (12 bins, whitened spectral peaks 25 Hz-3.5 kHz of "
               "4096-sample Hann frames at 44.1 kHz, one frame every 0.37 s of the mono sum) "
               "summed over the song, and Essentia's Key on it (bgate profiles), chained and "
               "set as Essentia's KeyExtractor chains them.",
        references=("E. Gómez, 'Tonal description of music audio signals', PhD thesis, "
                    "Universitat Pompeu Fabra, 2006",),
    ),
    DescriptorSpec(
        name="spectrum.key_strength", unit="coefficient",
        meaning="How well the pitch classes fit spectrum.key's profile (0-1; Essentia's key "
                "strength: above ~0.6 the music dwells clearly on one key).",
        method="The correlation of the mean HPCP with the key's profile (Essentia Key).",
        gate=Gate(minimum=-1.0, maximum=1.0, reason="a correlation coefficient"),
    ),
    DescriptorSpec(
        name="spectrum.resonance_key_degree", unit="semitones",
        meaning="Where the strongest resonance lies in the key: semitones (0-11) from the "
                "tonic up to the note nearest its frequency; 0 and 7, the tonic and the "
                "dominant, are where a pedal note is held (null without a resonance or key).",
        method="12 log2(f / 440 Hz) rounded to the nearest semitone, less the tonic's pitch "
               "class, modulo 12 (f the line's pitch, as for spectrum.resonance_cents); the "
               "tonic is that of the key estimated as spectrum.key's "
               "but from the registers (25-250-500-1000-2000-3500 Hz) more than a third of "
               "an octave from the resonance, which would pull the key to its own pitch.",
    ),
    DescriptorSpec(
        name="spectrum.resonance_cents", unit="cents",
        meaning="How far the strongest resonance lies from the nearest equal-tempered note "
                "(-50 to +50): a held note of tuned instruments within a few cents, a "
                "ringing body or an EQ band anywhere (null without a resonance).",
        method="1200 log2(f / 440 Hz) less the nearest multiple of 100 (A4 = 440 Hz, ISO 16); "
               "f is the resonance's frequency; below ~370 Hz, where the 1/48-octave cells of "
               "the resonance search are narrower than the FFT's bins, the strongest bin "
               "within two of it, placed by a parabola through its log power and its "
               "neighbours' (within 2 cents on a steady line at 98-310 Hz).",
        gate=Gate(minimum=-50.0, maximum=50.0, reason="the nearest note is within half a "
                                                        "semitone"),
    ),
    DescriptorSpec(
        name="spectrum.resonances", unit="[Hz, dB]", kind="list",
        meaning=(
            f"Up to {RESONANCE_MAX_COUNT} resonances as [frequency Hz, prominence dB], strongest "
            "first."
        ),
        method="As spectrum.resonance_hz, every peak that qualifies.",
    ),
)
