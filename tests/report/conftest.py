"""Judged reports of small generated mixes, made once per module through the real pipeline
(no cache: each test module measures its own files)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from rich.console import Console

from expert.pipeline import RunOptions, Session, run_batch
from expert.report.models import Report
from tests.conftest import music_like

RATE = 44100


def _write(folder: Path, name: str, data: np.ndarray) -> str:
    path = folder / name
    sf.write(path, data, RATE, subtype="PCM_24")
    return str(path)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A polarity-flipped loud mix, one with 2 s of silence before the music, a clean one,
    one with 0.95 s of silence (just short of the 1 s that AR-leading-silence allows: a
    near miss) and a file that is no audio: in that input order."""
    folder = tmp_path_factory.mktemp("mixes")
    flipped = np.clip(music_like(12.0) * 3.0, -1, 1)
    flipped[:, 1] *= -1
    silence = np.zeros((2 * RATE, 2), dtype=np.float32)
    head = np.concatenate([silence, music_like(10.0) * 0.5])
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    paths = [_write(folder, "flipped.wav", flipped), _write(folder, "head.wav", head),
             _write(folder, "clean.wav", music_like(12.0, seed=5) * 0.5),
             _write(folder, "almost.wav", np.concatenate(
                 [silence[: int(0.95 * RATE)], music_like(10.0, seed=3) * 0.5])), str(broken)]
    return run_batch(paths, Session(RunOptions(use_cache=False)))


def entry_named(report: Report, name: str):  # noqa: ANN201 - a FileReport
    return next(e for e in report.reports if Path(e.path).name == name)


def rendered(renderable: object, *, width: int = 80, color: bool = False) -> str:
    """What a terminal of ``width`` columns shows (with colour codes when ``color``)."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color
            else None, highlight=False).print(renderable)
    return buffer.getvalue()
