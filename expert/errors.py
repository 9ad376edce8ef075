"""The one exception hierarchy of mixexpert.

Low-level errors (decoder, YAML, pydantic) are mapped onto these at the boundary, so that
the command line can print a single line naming the file and never a traceback.
"""

from __future__ import annotations


class MixExpertError(Exception):
    """Base class of every error mixexpert reports to the user."""


class AudioError(MixExpertError):
    """An audio file could not be read or is not something we can analyse."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message


class RuleError(MixExpertError):
    """A rule or profile file is invalid; the message carries ``file:line:col``."""


class UsageError(MixExpertError):
    """The command line asks for something that cannot be done."""
