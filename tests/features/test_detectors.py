"""The detectors take their decision thresholds from rules/detectors/detectors.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from expert.errors import MixExpertError
from expert.features import cache
from expert.features.artifacts.analyzer import ArtifactsAnalyzer
from expert.features.base import AnalysisContext
from expert.features.detectors import (
    builtin_detector_thresholds,
    detectors_path,
    load_detector_thresholds,
)
from tests.features import signals as sig

RATE = 44100


def _count(x: np.ndarray, what: str, **changes: dict[str, float]) -> float:
    limits = builtin_detector_thresholds()
    limits = limits.model_copy(update={
        section: getattr(limits, section).model_copy(update=values)
        for section, values in changes.items()})
    analyzer = ArtifactsAnalyzer(AnalysisContext(RATE, x.shape[1], x.shape[0], limits))
    analyzer.process(np.ascontiguousarray(x))
    return analyzer.finish().values[what]


def test_the_built_in_file_is_what_the_analyzers_get() -> None:
    limits = builtin_detector_thresholds()
    assert AnalysisContext(RATE, 2, 0).thresholds is limits
    assert limits == load_detector_thresholds(detectors_path())


def test_the_click_thresholds_decide_what_counts() -> None:
    song = sig.add_clicks(sig.music(12.0, RATE), [2.2, 5.013], RATE)
    assert _count(song, "artifacts.click_count") == 2
    assert _count(song, "artifacts.click_count", clicks={"min_lpc_ratio": 1e6}) == 0


def test_the_clip_and_dropout_thresholds_decide_what_counts() -> None:
    song = sig.music(12.0, RATE)
    clipped = np.clip(song * 2.0, -0.9, 0.9).astype(np.float32)
    assert _count(clipped, "artifacts.clipped_runs") > 0
    assert _count(clipped, "artifacts.clipped_runs", clipping={"min_level_dbfs": -0.1}) == 0
    gapped = song.copy()
    gapped[int(3.0 * RATE):int(3.02 * RATE)] = 0.0  # 20 ms of silence inside the music
    assert _count(gapped, "artifacts.dropout_count") == 1
    assert _count(gapped, "artifacts.dropout_count", dropouts={"max_ms": 10}) == 0


@pytest.mark.parametrize(("text", "key"), [
    ("version: 1\nclicks: {}\n", "clicks.impulse_ratio"),
    (detectors_path().read_text().replace("min_lpc_ratio: 8.0", "min_lpc_ratio: -1"),
     "clicks.min_lpc_ratio"),
    (detectors_path().read_text() + "\nextra: 1\n", "extra"),
    ("clicks: [\n", "detectors.yaml"),
])
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "detectors.yaml"
    path.write_text(text)
    with pytest.raises(MixExpertError) as err:
        load_detector_thresholds(path)
    message = str(err.value)
    assert str(path) in message and key in message and "\n" not in message


def test_editing_the_thresholds_re_measures_cached_files(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    edited = tmp_path / "detectors.yaml"
    edited.write_text(detectors_path().read_text().replace("max_ms: 1000", "max_ms: 900"))
    before = cache.extractor_digest.__wrapped__()
    monkeypatch.setattr(cache, "detectors_path", lambda: edited)
    assert cache.extractor_digest.__wrapped__() != before
