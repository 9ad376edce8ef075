"""Where the built-in knowledge is: the top-level ``rules/`` folder of the repository.

pyproject.toml ships that folder inside the package as ``expert.rulebase`` (in a wheel a
folder of the installed package, in an editable install the checkout's ``rules/``), and
importlib.resources finds it either way.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

BUILTIN_PACKAGE = "expert.rulebase"


def builtin_rules_dir() -> Path:
    """The folder of the built-in rule files, ``problems.yaml`` and ``profiles/``."""
    return Path(str(files(BUILTIN_PACKAGE)))


def rulebase_digest(folder: Path | None = None) -> str:
    """A short digest of every built-in YAML file (names and bytes): the rulebase version a
    learned profile or a stored result was made with."""
    root = folder or builtin_rules_dir()
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
