"""Progress of a catalogue run on stderr: files done / total, rate and time left.

On a terminal one line is rewritten (at most twice a second); otherwise (a log file, CI) a
line is written once a minute, and at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


class Progress:
    """Counts finished files of ``total_files`` and says so on ``stream``."""

    def __init__(self, total_files: int, *, stream: TextIO | None = None,
                 log_interval_s: float = 60.0) -> None:
        self.total_files = total_files
        self.done_files = 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.interval_s = 0.5 if self.live else log_interval_s
        self.started_s = time.monotonic()
        self._shown_s = self.started_s

    def line(self) -> str:
        elapsed_s = max(time.monotonic() - self.started_s, 1e-9)
        rate_per_s = self.done_files / elapsed_s
        text = f"{self.done_files}/{self.total_files} files, {rate_per_s * 60:.1f} files/min"
        left = self.total_files - self.done_files
        if left and rate_per_s > 0:
            text += f", about {_duration(left / rate_per_s)} left"
        return text

    def advance(self, files: int) -> None:
        self.done_files += files
        now = time.monotonic()
        if now - self._shown_s >= self.interval_s:
            self._shown_s = now
            self._show()

    def _show(self) -> None:
        if self.live:
            self.stream.write(f"\r{self.line()}\x1b[K")
        else:
            self.stream.write(f"mixexpert: {self.line()}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.total_files:
            self._show()
            if self.live:
                self.stream.write("\n")
                self.stream.flush()
