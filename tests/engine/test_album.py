"""Album facts (expert.engine.album): each track against the album, the album as a whole."""

from __future__ import annotations

import pytest

from expert.descriptors.album import CATALOGUE, TRACK_PREFIX
from expert.engine.album import album_facts


def _track(lufs: float | None, *, brilliance_db: float = -20.0, lead_s: float = 0.1,
           tail_s: float = 0.5) -> dict:
    return {"loudness.integrated_lufs": lufs, "loudness.true_peak_dbtp": -1.5,
            "spectrum.brilliance_db": brilliance_db, "spectrum.mid_db": -10.0,
            "spectrum.bass_db": -5.0, "stereo.width_pct": 20.0, "loudness.plr_db": 10.0,
            "artifacts.leading_silence_s": lead_s, "artifacts.trailing_silence_s": tail_s}


def test_each_track_against_the_album_median_and_the_loudest():
    album, tracks = album_facts([_track(-10.0), _track(-10.4), _track(-12.8), _track(-9.6)])
    assert album["album.loudness_spread_lu"] == 3.2
    assert album["album.loudest_lufs"] == -9.6
    assert album["album.loudness_median_lufs"] == -10.2
    assert [t["album.track_number"] for t in tracks] == [1, 2, 3, 4]
    assert tracks[2]["album.track_vs_album_lu"] == -2.6
    assert tracks[2]["album.track_below_loudest_lu"] == 3.2
    assert tracks[3]["album.track_below_loudest_lu"] == 0.0


def test_an_outlier_barely_moves_the_album_it_is_judged_against():
    _, tracks = album_facts([_track(-10.0), _track(-10.0), _track(-10.0), _track(-24.0)])
    assert tracks[0]["album.track_vs_album_lu"] == 0.0
    assert tracks[3]["album.track_vs_album_lu"] == -14.0


def test_a_darker_track_and_the_gaps_in_album_order():
    _, tracks = album_facts([_track(-10.0, tail_s=2.0), _track(-10.0, lead_s=3.5),
                             _track(-10.0, brilliance_db=-26.0)])
    assert tracks[0]["album.track_gap_before_s"] is None  # nothing before the first track
    assert tracks[1]["album.track_gap_before_s"] == 5.5
    assert tracks[2]["album.track_brightness_vs_album_db"] == -6.0


def test_a_track_left_out_keeps_the_numbering_and_leaves_its_gaps_unknown():
    _, tracks = album_facts([_track(-10.0), _track(-11.0)], numbers=[1, 3])
    assert [t["album.track_number"] for t in tracks] == [1, 3]
    assert tracks[1]["album.track_gap_before_s"] is None


def test_undefined_loudness_is_unknown_not_zero():
    album, tracks = album_facts([_track(None), _track(-10.0)])
    assert tracks[0]["album.track_vs_album_lu"] is None
    assert album["album.loudness_spread_lu"] == 0.0  # of the one track that has a level


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_albums(n):
    album, tracks = album_facts([_track(-10.0)] * n)
    assert album["album.n_tracks"] == n and len(tracks) == n


def test_every_fact_is_in_the_album_catalogue():
    album, tracks = album_facts([_track(-10.0), _track(-12.0)])
    assert set(album) | set(tracks[0]) == set(CATALOGUE)
    assert not any(n.startswith(TRACK_PREFIX) for n in album)
    assert all(n.startswith(TRACK_PREFIX) for n in tracks[0])
