"""Progress of a catalogue run on stderr: files done / total, rate and time left.

On a terminal one line is rewritten (at most twice a second) as files finish; otherwise (a
log file, CI) a line is written once a minute by a ticker thread, whether files finish or
not (a stalled cluster shows as a rate falling in the log), and one at the end.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_LIVE_INTERVAL_S = 0.5  # a terminal line rewritten more often only flickers


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
        self.started_s = time.monotonic()
        self._shown_s = self.started_s
        self._lock = threading.Lock()  # the ticker and the caller write lines
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None
        if not self.live and total_files:
            self._ticker = threading.Thread(target=self._tick, args=(log_interval_s,),
                                            name="mixexpert-progress", daemon=True)
            self._ticker.start()

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
        if self.live and now - self._shown_s >= _LIVE_INTERVAL_S:
            self._shown_s = now
            self._show()

    def _tick(self, interval_s: float) -> None:
        while not self._stopped.wait(interval_s):
            self._show()

    def _show(self) -> None:
        with self._lock:
            if self.live:
                self.stream.write(f"\r{self.line()}\x1b[K")
            else:
                self.stream.write(f"mixexpert: {self.line()}\n")
            self.stream.flush()

    def close(self) -> None:
        if self._ticker is not None:
            self._stopped.set()
            self._ticker.join()
        if self.total_files:
            self._show()
            if self.live:
                self.stream.write("\n")
                self.stream.flush()
