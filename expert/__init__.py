"""mixexpert: a knowledge-based expert system that diagnoses problems in music mixes.

Data flows one way: ``expert.audio`` (decoding) -> ``expert.features`` (descriptors)
-> ``expert.engine`` (inference over ``rules/``) -> ``expert.report`` (presentation).
"""

__version__ = "0.1.0"
