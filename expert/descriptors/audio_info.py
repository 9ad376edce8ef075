"""``AudioInfo``: what an audio file is, as the container describes it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AudioInfo(BaseModel):
    """Facts about a decoded file; part of every report (``audio`` in the JSON)."""

    model_config = ConfigDict(extra="forbid")

    duration_s: float = Field(description="Duration in seconds (frames / sample rate).")
    sample_rate_hz: int = Field(description="Sample rate in Hz.")
    channels: int = Field(description="Number of channels analysed (1 or 2).")
    source_channels: int = Field(description="Number of channels in the file before any downmix.")
    frames: int = Field(description="Number of sample frames per channel.")
    container: str = Field(description="Container format, e.g. WAV, FLAC, MP3, M4A.")
    codec: str = Field(
        description="Sample encoding or codec, e.g. PCM_24, FLOAT, MPEG_LAYER_III, aac."
    )
    bit_depth: int | None = Field(
        default=None, description="Bits per sample for PCM/float data; null for lossy codecs."
    )
    bit_rate_kbps: float | None = Field(
        default=None, description="Average bit rate of the file in kbit/s (file size / duration)."
    )
    lossy: bool = Field(description="True when the codec is a lossy perceptual codec.")
    downmixed: bool = Field(
        default=False, description="True when >2 channels were folded to stereo."
    )
