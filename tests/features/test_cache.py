"""The descriptor cache misses when the libraries that decode the file change."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from expert.audio import open_audio
from expert.features.cache import FeatureCache
from expert.features.extract import assemble, extract
from tests.conftest import music_like


def _cached(tmp_path: Path, audio: Path) -> FeatureCache:
    cache = FeatureCache(tmp_path / "cache")
    cache.put(str(audio), {}, assemble(open_audio(audio).info, []))
    assert cache.get(str(audio), {}) is not None
    return cache


def test_a_libsndfile_upgrade_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, music_like(0.5), 44100)
    cache = _cached(tmp_path, path)
    monkeypatch.setattr(sf, "__libsndfile_version__", "99.0.0")
    assert cache.get(str(path), {}) is None


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_ffmpeg_upgrade_misses_for_what_ffmpeg_decodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    av = pytest.importorskip("av")
    wav, mp3 = tmp_path / "a.wav", tmp_path / "a.mp3"
    sf.write(wav, music_like(0.5), 44100)
    subprocess.run(["ffmpeg", "-v", "error", "-i", wav, "-c:a", "libmp3lame", mp3], check=True)
    wav_cache, mp3_cache = _cached(tmp_path / "w", wav), _cached(tmp_path / "m", mp3)
    newer = {**av.library_versions, "libavcodec": (999, 0, 0)}
    monkeypatch.setattr(av, "library_versions", newer)
    assert mp3_cache.get(str(mp3), {}) is None
    assert wav_cache.get(str(wav), {}) is not None  # libsndfile read it: still valid


def test_every_kind_of_descriptor_comes_back(tmp_path: Path) -> None:
    """A whole extraction (numbers, flags, lists and text such as spectrum.key) is served
    from the cache as it was put: a kind the cache did not accept made every entry a miss."""
    path = tmp_path / "a.wav"
    sf.write(path, music_like(3.0), 44100)
    features = extract(path, parallel=False)
    assert isinstance(features.descriptors["spectrum.key"], str)
    cache = FeatureCache(tmp_path / "cache")
    cache.put(str(path), {}, features)
    again = cache.get(str(path), {})
    assert again is not None and again.descriptors == features.descriptors
