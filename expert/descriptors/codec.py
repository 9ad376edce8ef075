"""Catalogue entries of the codec round-trip descriptors (``--codec-check``)."""

from expert.descriptors.spec import DescriptorSpec

_TD1004 = ("AES TD1004.1.15-10, Recommendation for Loudness of Audio Streaming and Network "
           "File Playback")
_BS1770 = "ITU-R BS.1770-4 Annex 2 (true peak, 4x oversampling)"

SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="codec.true_peak_dbtp", unit="dBTP",
        meaning="True peak of the mix after a lossy streaming encode and decode.",
        method="Encode as Ogg Vorbis (libvorbis highest quality, via libsndfile, to a temporary "
               "file), decode, true peak with 4x oversampling (expert.features.loudness.truepeak).",
        references=(_BS1770, _TD1004),
    ),
    DescriptorSpec(
        name="codec.true_peak_change_db", unit="dB",
        meaning="How much the round trip raised (+) or lowered the true peak.",
        method="codec.true_peak_dbtp minus the source's true peak, same meter.",
        references=(_TD1004,),
    ),
    DescriptorSpec(
        name="codec.sample_peak_dbfs", unit="dBFS",
        meaning="Sample peak of the decoded round trip.",
        method="Largest |sample| of the decoded stream, in dB re full scale.",
    ),
    DescriptorSpec(
        name="codec.clipped_samples", unit="count",
        meaning="Decoded samples at or beyond full scale: they clip in any fixed-point playback.",
        method="Count of decoded samples with |x| >= 1.0, all channels.",
        references=(_TD1004,),
    ),
    DescriptorSpec(
        name="codec.bitrate_kbps", unit="kbit/s",
        meaning="Average bit rate of the encode used for the round trip.",
        method="Encoded file size / duration.",
    ),
)
