"""The recipe, the set plans and an end-to-end build of a tiny recipe."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from corpus.build import BuildError, build, load_recipe, plan
from expert.evaluate.labels import load_manifest
from expert.rules.loader import builtin_problems

TINY = """\
version: 1
songs:
  - {name: tiny, style: rock, tempo_bpm: 140, key: E, seed: 9, duration_s: 20, ci_duration_s: 15}
cases:
  - {id: clean, inject: [], ci: true}
  - {id: polarity, inject: [{polarity: {}}], expect: [polarity_inverted_channel], ci: true}
  - {id: clicks, inject: [{clicks: {count: 3, level_db: -6}}], expect: [clicks], ci: true}
"""


def test_the_recipe_labels_every_builtin_problem_as_expected_somewhere() -> None:
    recipe = load_recipe()
    expected = {p for case in recipe.cases for p in case.expect}
    assert expected == set(builtin_problems())


@pytest.mark.parametrize("subset", ["ci", "full"])
def test_set_plans(subset: str) -> None:
    recipe = load_recipe()
    items = plan(recipe, subset)
    paths = [item.path for item in items]
    assert len(paths) == len(set(paths))
    assert sum(item.case.id == "clean" for item in items) >= 2
    if subset == "ci":
        assert all(item.case.ci and item.spec.duration_s <= 20 for item in items)
        assert len(items) < 80  # keeps CI fast
    else:
        assert {item.case.id for item in items} == {case.id for case in recipe.cases}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("{id: x, inject: [{gaim: {stem: bass, gain_db: 8}}], expect: [boomy]}",
         "unknown injector 'gaim'"),
        ("{id: x, inject: [{gain: {stem: bass, db: 8}}], expect: [boomy]}", "gain:"),
        ("{id: x, inject: [], expect: [boomyy]}", "unknown problem 'boomyy'"),
        ("{id: x, inject: [], expect: [hum], optional: [hum]}", "both expected and optional"),
        ("{id: x, inject: [], songs: [jazz]}", "unknown songs"),
        ("{id: X Y, inject: []}", "pattern"),
    ],
)
def test_a_bad_case_line_is_reported(tmp_path: Path, case: str, message: str) -> None:
    (tmp_path / "recipe.yaml").write_text(TINY + f"  - {case}\n", encoding="utf-8")
    with pytest.raises(BuildError, match=message):
        load_recipe(tmp_path / "recipe.yaml")


def test_a_new_problem_key_can_be_declared(tmp_path: Path) -> None:
    text = TINY.replace("songs:", "extra_problems: [my_problem]\nsongs:")
    (tmp_path / "recipe.yaml").write_text(
        text + "  - {id: mine, inject: [], expect: [my_problem]}\n", encoding="utf-8")
    assert load_recipe(tmp_path / "recipe.yaml").cases[-1].expect == ["my_problem"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.flac"))}


def test_build_writes_audio_and_manifest_then_only_what_changed(tmp_path: Path) -> None:
    (tmp_path / "recipe.yaml").write_text(TINY, encoding="utf-8")
    messages: list[str] = []
    manifest_path = build("ci", corpus_dir=tmp_path, progress=messages.append)
    manifest = load_manifest(manifest_path)
    assert [f.path for f in manifest.files] == ["tiny/clean.flac", "tiny/polarity.flac",
                                               "tiny/clicks.flac"]
    assert manifest.files[2].expect == ("clicks",)
    raw = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))["files"]
    assert len(raw[2]["events"]["clicks"]) == 3
    assert raw[0]["measured"]["integrated_lufs"] == pytest.approx(-14.0, abs=0.3)
    first = _digests(tmp_path / "cache" / "ci")
    assert len(first) == 3

    messages.clear()
    relabelled = TINY.replace("expect: [clicks]", "optional: [clicks]")
    (tmp_path / "recipe.yaml").write_text(relabelled, encoding="utf-8")
    build("ci", corpus_dir=tmp_path, progress=messages.append)
    assert messages == []  # everything up to date: nothing rendered ...
    relabelled_entry = load_manifest(manifest_path).files[2]  # ... but relabelled
    assert relabelled_entry.expect == () and "clicks" in relabelled_entry.optional

    # Changing one case re-renders that file only; removing one deletes its audio.
    edited = TINY.replace("count: 3, level_db: -6", "count: 2, level_db: -6")
    edited = edited.replace(
        "  - {id: polarity, inject: [{polarity: {}}], expect: [polarity_inverted_channel], "
        "ci: true}\n", "")
    (tmp_path / "recipe.yaml").write_text(edited, encoding="utf-8")
    build("ci", corpus_dir=tmp_path, progress=messages.append)
    assert messages[0].startswith("building 1 of 2 files")
    second = _digests(tmp_path / "cache" / "ci")
    assert set(second) == {"tiny/clean.flac", "tiny/clicks.flac"}
    assert second["tiny/clean.flac"] == first["tiny/clean.flac"]

    # A full rebuild from the same recipe reproduces the same bytes (determinism).
    build("ci", corpus_dir=tmp_path, rebuild=True)
    assert _digests(tmp_path / "cache" / "ci") == second


def test_unknown_set_is_an_error() -> None:
    with pytest.raises(BuildError, match="unknown set"):
        plan(load_recipe(), "huge")
