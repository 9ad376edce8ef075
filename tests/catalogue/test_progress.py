"""Progress lines: files done / total, rate and time left; rewritten on a terminal, a
plain line per interval in a log."""

from __future__ import annotations

import io
import re

from expert.catalogue.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_with_rate_and_time_left() -> None:
    log = io.StringIO()
    progress = Progress(10, stream=log, log_interval_s=0.0)
    progress.advance(4)
    progress.close()
    first, last = log.getvalue().splitlines()
    assert re.fullmatch(r"mixexpert: 4/10 files, [0-9.]+ files/min, about \d+ min \d\d s left",
                        first)
    assert re.fullmatch(r"mixexpert: 4/10 files, [0-9.]+ files/min, about .* left", last)


def test_a_log_is_quiet_between_intervals() -> None:
    log = io.StringIO()
    progress = Progress(10, stream=log, log_interval_s=60.0)
    for _ in range(10):
        progress.advance(1)
    assert log.getvalue() == ""
    progress.close()
    assert log.getvalue().startswith("mixexpert: 10/10 files,") and "left" not in log.getvalue()


def test_a_terminal_line_is_rewritten_in_place() -> None:
    terminal = Terminal()
    progress = Progress(3, stream=terminal)
    progress.advance(3)
    progress.close()
    assert terminal.getvalue().startswith("\r3/3 files, ") and terminal.getvalue().endswith("\n")
