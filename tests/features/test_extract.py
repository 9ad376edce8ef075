"""Extraction gives the same feature set whether or not it splits the analyzers over two
processes (``expert.features.extract``: files from ``PARALLEL_MIN_S`` on are split)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from typing import Any

import numpy as np
import pytest

from expert.errors import AudioError, Interrupted
from expert.features import extract as extract_module
from expert.features.base import Measurements
from expert.features.registry import process_groups
from tests.conftest import music_like
from tests.features.signals import add_clicks, music


@pytest.fixture
def parent_groups(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Analyzer paths run by this (parent) process; a forked child's runs are not seen."""
    seen: list[list[str]] = []
    run_group = extract_module._run_group

    def spy(source: Any, paths: Any, *other_group: Any) -> Any:
        seen.append(list(paths))
        return run_group(source, paths, *other_group)

    monkeypatch.setattr(extract_module, "_run_group", spy)
    return seen


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("steady", music_like(6.0)),
        ("song", add_clicks(music(6.0), [1.0, 3.5], 44100)),
        ("mono", music_like(6.0)[:, :1]),
    ],
)
def test_parallel_and_sequential_extraction_agree(
    name: str, signal: np.ndarray, write_wav: Any, parent_groups: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_wav(f"{name}.wav", signal)
    monkeypatch.setattr(extract_module, "PARALLEL_MIN_S", 1.0)  # split this short file too
    parallel = extract_module.extract(path, parallel=True)
    sequential = extract_module.extract(path, parallel=False)
    groups = process_groups()
    assert parent_groups == [groups[0], groups[0] + groups[1]]  # really split
    assert parallel.model_dump_json() == sequential.model_dump_json()  # values and order


def test_reported_values_lie_inside_their_declared_gates(write_wav: Any) -> None:
    """A gate on a catalogue entry is a promise about the extractor: hold it to it."""
    from expert.descriptors import CATALOGUE
    from expert.rules.gates import outside_gate

    for name, signal in (("song", add_clicks(music(6.0), [1.0], 44100)),
                         ("steady", music_like(6.0))):
        features = extract_module.extract(write_wav(f"{name}.wav", signal))
        for key, value in features.descriptors.items():
            gate = CATALOGUE[key].gate if key in CATALOGUE else None
            assert gate is None or value is None or not outside_gate(value, gate), key
        for key, values in features.timeline.series.items():
            gate = CATALOGUE[key].gate
            assert gate is None or not any(
                v is not None and outside_gate(v, gate) for v in values), key


def test_child_exits_as_soon_as_its_result_is_sent(
    write_wav: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The child's result is read while the parent still analyses: a result larger than a
    pipe holds (64 KB) must not keep the child, and all its memory, waiting."""
    parent = os.getpid()
    run_group = extract_module._run_group
    child_alive_before_parent_group: list[bool] = []
    others = set(multiprocessing.active_children())  # any left by other tests

    def ours() -> set[Any]:
        return set(multiprocessing.active_children()) - others

    def run(source: Any, paths: Any, *other_group: Any) -> Any:
        if os.getpid() != parent:
            result = run_group(source, paths, *other_group)
            return [*result, Measurements(notes=["x" * 300_000])]  # a result over 64 KB
        # Before the parent's own group, which waits for the child's partial results.
        deadline = time.monotonic() + 20.0
        while ours() and time.monotonic() < deadline:
            time.sleep(0.05)
        child_alive_before_parent_group.append(bool(ours()))
        return run_group(source, paths, *other_group)

    monkeypatch.setattr(extract_module, "_run_group", run)
    monkeypatch.setattr(extract_module, "PARALLEL_MIN_S", 1.0)
    features = extract_module.extract(write_wav("song.wav", music_like(3.0)), parallel=True)
    assert child_alive_before_parent_group == [False]
    assert "x" * 300_000 in features.notes  # and its result still arrived


def test_the_true_peak_measured_apart_reads_as_the_loudness_meters_own(
    write_wav: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The extraction's loudness family takes its true peak from ``TruePeakTicks`` in the
    other process: what it reports must be what the meter measuring it itself reads."""
    import soundfile as sf

    from expert.features.loudness.analyzer import measure_loudness

    signal = add_clicks(music(6.0), [1.0, 3.5], 44100)
    path = write_wav("song.wav", 0.99 * signal / np.abs(signal).max())
    monkeypatch.setattr(extract_module, "PARALLEL_MIN_S", 1.0)
    features = extract_module.extract(path, parallel=True)
    _, own = measure_loudness(sf.read(path, dtype="float32")[0], 44100)
    peaks = [k for k in own.values if "true_peak" in k or k == "loudness.plr_db"]
    assert features.descriptors["loudness.true_peak_dbtp"] > -1.0  # measured, not None
    for key in peaks:
        assert features.descriptors[key] == pytest.approx(own.values[key], abs=1e-6), key
    assert features.timeline.series["loudness.true_peak_dbtp"] == pytest.approx(
        list(own.series["loudness.true_peak_dbtp"]), abs=1e-6)


@pytest.mark.parametrize("error", [AudioError("a.wav", "truncated"), Interrupted([1, 2], 7)])
def test_errors_cross_the_process_boundary(error: Exception) -> None:
    """The analysis child sends its error to the parent pickled; an exception whose
    constructor takes other arguments than its message does not unpickle by default."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
