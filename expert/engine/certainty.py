"""Certainty factors, combined the MYCIN way.

References: E. H. Shortliffe and B. G. Buchanan, "A model of inexact reasoning in
medicine", Mathematical Biosciences 23 (1975) 351-379; B. G. Buchanan and E. H. Shortliffe,
*Rule-Based Expert Systems* (1984), ch. 10-11.

Our certainties are positive (0..1: how sure we are that the problem is present), so only
the positive branches of the calculus are needed:

- a rule's conclusion: CF(rule) x CF(premise), where the premise's certainty is the
  minimum over the findings its condition used (conjunction); measured descriptors are
  facts with certainty 1;
- two rules concluding the same thing: CF = CF1 + CF2 x (1 - CF1), which is commutative
  and associative (order of rules does not matter) and never exceeds 1;
- the measurement's noise: a rule's certainty is scaled by the probability that the true
  value lies on the firing side of the threshold, given the measured margin ``z`` in noise
  widths (``expert.engine.near_miss.noise_margin``). A noise width is a tolerance (EBU
  Tech 3341's +-0.1 LU, ...), read as two standard deviations of a normal error, so the
  probability is Phi(2 z): 0.5 on the threshold, 0.98 one width past it, 1 for an exact
  comparison (no declared noise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def combine(a: float, b: float) -> float:
    """MYCIN combination of two positive certainties in [0, 1]."""
    return a + b * (1.0 - a)


def combine_all(values: Iterable[float]) -> float:
    """Combination of any number of positive certainties (0 for none)."""
    out = 0.0
    for v in values:
        out = combine(out, v)
    return out


def conclude(rule_certainty: float, premise_certainties: Iterable[float]) -> float:
    """Certainty of a rule's conclusion: rule CF times the weakest premise CF."""
    return rule_certainty * min(premise_certainties, default=1.0)


def margin_certainty(margin_widths: float) -> float:
    """Probability that the true value is past the threshold, for a measured margin in
    noise widths (a width = 2 standard deviations): Phi(2 z); 1 for +inf, 0 for -inf."""
    if math.isnan(margin_widths):
        return 1.0
    if math.isinf(margin_widths):
        return 1.0 if margin_widths > 0 else 0.0
    return 0.5 * (1.0 + math.erf(math.sqrt(2.0) * margin_widths))
