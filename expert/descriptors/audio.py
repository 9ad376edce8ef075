"""Catalogue entries for the facts of the file itself (from the container and decoder)."""

from expert.descriptors.spec import DescriptorSpec

SPECS = (
    DescriptorSpec(
        name="audio.duration_s", unit="s", meaning="Duration of the file.",
        method="Decoded sample frames divided by the sample rate.",
    ),
    DescriptorSpec(
        name="audio.sample_rate_hz", unit="Hz", meaning="Sample rate of the file.",
        method="From the container header.",
    ),
    DescriptorSpec(
        name="audio.nyquist_hz", unit="Hz",
        meaning="Highest frequency the file can hold (half the sample rate).",
        method="Sample rate / 2.",
    ),
    DescriptorSpec(
        name="audio.channels", unit="count", meaning="Channels analysed (1 = mono, 2 = stereo).",
        method="From the container header; 5.1 files only with --downmix (ITU-R BS.775 fold-down).",
    ),
    DescriptorSpec(
        name="audio.bit_depth", unit="bit",
        meaning="Bits per sample of PCM or float data; null for lossy codecs.",
        method="From the container's sample format.",
    ),
    DescriptorSpec(
        name="audio.lossy", unit="bool", kind="bool",
        meaning="True when the file is a lossy encode (MP3, AAC, Vorbis, Opus).",
        method="From the codec reported by the decoder.",
    ),
)
