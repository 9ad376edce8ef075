"""Run every analyzer over a file in one decode pass (two when both cores are used).

The analyzers split into two groups of similar cost. For files longer than
``PARALLEL_MIN_S`` the second group runs in a forked child process that reads the file
on its own, so a long file uses both cores and the parent still holds only one block.
Results do not depend on whether the split happened: each analyzer always sees the whole
file, in order. A family may run a piece of its work in the other group (``registry.Part``):
the piece's partial result reaches the family's analyzer before that one finishes.
"""

from __future__ import annotations

import ctypes
import importlib
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

from expert.audio import AudioSource, open_audio
from expert.descriptors.audio_info import AudioInfo
from expert.descriptors.featureset import FeatureSet, Timeline
from expert.descriptors.values import finite_or_none
from expert.errors import AudioError, MixExpertError
from expert.features.base import AnalysisContext, Analyzer, Measurements, TimeGrid
from expert.features.registry import process_groups

PARALLEL_MIN_S = 60.0
# glibc mallopt(3) parameters and the values we set.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_TRIM_THRESHOLD_BYTES = 128 << 20
_MMAP_THRESHOLD_BYTES = 32 << 20  # the largest glibc accepts on 64-bit systems


def _keep_freed_heap() -> None:
    """Let freed memory stay in the process for the next block (glibc only).

    Every block, the analyzers allocate and free some 30 MB of block-sized numpy
    temporaries. By default glibc serves large arrays with fresh mmap()s, or returns freed
    memory at the top of the heap to the kernel, so the next block faults the pages in
    again: on a 4-minute stereo file 400 000 page faults and 0.9 s of system time, a third
    of the whole run. Serving arrays up to 32 MB from the heap and trimming it only past
    128 MB free reuses the pages (45 000 faults, 0.15 s); peak RSS does not change, because
    the pages kept are the ones the temporaries already occupied. Both thresholds are set
    explicitly: setting either freezes glibc's adaptive mmap threshold where it stands.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    except (AttributeError, OSError):  # not glibc: keep the allocator's defaults
        pass


def _load(path: str) -> type[Analyzer]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _run_group(source: AudioSource, paths: Sequence[str],
               other_group: Callable[[], Sequence[Measurements]] | None = None,
               ) -> list[Measurements]:
    """The measurements of the analyzers ``paths``, in that order. The partial results an
    analyzer consumes come from this group's analyzers, or from ``other_group()`` (the other
    process's measurements)."""
    info = source.info
    context = AnalysisContext(info.sample_rate_hz, info.channels, info.frames)
    analyzers = [_load(p)(context) for p in paths]
    for block in source.blocks():
        for analyzer in analyzers:
            analyzer.process(block)
    # Waited for before any finish here: the finishes' temporaries (tens of MB on a long
    # file) then never add to the other process's memory.
    outside = other_group() if other_group is not None else []
    done = {i: a.finish() for i, a in enumerate(analyzers) if not a.consumes}
    partials = {k: v for m in [*outside, *done.values()] for k, v in m.partials.items()}
    for i, analyzer in enumerate(analyzers):
        if analyzer.consumes:
            analyzer.receive(partials)
            done[i] = analyzer.finish()
    return [done[i] for i in range(len(analyzers))]


def _child(conn: Any, source: AudioSource, paths: Sequence[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        result: Any = ("ok", _run_group(source, paths))
    except MixExpertError as exc:
        result = ("error", exc)
    except Exception:  # noqa: BLE001 - shipped back to the parent, which re-raises
        result = ("crash", traceback.format_exc())
    conn.send_bytes(pickle.dumps(result))
    conn.close()


def _receive(conn: Any, into: list[bytes]) -> None:
    try:
        into.append(conn.recv_bytes())
    except EOFError:  # the child died before sending: reported by the caller
        pass


def extract(
    path: str | os.PathLike[str],
    *,
    codec_check: bool = False,
    downmix: bool = False,
    parallel: bool = True,
) -> FeatureSet:
    """Measure every descriptor of the catalogue on one file.

    Raises ``AudioError`` (one line, naming the file) when the file cannot be analysed.
    """
    path = str(path)
    _keep_freed_heap()
    source = open_audio(path, downmix=downmix)
    info = source.info
    if info.frames == 0:
        raise AudioError(path, "holds no audio samples")
    groups = process_groups(codec_check=codec_check)
    fork = (
        parallel
        and info.duration_s >= PARALLEL_MIN_S
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
    )
    measurements: list[Measurements] = []
    if fork:
        ctx = multiprocessing.get_context("fork")
        receiver, sender = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(sender, source, groups[1]), daemon=True)
        child.start()
        sender.close()
        # Take the child's result as soon as it is sent: a pipe holds 64 KB, so otherwise the
        # child waits, holding all of its memory, until the parent's group has finished.
        received: list[bytes] = []
        reader = threading.Thread(target=_receive, args=(receiver, received), daemon=True)
        reader.start()

        @cache
        def child_group() -> list[Measurements]:
            reader.join()
            child.join()
            if not received:
                raise RuntimeError(f"analysis worker ended without a result (exit code "
                                   f"{child.exitcode})")
            status, payload = pickle.loads(received[0])
            if status == "error":
                raise payload
            if status == "crash":
                raise RuntimeError(f"analysis worker failed:\n{payload}")
            return payload

        measurements += _run_group(source, groups[0], child_group)
        measurements += child_group()
    else:
        measurements += _run_group(source, [p for g in groups for p in g])
    # After the decode: a lossy file's length is what was decoded, not what it announced.
    return assemble(source.info, measurements, notes=source.notes)


def assemble(info: AudioInfo, measurements: Sequence[Measurements],
             notes: Sequence[str] = ()) -> FeatureSet:
    """Join the analyzers' measurements with the file facts (and the ``notes`` about the
    file itself) into one ``FeatureSet``."""
    grid = TimeGrid(info.sample_rate_hz)
    n_ticks = grid.n_ticks(info.frames)
    starts = grid.window_starts_s(n_ticks)
    descriptors: dict[str, Any] = {
        "audio.duration_s": round(info.duration_s, 6),
        "audio.sample_rate_hz": info.sample_rate_hz,
        "audio.nyquist_hz": info.sample_rate_hz / 2,
        "audio.channels": info.channels,
        "audio.bit_depth": info.bit_depth,
        "audio.lossy": info.lossy,
    }
    series: dict[str, list[float | None]] = {}
    notes = list(notes)
    for m in measurements:
        descriptors.update({k: _clean(v) for k, v in m.values.items()})
        for name, values in m.series.items():
            values = np.asarray(values, dtype=np.float64)
            if values.shape[0] != len(starts):
                raise RuntimeError(
                    f"series {name} has {values.shape[0]} windows, expected {len(starts)}"
                )
            series[name] = [_clean(float(v)) for v in values]
        notes.extend(m.notes)
    timeline = Timeline(window_s=grid.window_s, hop_s=grid.hop_s, starts_s=starts, series=series)
    return FeatureSet(audio=info, descriptors=descriptors, timeline=timeline, notes=notes)


def _clean(value: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python, recursively through lists."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return finite_or_none(value)
    return value
