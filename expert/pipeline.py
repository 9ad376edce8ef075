"""The one-way pipeline for a batch: audio -> features -> engine -> report models.

``Session`` loads the rulebase and profile once; ``diagnose_file`` turns one path into a
``FileReport`` and never raises for a bad file (the error goes into that file's entry);
``run_batch`` (``iter_batch``: as the files finish) fans files out over processes when
``jobs > 1``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from expert.descriptors.featureset import FeatureSet
from expert.descriptors.stems import StemSetFacts
from expert.errors import AudioError, Interrupted, MixExpertError
from expert.features.cache import FeatureCache
from expert.report.models import (
    FileReport,
    IgnoredRule,
    ProjectSettings,
    ReplacedRule,
    Report,
    SeverityChange,
    ThresholdChange,
    verdict_of,
)


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for on the command line (or an API caller)."""

    profile: str | None = None  # None: the project's profile, else rules.model.DEFAULT_PROFILE
    genre: str | None = None
    reference: tuple[str, ...] = ()  # files or folders; several are averaged
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_paths: tuple[str, ...] = ()
    project_dir: str = "."  # where the search for project settings starts (the audio's)
    config: str | None = None  # an explicit project settings file (--config)
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
    from expert.audio.reader import check_input
    from expert.features.extract import extract

    check_input(path)  # before the cache: no result for a file that can no longer be read
    key = {"codec_check": options.codec_check, "downmix": options.downmix}
    cache = FeatureCache(Path(options.cache_dir) if options.cache_dir else None)
    if options.use_cache and (hit := cache.get(path, key)) is not None:
        return hit, True
    try:
        features = extract(
            path, codec_check=options.codec_check, downmix=options.downmix, parallel=parallel
        )
    except OSError as exc:  # e.g. EIO, or the file replaced by a folder while read
        raise AudioError(path, f"cannot read: {exc.strerror or exc}") from None
    if options.use_cache:
        cache.put(path, key, features)
    return features, False


def measure_stem_set(paths: Sequence[str], mix: str | None, options: RunOptions
                     ) -> StemSetFacts:
    """The stems of one song measured together (or fetched from the cache when no file
    changed); raises ``StemMismatchError`` as ``measure_stems`` does."""
    from expert.features.stems.analyzer import measure_stems

    cache = FeatureCache(Path(options.cache_dir) if options.cache_dir else None)
    files = list(paths)
    if options.use_cache and (hit := cache.get_stems(files, mix)) is not None:
        return hit
    measured = measure_stems(files, mix)
    if options.use_cache:
        cache.put_stems(files, mix, measured)
    return measured


