"""A small generated catalogue (short files at several levels, one unreadable) and a house
rule folder to pass with ``--rules``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import music_like

#: A project rule whose threshold the tests edit: which files it fires on depends on it.
HOUSE_RULE = """\
version: 1
problems:
  over_house_limit: Louder than this catalogue's house limit
rules:
  - id: HSE001
    problem: over_house_limit
    title: Louder than the house limit
    category: loudness
    severity: warning
    certainty: 0.9
    when: loudness.integrated_lufs > {limit_lufs}
    explanation: The mix measures {{loudness.integrated_lufs:.1f}} LUFS.
"""


def write_house_rule(folder: Path, limit_lufs: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "house.yaml"
    path.write_text(HOUSE_RULE.format(limit_lufs=limit_lufs), encoding="utf-8")
    return path


def make_catalogue(folder: Path, files: int, *, seconds: float = 1.0) -> list[Path]:
    """``files`` WAVs (levels from quiet to clipped, so verdicts differ) plus ``bad.wav``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        gain = 0.15 + 2.5 * i / max(files - 1, 1)
        data = np.clip(music_like(seconds, seed=i) * gain, -1.0, 1.0)
        path = folder / f"mix{i:03d}.wav"
        sf.write(path, data, 44100, subtype="PCM_16")
        paths.append(path)
    bad = folder / "bad.wav"
    bad.write_bytes(b"")  # refused by the decoder at once
    return [*paths, bad]
