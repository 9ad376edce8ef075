"""Labelled files: the manifest format the evaluator reads.

A manifest is YAML: ``files:`` is a list of entries with ``path`` (relative to the
manifest's folder), ``expect`` (problems a diagnosis must report) and ``optional``
(problems it may report: subtle variants an engineer might not call, side effects).
A file with neither is clean. Other keys (song, injections, measurements, event times)
are kept for people and ignored by the scoring. The corpus generator writes one; a
hand-made manifest over real recordings works the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from expert.errors import UsageError

PROBLEM_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
MANIFEST_NAME = "manifest.yaml"


class LabelledFile(BaseModel):
    """One audio file and the problems it has."""

    model_config = ConfigDict(extra="allow", frozen=True)

    path: str
    expect: tuple[str, ...] = Field(default=(), description="Must be diagnosed.")
    optional: tuple[str, ...] = Field(
        default=(), description="May be diagnosed: neither a miss when absent nor a false alarm."
    )

    @model_validator(mode="after")
    def _check(self) -> LabelledFile:
        for key in (*self.expect, *self.optional):
            if not PROBLEM_KEY.match(key):
                raise ValueError(f"problem key {key!r} is not snake_case")
        if both := set(self.expect) & set(self.optional):
            raise ValueError(f"{', '.join(sorted(both))} both expected and optional")
        return self

    @property
    def clean(self) -> bool:
        return not self.expect and not self.optional


class Manifest(BaseModel):
    """The labelled files of a corpus, paths relative to ``root``."""

    model_config = ConfigDict(extra="allow")

    version: int = 1
    set: str | None = None
    files: list[LabelledFile]
    root: Path = Field(default=Path("."), exclude=True)

    def resolve(self, entry: LabelledFile) -> Path:
        return self.root / entry.path


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest; a folder means its ``manifest.yaml``."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the manifest ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({exc})".splitlines()[0]) from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path}: {where}: {first['msg']}") from None
    paths = [f.path for f in manifest.files]
    if len(set(paths)) != len(paths):
        raise UsageError(f"{path}: a file is listed twice")
    manifest.root = path.parent
    return manifest
