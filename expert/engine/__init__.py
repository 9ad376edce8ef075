"""The inference engine: reasoning over descriptors, never over audio.

``Engine(rulebase, profile).run(Facts(...))`` returns an ``EngineResult`` whose
``diagnoses`` are the contract's diagnosis objects and whose traces explain them.
"""

from expert.engine.facts import Facts
from expert.engine.inference import Engine
from expert.engine.result import (
    Condition,
    DerivedFinding,
    Diagnosis,
    EngineResult,
    Evidence,
    NearMiss,
    RemedyResult,
    RuleTrace,
)

__all__ = [
    "Condition",
    "DerivedFinding",
    "Diagnosis",
    "Engine",
    "EngineResult",
    "Evidence",
    "Facts",
    "NearMiss",
    "RemedyResult",
    "RuleTrace",
]
