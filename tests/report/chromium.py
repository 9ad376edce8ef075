"""A small headless-Chromium driver for the HTML report's tests, over the DevTools protocol
on a pipe (``--remote-debugging-pipe``: fd 3 in, fd 4 out, NUL-separated JSON), so no
port is opened and nothing beyond the standard library is needed.

``Browser.load(path)`` opens a local page and returns every URL the page requested, the
result of a JavaScript expression evaluated after the load, and a full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Names the browser goes by on Debian (apt's chromium) and elsewhere.
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    return next((path for name in EXECUTABLES if (path := shutil.which(name))), None)


@dataclass
class Page:
    requests: list[str]
    value: Any
    screenshot_png: bytes


class Browser:
    """One headless browser process; use as a context manager."""

    def __init__(self, executable: str, *, width: int = 1100, timeout_s: float = 30.0) -> None:
        self.width, self.timeout_s = width, timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="mixexpert-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                 f"--user-data-dir={self._profile.name}", "--no-first-run",
                 "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update",
                 "--hide-scrollbars", "--mute-audio", "about:blank"]

        def onto_3_and_4() -> None:
            # The protocol wants the pipe on fds 3 and 4 of the browser (kept open by
            # pass_fds). Copy both above 9 first, so neither move overwrites the other.
            read = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self._process = subprocess.Popen(
            [executable, *flags], pass_fds=(3, 4), preexec_fn=onto_3_and_4,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    # -- protocol ------------------------------------------------------------------------
    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def _wait_for(self, method: str) -> dict[str, Any]:
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(i)
            self._events.append(self._receive())

    # -- one page ------------------------------------------------------------------------
    def load(self, path: Path, expression: str = "null") -> Page:
        """Open ``path``; the URLs requested while it loads, ``expression``'s value, and a
        screenshot of the whole page."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Network.enable", session)
        self.call("Page.enable", session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=self.width,
                  height=900, deviceScaleFactor=1, mobile=False)
        self._events.clear()
        self.call("Page.navigate", session, url=path.resolve().as_uri())
        self._wait_for("Page.loadEventFired")
        value = self.call("Runtime.evaluate", session, expression=expression,
                          returnByValue=True)["result"].get("value")
        shot = self.call("Page.captureScreenshot", session, format="png",
                         captureBeyondViewport=True)["data"]
        requests = [e["params"]["request"]["url"] for e in self._events
                    if e.get("method") == "Network.requestWillBeSent"]
        self.call("Target.closeTarget", targetId=target)
        return Page(requests=requests, value=value, screenshot_png=base64.b64decode(shot))
