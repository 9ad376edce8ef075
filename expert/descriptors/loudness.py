"""Catalogue entries of the loudness descriptors (ITU-R BS.1770-4, EBU R 128).

The constants here are the one place for the measurement parameters; the analyzer
(``expert.features.loudness.analyzer``) imports them.
"""

from __future__ import annotations

from expert.descriptors.spec import DescriptorSpec, Gate

#: ITU-R BS.1770-4 eq. 2: loudness = -0.691 + 10 log10(sum of channel mean squares).
LOUDNESS_OFFSET_DB = -0.691
#: BS.1770-4 eq. 5 (and EBU Tech 3342): blocks at or below this never count.
ABSOLUTE_GATE_LUFS = -70.0
#: BS.1770-4 eq. 6: blocks more than 10 LU below the absolute-gated mean are dropped.
RELATIVE_GATE_LU = -10.0
#: EBU Tech 3342: relative gate of the loudness-range distribution.
LRA_RELATIVE_GATE_LU = -20.0
#: EBU Tech 3342: loudness range = 95th minus 10th percentile.
LRA_PERCENTILES = (10.0, 95.0)
#: Evaluation step of momentary and short-term loudness (s). EBU Tech 3341 cases 13-14
#: place 400 ms bursts at 20 ms offsets; a 100 ms step reads them up to 0.46 LU low.
LOUDNESS_STEP_S = 0.01
#: The mono fold-down loss when the fold-down cancels completely (a polarity-inverted
#: channel): the true loss is infinite; this finite number says "nothing is left".
MONO_FOLD_LOSS_CAP_DB = 60.0
#: A 100 ms tick whose true peak exceeds this is an "over" (clips a D/A converter).
OVER_LEVEL_DBTP = 0.0

_BS1770 = "ITU-R BS.1770-4 (2015), Annex 1"
_BS1770_TP = "ITU-R BS.1770-4 (2015), Annex 2"
_R128 = "EBU R 128 (2020)"
_TECH3341 = "EBU Tech 3341 (2016): 'EBU Mode' metering"
_TECH3342 = "EBU Tech 3342 (2016): Loudness Range"
_TECH3343 = "EBU Tech 3343 (2016): production guidelines (PLR)"
_K_WEIGHTED = (
    "K-weighting (BS.1770-4 Tables 1-2 at 48 kHz, same response at other rates), mean square "
    "summed over channels (L and R weight 1; a mono file is one channel), "
    "-0.691 + 10 log10(.)"
)
_TRUE_PEAK = (
    "4x oversampling below 88.2 kHz (2x below 176.4 kHz, none above) with a 12-tap-per-phase "
    "Kaiser-windowed sinc interpolator that keeps the original samples, largest |value|"
)
_WINDOW = "over the whole file (track) or the 3 s window (time-resolved)"

SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="loudness.integrated_lufs", unit="LUFS",
        meaning="Programme loudness of the whole file, as streaming services and R 128 measure it.",
        method=(
            f"{_K_WEIGHTED} over 400 ms blocks every 100 ms; blocks above "
            f"{ABSOLUTE_GATE_LUFS:g} LUFS, then those above the gated mean "
            f"{RELATIVE_GATE_LU:g} LU, are averaged. Null for silence or files under 400 ms."
        ),
        references=(_BS1770, _R128),
    ),
    DescriptorSpec(
        name="loudness.momentary_max_lufs", unit="LUFS", scope="both",
        meaning="Loudest 400 ms moment of the file (per window: inside the window).",
        method=(
            f"Maximum of the ungated momentary loudness ({_K_WEIGHTED}, 400 ms window) "
            f"evaluated every {LOUDNESS_STEP_S * 1000:g} ms; {_WINDOW}, over the 400 ms "
            "windows that lie inside it. Null under 400 ms or for silence."
        ),
        references=(_BS1770, _TECH3341),
    ),
    DescriptorSpec(
        name="loudness.short_term_max_lufs", unit="LUFS",
        meaning="Loudest 3 s passage of the file.",
        method=(
            f"Maximum of the ungated short-term loudness ({_K_WEIGHTED}, 3 s window) "
            f"evaluated every {LOUDNESS_STEP_S * 1000:g} ms. Null under 3 s or for silence."
        ),
        references=(_BS1770, _TECH3341),
    ),
    DescriptorSpec(
        name="loudness.range_lu", unit="LU",
        meaning="Loudness range (LRA): spread between the quiet and the loud passages.",
        method=(
            "Short-term loudness (3 s) every 100 ms; windows above "
            f"{ABSOLUTE_GATE_LUFS:g} LUFS and above their power mean {LRA_RELATIVE_GATE_LU:g} LU "
            f"are kept; {LRA_PERCENTILES[1]:g}th minus {LRA_PERCENTILES[0]:g}th percentile "
            "(linear interpolation). Null under 3 s or for silence."
        ),
        references=(_TECH3342, _R128),
    ),
    DescriptorSpec(
        name="loudness.short_term_lufs", unit="LUFS", scope="window",
        meaning="Loudness of each 3 s window, to locate loud and quiet passages.",
        method=f"{_K_WEIGHTED} over the window, ungated; null for a silent window.",
        references=(_BS1770, _TECH3341),
    ),
    DescriptorSpec(
        name="loudness.true_peak_dbtp", unit="dBTP", scope="both",
        meaning="Highest peak of the reconstructed (analog) signal, over both channels.",
        method=f"{_TRUE_PEAK}, {_WINDOW}; 0 dBTP = full scale. Null if every sample is zero.",
        references=(_BS1770_TP, _TECH3341),
    ),
    DescriptorSpec(
        name="loudness.true_peak_left_dbtp", unit="dBTP", stereo_only=True,
        meaning="True peak of the left channel.",
        method=f"{_TRUE_PEAK}, left channel, whole file.",
        references=(_BS1770_TP,),
    ),
    DescriptorSpec(
        name="loudness.true_peak_right_dbtp", unit="dBTP", stereo_only=True,
        meaning="True peak of the right channel.",
        method=f"{_TRUE_PEAK}, right channel, whole file.",
        references=(_BS1770_TP,),
    ),
    DescriptorSpec(
        name="loudness.true_peak_over_count", unit="count",
        meaning="How many 100 ms stretches have a true peak above 0 dBTP (inter-sample overs).",
        method=(
            f"Number of 100 ms ticks whose true peak ({_TRUE_PEAK}) over both channels exceeds "
            f"{OVER_LEVEL_DBTP:g} dBTP."
        ),
        references=(_BS1770_TP,),
    ),
    DescriptorSpec(
        name="loudness.sample_peak_dbfs", unit="dBFS", scope="both",
        meaning="Largest absolute sample value, over both channels.",
        method=f"20 log10(max |x|) {_WINDOW}; 0 dBFS = full scale. Null if every sample is zero.",
    ),
    DescriptorSpec(
        name="loudness.plr_db", unit="dB",
        meaning="Peak-to-loudness ratio: headroom of the peaks above the programme loudness; "
                "low values mean heavy limiting.",
        method="loudness.true_peak_dbtp - loudness.integrated_lufs; null if either is null.",
        references=(_TECH3343,),
    ),
    DescriptorSpec(
        name="loudness.rms_dbfs", unit="dBFS",
        meaning="Unweighted RMS level of the file (all channels pooled).",
        method=(
            "10 log10(mean of x^2 over every sample of every channel); 0 dBFS = a full-scale "
            "square wave, so a full-scale sine reads -3.01 dBFS. Null if every sample is zero."
        ),
    ),
    DescriptorSpec(
        name="loudness.crest_factor_db", unit="dB", scope="both",
        meaning="Peak-to-RMS ratio: how much the peaks stand above the average level.",
        method=(
            f"Sample peak (dBFS) minus unweighted RMS (dBFS, full-scale square = 0) {_WINDOW}; "
            "a sine reads 3.01 dB. Null for silence."
        ),
    ),
    DescriptorSpec(
        name="loudness.mono_integrated_lufs", unit="LUFS", stereo_only=True,
        meaning="Integrated loudness of the mono fold-down, as a mono playback system hears it.",
        method=(
            "The fold-down (L + R) / 2 fed to both channels, measured like "
            "loudness.integrated_lufs with its own gates; identical channels read the same as "
            "the stereo file. Null for mono files or when the fold-down is silent."
        ),
        references=(_BS1770,),
    ),
    DescriptorSpec(
        name="loudness.mono_fold_loss_db", unit="dB", stereo_only=True,
        gate=Gate(minimum=0.0, maximum=MONO_FOLD_LOSS_CAP_DB, reason=(
            "folding to mono never adds power; complete cancellation reads the cap")),
        meaning="Loudness lost when the stereo mix is folded to mono (0 = fully compatible, "
                "3 = unrelated channels, more = phase cancellation).",
        method=(
            "10 log10 of the K-weighted power of the stereo signal over that of the mono "
            "fold-down, both averaged over the 400 ms blocks kept by the stereo integrated "
            f"loudness gates; capped at {MONO_FOLD_LOSS_CAP_DB:g} dB (complete cancellation). "
            "Null for mono files or when the integrated loudness is null."
        ),
        references=(_BS1770,),
    ),
)
