"""The terminal report as a reader sees it: rendered at a fixed width and checked as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from expert.cli import main
from expert.pipeline import RunOptions, Session
from expert.report.charts import OverTimeStrip, TonalChart
from expert.report.models import FileReport, Report
from expert.report.output import render
from expert.report.pictures import Band, OverTime, Series, Span, TonalBalance, meters
from expert.report.terminal import BatchSummary, FileDiagnosisView, ReportView, quiet_line
from tests.report.conftest import entry_named, rendered

#: An SGR escape that sets a colour (30-37, 90-97 foreground, 40-47 background, 38/48;...).
COLOUR_CODE = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7])(?:;[0-9;]*)?m")


def test_header_shows_what_the_file_is_its_verdict_and_the_meters(judged: Report) -> None:
    out = rendered(FileDiagnosisView(entry_named(judged, "flipped.wav"), judged.profile))
    lines = out.splitlines()
    title = next(x for x in lines if "flipped.wav" in x)
    assert title.rstrip().endswith("✗ FAIL")
    assert "WAV 24-bit · 44.1 kHz · stereo · 0:12.0" in out
    header = lines[:next(i for i, x in enumerate(lines) if x.startswith("playback"))]
    meter = {x.split()[0]: x for x in header if x.split() and x.split()[0] in (
        "integrated", "correlation", "PLR", "LRA", "width")}
    assert "target -14.0 LUFS" in meter["integrated"] and "! LD001" in meter["integrated"]
    assert "✗ ST001" in meter["correlation"] and "released:" in meter["correlation"]
    assert "playback (normalisation per platform)" in out
    for m in meters(entry_named(judged, "flipped.wav"), judged.profile):
        if m.label in meter:  # outside the family's spread: said in characters too
            marked = "▲ above" in meter[m.label] or "▼ below" in meter[m.label]
            assert marked is (m.placement in ("above", "below"))


def test_evidence_is_value_threshold_margin_and_the_expression_only_with_explain(
        judged: Report) -> None:
    entry = entry_named(judged, "flipped.wav")
    out = rendered(FileDiagnosisView(entry, judged.profile))
    row = next(x for x in out.splitlines() if x.strip().startswith("stereo.correlation "))
    value = entry.descriptors["stereo.correlation"]
    assert f"{value:.2f}" in row and "< -0.30" in row and "margin" in row
    assert "max_correlation" not in out  # the condition's source is for --explain
    explained = Session(RunOptions(explain=True, use_cache=False)).diagnose_file(entry.path)
    out = rendered(FileDiagnosisView(explained, judged.profile))
    assert "  when stereo.correlation < max_correlation" in out


def test_symptoms_nest_under_their_cause_and_remedies_show_text_and_action(judged: Report
                                                                           ) -> None:
    out = rendered(FileDiagnosisView(entry_named(judged, "flipped.wav"), judged.profile))
    cause = out.index("✗ ERROR   ST001")
    explains = out.index("symptoms it explains:", cause)
    symptom = out.index("ST002", explains)
    assert cause < explains < symptom
    assert re.search(r"→ Flip the polarity.*\n?.*invert_polarity\(expected_correlation=", out)


def test_silence_is_located_on_its_span_to_the_millisecond(judged: Report) -> None:
    out = rendered(FileDiagnosisView(entry_named(judged, "head.wav"), judged.profile))
    where = next(x for x in out.splitlines() if "where:" in x and "leading_silence" in x)
    assert re.search(r"where: 0:00\.000–0:02\.00\d", where) and "whole track" not in where
    # ... and marked under the loudness strip, at its start
    marks = next(x for x in out.splitlines() if x.strip().startswith("^"))
    assert marks.index("^") == 6 and len(marks.strip()) < 20


def test_near_misses_are_one_line_without_explain(judged: Report) -> None:
    entry = entry_named(judged, "almost.wav")  # a rule short by less than 0.1 (RULES.md)
    assert entry.near_misses
    out = rendered(FileDiagnosisView(entry, judged.profile))
    n = len(entry.near_misses)
    assert f"{n} near miss{'es' if n > 1 else ''}: --explain" in out
    assert "failed condition" not in out and entry.near_misses[0].rule_id not in out


@pytest.mark.parametrize("width", [60, 80, 120])
def test_nothing_is_cut_at_any_width(judged: Report, width: int) -> None:
    out = rendered(ReportView(judged), width=width)
    assert "…" not in out
    assert all(len(line) <= width for line in out.splitlines())
    words = set(out.split())
    flowing = " ".join(out.split())
    for entry in judged.reports:
        assert entry.path in words  # a path is never folded
        for d in entry.diagnoses:
            assert d.title in flowing  # a title may wrap, never be cut
            assert all(e.descriptor in words for e in d.evidence)  # names stay whole


def test_tonal_chart_marks_bands_outside_the_envelope_with_characters() -> None:
    inside = Band("100", -10.0, -14.0, -10.0, -6.0)
    above = Band("1k", 0.0, -14.0, -10.0, -6.0)
    below = Band("8k", -23.0, -14.0, -10.0, -6.0)
    tonal = TonalBalance("band_rock", (inside, above, below),
                         (Band("presence", -8.0, -14.0, -12.0, -10.0),))
    lines = [x for x in rendered(TonalChart(tonal)).splitlines() if "│" in x or "┼" in x]
    column = {ch: next(i for i, line in enumerate(lines) if ch in line) for ch in "●▲▼"}
    assert column["▲"] < column["●"] < column["▼"]  # +10 dB near the top, -13 dB near the bottom
    assert lines[column["▲"]].index("▲") == 6 and lines[column["▼"]].index("▼") == 8
    assert "presence ▲ 2.0 dB over p95" in rendered(TonalChart(tonal)).splitlines()[-1]


def test_loudness_strip_marks_passages_and_events_under_the_time_they_happened() -> None:
    series = Series("loudness.short_term_lufs", "LUFS", 3.0, tuple(float(t) for t in range(8)),
                    (-30.0, -20.0, -14.0, -12.0, -12.0, -13.0, -16.0, None))
    problems = (Span(0.0, 2.0, "AR006", "leading_silence", "info"),
                Span(7.5, 7.5, "AR004", "clicks", "warning"))
    lines = rendered(OverTimeStrip(OverTime(10.0, (series,), problems, reference=-14.0),
                                   "short-term loudness"), width=66).splitlines()
    assert "┈ target -14.0 LUFS" in " ".join(" ".join(lines[:2]).split())
    marks = next(x for x in lines if "^" in x)
    columns = 66 - 7
    assert marks[6:6 + 12] == "^" * 12  # 0-2 s of 10 s: the first fifth
    assert marks.index("|") == 6 + int(7.5 / 10 * columns)
    legend = " ".join(line.strip() for line in lines[lines.index(marks) + 2:])
    assert "AR006 leading_silence; AR004 clicks" in legend


def test_summary_lists_the_worst_first_and_unreadable_files_with_their_error(judged: Report
                                                                              ) -> None:
    out = rendered(BatchSummary(judged.reports), width=100)
    shown = [Path(line.split()[0]).name for line in out.splitlines()
             if line.startswith(str(Path(judged.reports[0].path).parent))]
    rank = {"fail": 1, "warn": 2, "pass": 3}
    expected = sorted(judged.reports, key=lambda e: rank[e.verdict] if e.ok else 0)
    assert shown == [Path(e.path).name for e in expected] and shown[0] == "broken.wav"
    assert [e.verdict for e in expected[1:]] == sorted(
        (e.verdict for e in expected[1:]), key=rank.__getitem__)
    broken = next(x for x in out.splitlines() if "broken.wav" in x)
    error = entry_named(judged, "broken.wav").error
    assert "✗ error" in broken and error.split()[0] in broken
    counts = {v: sum(e.verdict == v for e in judged.reports) for v in rank}
    told = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    assert f"summary: {len(judged.reports)} files, {told}, 1 unreadable" in out


def test_quiet_line_is_path_verdict_keys(judged: Report) -> None:
    flipped = entry_named(judged, "flipped.wav")
    keys = ",".join(dict.fromkeys(d.problem for d in flipped.diagnoses))
    assert quiet_line(flipped).plain == f"{flipped.path}  fail  {keys}"
    broken = entry_named(judged, "broken.wav")
    assert quiet_line(broken).plain == f"{broken.path}  error  {broken.error}"


@pytest.fixture
def mix(write_wav) -> Path:
    from tests.conftest import music_like

    data = music_like(8.0)
    data[:, 1] *= -1
    return write_wav("flip.wav", data)


def test_quiet_flag_prints_one_line_per_file(capsys, mix: Path) -> None:
    for flag in ("-q", "--quiet"):
        assert main(["diagnose", str(mix), flag, "--no-cache"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 and re.fullmatch(rf"{re.escape(str(mix))}  fail  \S+", lines[0])
        assert "polarity_inverted_channel" in lines[0]


def test_piped_output_has_no_escape_codes_and_no_colour_with_no_color(
        capsys, monkeypatch: pytest.MonkeyPatch, mix: Path) -> None:
    assert main(["diagnose", str(mix)]) == 0
    assert "\x1b[" not in capsys.readouterr().out  # capsys is no terminal
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, as rich sees it
    assert main(["diagnose", str(mix)]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" in out and not COLOUR_CODE.search(out)  # bold, yes; colour, no
    monkeypatch.delenv("NO_COLOR")
    assert main(["diagnose", str(mix)]) == 0
    assert COLOUR_CODE.search(capsys.readouterr().out)  # the check above can fail


def test_streamed_terminal_output_is_the_rendered_report(
        capsys, monkeypatch: pytest.MonkeyPatch, mix: Path, write_wav) -> None:
    from tests.conftest import music_like

    other = write_wav("other.wav", music_like(8.0, seed=4) * 0.4)
    monkeypatch.setenv("COLUMNS", "110")
    assert main(["diagnose", str(mix), str(other), "--format", "json"]) == 0
    report = Report.model_validate_json(capsys.readouterr().out)
    assert main(["diagnose", str(mix), str(other)]) == 0
    assert capsys.readouterr().out == render(report, "rich", width=110)


def test_a_report_read_back_from_json_renders_without_held_conditions(judged: Report) -> None:
    entry = entry_named(judged, "flipped.wav")
    bare = FileReport.model_validate(entry.model_dump() | {"conditions": {}})
    out = rendered(FileDiagnosisView(bare, judged.profile), width=200)
    assert "stereo.correlation < max_correlation (" in out  # falls back on the condition
