"""Where the built-in knowledge is: the top-level ``rules/`` folder of the repository.

pyproject.toml ships that folder inside the package as ``expert.rulebase`` (in a wheel a
folder of the installed package, in an editable install the checkout's ``rules/``), and
importlib.resources finds it either way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUILTIN_PACKAGE = "expert.rulebase"


def builtin_rules_dir() -> Path:
    """The folder of the built-in rule files, ``problems.yaml`` and ``profiles/``."""
    return Path(str(files(BUILTIN_PACKAGE)))
