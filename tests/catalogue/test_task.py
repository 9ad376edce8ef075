"""The unit of work on a worker: one Session per (options, client's digest), and a path
that is not a regular file judged as an error at once (never a hang)."""

from __future__ import annotations

import os
from pathlib import Path

from expert.catalogue.task import judge_file, session_for
from expert.pipeline import RunOptions, Session
from tests.catalogue.conftest import make_catalogue


def test_the_rules_are_loaded_once_per_options_and_digest(tmp_path: Path) -> None:
    options = RunOptions(cache_dir=str(tmp_path / "cache"))
    digest = Session(options).digest
    first = session_for(options, digest)
    assert session_for(options, digest) is first  # every later file of the run
    assert session_for(options, "an edited rulebase") is not first  # loaded again


def test_a_fifo_is_an_error_row_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    options = RunOptions(cache_dir=str(tmp_path / "cache"))
    row = judge_file(str(fifo), options, Session(options).digest, worker="local")
    assert not row.ok and row.error == "not a regular file" and row.verdict is None


def test_a_row_carries_the_entry_and_what_it_was_judged_with(tmp_path: Path) -> None:
    (mix, *_) = make_catalogue(tmp_path, 1)
    options = RunOptions(cache_dir=str(tmp_path / "cache"))
    session = Session(options)
    row = judge_file(str(mix), options, session.digest, worker="local")
    assert row.ok and row.rulebase_digest == session.digest and row.profile == "streaming"
    assert row.size_bytes == mix.stat().st_size and len(row.content_hash) == 64
    assert not row.features_cached
    again = judge_file(str(mix), options, session.digest, worker="local")
    assert again.features_cached and again.entry_json == row.entry_json
