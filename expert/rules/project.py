"""Project settings and rule selection with ruff's semantics.

Settings come from the nearest ``mixexpert.yaml`` or ``pyproject.toml`` with a
``[tool.mixexpert]`` table, searching from the start folder upwards (``diagnose`` starts
from the audio's folder, as ruff does from the file; ``--config FILE`` names one). Rule
folders in the settings are relative to the file that names them.

Selection: a selector is ``ALL``, a code prefix (``TB``, ``TB0``, ``TB003``) or a problem /
finding key (``muddy``). For each rule the most specific matching selector decides (longer
prefix beats shorter, a full code or a problem key beats any prefix); when a ``select`` and
an ``ignore`` selector are equally specific, ``ignore`` wins. Severity overrides use the
same matching.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from expert.errors import RuleError
from expert.rules.model import ProjectConfig, pydantic_errors
from expert.rules.yamlpos import Positions, load_yaml_file

CONFIG_FILE = "mixexpert.yaml"
#: A folder of project profiles beside the settings file, read without being listed.
PROFILES_FOLDER = "profiles"


class _Selectable(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def conclusion(self) -> str: ...


def specificity(selector: str, rule: _Selectable) -> int | None:
    """How specifically ``selector`` names ``rule`` (None = it does not)."""
    if selector == "ALL":
        return 0
    if selector == rule.conclusion or selector.upper() == rule.id:
        return 100
    if selector.isupper() and rule.id.startswith(selector):
        return len(selector)
    return None


def most_specific(selectors: Iterable[str], rule: _Selectable) -> str | None:
    """The selector that names ``rule`` most specifically, or None."""
    best: tuple[int, str] | None = None
    for sel in selectors:
        s = specificity(sel, rule)
        if s is not None and (best is None or s > best[0]):
            best = (s, sel)
    return best[1] if best else None


class Selector:
    """Decides which rules are reported, from select / ignore lists."""

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> None:
        self.select = list(select) if select is not None else ["ALL"]
        self.ignore = list(ignore)

    def enabled(self, rule: _Selectable) -> bool:
        return self.decision(rule)[0]

    def decision(self, rule: _Selectable) -> tuple[bool, str | None]:
        """Whether ``rule`` is reported, and the selector that decided (None when no
        ``select`` selector names the rule)."""
        sel = most_specific(self.select, rule)
        if sel is None:
            return False, None
        ign = most_specific(self.ignore, rule)
        if ign is None or specificity(sel, rule) > specificity(ign, rule):  # type: ignore[operator]
            return True, sel
        return False, ign


def _validate(data: Any, source: str, pos: Positions | None) -> ProjectConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RuleError(f"{source}:1:1: project settings must be a mapping")
    try:
        config = ProjectConfig.model_validate({**data, "source": source})
    except ValidationError as exc:
        if pos is not None:
            fields = {name: ["the project settings"] for name in ProjectConfig.model_fields
                      if name != "source"}
            raise RuleError("\n".join(pydantic_errors(exc, pos, fields))) from None
        lines = [f"{source}: [tool.mixexpert] {'.'.join(map(str, e['loc']))}: {e['msg']}"
                 for e in exc.errors(include_url=False)]
        raise RuleError("\n".join(lines)) from None
    base = Path(source).parent

    def paths(names: list[str]) -> list[str]:
        return [str((base / p).resolve()) if not Path(p).is_absolute() else p for p in names]

    profile_paths = paths(config.profiles)
    beside = str((base / PROFILES_FOLDER).resolve())
    if (base / PROFILES_FOLDER).is_dir() and beside not in profile_paths:
        profile_paths.append(beside)
    config = config.model_copy(update={"rules": paths(config.rules), "profiles": profile_paths})
    config._positions = pos
    return config


def _read(path: Path) -> ProjectConfig | None:
    """The settings in ``path``; None for a pyproject.toml without ``[tool.mixexpert]``."""
    if path.name != "pyproject.toml":
        data, pos = load_yaml_file(path)
        return _validate(data, str(path), pos)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: invalid TOML: {exc}") from None
    tool: Mapping[str, Any] = table.get("tool", {})
    return _validate(tool["mixexpert"], str(path), None) if "mixexpert" in tool else None


def find_project_config(start_dir: str | Path = ".") -> ProjectConfig | None:
    """The nearest project settings at or above ``start_dir`` (a file: its folder)."""
    here = Path(start_dir).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for candidate in (folder / CONFIG_FILE, folder / "pyproject.toml"):
            if candidate.is_file() and (config := _read(candidate)) is not None:
                return config
    return None


def load_project_config(start_dir: str | Path = ".", *, config_file: str | Path | None = None,
                        fallback_dir: str | Path | None = None) -> ProjectConfig:
    """The project settings: ``config_file`` when given, else the nearest above
    ``start_dir``, else the nearest above ``fallback_dir``; defaults when there are none."""
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise RuleError(f"{path}: no such project settings file (--config)")
        config = _read(path)
        if config is None:
            raise RuleError(f"{path}: has no [tool.mixexpert] table")
        return config
    for folder in (start_dir, fallback_dir):
        if folder is not None and (config := find_project_config(folder)) is not None:
            return config
    return ProjectConfig()
