"""Build a set of the corpus: the recipe becomes FLAC files and ``manifest.yaml``.

``build(subset="ci")`` renders what is missing or out of date (each file carries a
fingerprint of its song, its injections and the generator's source) under
``cache/<subset>/``, reusing stems cached under ``cache/stems/``, and rewrites the
manifest. Songs are built in parallel with ``jobs`` processes; the output does not depend
on ``jobs``. A lock file serialises concurrent builds of one corpus folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import soundfile as sf
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from corpus import dsp, inject, mixing
from corpus.music import STYLES, SongSpec, sub_seed
from corpus.render import render_stems, source_digest
from expert.evaluate.labels import MANIFEST_NAME
from expert.rules.loader import builtin_problems

CORPUS_DIR = Path(__file__).resolve().parent
RECIPE_PATH = CORPUS_DIR / "recipe.yaml"
#: Every file's fingerprint includes the generator's source, so a code change re-renders.
GENERATOR_DIGEST = source_digest("music", "render", "dsp", "mixing", "inject")
SUBSETS: tuple[str, ...] = ("ci", "full")
#: Side effects measured on a finished file are labelled optional (never expected): a
#: diagnosis that reports them is not wrong, one that misses them is not blamed.
HOT_SIDE_EFFECT_LU = 2.0  # louder than the target by more than this
QUIET_SIDE_EFFECT_LU = 3.0  # quieter than the target by more than this
CLEAN_TOLERANCE_LU = 0.3


M = TypeVar("M", bound=BaseModel)


class BuildError(RuntimeError):
    """A recipe (generated or real) is invalid, or a file cannot be built as specified."""


class SongEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    style: str
    tempo_bpm: float = Field(ge=50, le=200)
    key: str
    seed: int = Field(ge=0)
    duration_s: float = Field(ge=20, le=60)
    ci_duration_s: float | None = Field(default=None, ge=15, le=60)

    @model_validator(mode="after")
    def _check(self) -> SongEntry:
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        return self

    def spec(self, subset: str) -> SongSpec:
        duration = self.ci_duration_s if subset == "ci" and self.ci_duration_s else \
            self.duration_s
        return SongSpec(self.name, self.style, self.tempo_bpm, self.key, self.seed, duration)


class CaseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9+-]*$")
    inject: list[dict[str, dict[str, Any] | None]] = Field(default_factory=list)
    expect: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    songs: list[str] | None = None
    ci: bool = False
    note: str | None = None


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    extra_problems: list[str] = Field(default_factory=list)
    songs: list[SongEntry]
    cases: list[CaseEntry]

    @model_validator(mode="after")
    def _check(self) -> Recipe:
        known = set(builtin_problems()) | set(self.extra_problems)
        names = {s.name for s in self.songs}
        ids = [c.id for c in self.cases]
        if len(set(ids)) != len(ids):
            raise ValueError("case ids must be unique")
        for case in self.cases:
            for problem in (*case.expect, *case.optional):
                if problem not in known:
                    raise ValueError(f"case {case.id}: unknown problem {problem!r} "
                                     "(declare new keys under extra_problems)")
            if set(case.expect) & set(case.optional):
                raise ValueError(f"case {case.id}: a problem is both expected and optional")
            if case.songs and (unknown := set(case.songs) - names):
                raise ValueError(f"case {case.id}: unknown songs {sorted(unknown)}")
            try:
                inject.bind([{k: v or {}} for step in case.inject for k, v in step.items()])
            except inject.InjectionError as exc:
                raise ValueError(f"case {case.id}: {exc}") from None
        return self


def load_model(path: Path, model: type[M]) -> M:
    """A YAML recipe validated into ``model``; any problem is one ``BuildError`` line."""
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise BuildError(f"{path}: {exc}".splitlines()[0]) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BuildError(f"{path}: {where}: {first['msg']}") from None


def load_recipe(path: Path = RECIPE_PATH) -> Recipe:
    return load_model(path, Recipe)


@dataclass(frozen=True)
class Planned:
    """One file to produce: its song, case and fingerprint."""

    spec: SongSpec
    case: CaseEntry

    @property
    def path(self) -> str:
        return f"{self.spec.name}/{self.case.id}.flac"

    @property
    def steps(self) -> list[dict[str, dict[str, Any]]]:
        return [{k: v or {}} for step in self.case.inject for k, v in step.items()]

    @property
    def fingerprint(self) -> str:
        blob = json.dumps({"spec": asdict(self.spec), "inject": self.steps,
                           "code": GENERATOR_DIGEST}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def plan(recipe: Recipe, subset: str) -> list[Planned]:
    """Every file of a set, in recipe order (songs inside each case)."""
    if subset not in SUBSETS:
        raise BuildError(f"unknown set {subset!r}; sets are {', '.join(SUBSETS)}")
    songs = [s for s in recipe.songs if subset == "full" or s.ci_duration_s]
    planned = []
    for case in recipe.cases:
        if subset == "ci" and not case.ci:
            continue
        for song in songs:
            if case.songs is None or song.name in case.songs:
                planned.append(Planned(song.spec(subset), case))
    return planned


def _labels(item: Planned, measured: dict[str, float | None]) -> tuple[list[str], list[str]]:
    """The case's labels plus measured side effects as optional labels."""
    expect, optional = list(item.case.expect), list(item.case.optional)
    lufs, peak = measured["integrated_lufs"], measured["true_peak_dbtp"]
    side = []
    if lufs is not None and lufs > mixing.TARGET_LUFS + HOT_SIDE_EFFECT_LU:
        side.append("loudness_too_hot")
    if lufs is not None and lufs < mixing.TARGET_LUFS - QUIET_SIDE_EFFECT_LU:
        side.append("loudness_too_quiet")
    if peak is not None and peak > mixing.CEILING_DBTP:
        side.append("true_peak_over")
    optional += [p for p in side if p not in expect and p not in optional]
    return expect, optional


