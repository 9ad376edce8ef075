"""Audio decoding: what a file is (``AudioInfo``) and its samples, block by block."""

from expert.audio.info import AudioInfo
from expert.audio.reader import AUDIO_EXTENSIONS, AudioSource, find_audio_files, open_audio

__all__ = ["AUDIO_EXTENSIONS", "AudioInfo", "AudioSource", "find_audio_files", "open_audio"]
