"""Catalogue runs from the command line: ``--executor``, ``--scheduler``, ``--store``,
``--retry-failed`` on ``diagnose``, ``album`` and ``profiles learn``.

``diagnose`` without ``--store`` writes the usual document; with it, every file's entry
goes to the store and the command prints the store's summary for these rules and profile
(so the client holds no entries, however many files there are). ``album`` and ``profiles
learn`` need every member's entry on the client: they keep them (``keep_entries``), those
the store already held read back from it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from expert.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from expert.catalogue.runner import CatalogueRun
    from expert.collection import Members
    from expert.pipeline import RunOptions, Session
    from expert.report.models import FileReport
    from expert.store.summary import StoreSummary


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("catalogue runs")
    group.add_argument("--executor", choices=("local", "dask"), default="local",
                       help="local: this machine's processes (--jobs); dask: an existing "
                       "Dask cluster (--scheduler)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="the Dask scheduler, e.g. tcp://10.0.0.5:8786")
    group.add_argument("--store", metavar="FILE",
                       help="write one row per file to FILE (SQLite; a .parquet name: a "
                       "folder of Parquet parts) and skip files it already holds for the "
                       "same content, rules and profile")
    group.add_argument("--retry-failed", action="store_true",
                       help="with --store: judge again the files that failed before")


def wants_catalogue(args: argparse.Namespace) -> bool:
    return bool(args.executor == "dask" or args.store or args.scheduler or args.retry_failed)


def catalogue_run(args: argparse.Namespace, files: list[str], options: RunOptions, *,
                  keep_entries: bool = False, session: Session | None = None,
                  summary: bool = False) -> tuple[CatalogueRun, StoreSummary | None]:
    """``files`` judged on the executor of ``args``, results in its ``--store`` if any;
    ``keep_entries``, ``session``: as ``run_catalogue``; ``summary``: also the store's
    summary for this run's rules and profile (None without a store)."""
    from expert.catalogue.executors import executor_for
    from expert.catalogue.runner import run_catalogue
    from expert.store import open_store
    from expert.store.summary import summarize

    if args.retry_failed and not args.store:
        raise UsageError("--retry-failed needs --store FILE (the failures are read from it)")
    store = open_store(args.store) if args.store else None
    try:
        executor = executor_for(args.executor, jobs=args.jobs, scheduler=args.scheduler)
        run = run_catalogue(files, options, executor=executor, store=store,
                            retry_failed=args.retry_failed, keep_entries=keep_entries,
                            session=session)
        told = None
        if summary and store is not None:
            told = summarize(store, rulebase_digest=run.session.digest,
                             profile=run.session.profile.name, run=run.tally)
    finally:
        if store is not None:
            store.close()
    return run, told


def catalogue_members(args: argparse.Namespace) -> Members:
    """``album``'s member stage on the executor and store of ``args``."""
    def members(paths: Sequence[str], session: Session) -> list[FileReport]:
        run, _ = catalogue_run(args, list(paths), session.options, keep_entries=True,
                               session=session)
        return run.entries

    return members


def run_catalogue_command(args: argparse.Namespace, files: list[str], options: RunOptions
                          ) -> int:
    """``diagnose`` with catalogue options: the report, or with ``--store`` the summary."""
    from expert.commands.diagnose import exit_status, write_markers_asked

    if not args.store:
        from expert.report.models import Report
        from expert.report.output import emit

        run, _ = catalogue_run(args, files, options)
        report = Report(profile=run.session.profile_summary(), reports=run.entries)
        emit(report, args.format, args.output, quiet=args.quiet,
             rulebase_digest=run.session.rulebase.digest())
        write_markers_asked(args, report.reports)
        return exit_status(report.reports, args.fail_on)

    from expert.report.catalogue import emit_summary
    from expert.report.formats import SUMMARY_FORMATS

    if args.format not in SUMMARY_FORMATS:
        raise UsageError(f"with --store the command prints the store's summary: --format "
                         f"{', '.join(SUMMARY_FORMATS)} (the entries are in the store)")
    # --markers names one file: its entry is kept (read back from the store if skipped)
    run, summary = catalogue_run(args, files, options, summary=True,
                                 keep_entries=args.markers is not None)
    assert summary is not None  # there is a store
    emit_summary(summary, args.format, args.output)
    write_markers_asked(args, run.entries)
    if summary.files == 0 or summary.verdicts["error"] == summary.files:
        return ExitStatus.USAGE  # no input could be analysed
    if args.fail_on is not None:
        # a verdict is fail on an error diagnosis and warn on a warning (report.models)
        reached = {"error": summary.verdicts["fail"],
                   "warning": summary.verdicts["fail"] + summary.verdicts["warn"],
                   "info": sum(summary.problems.values())}
        if reached[args.fail_on]:
            return ExitStatus.CHECK_FAILED
    return ExitStatus.OK
