"""``diagnose --markers``: the time-located diagnoses as Audacity labels or REAPER regions,
read back and checked against the diagnoses of the same run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from expert.cli import main
from expert.engine.result import Diagnosis, RemedyResult
from expert.report.markers import audacity_labels, markers_of, reaper_regions, reaper_time
from expert.report.models import FileReport, Report
from expert.report.pictures import where
from tests.conftest import music_like


def _diagnosis(rule_id: str, ranges: list[tuple[float, float]], text: str) -> Diagnosis:
    return Diagnosis(rule_id=rule_id, problem="clicks", title="Clicks", severity="warning",
                     certainty=0.9, time_ranges=ranges, explanation="",
                     remedies=[RemedyResult(action="declick", parameters={}, text=text)])


def _read_reaper(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


def _seconds(reaper: str) -> float:
    minutes, seconds = reaper.split(":")
    return int(minutes) * 60 + float(seconds)


def test_regions_points_and_whole_track() -> None:
    entry = FileReport(path="x.wav", ok=True, diagnoses=[
        _diagnosis("AR004", [(61.25, 61.25), (3.0, 9.5)], "Repair with a de-clicker, gently. "
                   "Then listen."),
        _diagnosis("LD001", [], "Lower the master."),
    ])
    markers = markers_of(entry)
    assert [(m.start_s, m.end_s, m.is_point) for m in markers] == [(3.0, 9.5, False),
                                                                   (61.25, 61.25, True)]
    assert markers[0].label == "AR004 clicks: Repair with a de-clicker, gently"
    rows = _read_reaper(reaper_regions(markers))
    assert [r["#"] for r in rows] == ["R1", "M1"]
    assert rows[0]["Name"] == markers[0].label  # the comma in the label survives quoting
    assert (_seconds(rows[0]["Start"]), _seconds(rows[0]["End"]),
            _seconds(rows[0]["Length"])) == (3.0, 9.5, 6.5)
    assert (_seconds(rows[1]["Start"]), rows[1]["End"], rows[1]["Length"]) == (61.25, "", "")
    lines = [line.split("\t") for line in audacity_labels(markers).splitlines()]
    assert [(float(a), float(b)) for a, b, _ in lines] == [(3.0, 9.5), (61.25, 61.25)]


@pytest.mark.parametrize(("seconds", "text"), [(0.0, "0:00.000"), (61.2505, "1:01.250"),
                                               (59.9996, "1:00.000"), (754.5, "12:34.500")])
def test_reaper_time(seconds: float, text: str) -> None:
    assert reaper_time(seconds) == text


def test_a_long_remedy_is_cut_at_a_word() -> None:
    words = "Automate the vocal bus down by two decibels across the whole second chorus "
    (marker,) = markers_of(FileReport(path="x", ok=True, diagnoses=[
        _diagnosis("AR004", [(1.0, 2.0)], words * 3)]))
    remedy = marker.label.split(": ", 1)[1]
    assert len(remedy) <= 80 and remedy.endswith("…") and words.startswith(remedy[:-1])
    assert "\t" not in marker.label and "\n" not in marker.label


@pytest.fixture
def dropout(write_wav) -> Path:
    """20 s of music with 50 ms of digital silence at 7 s (a dropout: AR005)."""
    data = music_like(20.0)
    data[7 * 44100: int(7.05 * 44100)] = 0.0
    return write_wav("dropout.wav", data)


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_markers_match_the_diagnoses(capsys, tmp_path: Path, dropout: Path, suffix: str) -> None:
    marks = tmp_path / f"marks{suffix}"
    assert main(["diagnose", str(dropout), "-f", "json", "--markers", str(marks)]) == 0
    entry = Report.model_validate_json(capsys.readouterr().out).reports[0]
    expected = []
    for d in entry.diagnoses:
        w = where(d, entry)
        expected += [(a, b, d.rule_id) for a, b in (*w.ranges, *w.spans)]
        expected += [(t, t, d.rule_id) for t in w.events_s]
    expected.sort()
    # the dropout: its passage as a region and the gap itself, at 7.0 s, as a point
    assert any(rule == "AR005" and a < 7.0 < b for a, b, rule in expected)
    assert any(rule == "AR005" and a == b == pytest.approx(7.0, abs=0.01)
               for a, b, rule in expected)
    if suffix == ".txt":
        got = sorted((float(a), float(b), name.split()[0]) for a, b, name in
                     (line.split("\t") for line in marks.read_text().splitlines()))
    else:
        rows = _read_reaper(marks.read_text())
        assert all(r["#"][0] == ("M" if r["End"] == "" else "R") for r in rows)
        got = sorted((_seconds(r["Start"]), _seconds(r["End"] or r["Start"]),
                      r["Name"].split()[0]) for r in rows)
    assert [rule for *_, rule in got] == [rule for *_, rule in expected]
    # the files keep milliseconds (REAPER) or microseconds (Audacity)
    assert [t for *times, _ in got for t in times] == pytest.approx(
        [t for *times, _ in expected for t in times], abs=5e-4)


@pytest.mark.parametrize("name", ["marks.wav", "marks"])
def test_an_unknown_marker_format_is_a_usage_error(capsys, tmp_path: Path, dropout: Path,
                                                   name: str) -> None:
    assert main(["diagnose", str(dropout), "--markers", str(tmp_path / name)]) == 2
    assert ".txt" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_markers_need_one_file(capsys, tmp_path: Path, dropout: Path, write_wav) -> None:
    other = write_wav("other.wav", music_like(3.0))
    assert main(["diagnose", str(dropout), str(other), "--markers",
                 str(tmp_path / "m.txt")]) == 2
    assert "one song" in capsys.readouterr().err
