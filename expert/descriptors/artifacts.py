"""Catalogue entries of the artifacts descriptors (``expert.features.artifacts.analyzer``)."""

from expert.descriptors.spec import DescriptorSpec

_VASEGHI = "Vaseghi & Rayner, 'Detection and suppression of impulsive noise in speech "\
    "communication systems', IEE Proc. I 137(1), 1990 (impulses in a prediction residual)"
_MARTIN = "Martin, 'Noise power spectral density estimation based on optimal smoothing and "\
    "minimum statistics', IEEE Trans. Speech Audio Process. 9(5), 2001"
_GODSILL = "Godsill & Rayner, Digital Audio Restoration, Springer 1998, ch. 5 (click detection)"
_ENTSOE = "ENTSO-E Operation Handbook, Policy 1 (frequency within +-50 mHz in normal operation)"
_ESSENTIA = "Essentia audio-problems detectors (SaturationDetector, ClickDetector, "\
    "GapsDetector, HumDetector, StartStopCut), checked in "\
    "tests/features/test_essentia_detectors.py"

SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="artifacts.dc_offset_left", unit="FS",
        meaning="Mean sample value of the left (or only) channel, signed fraction of full scale.",
        method="Sum of all samples / number of samples (float64 accumulator).",
    ),
    DescriptorSpec(
        name="artifacts.dc_offset_right", unit="FS", stereo_only=True,
        meaning="Mean sample value of the right channel, as a signed fraction of full scale.",
        method="Sum of all samples / number of samples; null for mono.",
    ),
    DescriptorSpec(
        name="artifacts.dc_offset_dbfs", unit="dBFS",
        meaning="The DC offset held through the file (a converter's or plug-in's constant "
                "offset), largest over channels, in dB re full scale; null when none is held.",
        method="Mean sample value per second of sound per channel (ticks of digital silence "
               "left out: an edited head or tail of zeros holds no offset); the 10th "
               "percentile of those means "
               "on the side of their median (the offset every second keeps, quiet ones "
               "included), 20 log10 of the largest over channels. The mean that asymmetric "
               "clipping or limiting leaves in loud passages only comes and goes and reads "
               "near 0 (the file mean, artifacts.dc_offset_left/right, keeps it).",
    ),
    DescriptorSpec(
        name="artifacts.clipped_samples", unit="count", scope="both",
        event_times="artifacts.clipped_times_s",
        meaning="Samples in runs stuck at the channel's extreme value (flat-topped peaks).",
        method="Runs of >= 3 consecutive samples within 2e-5 (relative) of the channel's most "
               "positive or most negative sample, when that extreme is above -6 dBFS; the file's "
               "own extreme, not full scale, so clipped-then-turned-down audio is caught. Lossy "
               "decodes and dithered or resampled audio do not keep flat tops and read 0. "
               "Window series: samples of runs starting in the window.",
        references=(_ESSENTIA,),
    ),
    DescriptorSpec(
        name="artifacts.clipped_runs", unit="count",
        event_times="artifacts.clipped_times_s",
        meaning="Number of clipped runs (flat-topped peaks), all channels and polarities.",
        method="As artifacts.clipped_samples, counting runs instead of samples.",
    ),
    DescriptorSpec(
        name="artifacts.clipped_times_s", unit="s", kind="list",
        meaning="Start times of the first 50 clipped runs.",
        method="As artifacts.clipped_samples; sorted, duplicates across channels merged.",
    ),
    DescriptorSpec(
        name="artifacts.click_count", unit="count", scope="both",
        event_times="artifacts.click_times_s",
        meaning="Impulsive discontinuities (clicks, pops, splices) in the programme.",
        method="3rd-order difference residual per channel; a 1 ms cell holds a click when its "
               "residual peak exceeds 4x (12 dB) every other residual peak within 25 ms on either "
               "side (the adjacent cells excepted) and 2e-3 FS: a one-off, where the sharp edges "
               "of music recur (drum hits, noise bursts, the period of a sawtooth bass, 25 ms at "
               "40 Hz); adjacent cells are one click. Edges of near-silence (dropouts, silence at "
               "the ends, under -60 dBFS within 2 ms) and corners of clipped runs are left to "
               "those descriptors. Impulses hidden under a simultaneous hi-hat or snare are "
               "missed, as they are by ear. Each such candidate is then judged on the samples "
               "around it (features/artifacts/declick.py), as a de-clicker does: an order-20 "
               "linear predictor fitted on the 23 ms before must leave an error >= 8x its RMS; "
               "the impulse, repaired over 7 samples, must stand >= 1.2x over the RMS envelope "
               "2-30 ms before and after it; and on the repaired signal Essentia's HFC onset "
               "function at the impulse must stay <= 2x its median over the frames before (a "
               "drum hit or pluck is an onset whose energy lasts; after a click the music goes "
               "on as before). Window series: clicks starting in the window.",
        references=(_VASEGHI, _GODSILL, _ESSENTIA),
    ),
    DescriptorSpec(
        name="artifacts.click_times_s", unit="s", kind="list",
        meaning="Times of the first 50 clicks (1 ms resolution).",
        method="As artifacts.click_count.",
    ),
    DescriptorSpec(
        name="artifacts.click_rate_per_min", unit="1/min",
        meaning="Clicks per minute of file duration.",
        method="artifacts.click_count / duration * 60.",
    ),
    DescriptorSpec(
        name="artifacts.dropout_count", unit="count", scope="both",
        event_times="artifacts.dropout_times_s",
        meaning="Gaps inside the programme: the signal drops to near silence and comes back.",
        method="Runs of 5 ms-1 s of 1 ms cells whose peak (all channels) stays under -60 dBFS, "
               "with peaks above -40 dBFS within 5 ms before and after; leading/trailing "
               "silence and fading reverb tails are not dropouts.",
        references=(_ESSENTIA,),
    ),
    DescriptorSpec(
        name="artifacts.dropout_total_s", unit="s",
        meaning="Total duration of the dropouts.",
        method="Sum of the dropout lengths (1 ms resolution).",
    ),
    DescriptorSpec(
        name="artifacts.dropout_times_s", unit="s", kind="list",
        meaning="Start times of the first 50 dropouts.",
        method="As artifacts.dropout_count.",
    ),
    DescriptorSpec(
        name="artifacts.hum_frequency_hz", unit="Hz",
        meaning="The mains family (50 or 60 Hz) whose lines stand out more; whether that is hum "
                "is for artifacts.hum_salience_db and artifacts.hum_family_salience_db to say. "
                "Null when nothing is measurable.",
        method="The family (50 or 60 Hz) with the highest of its saliences "
               "(artifacts.hum_salience_db, artifacts.hum_family_salience_db, "
               "artifacts.hum_fine_salience_db), reported "
               "whatever they are, so that the rule's thresholds decide.",
        references=(_ESSENTIA,),
    ),
    DescriptorSpec(
        name="artifacts.hum_salience_db", unit="dB",
        meaning="How far the strongest lasting mains line (50/60 Hz, 2nd or 3rd harmonic) stands "
                "over its neighbourhood in the quietest passages (about 0 without hum).",
        method="Each channel decimated to ~1.4 kHz, 1.5 s Hann segments (0.67 Hz bins), powers "
               "averaged over channels; the line power is the DFT exactly at the harmonic, kept "
               "only where it exceeds the power one bin below and above (a bass note 1 Hz away, "
               "e.g. G1 = 49 Hz, leaves the line at its background). Per line the smaller of: "
               "the 10th percentile over segments of the line power minus the quiet segments' "
               "background, and the median over quiet segments (within 6 dB of the quietest) of "
               "line minus background; the family's salience is its best of harmonics 1-3 "
               "(a lasting 300 Hz partial alone is not hum). A note that comes and goes has no "
               "lasting power; a drone exactly on 50/60 Hz reads as hum.",
        references=(_ENTSOE,),
    ),
    DescriptorSpec(
        name="artifacts.hum_family_salience_db", unit="dB",
        meaning="How far the mains family's harmonics stand over their neighbourhood together, "
                "in the typical passage: hum under music that never gets quiet (about 0 "
                "without hum).",
        method="As artifacts.hum_salience_db, but per line the median over all non-silent "
               "segments of line minus background, and the family's value the second-"
               "strongest of harmonics 1-3: two exact mains harmonics at once, which a bass "
               "line (one note at a time) rarely makes.",
        references=(_ENTSOE,),
    ),
    DescriptorSpec(
        name="artifacts.hum_fine_salience_db", unit="dB",
        meaning="As artifacts.hum_family_salience_db in bins eight times finer, less lines "
                "hum does not make: hum under bass so dense that it masks the 0.67 Hz bins "
                "(about 0 without hum; null under ~12 s of signal).",
        method="16384-sample Hann segments (~12 s, 0.085 Hz bins) of the decimated channels, "
               "overlapping by half; the line power the largest DFT at the harmonic for a grid "
               "-50..+50 mHz off nominal (ENTSO-E's normal band, times the harmonic), kept "
               "where it exceeds the DFT two bins beyond that band on both sides; background the "
               "mean of the lowest three quarters of the bins 0.5-3 Hz away. Per family the "
               "second-strongest of harmonics 1-3, median over segments, less the larger "
               "(when positive) of the other family's and of the lines at 1/2 and 3/2 of the "
               "mains: steady partials dense enough to fall on multiples of both 50 and 60 Hz, "
               "or on every multiple of 30 Hz, are not hum, which is one family.",
        references=(_ENTSOE,),
    ),
    DescriptorSpec(
        name="artifacts.hum_comb_db", unit="dB",
        meaning="How strongly a comb of steady lines through the hum family's harmonics 1-3 "
                "(a pattern repeating at an exact period: loops, programmed drums; lines 1-12 "
                "Hz apart) stands where the mains lines are: their neighbours at the comb's "
                "spacing. About 0-5 without such a comb; a mains line no stronger than its "
                "comb is the music's, not hum (null under ~12 s of signal).",
        method="The mean power spectrum of the fine salience's segments (0.085 Hz bins); a "
               "line is a local maximum over the median of the bins within 2 Hz (dB, 0 "
               "elsewhere), taken within one bin of where the comb puts it. Each of harmonics "
               "1-3 of the family read as the n-th line of a comb of spacing h f / n between "
               "1 and 12 Hz: the weakest of the comb's lines n-2, n-1, n+1, n+2; the "
               "family's value the best over harmonics and spacings.",
    ),
    DescriptorSpec(
        name="artifacts.hum_harmonics", unit="count",
        meaning="How many of the first 6 harmonics of the hum family are salient (>= 12 dB): "
                "mains hum brings its harmonic family, a stray tone does not.",
        method="As artifacts.hum_salience_db, counted per harmonic (1-6) of the best family.",
    ),
    DescriptorSpec(
        name="artifacts.noise_floor_dbfs", unit="dBFS",
        meaning="Level of the steady noise (hiss, room, preamp noise, the dither or quantisation "
                "floor) where it shows under the music above 500 Hz; null when no band shows a "
                "steady floor (any noise lies under the music throughout). Quiet music is not "
                "noise; hum has its own descriptors.",
        method="One 23 ms Hann frame per 100 ms tick; per half-octave band from 500 Hz the "
               "median bin power x bins (tonal partials barely move a median). A band is steady "
               "when the quietest quarter of its non-silent ticks spans at most 3 dB (25th minus "
               "5th percentile): noise is stationary and piles up where the music leaves the "
               "band, the quiet moments of music spread over tens of dB. Sum over the steady "
               "bands of their 12.5th percentile (for noise alone ~1 dB under its power): a "
               "lower bound where music hides part of the band range.",
        references=(_MARTIN,),
    ),
    DescriptorSpec(
        name="artifacts.snr_db", unit="dB",
        meaning="Programme level over the steady noise floor; null when no floor shows.",
        method="Power mean of the 100 ms tick levels of non-silent ticks (dBFS) minus "
               "artifacts.noise_floor_dbfs.",
    ),
    DescriptorSpec(
        name="artifacts.hiss_db", unit="dBFS",
        meaning="Level of the steady white noise (hiss: thermal, preamp, tape) from 4 kHz to "
                "Nyquist; null when the band with the least quiet floor per hertz there is not "
                "steady (the music's own floor, which falls with frequency, is no hiss).",
        method="As artifacts.noise_floor_dbfs, the 12.5th percentile of every half-octave band "
               "from 4 kHz (steady or not: each bounds the white noise it can hold); the band "
               "with the least of it per hertz, if steady, times the width of 4 kHz-Nyquist.",
        references=(_MARTIN,),
    ),
    DescriptorSpec(
        name="artifacts.hiss_snr_db", unit="dB",
        meaning="Programme level over the steady hiss floor (4 kHz-Nyquist): how far under the "
                "music the hiss sits; null when artifacts.hiss_db is.",
        method="The level of artifacts.snr_db's programme (dBFS) minus artifacts.hiss_db.",
        references=(_MARTIN,),
    ),
    DescriptorSpec(
        name="artifacts.noise_bands", unit="count",
        meaning="How many half-octave bands (500 Hz to Nyquist) show a steady noise floor: hiss "
                "is broadband and shows in several, a stray steady tone or drone in one.",
        method="As artifacts.noise_floor_dbfs, counting the steady bands; null for silence.",
        references=(_MARTIN,),
    ),
    DescriptorSpec(
        name="artifacts.leading_silence_s", unit="s", span_from="start",
        meaning="Time before the first sample above -60 dBFS.",
        method="Index of the first sample with |x| > -60 dBFS in any channel / sample rate "
               "(the threshold of Essentia's StartStopCut); the whole duration if none.",
        references=(_ESSENTIA,),
    ),
    DescriptorSpec(
        name="artifacts.trailing_silence_s", unit="s", span_from="end",
        meaning="Time after the last sample above -60 dBFS.",
        method="(frames - 1 - index of the last sample above -60 dBFS) / sample rate.",
    ),
)
