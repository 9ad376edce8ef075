"""``diagnose`` on a catalogue: ``--executor``, ``--scheduler``, ``--store``, ``--retry-failed``.

Without ``--store`` the report is the usual document; with it, every file's entry goes to
the store and the command prints the store's summary for these rules and profile (so the
client holds no entries, however many files there are).
"""

from __future__ import annotations

import argparse

from expert.errors import ExitStatus, UsageError


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


def run_catalogue_command(args: argparse.Namespace, files: list[str], options) -> int:  # noqa: ANN001 - RunOptions
    from expert.catalogue.executors import executor_for
    from expert.catalogue.runner import run_catalogue

    if not args.store:
        if args.retry_failed:
            raise UsageError("--retry-failed needs --store FILE (the failures are read from it)")
        from expert.commands.diagnose import exit_status
        from expert.report.models import Report
        from expert.report.output import emit

        executor = executor_for(args.executor, jobs=args.jobs, scheduler=args.scheduler)
        run = run_catalogue(files, options, executor=executor)
        report = Report(profile=run.session.profile_summary(), reports=run.entries)
        emit(report, args.format, args.output)
        return exit_status(report.reports, args.fail_on)

    from expert.report.catalogue import emit_summary
    from expert.report.formats import SUMMARY_FORMATS
    from expert.store import open_store
    from expert.store.summary import summarize

    if args.format not in SUMMARY_FORMATS:
        raise UsageError(f"with --store the command prints the store's summary: --format "
                         f"{', '.join(SUMMARY_FORMATS)} (the entries are in the store)")
    store = open_store(args.store)
    try:
        executor = executor_for(args.executor, jobs=args.jobs, scheduler=args.scheduler)
        run = run_catalogue(files, options, executor=executor, store=store,
                            retry_failed=args.retry_failed)
        summary = summarize(store, rulebase_digest=run.session.digest,
                            profile=run.session.profile.name, run=run.tally)
    finally:
        store.close()
    emit_summary(summary, args.format, args.output)
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
