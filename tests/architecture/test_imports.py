"""The rooms of the package and the arrows between them (STYLE.md: data flows one way).

Every import in ``expert/`` is read with ``ast`` (also the lazy ones inside functions) and
checked against the forbidden arrows: the engine never touches samples, the report never
measures, the signal-processing rooms know nothing of reasoning or presentation, the
contract and the rule format load without a numerical library (a function may import one
lazily, marked ``# lazy import: <why>``, as window-series evaluation does), and nothing but the
command line imports the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "expert"
NUMERICAL = ("numpy", "scipy", "essentia")
COMMAND_LINE = ("expert.cli", "expert.commands")

# room -> prefixes it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "expert.engine": ("expert.audio", "expert.features", "expert.report", *COMMAND_LINE),
    "expert.report": ("expert.features", "expert.audio", *COMMAND_LINE),
    "expert.audio": ("expert.engine", "expert.report", "expert.rules", "expert.features",
                     *COMMAND_LINE),
    "expert.features": ("expert.engine", "expert.report", "expert.rules", *COMMAND_LINE),
    "expert.descriptors": (*NUMERICAL, "expert.audio", "expert.features", "expert.engine",
                           "expert.report", "expert.rules", *COMMAND_LINE),
    "expert.rules": (*NUMERICAL, "expert.audio", "expert.features", "expert.engine",
                     "expert.report", *COMMAND_LINE),
    "expert.evaluate": (*COMMAND_LINE,),
    # a store knows rows, not how they were judged; the catalogue runs the pipeline
    "expert.store": (*NUMERICAL, "expert.audio", "expert.features", "expert.engine",
                     "expert.report", "expert.rules", "expert.catalogue", *COMMAND_LINE),
    "expert.catalogue": ("expert.audio", "expert.features", *COMMAND_LINE),
    "expert.pipeline": (*COMMAND_LINE,),
    "expert.compare": (*COMMAND_LINE,),
    "expert.collection": ("expert.audio", "expert.features", *COMMAND_LINE),
    "expert.learning": ("expert.audio", "expert.features", "expert.engine", "expert.report",
                        *COMMAND_LINE),
    "expert.fileio": (*COMMAND_LINE,),
    "expert.errors": ("expert.",),
    "expert.severity": ("expert.", "pydantic"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


LAZY_MARK = "# lazy import:"


def imports_of(path: Path, *, skip_marked_lazy: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, nested ones included
    (``skip_marked_lazy``: but not those marked as deliberate lazy imports)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if skip_marked_lazy and isinstance(node, ast.Import | ast.ImportFrom) and any(
                LAZY_MARK in lines[i] for i in (node.lineno - 1, node.lineno - 2) if i >= 0):
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix.rstrip(".") or name.startswith(prefix.rstrip(".") + ".")


def violations(path: Path) -> list[str]:
    module = _module(path)
    rules = [banned for room, banned in FORBIDDEN.items() if _matches(module, room)]
    found = []
    for lazy_allowed in (False, True):
        for line, name in imports_of(path, skip_marked_lazy=lazy_allowed):
            for banned in rules:
                for prefix in banned:
                    if (prefix in NUMERICAL) == lazy_allowed and _matches(name, prefix):
                        found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: "
                                     f"{module} -> {name}")
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_forbidden_arrow(path: Path) -> None:
    assert violations(path) == []


def test_every_room_is_checked() -> None:
    rooms = {_module(p).split(".")[1] for p in SOURCES if _module(p) != "expert"}
    command_line = {"cli", "commands", "__main__"}
    unchecked = {r for r in rooms if f"expert.{r}" not in FORBIDDEN} - command_line
    assert unchecked == set(), "add the new room's forbidden arrows to FORBIDDEN"


def test_the_check_sees_a_forbidden_arrow(tmp_path: Path) -> None:
    # A stand-in engine module that reaches for samples must be caught, lazily or not.
    fake = PACKAGE / "engine" / "_probe_forbidden.py"
    text = ("def f():\n    from expert.audio.reader import open_audio\n"
            "    import numpy  # lazy import: allowed in the engine anyway\n")
    try:
        fake.write_text(text, encoding="utf-8")
        assert [v.split(" -> ")[1] for v in violations(fake)] == [
            "expert.audio.reader", "expert.audio.reader.open_audio"]
    finally:
        fake.unlink()


def test_a_rule_module_may_not_load_numpy_unmarked() -> None:
    fake = PACKAGE / "rules" / "_probe_numeric.py"
    try:
        fake.write_text("def f():\n    import scipy\n", encoding="utf-8")
        assert [v.split(" -> ")[1] for v in violations(fake)] == ["scipy"]
        fake.write_text("def f():\n    import scipy  # lazy import: heavy\n", encoding="utf-8")
        assert violations(fake) == []
    finally:
        fake.unlink()
