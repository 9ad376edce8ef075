"""Fuzz targets: the rule loader, the expression language and the audio header probe.

Any input gives a result or a one-line error, never another exception (or a hang). The
suite runs a bounded, derandomized number of examples (seconds); for a long run set
``MIXEXPERT_FUZZ_EXAMPLES`` (see tests/hostile/README.md).
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expert.descriptors import CATALOGUE
from expert.errors import AudioError
from expert.rules import load_rulebase
from expert.rules.expr.parse import ExprError, Resolver, compile_expression
from expert.rules.expr.template import compile_template, format_value
from expert.rules.loader import name_table

EXAMPLES = int(os.environ.get("MIXEXPERT_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 150,
    deadline=None,  # a shared 2-core machine: timing is not what is tested
    derandomize=not EXAMPLES,  # the suite is deterministic; a long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
# Real rule text to mutate: the structure a hostile file most likely starts from.
SEED_RULES = (RULES_DIR / "artifacts.yaml").read_text(encoding="utf-8")[:4000]


# -- rule loader --------------------------------------------------------------------------

def _mutated(text: str) -> st.SearchStrategy[str]:
    edits = st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, 40),
                               st.text(max_size=12)), max_size=6)

    def apply(changes: list[tuple[int, int, str]]) -> str:
        out = text
        for at, cut, insert in changes:
            at = min(at, len(out))
            out = out[:at] + insert + out[at + cut:]
        return out

    return edits.map(apply)


YAML_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="rules:- id{}[]&*!<>'\"\n #.0123456789eE+-:,\t\x00~|", max_size=200),
    _mutated(SEED_RULES),
    st.integers(4000, 6000).map(lambda digits: f"rules: [{'9' * digits}]\n"),  # int()'s limit
)


@FUZZ
@given(text=YAML_TEXT)
def test_rule_loader_gives_rules_or_one_line_errors(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz-rules")
    rule_file = folder / "fuzz.yaml"
    rule_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    rulebase = load_rulebase([rule_file], builtin=False, builtin_dir=RULES_DIR)
    for error in rulebase.errors:
        assert "\n" not in error and error.startswith(str(folder)), error


# -- expression language ------------------------------------------------------------------

NAMES = name_table(CATALOGUE, findings=["bright", "tilted"])
NUMBER_NAMES = sorted(n for n, i in NAMES.items() if i.type == "number")[:40]
THRESHOLDS = {"limit_db": 3.0, "margin_lu": 1.0}

_atom = st.one_of(
    st.sampled_from(NUMBER_NAMES + list(THRESHOLDS) + ["finding.bright", "profile.name"]),
    st.sampled_from(["0", "-0", "1e308", "1e-308", "1e999", "3.5", "'text'", "true", "nan"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "<", ">=", "==", "and",
                                               "or", "in", "%", "**"]), inner)
    call = st.tuples(st.sampled_from(["abs", "min", "max", "clamp", "round", "to_db",
                                      "from_db", "log2", "sqrt", "q_from_octaves",
                                      "defined", "default", "eval", "__import__"]),
                     st.lists(inner, max_size=4))
    return st.one_of(
        binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        call.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        inner.map(lambda x: f"not {x}"),
        inner.map(lambda x: f"-{x}"),
        st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
    )


EXPRESSIONS = st.one_of(st.recursive(_atom, _combine, max_leaves=12), st.text(max_size=60))
# As the engine's fact base holds them (expert.engine.facts): a number is a float (NaN when
# undefined), a window series a numpy array; only text may be None.
VALUES = st.one_of(
    st.floats(),  # NaN and the infinities included: evaluation must be total
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0]),
    st.lists(st.floats(), min_size=3, max_size=3).map(lambda v: np.asarray(v, dtype=float)),
)


@FUZZ
@given(source=EXPRESSIONS, window=st.booleans(), data=st.data())
def test_expressions_compile_or_fail_cleanly_and_evaluate_totally(source: str, window: bool,
                                                                  data: st.DataObject) -> None:
    resolver = Resolver(NAMES, {k: NAMES[NUMBER_NAMES[0]] for k in THRESHOLDS}, window=window)
    try:
        expression = compile_expression(source, resolver)
    except ExprError as exc:
        assert "\n" not in exc.message
        return
    env = {name: data.draw(st.one_of(st.none(), st.text(max_size=8)) if info.type == "string"
                           else VALUES) for name, info in expression.names.items()}
    result = expression.evaluate(env, THRESHOLDS).rec[-1]
    if isinstance(result, float | str) or result is None:
        assert isinstance(format_value(result), str)


@FUZZ
@given(source=st.one_of(EXPRESSIONS.map(lambda e: "value {" + e + ":.1f} or {" + e + "}"),
                        st.text(max_size=60)), data=st.data())
def test_templates_render_any_value(source: str, data: st.DataObject) -> None:
    try:
        template = compile_template(source, Resolver(NAMES, {}))
    except ExprError:
        return
    env = {name: data.draw(st.one_of(st.none(), st.text(max_size=8)) if info.type == "string"
                           else st.floats())
           for expression in template.expressions() for name, info in expression.names.items()}
    assert isinstance(template.render(env, {}), str)


# -- audio header probe ---------------------------------------------------------------------

def _seed_file(fmt: str, subtype: str) -> bytes:
    t = np.arange(2205) / 44100
    buffer = io.BytesIO()
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * 440 * t), 44100, format=fmt, subtype=subtype)
    return buffer.getvalue()


SEEDS = {".wav": _seed_file("WAV", "PCM_16"), ".flac": _seed_file("FLAC", "PCM_16"),
         ".aiff": _seed_file("AIFF", "PCM_16"), ".ogg": _seed_file("OGG", "VORBIS")}


@st.composite
def _damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[suffix])
    for _ in range(draw(st.integers(0, 8))):  # overwrite bytes, mostly in the header
        at = draw(st.integers(0, min(len(data) - 1, draw(st.sampled_from([64, len(data)])))))
        data[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
    cut = draw(st.integers(0, len(data)))
    return suffix, bytes(data[:cut] if draw(st.booleans()) else data)


@settings(FUZZ, max_examples=EXAMPLES or 60)  # each example may start a decoder
@given(case=st.one_of(_damaged(), st.tuples(st.sampled_from([".wav", ".flac", ".mp3", ".xyz"]),
                                             st.binary(max_size=200))))
def test_audio_probe_gives_info_or_one_line_error(tmp_path_factory,
                                                  case: tuple[str, bytes]) -> None:
    from expert.audio import open_audio

    suffix, data = case
    path = tmp_path_factory.mktemp("fuzz-audio") / f"damaged{suffix}"
    path.write_bytes(data)
    try:
        source = open_audio(path)
        for _block in zip(range(4), source.blocks(), strict=False):
            pass
    except AudioError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    assert math.isfinite(source.info.duration_s) and source.info.frames >= 0


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_the_seeds_themselves_are_readable(tmp_path: Path, suffix: str) -> None:
    """The fuzz seeds must be valid files, or the probe is only ever fed garbage."""
    from expert.audio import open_audio

    path = tmp_path / f"seed{suffix}"
    path.write_bytes(SEEDS[suffix])
    assert open_audio(path).info.frames == 2205


# -- names in every report format ---------------------------------------------------------

@FUZZ
@given(name=st.one_of(st.text(), st.binary().map(os.fsdecode)), error=st.text(),
       fmt=st.sampled_from(["rich", "json", "markdown", "html"]))
def test_any_name_renders_safely_in_every_format(name: str, error: str, fmt: str) -> None:
    from expert.report.models import FileReport, Report
    from expert.report.output import render

    report = Report(profile={"name": "streaming"},
                    reports=[FileReport(path=name, ok=False, error=error)])
    text = render(report, fmt)
    text.encode("utf-8")  # no lone surrogate left to crash a terminal or a file
    if fmt == "json":
        assert json.loads(text)["reports"][0]["path"] == name
    else:
        assert not set(text) & {"\x1b", "\x07", "\x9b", "\u202e"}
