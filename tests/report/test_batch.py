"""A batch in the terminal: printed as files finish, progress on a terminal's stderr only,
the summary at the end, and Ctrl-C."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from expert.cli import main
from expert.report.batch import print_batch
from expert.report.models import FileReport, Report


def _consoles(*, err_tty: bool, out_tty: bool = False) -> tuple[Console, Console, io.StringIO,
                                                                io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return (Console(file=out, width=100, force_terminal=out_tty, color_system=None),
            Console(file=err, width=100, force_terminal=err_tty, color_system=None), out, err)


def _slowly(entries: list[FileReport]) -> Iterator[FileReport]:
    yield from entries


@pytest.mark.parametrize(("err_tty", "files", "bar"), [(True, 4, True), (False, 4, False),
                                                       (True, 1, False)])
def test_progress_bar_only_on_a_terminal_and_for_a_batch(judged: Report, err_tty: bool,
                                                         files: int, bar: bool) -> None:
    entries = judged.reports[:files]
    out_c, err_c, out, err = _consoles(err_tty=err_tty)
    outcome = print_batch(_slowly(entries), len(entries), judged.profile, out=out_c,
                          err=err_c, delay_s=0.0)
    assert ("diagnosing" in err.getvalue()) is bar
    assert "diagnosing" not in out.getvalue()
    assert outcome.done == entries and not outcome.interrupted


def test_a_short_batch_shows_no_bar(judged: Report) -> None:
    out_c, err_c, _, err = _consoles(err_tty=True)
    print_batch(_slowly(judged.reports), len(judged.reports), judged.profile, out=out_c,
                err=err_c, delay_s=60.0)
    assert "diagnosing" not in err.getvalue()


def test_results_print_in_input_order_then_the_summary(judged: Report) -> None:
    out_c, err_c, out, _ = _consoles(err_tty=True, out_tty=True)
    print_batch(_slowly(judged.reports), len(judged.reports), judged.profile, out=out_c,
                err=err_c, delay_s=0.0)
    text = out.getvalue()
    heads = [text.index(f"{e.path}  ") if e.ok else text.index(f"✗ {e.path}:")
             for e in judged.reports]
    assert heads == sorted(heads)
    assert text.index(f"summary: {len(judged.reports)} files") > max(heads)


def test_ctrl_c_prints_what_was_finished(judged: Report) -> None:
    def interrupted() -> Iterator[FileReport]:
        yield from judged.reports[:2]
        raise KeyboardInterrupt

    out_c, err_c, out, _ = _consoles(err_tty=False)
    outcome = print_batch(interrupted(), 7, judged.profile, out=out_c, err=err_c)
    assert outcome.interrupted and outcome.done == judged.reports[:2]
    text = out.getvalue()
    assert text.rstrip().endswith("interrupted; 2 of 7 files done")
    assert "summary: 2 files" in text


def test_ctrl_c_in_the_command_exits_130(capsys, monkeypatch: pytest.MonkeyPatch,
                                        judged: Report, write_wav) -> None:
    import expert.pipeline

    def interrupted(paths, session) -> Iterator[FileReport]:  # noqa: ANN001
        yield judged.reports[0]
        raise KeyboardInterrupt

    monkeypatch.setattr(expert.pipeline, "iter_batch", interrupted)
    from tests.conftest import music_like

    paths = [str(write_wav(f"{i}.wav", music_like(1.0))) for i in range(3)]
    assert main(["diagnose", *paths]) == 130
    out = capsys.readouterr().out
    assert Path(judged.reports[0].path).name in out
    assert "interrupted; 1 of 3 files done" in out
