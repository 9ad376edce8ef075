"""Resumable catalogue runs on the local executor: what a rerun skips, what a rule edit
re-judges (from cached descriptors, nothing decoded), failures retried only when asked,
the rulebase digest, and the command line's one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from expert.catalogue.runner import portable
from expert.cli import main
from expert.pipeline import RunOptions, Session
from expert.store import ResultRow, open_store
from tests.catalogue.conftest import make_catalogue, write_house_rule


def store_run(capsys, *argv: str) -> tuple[int, dict, str]:
    status = main(["diagnose", *argv, "--format", "json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def rows(store_path: Path) -> list[ResultRow]:
    store = open_store(store_path)
    try:
        return list(store.rows())
    finally:
        store.close()


@pytest.mark.parametrize("store_name", ["results.sqlite", "results.parquet"])
def test_a_rerun_skips_a_rule_edit_rejudges_from_the_cache(
        capsys, tmp_path: Path, store_name: str) -> None:
    if store_name.endswith(".parquet"):
        pytest.importorskip("pyarrow", reason="the Parquet store needs pyarrow")
    files = make_catalogue(tmp_path / "mixes", 4)
    rules = tmp_path / "project-rules"
    write_house_rule(rules, -20.0)
    store = tmp_path / store_name
    argv = [str(tmp_path / "mixes"), "--store", str(store), "--rules", str(rules), "--jobs", "2"]

    status, doc, _ = store_run(capsys, *argv)
    assert status == 0
    assert doc["run"] == {"files": 5, "skipped": 0, "judged": 5, "errors": 1,
                          "executor": "local"}
    first = {r.path: r for r in rows(store)}
    assert sorted(first) == sorted(str(p) for p in files)
    assert not first[str(files[-1])].ok and "empty file" in first[str(files[-1])].error
    assert not any(r.features_cached for r in first.values())
    house = {p for p, r in first.items() if "over_house_limit" in r.problems}
    assert 0 < len(house) < 4  # the threshold splits the catalogue

    status, doc, err = store_run(capsys, *argv)
    assert doc["run"]["skipped"] == 5 and doc["run"]["judged"] == 0
    assert "5 of 5 files already judged" in err and "1 of them failed" in err
    assert rows(store) == list(first.values())  # nothing written again

    status, doc, _ = store_run(capsys, *argv, "--retry-failed")
    assert doc["run"]["judged"] == 1 and doc["run"]["skipped"] == 4

    write_house_rule(rules, -40.0)  # every readable file is louder than that
    status, doc, _ = store_run(capsys, *argv)
    assert doc["run"] == {"files": 5, "skipped": 0, "judged": 5, "errors": 1,
                          "executor": "local"}
    old_digest = first[str(files[0])].rulebase_digest
    edited = [r for r in rows(store) if r.rulebase_digest != old_digest]
    assert len(edited) == 5
    assert all(r.features_cached for r in edited if r.ok)  # nothing decoded
    assert {r.path for r in edited if "over_house_limit" in r.problems} == {
        str(p) for p in files[:-1]}
    assert doc["files"] == 5 and doc["problems"]["over_house_limit"] == 4


def test_the_same_content_under_another_name_is_not_judged_again(capsys, tmp_path: Path
                                                                  ) -> None:
    (first, *_) = make_catalogue(tmp_path / "mixes", 1)
    store = tmp_path / "results.sqlite"
    assert store_run(capsys, str(first), "--store", str(store))[0] == 0
    copy = tmp_path / "elsewhere" / "renamed.wav"
    copy.parent.mkdir()
    shutil.copyfile(first, copy)
    status, doc, _ = store_run(capsys, str(copy), "--store", str(store))
    assert doc["run"]["skipped"] == 1 and doc["run"]["judged"] == 0


def test_the_rulebase_digest_follows_content_not_place(tmp_path: Path) -> None:
    def digest(rules: Path, **options: object) -> str:
        return Session(RunOptions(rule_paths=(str(rules),), **options)).digest  # type: ignore[arg-type]

    here = tmp_path / "here"
    write_house_rule(here, -20.0)
    moved = tmp_path / "moved"
    shutil.copytree(here, moved)
    base = digest(here)
    assert digest(moved) == base
    assert digest(here, genre="rock") != base
    assert digest(here, profile="apple_music") != base
    assert digest(here, ignore=("LD",)) != base
    write_house_rule(here, -21.0)
    assert digest(here) != base


@pytest.mark.parametrize(("argv", "message"), [
    (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is only for --executor dask"),
    (["--retry-failed"], "--retry-failed needs --store FILE"),
    (["--store", "{tmp}/s.sqlite", "--format", "html"], "--format rich, json, markdown"),
])
def test_impossible_catalogue_options_are_one_line(capsys, tmp_path: Path, argv: list[str],
                                                    message: str) -> None:
    (mix, *_) = make_catalogue(tmp_path, 1)
    status = main(["diagnose", str(mix), *[a.format(tmp=tmp_path) for a in argv]])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_run_with_references_and_relative_paths_is_judged_with_absolute_ones(
        capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (mix, reference, *_) = make_catalogue(tmp_path / "mixes", 2)
    (tmp_path / "settings.yaml").write_text("ignore: [AR]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    options = portable(RunOptions(reference=("mixes/mix001.wav",), config="settings.yaml",
                                  rule_paths=("rules",), cache_dir="cache"))
    assert options.reference == (str(reference),)
    assert options.config == str(tmp_path / "settings.yaml")
    assert options.rule_paths == (str(tmp_path / "rules"),)
    assert options.cache_dir == str(tmp_path / "cache")
    assert options.project_dir == str(tmp_path)
    status, doc, _ = store_run(capsys, str(mix), "--reference", "mixes/mix001.wav",
                               "--config", "settings.yaml", "--store", "results.sqlite")
    assert status == 0 and doc["run"]["judged"] == 1 and doc["verdicts"]["error"] == 0
    (row,) = rows(tmp_path / "results.sqlite")
    assert json.loads(row.entry_json or "")["references"]  # judged against the reference


def test_markers_are_written_from_a_store_run_judged_or_skipped(capsys, tmp_path: Path
                                                                ) -> None:
    files = make_catalogue(tmp_path / "mixes", 3)
    loud = str(files[2])  # clipped: time-located diagnoses
    assert main(["diagnose", loud, "--markers", str(tmp_path / "plain.txt"), "-q"]) == 0
    capsys.readouterr()
    expected = (tmp_path / "plain.txt").read_text()
    assert expected.strip()
    for run in ("judged", "skipped"):
        markers = tmp_path / f"{run}.txt"
        status, doc, _ = store_run(capsys, loud, "--store", str(tmp_path / "s.sqlite"),
                                   "--markers", str(markers))
        assert status == 0 and doc["run"][run] == 1
        assert markers.read_text() == expected


@pytest.mark.parametrize("command", [["album", "{dir}"],
                                     ["profiles", "learn", "{dir}", "--name", "house"]])
@pytest.mark.parametrize(("argv", "message"), [
    (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
    (["--retry-failed"], "--retry-failed needs --store FILE"),
])
def test_album_and_learn_refuse_impossible_catalogue_options_in_one_line(
        capsys, tmp_path: Path, command: list[str], argv: list[str], message: str) -> None:
    make_catalogue(tmp_path / "mixes", 1)
    folder = str(tmp_path / "mixes")
    status = main([*[a.format(dir=folder) for a in command], *argv,
                   "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_store_summary_reads_what_diagnose_wrote(capsys, tmp_path: Path) -> None:
    make_catalogue(tmp_path / "mixes", 2)
    store = tmp_path / "results.sqlite"
    store_run(capsys, str(tmp_path / "mixes"), "--store", str(store))
    assert main(["store", "summary", str(store), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == 3 and doc["verdicts"]["error"] == 1 and doc["run"] is None
    assert main(["store", "summary", str(store), "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Result store") and "## Errors (1)" in text
    written = tmp_path / "summary.txt"
    assert main(["store", "summary", str(store), "--output", str(written)]) == 0
    assert "Verdicts" in written.read_text() and "Errors (1)" in written.read_text()
    assert main(["store", "summary", str(tmp_path / "missing.sqlite")]) == 2
    assert "no such result store" in capsys.readouterr().err


@pytest.mark.parametrize(("address", "message"), [
    ("nonsense://host:1", "unknown address scheme 'nonsense'"),
    ("tcp://127.0.0.1", "missing port number"),
])
def test_a_malformed_scheduler_address_is_one_line(capsys, tmp_path: Path, address: str,
                                                   message: str) -> None:
    pytest.importorskip("distributed", reason="the Dask executor needs dask[distributed]")
    (mix, *_) = make_catalogue(tmp_path, 1)
    status = main(["diagnose", str(mix), "--executor", "dask", "--scheduler", address])
    err = capsys.readouterr().err
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
