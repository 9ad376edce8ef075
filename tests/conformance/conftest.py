"""The stepped 1 kHz stereo tone that most EBU Tech 3341/3342 test signals are made of."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

RATE_HZ = 48000

def stepped_tone(levels_dbfs: Sequence[tuple[float | None, float]], freq_hz: float = 1000.0,
                 rate_hz: int = RATE_HZ) -> np.ndarray:
    """Stereo sine (identical channels) whose peak level steps through (dBFS, seconds).

    A level of None is silence. The phase runs on continuously across steps.
    """
    gains = [np.full(round(seconds * rate_hz), 0.0 if level is None else 10 ** (level / 20))
             for level, seconds in levels_dbfs]
    envelope = np.concatenate(gains)
    mono = envelope * np.sin(2 * np.pi * freq_hz * np.arange(envelope.size) / rate_hz)
    return np.stack([mono, mono], axis=1)


@pytest.fixture
def tone() -> Callable[..., np.ndarray]:
    """``tone([(dBFS or None, seconds), ...])`` -> stereo float64 array at 48 kHz."""
    return stepped_tone
