"""Catalogue QC: a batch judged by an executor (the local process pool or a Dask cluster),
each result written to a result store as it finishes, and a rerun that skips what the
store already holds for the same content, rulebase and profile.

``task.judge_file`` is the unit of work (one file, on a worker), ``executors`` run it,
``runner.run_catalogue`` feeds them, skips, writes the store and reports progress.
"""
