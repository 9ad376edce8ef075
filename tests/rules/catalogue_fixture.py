"""The descriptor catalogue the rule and engine tests validate against.

It is the real catalogue: the built-in rules must only use names the extractors fill, with
their real units and scopes (a stand-in list drifted from the extractors once already).
"""

from __future__ import annotations

from expert.descriptors import CATALOGUE

__all__ = ["CATALOGUE"]