def _measure(audio: np.ndarray) -> dict[str, float | None]:
    lufs, peak = dsp.integrated_lufs(audio), dsp.true_peak_dbtp(audio)
    return {"integrated_lufs": None if lufs is None else round(lufs, 2),
            "true_peak_dbtp": None if peak is None else round(peak, 2)}


def _check_clean(item: Planned, measured: dict[str, float | None], side: list[str]) -> None:
    """A file labelled clean must meet the clean-master specification."""
    lufs = measured["integrated_lufs"]
    if side or lufs is None or abs(lufs - mixing.TARGET_LUFS) > CLEAN_TOLERANCE_LU:
        raise BuildError(f"{item.path} is labelled clean but measures {measured}")


def _build_song(items: list[Planned], out_dir: Path, stems_dir: Path) -> list[dict[str, Any]]:
    """Render one song's stems (or read them) and produce each of its planned files."""
    spec = items[0].spec
    placed = mixing.place_stems(spec, render_stems(spec, stems_dir))
    clean_bus = None
    entries = []
    for item in items:
        hooks = inject.bind(item.steps)
        ctx = mixing.Context(spec, np.random.default_rng(sub_seed(spec.seed, item.case.id)))
        if not hooks.stem and clean_bus is None:
            clean_bus = mixing.glue(mixing.bus(spec, placed))
        audio = mixing.produce(spec, placed, hooks, ctx,
                               clean_bus=None if hooks.stem else clean_bus)
        measured = _measure(audio)
        expect, optional = _labels(item, measured)
        if not item.case.expect and not item.case.optional:
            _check_clean(item, measured, optional)
        path = out_dir / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), np.clip(audio, -1.0, 32767 / 32768), dsp.SR_HZ,
                 format="FLAC", subtype="PCM_16")
        entries.append({
            "path": item.path, "song": spec.name, "style": spec.style, "case": item.case.id,
            "expect": expect, "optional": optional, "inject": item.steps,
            "duration_s": round(audio.shape[0] / dsp.SR_HZ, 3), "measured": measured,
            "events": ctx.events, "fingerprint": item.fingerprint,
        })
    return entries


