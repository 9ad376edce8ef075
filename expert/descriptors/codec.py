"""Catalogue entries of the codec round-trip descriptors (``--codec-check``).

``DELIVERY_CODECS`` is the one list of the encodes the services deliver with; which
destination uses which is knowledge in ``rules/profiles/destinations.yaml`` (``codecs``).
"""

from __future__ import annotations

from dataclasses import dataclass

from expert.descriptors.spec import DescriptorSpec

_TD1004 = ("AES TD1004.1.15-10, Recommendation for Loudness of Audio Streaming and Network "
           "File Playback")
_BS1770 = "ITU-R BS.1770-4 Annex 2 (true peak, 4x oversampling)"
#: The round trip runs on an excerpt reel (see expert.features.codec.analyzer): the
#: ``EXCERPTS`` segments of ``SEGMENT_S`` (about a bar's loudest beat) with the highest
#: sample peaks, each with ``MARGIN_S`` of music faded in and out around it (longer than any
#: encoder's delay and look-ahead: at most 2112 samples, 48 ms at 44.1 kHz, AAC), ``GAP_S``
#: of silence apart. 8 x 1 s of reel keeps the round trips within the cost of the plain
#: analysis of a 4-minute file.
EXCERPTS = 8
SEGMENT_S = 0.5
MARGIN_S = 0.25
GAP_S = 0.1
_REEL = (f"on the {EXCERPTS} segments of {SEGMENT_S:g} s with the highest sample peaks, each "
         f"with {MARGIN_S:g} s of music faded in and out around it")


@dataclass(frozen=True)
class DeliveryCodec:
    """One delivery encode: its catalogue key, what it is, and which encoder stands for it."""

    name: str
    title: str
    encoder: str


DELIVERY_CODECS: tuple[DeliveryCodec, ...] = (
    DeliveryCodec("aac_256", "AAC 256 kbit/s",
                  "FFmpeg's native AAC encoder, CBR 256 kbit/s (Apple's own encoder is not "
                  "available outside Apple's platforms)"),
    DeliveryCodec("aac_128", "AAC 128 kbit/s",
                  "FFmpeg's native AAC encoder, CBR 128 kbit/s"),
    DeliveryCodec("mp3_320", "MP3 320 kbit/s", "LAME, CBR 320 kbit/s (via FFmpeg)"),
    DeliveryCodec("opus_160", "Opus 160 kbit/s",
                  "libopus 160 kbit/s VBR at 48 kHz (via FFmpeg)"),
    DeliveryCodec("vorbis_320", "Ogg Vorbis q9 (~320 kbit/s)",
                  "libvorbis quality 9, nominally 320 kbit/s (via libsndfile)"),
)


def _per_codec(codec: DeliveryCodec) -> tuple[DescriptorSpec, ...]:
    prefix = f"codec.{codec.name}"
    return (
        DescriptorSpec(
            name=f"{prefix}.true_peak_dbtp", unit="dBTP",
            meaning=f"True peak of the mix after a {codec.title} encode and decode.",
            method=f"{codec.encoder}, in memory; decoded to float, true peak with 4x "
                   f"oversampling, {_REEL}.",
            references=(_BS1770, _TD1004),
        ),
        DescriptorSpec(
            name=f"{prefix}.clipped_samples", unit="count",
            meaning=f"Samples at or beyond full scale after the {codec.title} round trip: "
                    "they clip in any fixed-point playback.",
            method=f"Count of decoded samples with |x| >= 1.0, all channels, {_REEL}.",
            references=(_TD1004,),
        ),
        DescriptorSpec(
            name=f"{prefix}.bitrate_kbps", unit="kbit/s",
            meaning=f"Average bit rate of the {codec.title} encode.",
            method="Encoded bytes (packets; Ogg pages for Vorbis) / duration of what was "
                   "encoded.",
        ),
    )


SPECS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        name="codec.true_peak_dbtp", unit="dBTP",
        meaning="True peak of the mix after the delivery codec that raises it most.",
        method="Largest codec.<codec>.true_peak_dbtp of the delivery codecs measured.",
        references=(_BS1770, _TD1004),
    ),
    DescriptorSpec(
        name="codec.true_peak_change_db", unit="dB",
        meaning="How much the worst round trip raised (+) or lowered the true peak.",
        method="codec.true_peak_dbtp minus the source's true peak on the same excerpts, "
               "same meter.",
        references=(_TD1004,),
    ),
    DescriptorSpec(
        name="codec.sample_peak_dbfs", unit="dBFS",
        meaning="Highest sample peak of the decoded round trips.",
        method="Largest |sample| of the decoded streams, in dB re full scale.",
    ),
    DescriptorSpec(
        name="codec.clipped_samples", unit="count",
        meaning="Decoded samples at or beyond full scale, for the codec with the most.",
        method="Largest codec.<codec>.clipped_samples of the delivery codecs measured.",
        references=(_TD1004,),
    ),
    *(spec for codec in DELIVERY_CODECS for spec in _per_codec(codec)),
)
