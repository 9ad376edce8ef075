"""What the real-set benchmarks print about an evaluation: the clean controls (a source's
``orig`` and ``norm``, the cases the envelopes are learned from) that got a false alarm,
and the one-line summary beside macro-F1 and eval's clean false-alarm rate."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from corpus.envelopes import CLEAN_CASES
from expert.evaluate.scoring import Evaluation


def is_control(path: str) -> bool:
    return Path(path).stem in CLEAN_CASES


def alarmed_controls(evaluation: Evaluation) -> int:
    """Clean controls with any false alarm (info included)."""
    return sum(1 for r in evaluation.results if is_control(r.path) and r.false_alarms)


def control_false_alarms(evaluation: Evaluation) -> Counter[str]:
    """Per key, the clean controls it was reported on."""
    return Counter(k for r in evaluation.results if is_control(r.path) for k in r.false_alarms)


def summary(label: str, evaluation: Evaluation) -> str:
    return (f"{label:10s}: macro-F1 {evaluation.macro_f1:.3f}, controls with a false alarm "
            f"{alarmed_controls(evaluation)}, clean false-alarm rate "
            f"{evaluation.clean_false_alarm_rate:.3f}")
