"""The one-way pipeline for a batch: audio -> features -> engine -> report models.

``Session`` loads the rulebase and profile once; ``diagnose_file`` turns one path into a
``FileReport`` and never raises for a bad file (the error goes into that file's entry);
``run_batch`` fans files out over processes when ``jobs > 1``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from expert.descriptors.featureset import FeatureSet
from expert.errors import AudioError, MixExpertError
from expert.features.cache import FeatureCache
from expert.report.models import FileReport, Report, verdict_of


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for on the command line (or an API caller)."""

    profile: str | None = None  # None: the project's profile, else rules.model.DEFAULT_PROFILE
    genre: str | None = None
    reference: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_paths: tuple[str, ...] = ()
    project_dir: str = "."
    codec_check: bool = False
    downmix: bool = False
    use_cache: bool = True
    cache_dir: str | None = None
    near_misses: int = 5
    explain: bool = False
    jobs: int = 1


def measure(path: str, options: RunOptions, *, parallel: bool = True) -> FeatureSet:
    """Extract (or fetch from the cache) the feature set of one file."""
    return measure_traced(path, options, parallel=parallel)[0]


def measure_traced(
    path: str, options: RunOptions, *, parallel: bool = True
) -> tuple[FeatureSet, bool]:
    """``measure``, and whether the features came from the cache (nothing was decoded)."""
    from expert.features.extract import extract

    key = {"codec_check": options.codec_check, "downmix": options.downmix}
    cache = FeatureCache(Path(options.cache_dir) if options.cache_dir else None)
    if options.use_cache and (hit := cache.get(path, key)) is not None:
        return hit, True
    features = extract(
        path, codec_check=options.codec_check, downmix=options.downmix, parallel=parallel
    )
    if options.use_cache:
        cache.put(path, key, features)
    return features, False


class Session:
    """Rulebase, project configuration and profile, loaded once for a batch."""

    def __init__(self, options: RunOptions) -> None:
        from expert.engine import Engine
        from expert.rules import load_project_config, load_rulebase, resolve_profile
        from expert.rules.model import DEFAULT_PROFILE
        from expert.rules.profiles import playback_destinations

        self.options = options
        project = load_project_config(Path(options.project_dir))
        self.rulebase = load_rulebase(extra_paths=options.rule_paths, project=project)
        self.rulebase.raise_for_errors()
        reference = None
        if options.reference:
            try:
                reference = measure(options.reference, options).descriptors
            except AudioError as exc:
                raise MixExpertError(f"reference track: {exc}") from None
        self.profile = resolve_profile(
            options.profile or project.profile or DEFAULT_PROFILE,
            genre=options.genre or project.genre,
            reference_descriptors=reference,
        )
        self.destinations = playback_destinations(self.profile)
        # --select replaces the project's selection; --ignore adds to the project's.
        ignore = [*project.ignore, *options.ignore] if options.ignore else None
        self.engine = Engine(
            self.rulebase, self.profile, select=options.select or None, ignore=ignore
        )

    @cached_property
    def digest(self) -> str:
        """The rulebase digest of this session's judgements (``expert.rules.digest``)."""
        from expert.rules.digest import rulebase_digest

        o = self.options
        settings = {"select": o.select, "ignore": o.ignore, "codec_check": o.codec_check,
                    "downmix": o.downmix}
        return rulebase_digest(self.rulebase, self.profile, settings=settings)

    def profile_summary(self) -> dict[str, Any]:
        return self.profile.model_dump(mode="json")

    def diagnose_features(self, path: str, features: FeatureSet) -> FileReport:
        from expert.engine import Facts
        from expert.engine.playback import playback

        result = self.engine.run(Facts.from_featureset(features))
        return _entry(
            path,
            features,
            playback=playback(features.descriptors, self.destinations),
            verdict=verdict_of(result.diagnoses),
            diagnoses=result.diagnoses,
            near_misses=result.near_misses[: self.options.near_misses],
            trace=result.trace_dump() if self.options.explain else None,
        )

    def diagnose_file(self, path: str, *, parallel: bool = True) -> FileReport:
        try:
            features = measure(path, self.options, parallel=parallel)
        except AudioError as exc:
            return FileReport(path=path, ok=False, error=exc.reason)
        return self.diagnose_features(path, features)


def _entry(path: str, features: FeatureSet, **reasoning: Any) -> FileReport:
    return FileReport(
        path=path,
        ok=True,
        audio=features.audio,
        descriptors=features.descriptors,
        timeline=features.timeline,
        notes=features.notes,
        **reasoning,
    )


def features_report(path: str, options: RunOptions, *, parallel: bool = True) -> FileReport:
    """A report entry with the descriptors filled and no diagnoses (``mixexpert features``)."""
    try:
        return _entry(path, measure(path, options, parallel=parallel))
    except AudioError as exc:
        return FileReport(path=path, ok=False, error=exc.reason)


_WORKER_TASK: Callable[[str, bool], FileReport] | None = None


def _run_in_worker(path: str) -> FileReport:
    assert _WORKER_TASK is not None
    return _WORKER_TASK(path, False)


def map_files(
    task: Callable[[str, bool], FileReport], paths: Sequence[str], jobs: int
) -> list[FileReport]:
    """``task(path, parallel)`` over every file, in input order.

    With ``jobs > 1`` files are spread over forked processes and each file is analysed on
    one core (``parallel=False``); with one job a long file may use both cores itself.
    """
    global _WORKER_TASK
    jobs = max(1, min(jobs, len(paths), os.cpu_count() or 1))
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [task(p, True) for p in paths]
    _WORKER_TASK = task  # inherited by the forked workers, so it need not be picklable
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return pool.map(_run_in_worker, paths, chunksize=1)
    finally:
        _WORKER_TASK = None


def run_batch(paths: Sequence[str], session: Session) -> Report:
    """Diagnose every file, in input order."""
    reports = map_files(
        lambda p, parallel: session.diagnose_file(p, parallel=parallel), paths, session.options.jobs
    )
    return Report(profile=session.profile_summary(), reports=reports)


def diagnose_file(path: str | os.PathLike[str], options: RunOptions | None = None) -> FileReport:
    """Diagnose one file with a fresh session (convenience for scripts and the evaluator)."""
    return Session(options or RunOptions()).diagnose_file(str(path))
