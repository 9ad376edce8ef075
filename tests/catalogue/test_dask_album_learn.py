"""``album`` and ``profiles learn`` on a real Dask cluster on loopback (a scheduler and two
worker processes), against the same commands run locally: the same album diagnoses, the
same learned profile; and a rerun with the store judges and measures nothing (every file
skipped, the store's rows untouched) while the album report and the profile stay whole."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from expert.cli import main
from expert.store import open_store
from tests.catalogue.conftest import Cluster, make_catalogue, running_cluster

pytest.importorskip(
    "distributed", reason="the Dask executor needs dask[distributed]: pip install -e '.[dask]'")

TRACKS = 4  # and bad.wav, left out of the album and of the profile


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("catalogue") / "release"
    make_catalogue(folder, TRACKS, seconds=1.5)  # levels spread: the album rules fire
    return folder


@pytest.fixture
def local_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The client's own descriptor cache (the workers have theirs)."""
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path / "client-cache"))


def on(cluster: Cluster, store: Path) -> list[str]:
    return ["--executor", "dask", "--scheduler", cluster.address, "--store", str(store)]


def stored(store_path: Path) -> list:
    store = open_store(store_path)
    try:
        return list(store.rows())
    finally:
        store.close()


def album(capsys, *argv: str) -> tuple[dict, str]:
    assert main(["album", *argv, "--format", "json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_an_album_on_a_cluster_is_judged_as_locally_and_resumed_from_the_store(
        cluster: Cluster, tracks: Path, tmp_path: Path, capsys, local_cache: None) -> None:
    local, _ = album(capsys, str(tracks))
    store = tmp_path / "album.sqlite"
    on_dask, _ = album(capsys, str(tracks), *on(cluster, store))
    assert local["collection"]["diagnoses"], "the generated album should draw album diagnoses"
    assert on_dask["collection"] == local["collection"]
    assert on_dask["reports"] == local["reports"]  # member entries too, in album order
    rows = stored(store)
    assert len(rows) == TRACKS + 1
    assert all(r.worker.startswith("tcp://127.0.0.1:") for r in rows)  # judged on workers

    again, err = album(capsys, str(tracks), *on(cluster, store))
    assert f"{TRACKS + 1} of {TRACKS + 1} files already judged" in err
    assert stored(store) == rows  # nothing judged again: no row rewritten
    assert again["collection"] == local["collection"]  # members read back from the store


def _without_date(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    date = yaml.safe_load(text)["learned"]["date"]
    return yaml.safe_load(re.sub(re.escape(date), "DATE", text))


def test_a_profile_learned_on_a_cluster_is_the_local_one_and_a_rerun_measures_nothing(
        cluster: Cluster, tracks: Path, tmp_path: Path, capsys, local_cache: None) -> None:
    pytest.importorskip("pyarrow", reason="the Parquet store needs pyarrow")
    learn = ["profiles", "learn", str(tracks), "--name", "house", "--output"]
    assert main([*learn, str(tmp_path / "local.yaml")]) == 0
    store = tmp_path / "learn.parquet"
    assert main([*learn, str(tmp_path / "dask.yaml"), *on(cluster, store)]) == 0
    assert _without_date(tmp_path / "dask.yaml") == _without_date(tmp_path / "local.yaml")
    rows = stored(store)
    assert len(rows) == TRACKS + 1 and sum(r.ok for r in rows) == TRACKS
    capsys.readouterr()

    assert main([*learn, str(tmp_path / "again.yaml"), *on(cluster, store)]) == 0
    assert f"{TRACKS + 1} of {TRACKS + 1} files already judged" in capsys.readouterr().err
    assert stored(store) == rows
    assert _without_date(tmp_path / "again.yaml") == _without_date(tmp_path / "local.yaml")