def _build_song_star(args: tuple[list[Planned], Path, Path]) -> list[dict[str, Any]]:
    return _build_song(*args)


def _relabel(item: Planned, entry: dict[str, Any]) -> dict[str, Any]:
    """An up-to-date file with the recipe's current labels (labels are not in the
    fingerprint: editing them needs no rendering)."""
    expect, optional = _labels(item, entry["measured"])
    return {**entry, "expect": expect, "optional": optional}


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The entries of a built set's manifest by path ({} when missing or unreadable)."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return {}
    return {f["path"]: f for f in data.get("files", []) if isinstance(f, dict) and "path" in f}


def build(
    subset: str = "ci",
    *,
    corpus_dir: Path = CORPUS_DIR,
    jobs: int = 1,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Make the set up to date and return the path of its manifest (``real-*`` sets are
    built by ``corpus.real.build``)."""
    if subset.startswith("real-"):
        from corpus.real import build as real

        try:
            return real.build(subset, corpus_dir=corpus_dir, jobs=jobs, rebuild=rebuild,
                              progress=progress)
        except real.BuildError as exc:
            raise BuildError(str(exc)) from None
    (corpus_dir / "cache").mkdir(parents=True, exist_ok=True)
    with open(corpus_dir / "cache" / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second `mixexpert eval` waits, then reuses
        return _build_locked(subset, corpus_dir, jobs, rebuild, progress)


def _build_locked(
    subset: str,
    corpus_dir: Path,
    jobs: int,
    rebuild: bool,
    progress: Callable[[str], None] | None,
) -> Path:
    recipe = load_recipe(corpus_dir / "recipe.yaml")
    planned = plan(recipe, subset)
    out_dir = corpus_dir / "cache" / subset
    manifest_path = out_dir / MANIFEST_NAME
    known = {} if rebuild else read_manifest(manifest_path)
    fresh = {
        p.path: _relabel(p, known[p.path]) for p in planned
        if p.path in known and known[p.path].get("fingerprint") == p.fingerprint
        and (out_dir / p.path).exists()
    }
    todo = [p for p in planned if p.path not in fresh]
    by_song: dict[str, list[Planned]] = {}
    for item in todo:
        by_song.setdefault(item.spec.name, []).append(item)
    started = time.perf_counter()
    if todo and progress:
        progress(f"building {len(todo)} of {len(planned)} files ({subset} set, "
                 f"{len(by_song)} songs)")
    tasks = [(items, out_dir, corpus_dir / "cache" / "stems") for items in by_song.values()]
    workers = max(1, min(jobs, len(tasks), os.cpu_count() or 1))
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_build_song_star, tasks, chunksize=1)
    else:
        results = [_build_song_star(t) for t in tasks]
    for entries in results:
        fresh.update({e["path"]: e for e in entries})
    if todo and progress:
        progress(f"built {len(todo)} files in {time.perf_counter() - started:.1f} s")
    _write_manifest(manifest_path, subset, [fresh[p.path] for p in planned])
    remove_stale(out_dir, {p.path for p in planned})
    return manifest_path


def _write_manifest(path: Path, subset: str, files: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Generated by corpus/build.py from corpus/recipe.yaml: edit the recipe, "
              "not this file.\n")
    body = yaml.safe_dump({"version": 1, "set": subset, "files": files}, sort_keys=False,
                          default_flow_style=None, width=100)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(header + body, encoding="utf-8")
    tmp.replace(path)


def remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete audio of cases that left the recipe (the cache holds only the current set)."""
    for file in out_dir.rglob("*.flac"):
        if file.relative_to(out_dir).as_posix() not in keep:
            file.unlink()
