"""Essentia's algorithms, made one by one from its extension module.

``essentia.standard`` takes about a second to import (it wraps all ~250 algorithms), more
than an analyzer's whole pass over a 4-minute file; one algorithm made directly from
``essentia._essentia`` costs the module's ~0.1 s, with ``essentia.standard`` as the fallback
on builds that lack it. Essentia's own log lines are silenced: the report speaks for us.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def algorithm(name: str, **config: Any) -> Callable[..., Any]:
    """Essentia's standard-mode algorithm ``name``, configured, as its compute function."""
    import essentia

    essentia.log.infoActive = False
    essentia.log.warningActive = False
    try:
        from essentia import _essentia

        made = _essentia.Algorithm(name)
        made.__configure__(**config)
        return made.__compute__
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other builds
        import essentia.standard as es

        return getattr(es, name)(**config)
