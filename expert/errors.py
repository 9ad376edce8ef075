"""The one exception hierarchy of mixexpert, and the exit status a run ends with.

Low-level errors (decoder, YAML, pydantic) are mapped onto these at the boundary, so that
the command line can print a single line naming the file and never a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """The exit status of ``mixexpert`` (the contract's 0 / 1 / 2)."""

    OK = 0
    """The run worked, whatever was diagnosed."""
    CHECK_FAILED = 1
    """A check asked for failed: ``--fail-on``, a ``rules test`` example, an ``eval`` floor."""
    USAGE = 2
    """A usage error, a rule file that does not validate, or no input could be analysed."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT, as a shell reports it)."""


class MixExpertError(Exception):
    """Base class of every error mixexpert reports to the user."""


class AudioError(MixExpertError):
    """An audio file could not be read or is not something we can analyse."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # Rebuilt from both arguments: an analysis process sends its error to the parent.
        return type(self), (self.path, self.reason)


class RuleError(MixExpertError):
    """A rule or profile file is invalid; the message carries ``file:line:col``."""


class OutputError(MixExpertError, OSError):
    """A report, marker list or other output could not be written (still an ``OSError``)."""


class Interrupted(MixExpertError):
    """Ctrl-C stopped a batch; ``done`` holds the results finished before it, in order."""

    def __init__(self, done: list, total: int) -> None:  # type: ignore[type-arg]
        super().__init__(f"interrupted; {len(done)} of {total} files done")
        self.done = done
        self.total = total

    def __reduce__(self) -> tuple[type, tuple[list, int]]:  # type: ignore[type-arg]
        return type(self), (self.done, self.total)


class UsageError(MixExpertError):
    """The command line asks for something that cannot be done."""


class MixExpertWarning(UserWarning):
    """Something was skipped that the user should know of (printed as one line)."""


class StemMismatchError(UsageError):
    """The stems of one song (or the mix beside them) differ in length or sample rate."""
