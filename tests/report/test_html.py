"""The HTML page without a browser: stable bytes, escaping, self-containment, the batch
summary's order, the meters' colours, and matplotlib loaded only for HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from expert.engine.result import Diagnosis, Evidence
from expert.pipeline import RunOptions, Session
from expert.report.html import to_html
from expert.report.models import FileReport, Report
from tests.conftest import music_like

DAY = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
PROFILE = {"name": "streaming", "title": "Music streaming",
           "targets": {"integrated_lufs": -14.0, "true_peak_dbtp": -1.0}}


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    """A real report of a 12 s mix with a clipped passage, and the rulebase digest."""
    data = music_like(12.0).astype(np.float64)
    data[4 * 44100:8 * 44100] *= 3.0
    path = tmp_path_factory.mktemp("mix") / "mix.wav"
    sf.write(path, np.clip(data, -1.0, 1.0), 44100, subtype="PCM_24")
    session = Session(RunOptions(use_cache=False))
    report = Report(profile=session.profile_summary(),
                    reports=[session.diagnose_file(str(path))])
    return report, session.rulebase.digest()


def _diagnosis(rule_id: str, severity: str, descriptor: str) -> Diagnosis:
    return Diagnosis(rule_id=rule_id, problem="clipping", title="t", severity=severity,
                     certainty=0.9, explanation="e",
                     evidence=[Evidence(descriptor=descriptor, value=0.5, unit="dBTP",
                                        condition="c")])


def test_the_same_report_gives_the_same_bytes(judged) -> None:
    report, digest = judged
    first = to_html(report, rulebase_digest=digest, generated_at=DAY)
    assert first == to_html(report, rulebase_digest=digest, generated_at=DAY)
    later = to_html(report, rulebase_digest=digest, generated_at=datetime(2027, 5, 6,
                                                                           tzinfo=UTC))
    assert first.replace("2026-01-02 03:04", "2027-05-06 00:00") == later
    assert first.count("<svg") == 3


def test_the_page_is_self_contained(judged) -> None:
    report, digest = judged
    page = to_html(report, rulebase_digest=digest, generated_at=DAY)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"\bsrc=", page)
    references = re.findall(r"(?:href|xlink:href)=['\"]([^'\"]*)['\"]", page)
    assert references and all(ref.startswith("#") for ref in references)
    assert not re.search(r"url\((?!#)", page)  # CSS and SVG url() only point inside


def test_svg_ids_are_unique_on_the_page(judged) -> None:
    report, digest = judged
    page = to_html(report, rulebase_digest=digest, generated_at=DAY)
    ids = re.findall(r'\bid=["\']([^"\']+)["\']', page)
    assert len(ids) == len(set(ids))
    assert any(i.endswith("-loudness-area") for i in ids)


def test_footer_names_version_profile_and_rulebase(judged) -> None:
    report, digest = judged
    footer = to_html(report, rulebase_digest=digest, generated_at=DAY).split("<footer>")[1]
    assert "2026-01-02 03:04 UTC" in footer and report.tool.version in footer
    assert "streaming" in footer and digest[:16] in footer


def test_file_names_and_errors_are_escaped() -> None:
    name = "<img src=x onerror=alert(1)>&mix.wav"
    report = Report(profile=PROFILE, reports=[
        FileReport(path=name, ok=False, error="cannot decode <b>this</b>"),
        FileReport(path="b.wav", ok=True, verdict="pass")])
    page = to_html(report, generated_at=DAY)
    assert "<img" not in page and "<b>this" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&amp;mix.wav" in page


def test_batch_summary_is_worst_first_and_links_to_sections() -> None:
    entries = [FileReport(path="pass.wav", ok=True, verdict="pass"),
               FileReport(path="warn.wav", ok=True, verdict="warn",
                          diagnoses=[_diagnosis("LD001", "warning", "loudness.integrated_lufs")]),
               FileReport(path="broken.wav", ok=False, error="not audio"),
               FileReport(path="fail.wav", ok=True, verdict="fail",
                          diagnoses=[_diagnosis("LD004", "error", "loudness.true_peak_dbtp")])]
    page = to_html(Report(profile=PROFILE, reports=entries), generated_at=DAY)
    summary = page.split("<table class=summary>")[1].split("</table>")[0]
    rows = re.findall(r"<a href='#(file-\d)'>([^<]+)</a>", summary)
    assert [name for _, name in rows] == ["broken.wav", "fail.wav", "warn.wav", "pass.wav"]
    for anchor, name in rows:
        assert re.search(rf"<section class=file id='{anchor}'><div class=filehead><h2>"
                         rf"{re.escape(name)}</h2>", page)
    assert "not audio" in summary and "clipping" in summary


def test_a_single_file_has_no_summary(judged) -> None:
    report, _ = judged
    assert "class=summary" not in to_html(report, generated_at=DAY)


def test_meters_take_the_severity_of_the_diagnoses_that_name_them() -> None:
    entry = FileReport(path="a.wav", ok=True, verdict="fail",
                       descriptors={"loudness.true_peak_dbtp": 0.5,
                                    "loudness.integrated_lufs": -14.2},
                       diagnoses=[_diagnosis("LD003", "error", "loudness.true_peak_dbtp")])
    page = to_html(Report(profile=PROFILE, reports=[entry]), generated_at=DAY)
    peak = re.search(r"<div class='meter (\w+)'[^>]*data-descriptor='loudness.true_peak_dbtp'",
                     page)
    loudness = re.search(
        r"<div class='meter (\w+)'[^>]*data-descriptor='loudness.integrated_lufs'", page)
    assert peak and peak.group(1) == "error"
    assert loudness and loudness.group(1) == "pass"
    assert "ceiling -1.0 dBTP" in page and "target -14.0 LUFS" in page


def test_symptoms_are_nested_inside_their_cause() -> None:
    cause = _diagnosis("LD004", "error", "artifacts.clipped_samples")
    symptom = _diagnosis("LD003", "warning", "loudness.true_peak_dbtp").model_copy(
        update={"caused_by": ["LD004", "clipping"]})
    page = to_html(Report(profile=PROFILE, reports=[FileReport(
        path="a.wav", ok=True, verdict="fail", diagnoses=[cause, symptom])]),
        generated_at=DAY)
    outer = page.index("id='file-1-LD004'")
    nested = page.index("symptoms it explains", outer)
    inner = page.index("id='file-1-LD003'")
    assert outer < nested < inner < page.index("</article>", inner) < page.rindex("</article>")


@pytest.mark.parametrize(("fmt", "loaded"), [("json", False), ("markdown", False),
                                             ("html", True)])
def test_matplotlib_is_imported_only_for_html(judged, tmp_path: Path, fmt: str,
                                              loaded: bool) -> None:
    report, _ = judged
    doc = tmp_path / "report.json"
    doc.write_text(report.model_dump_json(), encoding="utf-8")
    code = ("import sys; from expert.report.models import Report; "
            "from expert.report.output import render; "
            f"render(Report.model_validate_json(open({str(doc)!r}).read()), {fmt!r}); "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2]).stdout
    assert out.strip() == str(loaded)


def test_diagnose_writes_the_page_with_the_loaded_rulebase(tmp_path: Path, write_wav) -> None:
    from expert.cli import main
    from expert.rules import load_rulebase

    mix = write_wav("mix.wav", music_like(4.0))
    page = tmp_path / "out" / "report.html"
    assert main(["diagnose", str(mix), "-f", "html", "-o", str(page)]) == 0
    footer = page.read_text(encoding="utf-8").split("<footer>")[1]
    assert load_rulebase().digest()[:16] in footer


def test_a_meter_outside_the_spread_says_so_without_a_diagnosis() -> None:
    from expert.rules.model import EnvelopeRange, FileEnvelope

    envelope = FileEnvelope(family="band_rock", stats={
        "loudness.range_lu": EnvelopeRange(p5=0.5, p50=1.4, p95=3.4),
        "loudness.plr_db": EnvelopeRange(p5=9.5, p50=10.1, p95=12.3)})
    entry = FileReport(path="a.wav", ok=True, verdict="pass", envelope=envelope,
                       descriptors={"loudness.range_lu": 7.5, "loudness.plr_db": 10.0})
    page = to_html(Report(profile=PROFILE, reports=[entry]), generated_at=DAY)
    lra = page.split("data-descriptor='loudness.range_lu'>")[1].split("</div></div>")[0]
    plr = page.split("data-descriptor='loudness.plr_db'>")[1].split("</div></div>")[0]
    assert "▲ above" in lra and "released music 0.5–3.4 LU" in lra
    assert "above" not in plr and "below" not in plr
    assert re.search(r"<div class='meter pass'[^>]*data-descriptor='loudness.range_lu'", page)


def test_without_matplotlib_html_is_a_usage_error_before_analysis(capsys, monkeypatch,
                                                                  tmp_path: Path,
                                                                  write_wav) -> None:
    from expert.cli import main

    mix = write_wav("mix.wav", music_like(1.0))

    monkeypatch.setattr("expert.report.html.find_spec", lambda name: None)
    measured = []
    monkeypatch.setattr("expert.pipeline.measure", lambda *a, **k: measured.append(a))
    page = tmp_path / "report.html"
    assert main(["diagnose", str(mix), "-f", "html", "-o", str(page)]) == 2
    assert "pip install 'mixexpert[html]'" in capsys.readouterr().err
    assert measured == [] and not page.exists()


def test_evidence_rows_give_units_only_to_a_bare_descriptor() -> None:
    from expert.engine.result import Condition

    d = Diagnosis(rule_id="LD003", problem="true_peak_over", title="t", severity="error",
                  certainty=0.9, explanation="e", evidence=[
                      Evidence(descriptor="loudness.true_peak_dbtp", value=0.25, unit="dBTP",
                               condition="c"),
                      Evidence(descriptor="artifacts.clipped_runs", value=33.0, unit="count",
                               condition="c"),
                      Evidence(descriptor="loudness.integrated_lufs", value=-8.0, unit="LUFS",
                               condition="c")])
    held = [Condition(text="loudness.true_peak_dbtp > target.true_peak_dbtp", observed=0.25,
                      operator=">", threshold=-1.0, outcome=True, margin=1.25),
            Condition(text="artifacts.clipped_runs >= min_runs", observed=33.0, operator=">=",
                      threshold=3.0, outcome=True, margin=30.0),
            Condition(text="loudness.integrated_lufs - target.integrated_lufs > 3",
                      observed=6.0, operator=">", threshold=3.0, outcome=True, margin=3.0)]
    page = to_html(Report(profile=PROFILE, reports=[FileReport(
        path="a.wav", ok=True, verdict="fail", diagnoses=[d], conditions={"LD003": held})]),
        generated_at=DAY)
    rows = re.findall(r"<tr><td class='cond mono'>.*?</tr>", page)
    cells = [re.findall(r"<td class=num>([^<]*)</td>", row) for row in rows]
    assert cells == [["0.25 dBTP", "&gt; -1.00 dBTP", "+1.25 dB"],
                     ["33", "&gt;= 3", "+30"],
                     ["6.00", "&gt; 3.00", "+3.00"]]  # an expression: no unit claimed
