"""Safe YAML loading that remembers where every value came from.

Rule files are data written by people, so every error must point at ``file:line:col``.
The file is composed into YAML nodes (libyaml when available) and converted by hand, which
lets us refuse what a rule file never needs and a hostile file might use:

- any tag other than the plain YAML types (``!!python/object`` and friends);
- anchors and aliases (``&a`` / ``*a``), which make "billion laughs" bombs possible;
- duplicate keys in a mapping (YAML silently keeps the last one; a typo must not vanish);
- files larger than ``MAX_FILE_BYTES`` and nesting deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from expert.errors import RuleError

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("null", "bool", "int", "float", "str")}
_STR = f"{_TAG}str"
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()

Path_ = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of each key and value, by path from the document root."""

    file: str
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` (or of its nearest ancestor that has one)."""
        table = self.keys if key else self.values
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            if not key and path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def where(self, path: Path_, *, key: bool = False) -> str:
        """``file:line:col`` of ``path``."""
        line, col = self.of(path, key=key)
        return f"{self.file}:{line}:{col}"


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _fail(file: str, node: yaml.Node | None, message: str) -> RuleError:
    line, col = _mark(node) if node is not None else (1, 1)
    return RuleError(f"{file}:{line}:{col}: {message}")


def _bad_tag(file: str, node: yaml.Node) -> RuleError:
    return _fail(file, node, f"YAML tag {node.tag.replace(_TAG, '!!')!r} is not allowed; rule "
                             "files hold plain numbers, text, lists and mappings")


def _convert(node: yaml.Node, path: Path_, pos: Positions, seen: set[int]) -> Any:
    file = pos.file
    if len(path) > MAX_DEPTH:
        raise _fail(file, node, f"nesting deeper than {MAX_DEPTH} levels")
    if id(node) in seen:
        raise _fail(file, node, "YAML anchors and aliases (&name / *name) are not allowed "
                                "in rule files; write the value out")
    seen.add(id(node))
    mark = node.start_mark
    pos.values[path] = (mark.line + 1, mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:  # the common case, without the generic constructor
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _bad_tag(file, node)
        return _constructor.construct_object(node)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != f"{_TAG}seq":
            raise _bad_tag(file, node)
        return [_convert(item, path + (i,), pos, seen) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        if node.tag != f"{_TAG}map":
            raise _bad_tag(file, node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == f"{_TAG}merge":
                raise _fail(file, key_node, "mapping keys must be plain text (no '<<' merges)")
            key = _convert(key_node, path + ("<key>",), pos, seen)
            key = str(key) if isinstance(key, int | float | bool) or key is None else key
            if key in out:
                raise _fail(file, key_node, f"duplicate key {key!r}")
            pos.keys[path + (key,)] = _mark(key_node)
            out[key] = _convert(value_node, path + (key,), pos, seen)
        pos.values.pop(path + ("<key>",), None)
        return out
    raise _fail(file, node, "unsupported YAML node")  # pragma: no cover - yaml has 3 kinds


def _indent_hint(lines: list[str], line: int) -> str:
    """'indent it like line N (column C)': the indentation levels just above ``line``
    nearest to its own, as the likely intended ones."""
    def indent(text: str) -> int:
        return len(text) - len(text.lstrip(" ")) + 1

    own = indent(lines[line - 1]) if 0 < line <= len(lines) else 1
    levels: dict[int, int] = {}  # column -> latest line above that starts there
    for n in range(line - 1, 0, -1):
        text = lines[n - 1]
        if text.strip() and not text.lstrip().startswith("#"):
            levels.setdefault(indent(text), n)
            if text.lstrip().startswith("- "):  # the item's keys start after the dash
                levels.setdefault(indent(text) + 2, n)
    if own in levels:
        return ""  # aligned with a level above: the indentation is not the problem
    below = [c for c in levels if c < own]
    above = [c for c in levels if c > own]
    picks = ([max(below)] if below else []) + ([min(above)] if above else [])
    like = " or ".join(f"line {levels[c]} (column {c})" for c in picks)
    return f"; line {line} starts at column {own}: indent it like {like}" if like else ""


#: Likely fixes for the syntax errors people make in hand-written YAML, by problem text.
_FIXES = (
    ("did not find expected key", "expected another key of the mapping that starts at {ctx}",
     True),
    ("did not find expected '-' indicator", "expected another '- ' item of the list that "
     "starts at {ctx}", True),
    ("mapping values are not allowed", "a ':' followed by a space inside a value, or a key "
     "indented under a value: quote the value (\"a: b\") or align the key with the keys "
     "above it", True),
    ("could not find expected ':'", "a line inside a mapping that is not 'key: value': add "
     "the ':', or indent it under the key whose text it continues", True),
    ("tab character", "YAML indentation must be spaces: replace the tabs", False),
    ("character '\\t'", "YAML indentation must be spaces: replace the tabs", False),
    ("end of stream", "a quoted text or bracket opened at {ctx} is never closed: add the "
     "closing quote or bracket", False),
)


def _likely_fix(exc: yaml.MarkedYAMLError, lines: list[str], line: int) -> str:
    """What the parser expected and the usual cause, for the common syntax errors."""
    problem = exc.problem or ""
    ctx_mark = exc.context_mark
    ctx = f"{ctx_mark.line + 1}:{ctx_mark.column + 1}" if ctx_mark else "the line above"
    for needle, text, indentation in _FIXES:
        if needle in problem:
            hint = _indent_hint(lines, line) if indentation else ""
            return f" ({text.format(ctx=ctx)}{hint})"
    return ""


def load_yaml_text(text: str, file: str) -> tuple[Any, Positions]:
    """Parse one YAML document from ``text``; errors name ``file:line:col``."""
    pos = Positions(file)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RuleError(f"{file}:{line}:{col}: malformed YAML: {problem}"
                        f"{_likely_fix(exc, text.splitlines(), line)}") from None
    except yaml.YAMLError as exc:
        raise RuleError(f"{file}:1:1: malformed YAML: {exc}") from None
    if root is None:
        return None, pos
    return _convert(root, (), pos, set()), pos


def load_yaml_file(path: str | os.PathLike[str]) -> tuple[Any, Positions]:
    """Read and parse a YAML file, refusing oversized or undecodable files."""
    file = str(path)
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            raise RuleError(f"{file}:1:1: file is {size / 1e6:.1f} MB; rule files are limited "
                            f"to {MAX_FILE_BYTES // (1024 * 1024)} MB")
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{file}:1:1: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise RuleError(f"{file}:1:1: cannot read file: {exc.strerror}") from None
    return load_yaml_text(text, file)
