"""One file's feature set: the head start's, the cache's, or freshly extracted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from expert.errors import AudioError
from expert.features import head_start
from expert.features.cache import FeatureCache
from expert.options import RunOptions

if TYPE_CHECKING:
    from expert.descriptors.featureset import FeatureSet


def measure(path: str, options: RunOptions, *, parallel: bool = True) -> FeatureSet:
    """Extract (or fetch from the cache) the feature set of one file."""
    return measure_traced(path, options, parallel=parallel)[0]


def measure_traced(
    path: str, options: RunOptions, *, parallel: bool = True
) -> tuple[FeatureSet, bool]:
    """``measure``, and whether the features came from the cache (nothing was decoded)."""
    if (started := head_start.claim(path, options, parallel=parallel)) is not None:
        return started
    from expert.audio.reader import check_input
    from expert.features.extract import extract

    check_input(path)  # before the cache: no result for a file that can no longer be read
    key = {"codec_check": options.codec_check, "downmix": options.downmix}
    cache = FeatureCache(Path(options.cache_dir) if options.cache_dir else None)
    if options.use_cache and (hit := cache.get(path, key)) is not None:
        return hit, True
    try:
        features = extract(
            path, codec_check=options.codec_check, downmix=options.downmix, parallel=parallel
        )
    except OSError as exc:  # e.g. EIO, or the file replaced by a folder while read
        raise AudioError(path, f"cannot read: {exc.strerror or exc}") from None
    if options.use_cache:
        cache.put(path, key, features)
    return features, False
