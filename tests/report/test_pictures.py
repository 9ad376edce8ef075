"""The picture data: read from what a report carries, never measured."""

from __future__ import annotations

import pytest

from expert.descriptors.audio_info import AudioInfo
from expert.engine import Diagnosis, Evidence
from expert.report.models import FileReport, Report
from expert.report.pictures import loudness_over_time, meters, pictures, placement, where
from expert.rules.profiles import resolve_profile
from tests.report.conftest import entry_named


@pytest.mark.parametrize(("level", "expected"), [(-3.0, "inside"), (-1.0, "inside"),
                                                 (-0.9, "above"), (-10.0, "inside"),
                                                 (-10.1, "below"), (None, "unknown")])
def test_placement_against_p5_p95(level: float | None, expected: str) -> None:
    assert placement(level, -10.0, -1.0) == expected


def test_tonal_balance_is_the_file_against_the_family_it_was_judged_with(judged: Report
                                                                          ) -> None:
    entry = entry_named(judged, "clean.wav")
    assert entry.envelope is not None
    family = entry.envelope.family
    curve = resolve_profile().envelope_curves[family]
    tonal = pictures(entry, judged.profile).tonal
    assert tonal is not None and tonal.family == family
    levels = entry.descriptors["spectrum.third_octave_db"]
    assert [b.level_db for b in tonal.third_octave] == pytest.approx(levels)
    assert [b.p95_db for b in tonal.third_octave] == curve["p95"]
    assert [b.label for b in tonal.third_octave][:3] == ["20", "25", "31.5"]
    bass = next(b for b in tonal.named if b.label == "bass")
    stat = entry.envelope.stats["spectrum.bass_db"]
    assert (bass.p5_db, bass.p95_db) == (stat.p5, stat.p95)
    assert bass.placement == placement(entry.descriptors["spectrum.bass_db"], stat.p5, stat.p95)


def test_leading_silence_is_located_on_its_own_span(judged: Report) -> None:
    entry = entry_named(judged, "head.wav")
    silence = next(d for d in entry.diagnoses if d.problem == "leading_silence")
    assert silence.time_ranges == []  # the engine judges the track as a whole
    w = where(silence, entry)
    assert not w.whole_track and w.ranges == () and w.events_s == ()
    ((start, end),) = w.spans
    assert start == 0.0 and end == pytest.approx(2.0, abs=0.01)
    over = loudness_over_time(entry, judged.profile)
    assert over is not None and over.reference == -14.0
    assert [(s.rule_id, s.start_s) for s in over.problems] == [(silence.rule_id, 0.0)]


def _entry(**descriptors: object) -> FileReport:
    audio = AudioInfo(duration_s=40.0, sample_rate_hz=44100, channels=2, source_channels=2,
                      frames=40 * 44100, container="WAV", codec="PCM_24", lossy=False)
    return FileReport(path="x.wav", ok=True, audio=audio, descriptors=dict(descriptors))


def _diagnosis(descriptor: str, ranges: list[tuple[float, float]]) -> Diagnosis:
    return Diagnosis(rule_id="AR004", problem="clicks", title="Clicks", severity="warning",
                     certainty=0.8, time_ranges=ranges, explanation="",
                     evidence=[Evidence(descriptor=descriptor, value=1.0, unit="count",
                                        condition=f"{descriptor} >= 1")])


def test_events_are_listed_inside_the_diagnosis_passages() -> None:
    entry = _entry(**{"artifacts.click_count": 3,
                      "artifacts.click_times_s": [3.7041, 5.5, 12.25]})
    w = where(_diagnosis("artifacts.click_count", [(2.0, 6.0)]), entry)
    assert w.ranges == ((2.0, 6.0),) and w.events_s == (3.7041, 5.5)
    assert where(_diagnosis("artifacts.click_count", []), entry).events_s == (3.7041, 5.5,
                                                                               12.25)


def test_trailing_silence_span_ends_at_the_end() -> None:
    entry = _entry(**{"artifacts.trailing_silence_s": 4.5})
    d = _diagnosis("artifacts.trailing_silence_s", [])
    assert where(d, entry).spans == ((35.5, 40.0),)


def test_a_meter_takes_the_worst_severity_of_the_diagnoses_naming_it(judged: Report) -> None:
    entry = entry_named(judged, "flipped.wav")
    by_name = {m.descriptor: m for m in meters(entry, judged.profile)}
    correlation = by_name["stereo.correlation"]
    assert correlation.severity == "error" and correlation.rule_ids[0] == "ST001"
    assert correlation.spread is not None and correlation.target is None
    loudness = by_name["loudness.integrated_lufs"]
    assert loudness.target == -14.0 and loudness.target_kind == "target"
    assert "LD001" in loudness.rule_ids  # too hot
    assert "codec.true_peak_dbtp" not in by_name  # not measured without --codec-check
    clean = {m.descriptor: m for m in meters(entry_named(judged, "clean.wav"), judged.profile)}
    assert clean["stereo.correlation"].severity is None


def test_a_meter_is_judged_only_by_a_condition_on_it_alone() -> None:
    plr = "loudness.true_peak_dbtp - loudness.short_term_lufs < 8 (6.4 < 8)"
    d = Diagnosis(rule_id="LD005", problem="over_compressed", title="Squashed",
                  severity="warning", certainty=0.9, explanation="", evidence=[
                      Evidence(descriptor="loudness.plr_db", value=6.9, unit="dB",
                               condition="loudness.plr_db < 7.85 (6.94 < 7.85)"),
                      Evidence(descriptor="loudness.true_peak_dbtp", value=-1.3, unit="dBTP",
                               condition=plr),
                      Evidence(descriptor="loudness.short_term_lufs", value=-7.7, unit="LUFS",
                               condition=plr)])
    entry = _entry(**{"loudness.plr_db": 6.9, "loudness.true_peak_dbtp": -1.3})
    entry.diagnoses.append(d)
    by_name = {m.descriptor: m for m in meters(entry, {"targets": {"true_peak_dbtp": -1.0}})}
    assert by_name["loudness.plr_db"].severity == "warning"
    assert by_name["loudness.true_peak_dbtp"].severity is None
