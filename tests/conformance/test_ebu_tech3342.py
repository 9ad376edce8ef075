"""EBU Tech 3342 loudness range (LRA) minimum requirements, Table 1, synthesized.

Source: EBU Tech 3342 v3 (2016), section 4, Table 1 (as realised by the EBU Loudness Test
Set v05): stereo 1 kHz sines, 20 s per step at the given dBFS peak level per channel;
expected LRA 10, 5, 20 and 15 LU, tolerance +-1 LU. Cases 5 and 6 are authentic programme
(the files seq-3341-7_seq-3342-5 and seq-3341-2011-8_seq-3342-6) and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from expert.features.loudness.analyzer import measure_loudness

RATE_HZ = 48000  # the rate of the EBU test signals (see conftest.stepped_tone)
Tone = Callable[..., np.ndarray]

LRA_TOLERANCE_LU = 1.0


@pytest.mark.parametrize(("levels_dbfs", "expected_lu"), [
    pytest.param((-20.0, -30.0), 10.0, id="case1"),
    pytest.param((-20.0, -15.0), 5.0, id="case2"),
    pytest.param((-40.0, -20.0), 20.0, id="case3"),
    pytest.param((-50.0, -35.0, -20.0, -35.0, -50.0), 15.0, id="case4"),
])
def test_loudness_range(tone: Tone, levels_dbfs: tuple[float, ...], expected_lu: float) -> None:
    _, measured = measure_loudness(tone([(level, 20.0) for level in levels_dbfs]), RATE_HZ)
    lra = measured.values["loudness.range_lu"]
    assert lra is not None and abs(lra - expected_lu) <= LRA_TOLERANCE_LU, lra


@pytest.mark.parametrize("case", [5, 6], ids=["case5", "case6"])
def test_not_synthesizable(case: int) -> None:
    pytest.skip(f"Tech 3342 case {case}: authentic programme material, not synthesizable")
