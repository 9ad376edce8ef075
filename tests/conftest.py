"""Shared fixtures: small generated audio files (no network, no shipped audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def music_like(seconds: float, rate: int = 44100, seed: int = 3) -> np.ndarray:
    """Deterministic stereo 'music': a kick every 0.5 s, a bass line, noise, chords."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    kick = np.exp(-((t * 2.0) % 1.0) * 14.0) * np.sin(2 * np.pi * 55 * t)
    bass = 0.25 * np.sin(2 * np.pi * 82.4 * t)
    chord = sum(0.08 * np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0))
    noise = rng.standard_normal((t.size, 2)) * 0.03
    left = 0.5 * kick + bass + chord + noise[:, 0]
    right = 0.5 * kick + bass + 0.8 * chord + noise[:, 1]
    return (np.stack([left, right], axis=1) * 0.5).astype(np.float32)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never read or write the user's feature cache from tests."""
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def write_wav(tmp_path: Path):
    """write_wav(name, data, rate=44100, subtype='PCM_24') -> Path"""

    def _write(name: str, data: np.ndarray, rate: int = 44100, subtype: str = "PCM_24") -> Path:
        path = tmp_path / name
        sf.write(path, data, rate, subtype=subtype)
        return path

    return _write
