"""Extraction gives the same feature set whether or not it splits the analyzers over two
processes (``expert.features.extract``: files from ``PARALLEL_MIN_S`` on are split)."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

import numpy as np
import pytest

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

    def spy(source: Any, paths: Any) -> Any:
        seen.append(list(paths))
        return run_group(source, paths)

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
    child_alive_after_parent_group: list[bool] = []
    others = set(multiprocessing.active_children())  # any left by other tests

    def ours() -> set[Any]:
        return set(multiprocessing.active_children()) - others

    def run(source: Any, paths: Any) -> Any:
        result = run_group(source, paths)
        if os.getpid() != parent:
            return [*result, Measurements(notes=["x" * 300_000])]  # a result over 64 KB
        deadline = time.monotonic() + 20.0
        while ours() and time.monotonic() < deadline:
            time.sleep(0.05)
        child_alive_after_parent_group.append(bool(ours()))
        return result

    monkeypatch.setattr(extract_module, "_run_group", run)
    monkeypatch.setattr(extract_module, "PARALLEL_MIN_S", 1.0)
    features = extract_module.extract(write_wav("song.wav", music_like(3.0)), parallel=True)
    assert child_alive_after_parent_group == [False]
    assert "x" * 300_000 in features.notes  # and its result still arrived
