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

import difflib
import os
import stat
import tomllib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from expert.errors import MixExpertWarning, RuleError
from expert.fileio import read_limited
from expert.rules.model import ProjectConfig, pydantic_errors
from expert.rules.yamlpos import MAX_FILE_BYTES, Positions, load_yaml_file

CONFIG_FILE = "mixexpert.yaml"
#: A folder of project profiles (learned ones among them) beside the settings file, or in
#: the working folder when there is none; read without being listed.
PROFILES_FOLDER = "profiles"


class _Selectable(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def conclusion(self) -> str: ...


def resolve_selectors(selectors: Iterable[str], rules: Sequence[_Selectable],
                      keys: Iterable[str] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """(each selector that names a rule -> its canonical form, each other -> why not).

    The one selector syntax of the command line and the settings: ``ALL`` (any case), a
    problem or finding key (``boomy``; also any declared in ``keys``), or a rule code or
    code prefix in any case (``ld``, ``TB1``, ``st005``). Canonical: keys as written,
    codes upper-cased. A selector that names nothing is a typo, not an empty selection.
    """
    known_keys = {r.conclusion for r in rules} | set(keys)
    ids = sorted(r.id for r in rules)
    canonical: dict[str, str] = {}
    errors: dict[str, str] = {}
    for raw in selectors:
        selector = raw.strip()
        if selector.upper() == "ALL":
            canonical[raw] = "ALL"
        elif selector in known_keys:
            canonical[raw] = selector
        elif selector and any(rid.startswith(selector.upper()) for rid in ids):
            canonical[raw] = selector.upper()
        else:
            close = difflib.get_close_matches(selector.upper(), ids, n=2) + \
                difflib.get_close_matches(selector.lower(), sorted(known_keys), n=2)
            hint = (f"; did you mean {' or '.join(close)}?" if close
                    else "; see `mixexpert rules list`")
            errors[raw] = f"{raw!r} names no rule code, prefix or problem key{hint}"
    return canonical, errors


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


def _untrusted(path: Path) -> bool:
    """True for a file another user owns in a folder anyone may write to (``/tmp``): a
    setting planted there must not silently change what a run reports."""
    try:
        folder_mode = path.parent.stat().st_mode
        return bool(folder_mode & stat.S_IWOTH) and path.stat().st_uid != os.geteuid()
    except OSError:
        return False


def _candidate(path: Path) -> bool:
    if not path.is_file():
        return False
    if _untrusted(path):
        warnings.warn(MixExpertWarning(f"{path}: ignored: owned by another user in a folder "
                                       "anyone can write to"), stacklevel=3)
        return False
    return True


def _mixexpert_table(toml_file: Path) -> Any:
    """``[tool.mixexpert]`` of a pyproject.toml, or None when it has none. A project that is
    not ours (no such table, unreadable, or broken without mentioning us) is ignored."""
    try:
        text = read_limited(toml_file, MAX_FILE_BYTES).decode("utf-8")
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        warnings.warn(MixExpertWarning(f"{toml_file}: ignored: cannot read it ({exc})"),
                      stacklevel=3)
        return None
    try:
        table = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or int() refusing a 4,300-digit number
        if "mixexpert" in text:
            raise RuleError(f"{toml_file}: invalid TOML: {exc}") from None
        return None
    tool = table.get("tool")
    return tool.get("mixexpert") if isinstance(tool, dict) else None


def _read(path: Path) -> ProjectConfig | None:
    """The settings in ``path``; None for a pyproject.toml without ``[tool.mixexpert]``
    (another project's, unreadable, or broken without mentioning us)."""
    if path.name != "pyproject.toml":
        data, pos = load_yaml_file(path)
        return _validate(data, str(path), pos)
    table = _mixexpert_table(path)
    return None if table is None else _validate(table, str(path), None)


def find_project_config(start_dir: str | Path = ".") -> ProjectConfig | None:
    """The nearest project settings at or above ``start_dir`` (a file: its folder).

    Only ``mixexpert.yaml`` and ``[tool.mixexpert]`` tables count: a ``pyproject.toml``
    without the table is another project's and the search goes on above it.
    """
    here = Path(start_dir).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for candidate in (folder / CONFIG_FILE, folder / "pyproject.toml"):
            if _candidate(candidate) and (config := _read(candidate)) is not None:
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
    # No settings: the working folder's profiles/ (where `profiles learn` writes by default).
    here = Path.cwd() / PROFILES_FOLDER
    return ProjectConfig(profiles=[str(here)] if here.is_dir() else [])
