"""Catalogue entries of the stems of one song measured together (``mixexpert stems``), and
the measurement parameters of the auditory model they rest on.

Measured on the stems' samples by ``expert.features.stems``, in frames of about 93 ms
(4096 samples at 44.1 kHz: bins of 10.8 Hz, fine enough for the low critical bands). Four
groups, told apart by their prefix, which is also how ``expert.collection`` decides
how often a rule reading them is judged:

- ``stems.masking_*``: one stem (the *masked*) under another (the *masker*), judged once
  per ordered pair;
- ``stems.pair_*``: two stems against each other (low end, phase), once per pair;
- ``stems.stem_*``: one stem in the sum (and in the mix), once per stem;
- the other ``stems.*`` names: the set (and the mix) as a whole, once.

Masking model: J. D. Johnston, "Transform coding of audio signals using perceptual noise
criteria", IEEE J. Sel. Areas Commun. 6(2), 1988: the energy of each critical band (Bark
scale, E. Zwicker and E. Terhardt, JASA 68(5), 1980), spread over its neighbours with the
spreading function of M. R. Schroeder, B. S. Atal and J. L. Hall, JASA 66(6), 1979, minus
an offset that depends on how tonal the masker is (14.5 + z dB for a tone, 5.5 dB for
noise, tonality from the spectral flatness measure). Johnston's model is the basis of the
MPEG-1 psychoacoustic model 2 (ISO/IEC 11172-3 Annex D).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from expert.descriptors.audio_info import AudioInfo
from expert.descriptors.spec import DescriptorSpec

#: Analysis frame (s): the power of two of samples nearest this at the file's rate.
FRAME_S = 4096 / 44100
#: Critical-band edges (Hz), Zwicker & Terhardt 1980, Table 1: bands 1-24 (up to 15.5 kHz).
BARK_EDGES_HZ = (20, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000,
                 2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700, 9500, 12000, 15500)
#: Johnston 1988, eq. for the masking-threshold offset: O = a (14.5 + z) + (1 - a) 5.5 dB.
TONE_MASKER_OFFSET_DB = 14.5
NOISE_MASKER_OFFSET_DB = 5.5
#: Johnston 1988: tonality a = min(SFM_dB / -60, 1); an SFM of -60 dB is a pure tone.
SFM_TONE_DB = -60.0
#: The flatness is taken over the bins within this of the frame's strongest (Johnston's
#: whole spectrum would count the empty bins of a band-limited stem as a tone's valleys).
SFM_RANGE_DB = 60.0
#: A stem plays in a frame when its level is within this of its own loud frames (its 95th
#: percentile frame level) and above ``SILENCE_DBFS``: reverb tails and bleed far below its
#: playing level do not count as "the stem" being masked.
PLAYING_RANGE_DB = 30.0
SILENCE_DBFS = -70.0  # the absolute gate of ITU-R BS.1770-4 (eq. 5), in dBFS per frame
#: A band is part of what a stem plays in a frame when its energy is within this of the
#: stem's strongest band in that frame (the spectrum's top 20 dB: its audible character).
BAND_RANGE_DB = 20.0
#: Masking regions are looked for from this band edge up: below it lie the low end and
#: the low mids, where kick, bass and the low strings of every band instrument overlap in
#: released music (untouched Frets on Fire guitars lie under their band at 200-510 Hz
#: 30-58 % of their time); engineers high-pass and carve the bus there instead (the
#: low-end check, ``LOW_END_HZ``, judges kick against bass).
MASKING_FROM_HZ = 510.0
#: The worst masking region of a pair: the worst band and its neighbours masked at least
#: half as often (the width a remedy's bell covers).
REGION_SHARE = 0.5
#: Low end where kick and bass meet (Hz), and the low band of the phase check (Hz): below
#: ~1 kHz stems recorded from one source (two mics, DI and amp) sum coherently.
LOW_END_HZ = (40.0, 150.0)
PHASE_BAND_HZ = (20.0, 1000.0)
#: Two stems' low ends are in conflict in a frame when both sound there (within 10 dB of
#: their own loud low-end frames) and neither is 6 dB above the other: neither masks the
#: other (6 dB: the level difference at which the weaker of two equal-band signals is
#: largely masked, Johnston's noise offset rounded).
LOW_END_SOUNDING_DB = 10.0
LOW_END_CLOSE_DB = 6.0

_JOHNSTON = ("J. D. Johnston, 'Transform coding of audio signals using perceptual noise "
             "criteria', IEEE JSAC 6(2), 1988")
_SCHROEDER = ("M. R. Schroeder, B. S. Atal, J. L. Hall, 'Optimizing digital speech coders "
              "by exploiting masking properties of the human ear', JASA 66(6), 1979")
_ZWICKER = ("E. Zwicker, E. Terhardt, 'Analytical expressions for critical-band rate and "
            "critical bandwidth as a function of frequency', JASA 68(5), 1980")
_BS1770 = "ITU-R BS.1770-4 integrated loudness"
_MASKING = (f"Per 93 ms frame and critical band (Bark, {_ZWICKER}): the masker's band "
            f"energy spread with the Schroeder spreading function, minus Johnston's "
            f"tonality-dependent offset, is the masking threshold; the masked stem's band "
            f"energy below it is masked.")

#: The catalogue of stem facts; the rule loader knows these names.
SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(name="stems.n_stems", unit="count",
                   meaning="Stems of the set that could be measured.",
                   method="Readable files of the folder; an unreadable one is named."),
    DescriptorSpec(name="stems.sum_lufs", unit="LUFS",
                   meaning="Integrated loudness of the stems summed as they are.",
                   method=f"{_BS1770} of the sample-wise sum.", references=(_BS1770,)),
    DescriptorSpec(name="stems.mix_offset_ms", unit="ms",
                   meaning="How late (+) or early (-) the mix runs against the stems' sum.",
                   method="Peak of the phase-transform cross-correlation (GCC-PHAT, Knapp & "
                          "Carter 1976) of the mix with the sum, per frame, summed; found "
                          "within +-46 ms (half a frame). Null without --mix.",
                   references=("C. Knapp, G. Carter, IEEE Trans. ASSP 24(4), 1976",)),
    DescriptorSpec(name="stems.mix_gain_db", unit="dB",
                   meaning="Gain that best maps the stems' sum onto the mix.",
                   method="Least-squares gain of the offset-aligned sum against the mix "
                          "(low to high, 93 ms frames). Null without --mix."),
    DescriptorSpec(name="stems.mix_polarity", unit="",
                   meaning="+1 when the sum enters the mix as it is, -1 when inverted.",
                   method="Sign of the least-squares gain. Null without --mix."),
    DescriptorSpec(name="stems.mix_residual_db", unit="dB",
                   meaning="What of the mix the stems' sum does not explain, against the mix.",
                   method="Energy of mix minus (gain x aligned sum), relative to the mix's "
                          "energy; -inf would be a perfect sum (floored at -100). Null "
                          "without --mix."),
    DescriptorSpec(name="stems.stem_name", unit="", kind="text",
                   meaning="The stem's name (its file name without extension).",
                   method="File stem, lower case, other characters than a-z 0-9 as _."),
    DescriptorSpec(name="stems.stem_vs_sum_lu", unit="LU",
                   meaning="The stem's loudness against the stems' sum.",
                   method=f"{_BS1770} of the stem minus that of the sum.",
                   references=(_BS1770,)),
    DescriptorSpec(name="stems.stem_share_pct", unit="%",
                   meaning="The stem's share of the sum's loudness-weighted energy.",
                   method="100 x 10^(stems.stem_vs_sum_lu / 10): exact for stems that do "
                          "not correlate."),
    DescriptorSpec(name="stems.stem_mix_gain_db", unit="dB",
                   meaning="The stem's gain in the mix (0 dB: as the file is; very low: "
                           "missing from the mix).",
                   method="Least-squares fit of the stems, each aligned by its own offset, "
                          "to the mix; |gain| in dB (floored at -100). Null without --mix."),
    DescriptorSpec(name="stems.stem_mix_polarity", unit="",
                   meaning="+1 when the stem enters the mix as it is, -1 when inverted.",
                   method="Sign of the stem's least-squares gain. Null without --mix."),
    DescriptorSpec(name="stems.stem_mix_offset_ms", unit="ms",
                   meaning="How late (+) or early (-) the mix runs against this stem.",
                   method="GCC-PHAT of the mix with the stem alone (the other stems are "
                          "noise to it), within +-46 ms. Null without --mix."),
    DescriptorSpec(name="stems.masking_masked_name", unit="", kind="text",
                   meaning="The stem being masked.", method="See stems.stem_name."),
    DescriptorSpec(name="stems.masking_masker_name", unit="", kind="text",
                   meaning="The stem masking it.", method="See stems.stem_name."),
    DescriptorSpec(name="stems.masking_time_pct", unit="%", scope="both",
                   meaning="Share of the time the masked stem plays in which its content in "
                           "the worst band region lies under the masker's threshold.",
                   method=f"{_MASKING} Region: the band above {MASKING_FROM_HZ:.0f} Hz "
                          f"masked most often and its neighbours masked at least half as "
                          f"often (bands weighted by IEC 61672-1 A-weighting decide which "
                          f"the stem plays in: its top {BAND_RANGE_DB:.0f} dB); a frame is masked "
                          f"when the mean margin over the region's bands the stem plays in "
                          f"is above 0 dB. Per window: the same share within the 3 s window.",
                   references=(_JOHNSTON, _SCHROEDER, _ZWICKER)),
    DescriptorSpec(name="stems.masking_margin_db", unit="dB",
                   meaning="How far under the masker's threshold the masked stem sits in the "
                           "region, typically (the cut on the masker that would uncover it).",
                   method="Median over the masked frames of the region's mean margin "
                          "(threshold minus the masked stem's band energy).",
                   references=(_JOHNSTON,)),
    DescriptorSpec(name="stems.masking_low_hz", unit="Hz",
                   meaning="Lower edge of the worst masking region.",
                   method="Critical-band edge (Zwicker & Terhardt 1980)."),
    DescriptorSpec(name="stems.masking_high_hz", unit="Hz",
                   meaning="Upper edge of the worst masking region.",
                   method="Critical-band edge (Zwicker & Terhardt 1980)."),
    DescriptorSpec(name="stems.masking_center_hz", unit="Hz",
                   meaning="Centre of the worst masking region (where to cut).",
                   method="Geometric mean of its edges."),
    DescriptorSpec(name="stems.masking_q", unit="",
                   meaning="Quality factor of a bell covering the region.",
                   method="Centre over width (stems.masking_center_hz / (high - low))."),
    DescriptorSpec(name="stems.pair_a_name", unit="", kind="text",
                   meaning="The first stem of the pair (in path order).",
                   method="See stems.stem_name."),
    DescriptorSpec(name="stems.pair_b_name", unit="", kind="text",
                   meaning="The second stem of the pair.", method="See stems.stem_name."),
    DescriptorSpec(name="stems.pair_low_end_overlap_pct", unit="%",
                   meaning="Share of the sparser stem's low-end time (40-150 Hz: the kick's "
                           "hits) in which the other sounds there at a close level: neither "
                           "leaves room for the other.",
                   method="Frames where both stems' 40-150 Hz levels are within 10 dB of "
                          "their own 90th percentile and within 6 dB of each other, over "
                          "the frames where the sparser of the two sounds there."),
    DescriptorSpec(name="stems.pair_low_end_share_min_pct", unit="%",
                   meaning="How much of the lighter of the two stems lies in 40-150 Hz (both "
                           "must be low-end instruments for a conflict to matter).",
                   method="Per stem, 40-150 Hz energy over its whole energy; the smaller."),
    DescriptorSpec(name="stems.pair_low_end_a_hz", unit="Hz",
                   meaning="Where the first stem's low end peaks.",
                   method="Peak of its mean 40-150 Hz spectrum (10.8 Hz bins)."),
    DescriptorSpec(name="stems.pair_low_end_b_hz", unit="Hz",
                   meaning="Where the second stem's low end peaks.",
                   method="Peak of its mean 40-150 Hz spectrum (10.8 Hz bins)."),
    DescriptorSpec(name="stems.pair_correlation", unit="",
                   meaning="Correlation of the two stems below 1 kHz (-1: one is the other "
                           "inverted; 0: unrelated).",
                   method="Real part of the cross-spectrum over the energies' geometric "
                          "mean, 20-1000 Hz, summed over the frames where both play."),
    DescriptorSpec(name="stems.pair_sum_loss_db", unit="dB",
                   meaning="How much quieter below 1 kHz the two stems are together than "
                           "apart (cancellation).",
                   method="10 log10((E_a + E_b) / E_(a+b)), 20-1000 Hz, frames where both "
                          "play."),
)

CATALOGUE: dict[str, DescriptorSpec] = {s.name: s for s in SPECS}
#: Prefixes of the names judged per ordered pair, per pair and per stem (the rest: once).
MASKING_PREFIX = "stems.masking_"
PAIR_PREFIX = "stems.pair_"
STEM_PREFIX = "stems.stem_"
Facts = dict[str, float | str | None]


class StemPairFacts(BaseModel):
    """The facts of two stems: ``members`` [masked, masker] for ``stems.masking_*``, the
    pair in path order for ``stems.pair_*``. ``series``: the per-window values (3 s windows
    starting at ``StemSetFacts.window_starts_s``)."""

    model_config = ConfigDict(extra="forbid")

    members: list[str]
    facts: Facts
    series: dict[str, list[float | None]] = Field(default_factory=dict)


class StemSetFacts(BaseModel):
    """What ``expert.features.stems`` measured on a set of stems (plain data)."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(description="The readable stems, in path order.")
    audio: dict[str, AudioInfo] = Field(default_factory=dict)
    stem_descriptors: dict[str, dict[str, float | None]] = Field(default_factory=dict, description=(
        "Path -> the stem's own meters (loudness.*), as a file report holds them."))
    whole: Facts = Field(default_factory=dict)
    stems: dict[str, Facts] = Field(default_factory=dict)
    masking: list[StemPairFacts] = Field(default_factory=list)
    pairs: list[StemPairFacts] = Field(default_factory=list)
    window_s: float = 3.0
    window_starts_s: list[float] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict, description=(
        "Path -> one-line reason, for the stems that could not be read."))
