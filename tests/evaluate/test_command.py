"""`mixexpert eval` on a hand-made manifest, with the pipeline replaced by a stub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expert.cli import main
from expert.commands import eval as eval_command
from expert.errors import UsageError
from expert.evaluate.labels import load_manifest

MANIFEST = """\
files:
  - {path: song/clean.flac}
  - {path: song/boomy.flac, expect: [boomy]}
  - {path: song/boomy-subtle.flac, optional: [boomy]}
"""


class StubDetector:
    """Reports boomy everywhere, as a rule that is far too eager would."""

    def __init__(self, args: object) -> None:
        self.min_severity = getattr(args, "min_severity", None)
        self.profile_name = "streaming"

    def __call__(self, path: Path) -> list[str] | None:
        return ["boomy"]


@pytest.fixture
def corpus_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.setattr(eval_command, "SessionDetector", StubDetector)
    return tmp_path


def test_json_document_on_stdout(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(corpus_dir), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    boomy = next(p for p in document["problems"] if p["problem"] == "boomy")
    assert (boomy["tp"], boomy["fp"], boomy["fn"], boomy["optional_found"]) == (1, 1, 0, 1)
    # Clean files: nothing expected. The stub's boomy is a false alarm on song/clean.flac and
    # allowed on song/boomy-subtle.flac (optional there).
    assert document["clean_false_alarm_rate"] == 0.5
    assert document["macro_f1"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("floors", "status"),
    [([], 0), (["--min-macro-f1", "0.9"], 1), (["--min-macro-f1", "0.5"], 0),
     (["--max-clean-false-alarms", "0.4"], 1), (["--max-clean-false-alarms", "0.5"], 0)],
)
def test_accuracy_floors_set_the_exit_status(corpus_dir: Path, floors: list[str],
                                             status: int) -> None:
    assert main(["eval", str(corpus_dir), "--format", "json", *floors]) == status


def test_rich_table_to_a_file(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.txt"
    assert main(["eval", str(corpus_dir), "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "boomy" in text and "macro-F1 0.67" in text


def test_a_folder_without_manifest_or_recipe_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(eval_command, "SessionDetector", StubDetector)
    assert main(["eval", str(tmp_path)]) == 2
    assert "neither a recipe.yaml nor a manifest.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("files: [{path: a.flac, expect: [Boomy]}]", "snake_case"),
        ("files: [{path: a.flac, expect: [hum], optional: [hum]}]", "both expected"),
        ("files: [{path: a.flac}, {path: a.flac}]", "listed twice"),
        ("files: [{expect: [hum]}]", "path"),
        ("files: [unclosed", "not valid YAML"),
    ],
)
def test_bad_manifests_fail_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as caught:
        load_manifest(tmp_path)
    assert "\n" not in str(caught.value)


def test_output_that_cannot_be_written_still_prints_the_result(
        corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["eval", str(corpus_dir), "--format", "json", "--output", str(corpus_dir)])
    captured = capsys.readouterr()
    assert status == 2 and "is a folder" in captured.err
    assert json.loads(captured.out)["macro_f1"] == pytest.approx(2 / 3)
