"""The import structure of ``expert/rules``: no cycle, and imports at the top of the file.

An import inside a function hides a dependency (and, often, a cycle); the only kind allowed
is a deliberate lazy import of a heavy module, marked ``# lazy import: <why>`` on its line
or on the line above. Edges to a package's ``__init__`` that Python adds implicitly for a
submodule import are not counted; ``from expert.rules import X`` counts as an edge to the
submodule ``X`` when there is one, else to the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "expert" / "rules"
LAZY_MARK = "# lazy import:"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(RULES.rglob("*.py"))}


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The ``expert.rules`` modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level or node.module is None:
            raise AssertionError(f"line {node.lineno}: relative import; use absolute imports")
        names = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES
                 else node.module for alias in node.names]
    return [n for n in names if n in MODULES]


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {m for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                       for m in imported_modules(node)} - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def unmarked_nested_imports(source: str) -> list[str]:
    """``line: import`` for each import below the top level without the lazy mark."""
    lines = source.splitlines()
    tree = ast.parse(source)
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
            here = lines[node.lineno - 1]
            above = lines[node.lineno - 2] if node.lineno > 1 else ""
            if LAZY_MARK not in here and LAZY_MARK not in above:
                out.append(f"{node.lineno}: {here.strip()}")
    return out


def test_rules_modules_have_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle in expert/rules: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_are_at_the_top_unless_marked_lazy(name: str):
    source = MODULES[name].read_text(encoding="utf-8")
    assert unmarked_nested_imports(source) == [], (
        f"move the import to the top of the file, or mark a deliberate lazy import of a "
        f"heavy module with '{LAZY_MARK} <why>'")


def test_cycle_finder_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nested_import_check_sees_unmarked_and_marked_imports():
    source = ("import os\n\n\ndef f():\n    import json\n\n\ndef g():\n"
              f"    import numpy  {LAZY_MARK} heavy\n\n\ndef h():\n    {LAZY_MARK} heavy\n"
              "    import scipy\n")
    assert unmarked_nested_imports(source) == ["5: import json"]
