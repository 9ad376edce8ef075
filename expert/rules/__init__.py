"""Rules and profiles: the knowledge of mixexpert as validated data.

``load_rulebase`` reads the built-in ``rules/`` folder plus project rule folders,
``load_project_config`` finds the project settings, ``resolve_profile`` builds the targets
of a destination, genre and reference track. Nothing here imports signal-processing code.
"""

from expert.rules.loader import Rule, RuleBase, load_rulebase
from expert.rules.model import Profile, ProjectConfig, RuleSpec
from expert.rules.profiles import resolve_profile
from expert.rules.project import Selector, load_project_config

__all__ = [
    "Profile",
    "ProjectConfig",
    "Rule",
    "RuleBase",
    "RuleSpec",
    "Selector",
    "load_project_config",
    "load_rulebase",
    "resolve_profile",
]
