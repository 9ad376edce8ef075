"""Progress lines: files done / total, rate and time left; rewritten on a terminal, a
plain line per interval in a log, also while no file finishes."""

from __future__ import annotations

import io
import re
import time

from expert.catalogue.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_with_rate_and_time_left_each_interval() -> None:
    log = io.StringIO()
    progress = Progress(10, stream=log, log_interval_s=0.05)
    progress.advance(4)
    time.sleep(0.3)
    progress.close()
    lines = log.getvalue().splitlines()
    assert len(lines) >= 3  # the ticker's, at least two, and the last
    assert all(re.fullmatch(r"mixexpert: 4/10 files, [0-9.]+ files/min, about \d+ min \d\d s "
                            r"left", line) for line in lines)


def test_a_log_gets_its_line_while_no_file_finishes() -> None:
    log = io.StringIO()
    progress = Progress(10, stream=log, log_interval_s=0.05)
    time.sleep(0.2)
    assert log.getvalue().startswith("mixexpert: 0/10 files, 0.0 files/min\n")
    progress.close()


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
