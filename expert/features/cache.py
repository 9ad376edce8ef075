"""A cache of ``FeatureSet``s on disk, so re-diagnosing an unchanged file skips extraction.

The key covers the file's identity (absolute path, size, modification time), the tool
version, a digest of the extractor's own source code (so a changed analyzer never serves
stale descriptors) and the extraction options; any change misses. Entries are written to a temporary
file and renamed, so a crash never leaves half an entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from expert import __version__
from expert.descriptors.featureset import FeatureSet
from expert.fileio import write_atomic


@lru_cache(maxsize=1)
def extractor_digest() -> str:
    """SHA-256 of the source of ``expert.audio``, ``expert.descriptors`` (band edges and other
    constants the analyzers measure with) and ``expert.features`` (a few ms)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    rooms = ("audio", "descriptors", "features")
    for source in sorted(path for room in rooms for path in package.glob(f"{room}/**/*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """``$MIXEXPERT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mixexpert``, else ``~/.cache/mixexpert``."""
    if env := os.environ.get("MIXEXPERT_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mixexpert"


class FeatureCache:
    """Read and write cached feature sets under ``directory``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def _key(self, path: str, options: dict[str, object]) -> str:
        stat = os.stat(path)
        identity = {
            "path": os.path.abspath(path),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "version": __version__,
            "extractor": extractor_digest(),
            "options": options,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()

    def get(self, path: str, options: dict[str, object]) -> FeatureSet | None:
        try:
            entry = self.directory / f"{self._key(path, options)}.json"
            return FeatureSet.model_validate_json(entry.read_bytes())
        except (OSError, ValueError):
            return None

    def put(self, path: str, options: dict[str, object], features: FeatureSet) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            entry = self.directory / f"{self._key(path, options)}.json"
            write_atomic(entry, features.model_dump_json().encode())
        except OSError:
            pass  # a cache that cannot be written only costs time
