"""Audio decoding: what a file is (an ``AudioInfo``, defined in descriptors/) and its
samples, block by block."""

from expert.audio.reader import AUDIO_EXTENSIONS, AudioSource, find_audio_files, open_audio

__all__ = ["AUDIO_EXTENSIONS", "AudioSource", "find_audio_files", "open_audio"]