class Session:
    """Rulebase, project configuration and profile, loaded once for a batch."""

    def __init__(self, options: RunOptions) -> None:
        from expert.engine import Engine
        from expert.rules import Selector, load_project_config, load_rulebase, resolve_profile
        from expert.rules.model import DEFAULT_PROFILE
        from expert.rules.profiles import average_references, playback_destinations

        self.options = options
        project = load_project_config(options.project_dir, config_file=options.config,
                                      fallback_dir=Path.cwd())
        self.rulebase = load_rulebase(extra_paths=options.rule_paths, project=project)
        self.rulebase.raise_for_errors()
        self.references = self._measure_references()
        self.profile = resolve_profile(
            options.profile or project.profile or DEFAULT_PROFILE,
            genre=options.genre or project.genre,
            reference_descriptors=average_references([d for _, d in self.references])
            if self.references else None,
            reference_paths=[p for p, _ in self.references],
            extra=project.profiles,
        )
        self.destinations = playback_destinations(self.profile, extra=project.profiles)
        # --select replaces the project's selection; --ignore adds to the project's.
        select = self.rulebase.selectors("--select", options.select)
        ignore = self.rulebase.selectors("--ignore", options.ignore)
        self.engine = Engine(
            self.rulebase,
            self.profile,
            select=select or None,
            ignore=[*self.rulebase.project.ignore, *ignore] if ignore else None,
        )
        # Rules named on the command line: --explain shows their WHY NOT even when far.
        asked = Selector(options.select) if options.select else None
        self.asked = sorted(r.id for r in self.rulebase.rules
                            if asked is not None and r.reported and asked.enabled(r))

    def _measure_references(self) -> list[tuple[str, dict[str, Any]]]:
        """(path, descriptors) of every reference track: files, or folders of them."""
        given = self.options.reference
        if not given:
            return []
        from expert.audio import find_audio_files

        if isinstance(given, str):  # one path, as RunOptions took before several were allowed
            given = (given,)
        out = []
        for path in dict.fromkeys(str(p) for p in find_audio_files(given)):
            try:
                out.append((path, measure(path, self.options).descriptors))
            except AudioError as exc:
                raise MixExpertError(f"reference track {exc}") from None
        if not out:
            raise MixExpertError("no reference tracks found in " + ", ".join(given))
        return out

    @cached_property
    def digest(self) -> str:
        """The rulebase digest of this session's judgements (``expert.rules.digest``)."""
        from expert.rules.digest import rulebase_digest

        o = self.options
        settings = {"select": o.select, "ignore": o.ignore, "codec_check": o.codec_check,
                    "downmix": o.downmix}
        return rulebase_digest(self.rulebase, self.profile, settings=settings)

    def profile_summary(self) -> dict[str, Any]:
        return {**self.profile.model_dump(mode="json"),
                "project": self.project_settings().model_dump(mode="json")}

    def project_settings(self) -> ProjectSettings:
        """The settings file and everything it (and --select / --ignore) changed."""
        rb, selector = self.rulebase, self.engine.selector
        ignored = []
        for rule in sorted(rb.rules, key=lambda r: r.id):
            enabled, by = selector.decision(rule)
            if rule.reported and not enabled:
                ignored.append(IgnoredRule(rule_id=rule.id, by=by))
        return ProjectSettings(
            file=rb.project.source, rule_paths=list(rb.project.rules),
            select=selector.select, ignore=selector.ignore, ignored=ignored,
            severity=[SeverityChange(rule_id=o.rule_id, by=o.selector,
                                     severity_was=o.rule_severity, severity=o.severity,
                                     where=o.where) for o in rb.severity_overrides],
            thresholds=[ThresholdChange(rule_id=o.rule_id, threshold=o.name,
                                        rule_value=o.rule_value, value=o.value, where=o.where)
                        for o in rb.threshold_overrides],
            replaced=[ReplacedRule(rule_id=rid, file=rb.by_id[rid].where, replaces=was)
                      for rid, was in sorted(rb.overridden.items()) if rid in rb.by_id])

    def diagnose_features(self, path: str, features: FeatureSet) -> FileReport:
        from expert.engine import Facts
        from expert.engine.playback import playback
        from expert.engine.references import reference_distances
        from expert.rules.profiles import judged_envelope

        result = self.engine.run(Facts.from_featureset(features))
        return _entry(
            path,
            features,
            playback=playback(features.descriptors, self.destinations),
            envelope=judged_envelope(self.profile, result.family, result.family_choice),
            references=reference_distances(features.descriptors, self.references),
            verdict=verdict_of(result.diagnoses),
            diagnoses=result.diagnoses,
            conditions=result.held_conditions(),
            near_misses=result.near_misses[: self.options.near_misses],
            trace={**result.trace_dump(), "asked": self.asked} if self.options.explain
            else None,
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


def iter_files(
    task: Callable[[str, bool], FileReport], paths: Sequence[str], jobs: int
) -> Iterator[FileReport]:
    """``task(path, parallel)`` over every file, yielded in input order as each finishes.

    With ``jobs > 1`` files are spread over forked processes and each file is analysed on
    one core (``parallel=False``); with one job a long file may use both cores itself.
    The workers ignore Ctrl-C: the caller gets a KeyboardInterrupt (``BatchInterrupted``
    with the results finished but not yet yielded), and closing the iterator stops them.
    """
    global _WORKER_TASK
    jobs = max(1, min(jobs, len(paths), os.cpu_count() or 1))
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (task(p, True) for p in paths)
        return
    _WORKER_TASK = task  # inherited by the forked workers, so it need not be picklable
    try:
        with multiprocessing.get_context("fork").Pool(
                jobs, initializer=_leave_sigint) as pool:
            pending = [pool.apply_async(_run_in_worker, (p,)) for p in paths]
            for next_index, result in enumerate(pending):
                try:
                    report = result.get()
                except KeyboardInterrupt:  # leaving the block terminates the workers
                    raise BatchInterrupted([r.get() for r in pending[next_index:]
                                            if r.ready() and r.successful()]) from None
                yield report
    finally:
        _WORKER_TASK = None


def map_files(
    task: Callable[[str, bool], FileReport], paths: Sequence[str], jobs: int
) -> list[FileReport]:
    """``iter_files`` as a list; Ctrl-C raises ``Interrupted`` with the files finished so
    far (in input order)."""
    done: list[FileReport] = []
    try:
        for report in iter_files(task, paths, jobs):
            done.append(report)
    except KeyboardInterrupt as stop:
        raise Interrupted(done + getattr(stop, "finished", []), len(paths)) from None
    return done


def iter_batch(paths: Sequence[str], session: Session) -> Iterator[FileReport]:
    """Diagnose every file, yielded in input order as each finishes."""
    return iter_files(lambda p, parallel: session.diagnose_file(p, parallel=parallel), paths,
                      session.options.jobs)


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C in ``iter_files``: ``finished`` holds the results that were done but not yet
    yielded (in input order), so a caller can keep them."""

    def __init__(self, finished: list[FileReport]) -> None:
        super().__init__()
        self.finished = finished


def _leave_sigint() -> None:
    """Workers ignore Ctrl-C (the terminal sends it to the whole process group): the parent
    alone handles it, keeps what is finished and stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_batch(paths: Sequence[str], session: Session) -> Report:
    """Diagnose every file, in input order (Ctrl-C: ``Interrupted``, as ``map_files``)."""
    reports = map_files(lambda p, parallel: session.diagnose_file(p, parallel=parallel), paths,
                        session.options.jobs)
    return Report(profile=session.profile_summary(), reports=reports)


def diagnose_file(path: str | os.PathLike[str], options: RunOptions | None = None) -> FileReport:
    """Diagnose one file with a fresh session (convenience for scripts and the evaluator)."""
    return Session(options or RunOptions()).diagnose_file(str(path))
