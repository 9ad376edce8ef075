"""A cache of ``FeatureSet``s on disk, so re-diagnosing an unchanged file skips extraction.

The key covers the file's identity (absolute path, size, modification time), the tool
version, a digest of the extractor's own source code (so a changed analyzer never serves
stale descriptors), the versions of the decoding libraries (an upgraded decoder may decode
other samples) and the extraction options; any change misses. Entries are written to a temporary
file and renamed, so a crash never leaves half an entry.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from functools import lru_cache
from pathlib import Path

from expert import __version__
from expert.descriptors import CATALOGUE
from expert.descriptors.featureset import FeatureSet
from expert.descriptors.stems import StemSetFacts
from expert.features.detectors import detectors_path
from expert.fileio import read_limited, write_atomic

# A 60-minute file's entry is a few MB; anything far larger was not written by us.
MAX_ENTRY_BYTES = 64 << 20


def _well_formed(features: FeatureSet) -> bool:
    """Every descriptor is one the catalogue names, with a value of its kind (or None)."""
    for name, value in features.descriptors.items():
        spec = CATALOGUE.get(name)
        if spec is None:
            return False
        if value is None:
            continue
        if spec.kind == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value)
        elif spec.kind == "bool":
            ok = isinstance(value, bool)
        elif spec.kind == "text":
            ok = isinstance(value, str)
        else:
            ok = isinstance(value, list)
        if not ok:
            return False
    return True


@lru_cache(maxsize=1)
def extractor_digest() -> str:
    """SHA-256 of the source of ``expert.audio``, ``expert.descriptors`` (band edges and other
    constants the analyzers measure with) and ``expert.features``, and of the detectors'
    thresholds file (a few ms)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    rooms = ("audio", "descriptors", "features")
    for source in sorted(path for room in rooms for path in package.glob(f"{room}/**/*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    digest.update(detectors_path().read_bytes())
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
        from expert.audio.reader import decoder_versions  # numpy: not for every importer

        stat = os.stat(path)
        identity = {
            "path": os.path.abspath(path),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "version": __version__,
            "extractor": extractor_digest(),
            "decoders": decoder_versions(path),
            "options": options,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()

    def get(self, path: str, options: dict[str, object]) -> FeatureSet | None:
        """The cached feature set, or None: anything but a regular file holding a
        well-formed entry (a FIFO, a link to /dev/zero, a value of the wrong type) is a
        miss, and the entry is recomputed and replaced."""
        try:
            entry = self.directory / f"{self._key(path, options)}.json"
            features = FeatureSet.model_validate_json(
                read_limited(entry, MAX_ENTRY_BYTES, follow_links=False)
            )
        except (OSError, ValueError):
            return None
        return features if _well_formed(features) else None

    def put(self, path: str, options: dict[str, object], features: FeatureSet) -> None:
        self._write(self._key(path, options), features.model_dump_json().encode())

    def _write(self, key: str, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            entry = self.directory / f"{key}.json"
            if entry.is_symlink() or entry.exists() and not entry.is_file():
                entry.unlink()  # a tampered entry: the folder is ours, the FIFO or link is not
            write_atomic(entry, data)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _set_key(self, paths: list[str], mix: str | None) -> str:
        """A set of stems (and its mix): the keys of its files, in order."""
        keys = [self._key(p, {"stems": True}) for p in [*paths, *([mix] if mix else [])]]
        return hashlib.sha256(json.dumps([keys, mix is not None]).encode()).hexdigest()

    def get_stems(self, paths: list[str], mix: str | None) -> StemSetFacts | None:
        """The cached measurement of a stem set, or None (a file changed, or none yet)."""
        try:
            entry = self.directory / f"{self._set_key(paths, mix)}.json"
            return StemSetFacts.model_validate_json(
                read_limited(entry, MAX_ENTRY_BYTES, follow_links=False))
        except (OSError, ValueError):
            return None

    def put_stems(self, paths: list[str], mix: str | None, facts: StemSetFacts) -> None:
        try:
            key = self._set_key(paths, mix)
        except OSError:
            return
        self._write(key, facts.model_dump_json().encode())
