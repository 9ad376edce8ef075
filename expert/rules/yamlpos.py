"""Safe YAML loading that remembers where every value came from.

Rule files are data written by people, so every error must point at ``file:line:col``.
The parser's events (libyaml when available) are turned into values by hand, checked as
they come, which lets us refuse what a rule file never needs and a hostile file might use:

- any tag other than the plain YAML types (``!!python/object`` and friends);
- anchors and aliases (``&a`` / ``*a``), which make "billion laughs" bombs possible;
- duplicate keys in a mapping (YAML silently keeps the last one; a typo must not vanish);
- files larger than ``MAX_FILE_BYTES``, more than ``MAX_NODES`` values and nesting deeper
  than ``MAX_DEPTH``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from expert.errors import RuleError
from expert.fileio import read_limited

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
# YAML values (scalars, lists, mappings) in one file: the largest built-in file holds
# ~1,300, some 3,800 small rules fit (loaded in ~1.3 s). Counted while parsing, so that a
# file of millions of tiny values is refused at once instead of built (5.6 million took
# 312 s and 11 GB; see benchmarks/bench_rule_loading.py).
MAX_NODES = 50_000

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("null", "bool", "int", "float", "str")}
_STR = f"{_TAG}str"
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()
_NO_KEY = object()

Path_ = tuple[str | int, ...]


@dataclass
class Positions:
    """1-based (line, column) of each key and value, by path from the document root."""

    file: str
    text: str = ""  # the document itself, for messages that quote a line
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


def _where(file: str, event: yaml.Event, message: str) -> RuleError:
    mark = event.start_mark
    return RuleError(f"{file}:{mark.line + 1}:{mark.column + 1}: {message}")


def _bad_tag(file: str, event: yaml.Event, tag: str) -> RuleError:
    return _where(file, event, f"YAML tag {tag.replace(_TAG, '!!')!r} is not allowed; rule "
                               "files hold plain numbers, text, lists and mappings")


@dataclass
class _Open:
    """A sequence or mapping being filled; ``key`` is the mapping's key awaiting a value."""

    container: list[Any] | dict[Any, Any]
    path: Path_
    key: Any = _NO_KEY


def _tag(event: yaml.ScalarEvent) -> str:
    if event.tag is None or event.tag == "!":
        return _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    return event.tag


def _scalar(file: str, event: yaml.ScalarEvent) -> Any:
    tag = _tag(event)
    if tag == _STR:  # the common case, without a constructor
        return event.value
    if tag not in _SCALAR_TAGS:
        raise _bad_tag(file, event, tag)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    try:
        return _constructor.yaml_constructors[tag](_constructor, node)
    except ValueError:  # e.g. an integer of more than 4,300 digits (Python's own limit)
        raise _where(file, event, f"{event.value[:20]}...: not a number a rule file can "
                                  "hold") from None


def _compose(events: Iterable[yaml.Event], pos: Positions) -> Any:
    """The document as plain values, checked event by event as the parser yields them, so
    that a hostile shape is refused before it is built (not after gigabytes of nodes)."""
    file = pos.file
    root: Any = None
    stack: list[_Open] = []
    nodes = 0
    documents = 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _where(file, event, "a rule file holds one YAML document (no second "
                                          "'---')")
            continue
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue  # stream and document ends
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise _where(file, event, "YAML anchors and aliases (&name / *name) are not "
                                      "allowed in rule files; write the value out")
        nodes += 1
        if nodes > MAX_NODES:
            raise _where(file, event, f"more than {MAX_NODES:,} YAML values in one file; "
                                      "split the rules over several files")
        parent = stack[-1] if stack else None
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(parent, _Open) and isinstance(parent.container, dict) \
                and parent.key is _NO_KEY:  # a mapping key
            if not isinstance(event, yaml.ScalarEvent) or _tag(event) == f"{_TAG}merge":
                raise _where(file, event, "mapping keys must be plain text (no '<<' merges)")
            key = _scalar(file, event)
            key = str(key) if isinstance(key, int | float | bool) or key is None else key
            if key in parent.container:
                raise _where(file, event, f"duplicate key {key!r}")
            pos.keys[parent.path + (key,)] = mark
            parent.key = key
            continue
        if parent is None:
            path: Path_ = ()
        elif isinstance(parent.container, dict):
            path = parent.path + (parent.key,)
        else:
            path = parent.path + (len(parent.container),)
        if len(path) > MAX_DEPTH:
            raise _where(file, event, f"nesting deeper than {MAX_DEPTH} levels")
        pos.values[path] = mark
        value: Any
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(file, event)
        else:
            kind = "seq" if isinstance(event, yaml.SequenceStartEvent) else "map"
            if event.tag not in (None, "!", f"{_TAG}{kind}"):
                raise _bad_tag(file, event, event.tag)
            value = [] if kind == "seq" else {}
            stack.append(_Open(value, path))
        if parent is None:
            root = value
        elif isinstance(parent.container, dict):
            parent.container[parent.key] = value
            parent.key = _NO_KEY
        else:
            parent.container.append(value)
    return root


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
    pos = Positions(file, text)
    try:
        root = _compose(yaml.parse(text, Loader=_Loader), pos)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RuleError(f"{file}:{line}:{col}: malformed YAML: {problem}"
                        f"{_likely_fix(exc, text.splitlines(), line)}") from None
    except yaml.reader.ReaderError as exc:  # a NUL or other control character: no mark
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise RuleError(f"{file}:{line}:{col}: malformed YAML: character U+{code:04X} "
                        "is not allowed (control characters other than tab and newline)"
                        ) from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid YAML"
        raise RuleError(f"{file}:1:1: malformed YAML: {first}") from None
    return root, pos


def load_yaml_file(path: str | os.PathLike[str]) -> tuple[Any, Positions]:
    """Read and parse a YAML file, refusing oversized or undecodable files."""
    file = str(path)
    try:
        text = read_limited(file, MAX_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"{file}:1:1: not UTF-8 text ({exc.reason})") from None
    except ValueError as exc:  # not a regular file, or over the limit
        raise RuleError(f"{file}:1:1: {exc}; rule files are plain YAML files up to "
                        f"{MAX_FILE_BYTES // 2**20} MB") from None
    except OSError as exc:
        raise RuleError(f"{file}:1:1: cannot read: {exc.strerror or exc}") from None
    return load_yaml_text(text, file)
