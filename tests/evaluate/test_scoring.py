"""The evaluator's arithmetic on known outcomes (no audio: detectors are stubs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expert.evaluate.labels import LabelledFile, Manifest
from expert.evaluate.render import EvaluationView, to_json
from expert.evaluate.scoring import CLEAN, FileOutcome, evaluate, run_detector, score
from expert.rules.loader import builtin_problems

FILES = [
    LabelledFile(path="a/clean.flac"),
    LabelledFile(path="b/clean.flac"),
    LabelledFile(path="a/boomy.flac", expect=("boomy",)),
    LabelledFile(path="b/boomy.flac", expect=("boomy",)),
    LabelledFile(path="a/boomy-subtle.flac", optional=("boomy",)),
    LabelledFile(path="a/hot.flac", expect=("over_compressed", "loudness_too_hot")),
    LabelledFile(path="a/clipped.flac", expect=("clipping",), optional=("true_peak_over",)),
]
MANIFEST = Manifest(files=FILES, root=Path("/corpus"))


def detector_from(table: dict[str, list[str] | None]):
    """A stub detector answering from a table keyed by file name."""
    return lambda path: table[Path(path).relative_to("/corpus").as_posix()]


def test_a_detector_firing_exactly_on_the_labels_scores_one() -> None:
    result = evaluate(MANIFEST, detector_from({f.path: list(f.expect) for f in FILES}))
    assert result.macro_f1 == 1.0
    assert result.micro_precision == result.micro_recall == 1.0
    assert result.clean_false_alarm_rate == 0.0
    assert result.confusions == []
    supported = {s.problem: s for s in result.problems if s.support}
    assert set(supported) == {"boomy", "over_compressed", "loudness_too_hot", "clipping"}
    assert all(s.f1 == 1.0 and s.fp == 0 and s.fn == 0 for s in supported.values())


def test_a_detector_firing_everything_scores_the_expected_precision() -> None:
    result = evaluate(MANIFEST, lambda path: list(builtin_problems()))
    by_problem = {s.problem: s for s in result.problems}
    # boomy: expected on 2 files, optional on 1 (not scored), a false alarm on the other 4.
    assert by_problem["boomy"].precision == pytest.approx(2 / 6)
    assert by_problem["boomy"].recall == 1.0
    assert by_problem["boomy"].optional_found == 1
    # true_peak_over: optional on 1 file, never expected: 6 false alarms, recall undefined.
    assert by_problem["true_peak_over"].fp == 6
    assert by_problem["true_peak_over"].recall is None
    assert by_problem["clipping"].precision == pytest.approx(1 / 7)
    assert result.clean_false_alarm_rate == 1.0
    assert by_problem["hum"].clean_false_alarms == 3  # the two clean files and the subtle one
    # macro-F1 over the 4 supported problems: F1 = 2TP / (2TP + FP + FN).
    expected = (2 * 2 / (4 + 4) + 2 / (2 + 6) + 2 / (2 + 6) + 2 / (2 + 6)) / 4
    assert result.macro_f1 == pytest.approx(expected)


@pytest.mark.parametrize(
    ("found", "tp", "fp", "fn", "optional_found", "false_alarm_rate"),
    [
        ([], 0, 0, 0, 0, 0.0),  # a subtle variant missed is not a false negative
        (["boomy"], 0, 0, 0, 1, 0.0),  # ... and found is not a false positive
        (["boomy", "muddy"], 0, 1, 0, 1, 1.0),  # other problems on it still are
    ],
)
def test_optional_labels_are_not_scored(found: list[str], tp: int, fp: int, fn: int,
                                        optional_found: int, false_alarm_rate: float) -> None:
    outcome = FileOutcome("x.flac", (), ("boomy",), tuple(found))
    result = score([outcome])
    boomy = next(s for s in result.problems if s.problem == "boomy")
    muddy = next(s for s in result.problems if s.problem == "muddy")
    assert (boomy.tp, boomy.fp + muddy.fp, boomy.fn, boomy.optional_found) == (
        tp, fp, fn, optional_found)
    # Nothing is expected on it: a clean file, whose false alarm is only the non-optional muddy.
    assert result.clean_files == 1 and result.clean_false_alarm_rate == false_alarm_rate


def test_a_clean_master_counts_warnings_only_on_problems_not_allowed_there() -> None:
    allowed = FileOutcome("m.flac", (), ("harsh",), ("harsh", "hum"), alarms=("harsh",))
    warned = FileOutcome("n.flac", (), ("harsh",), ("harsh", "hum"), alarms=("hum",))
    assert score([allowed]).clean_false_alarm_rate == 0.0  # hum only at info
    assert score([warned]).clean_false_alarm_rate == 1.0


def test_confusions_count_substitutions_and_extras() -> None:
    outcomes = [
        FileOutcome("1", ("boomy",), (), ("muddy",)),  # boomy mistaken for muddy
        FileOutcome("2", ("boomy",), (), ("boomy", "muddy")),  # muddy reported as well
        FileOutcome("3", ("boomy",), (), ("boomy",)),
        FileOutcome("4", (), (), ("hum",)),  # a false alarm on a clean file
        FileOutcome("5", ("dull",), ("too_bright",), ("hum", "too_bright")),
    ]
    result = score(outcomes)
    table = {(c.present, c.reported): (c.files, c.present_missed) for c in result.confusions}
    assert table == {
        ("boomy", "muddy"): (2, 1),
        (CLEAN, "hum"): (1, 0),
        ("dull", "hum"): (1, 1),
        ("too_bright", "hum"): (1, 0),
    }
    assert result.confusions[0].present == "boomy"  # sorted by count, largest first
    assert result.clean_false_alarm_rate == 1.0


def test_a_failed_diagnosis_misses_its_labels_and_is_no_clean_false_alarm() -> None:
    outcomes = [FileOutcome("1", ("hum",), (), None), FileOutcome("2", (), (), None),
                FileOutcome("3", (), (), ())]
    result = score(outcomes)
    hum = next(s for s in result.problems if s.problem == "hum")
    assert (result.errors, hum.fn, hum.recall, hum.precision, hum.f1) == (2, 1, 0.0, None, 0.0)
    assert result.clean_false_alarm_rate == 0.0  # only the clean file that was analysed
    assert result.results[0].found is None


def test_undefined_figures_are_none_not_nan() -> None:
    result = score([FileOutcome("1", (), (), ())])
    assert result.macro_f1 is None and result.micro_f1 is None
    assert all(s.precision is None and s.recall is None and s.f1 is None
               for s in result.problems)


def test_keys_outside_the_vocabulary_are_scored_after_it() -> None:
    result = score([FileOutcome("1", ("my_problem",), (), ("my_problem",))])
    assert result.problems[-1].problem == "my_problem"
    assert result.problems[-1].f1 == 1.0
    assert [s.problem for s in result.problems[: len(builtin_problems())]] == list(
        builtin_problems())


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_detector_keeps_input_order(jobs: int) -> None:
    paths = [Path(f"/corpus/{i}.flac") for i in range(7)]
    found = run_detector(lambda p: [p.stem] if int(p.stem) % 3 else None, paths, jobs=jobs)
    assert found == [None, ["1"], ["2"], None, ["4"], ["5"], None]


def test_views_render_the_table_and_json_with_nulls() -> None:
    result = evaluate(MANIFEST, lambda path: ["boomy"])
    from rich.console import Console

    console = Console(width=120, record=True, no_color=True)
    console.print(EvaluationView(result))
    text = console.export_text()
    # boomy is a false alarm on 2 of the 3 files with nothing expected (optional on one).
    assert "boomy" in text and "macro-F1" in text and "clean false-alarm rate 0.67" in text
    assert "Confusions" in text
    document = json.loads(to_json(result, corpus="/corpus", subset="ci"))
    assert document["set"] == "ci" and document["files"] == len(FILES)
    hum = next(p for p in document["problems"] if p["problem"] == "hum")
    assert hum["precision"] is None and hum["f1"] is None


class _Found(list):
    """A detector's list with the problems that were symptoms under a cause."""

    def __init__(self, problems: list[str], symptoms: set[str]) -> None:
        super().__init__(problems)
        self.symptoms = frozenset(symptoms)


@pytest.mark.parametrize(("expect", "tp", "fp"), [
    (("polarity_inverted_channel", "too_wide"), 1, 0),  # labelled: found under its cause
    (("polarity_inverted_channel",), 0, 0),             # not labelled: not a false alarm
])
def test_a_symptom_under_its_cause_scores_like_an_optional_label(expect, tp, fp) -> None:
    from expert.evaluate.scoring import outcomes_for

    manifest = Manifest(files=[LabelledFile(path="a.flac", expect=list(expect))])
    found = _Found(["polarity_inverted_channel", "too_wide"], {"too_wide"})
    result = score(outcomes_for(manifest, [found]))
    wide = next(s for s in result.problems if s.problem == "too_wide")
    assert (wide.tp, wide.fp, wide.fn) == (tp, fp, 0)
    polarity = next(s for s in result.problems if s.problem == "polarity_inverted_channel")
    assert polarity.tp == 1
