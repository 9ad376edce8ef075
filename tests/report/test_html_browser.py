"""The HTML report in a real browser (headless Chromium over the DevTools protocol): it asks
for nothing but itself, its plots are drawn, and a shaded problem passage sits at the
seconds the diagnosis names."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from expert.pipeline import RunOptions, Session
from expert.report.html import to_html
from expert.report.models import Report
from tests.conftest import music_like
from tests.report.chromium import Browser, find_chromium

Image = pytest.importorskip("PIL.Image", reason="Pillow (a matplotlib dependency) reads the "
                            "screenshot")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (scripts/install-system-deps.sh installs it)")

#: What the page is asked after it loads: per plot, its x range, the rectangle of its axes
#: and of each shaded problem passage (CSS pixels), and how many paths its SVG has.
GEOMETRY = """
(() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left + scrollX, right: r.right + scrollX,
                             top: r.top + scrollY, bottom: r.bottom + scrollY}; };
  return [...document.querySelectorAll('figure.plot')].map(fig => ({
    id: fig.id, plot: fig.dataset.plot,
    xMin: Number(fig.dataset.xMin), xMax: Number(fig.dataset.xMax),
    area: box(fig.querySelector('g[id$="-area"]')),
    problems: [...fig.querySelectorAll('g[id*="-problem-"]')].map(g => ({id: g.id, ...box(g)})),
    paths: fig.querySelectorAll('svg path').length,
  }));
})()
"""


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture
def clipped_passage(write_wav) -> Path:
    """20 s of music with 8-14 s driven 10 dB into hard clipping (LD004, located)."""
    data = music_like(20.0).astype(np.float64)
    data[8 * 44100:14 * 44100] *= 3.0
    return write_wav("clipped-passage.wav", np.clip(data, -1.0, 1.0))


def _page(tmp_path: Path, *paths: Path) -> tuple[Report, Path]:
    session = Session(RunOptions())
    report = Report(profile=session.profile_summary(),
                    reports=[session.diagnose_file(str(p)) for p in paths])
    page = tmp_path / "report.html"
    page.write_text(to_html(report, rulebase_digest=session.rulebase.digest(),
                            generated_at=datetime(2026, 1, 2, tzinfo=UTC)), encoding="utf-8")
    return report, page


def test_the_page_requests_nothing_but_itself(browser: Browser, tmp_path: Path,
                                              clipped_passage: Path) -> None:
    _, page = _page(tmp_path, clipped_passage)
    loaded = browser.load(page)
    assert loaded.requests == [page.resolve().as_uri()]


def test_the_request_check_sees_an_outside_resource(browser: Browser, tmp_path: Path) -> None:
    """The check above can fail: a page with one remote image is caught."""
    probe = tmp_path / "probe.html"
    probe.write_text("<!doctype html><img src='http://example.invalid/x.png'>")
    assert "http://example.invalid/x.png" in browser.load(probe).requests


def test_plots_are_drawn_and_the_problem_sits_where_the_diagnosis_says(
        browser: Browser, tmp_path: Path, clipped_passage: Path) -> None:
    report, page = _page(tmp_path, clipped_passage)
    loaded = browser.load(page, GEOMETRY)
    plots = {p["plot"]: p for p in loaded.value}
    assert set(plots) == {"tonal", "loudness", "stereo"}
    shot = Image.open(io.BytesIO(loaded.screenshot_png)).convert("RGB")
    for plot in plots.values():
        assert plot["paths"] > 10, plot["id"]
        area = plot["area"]
        crop = shot.crop((int(area["left"]), int(area["top"]), int(area["right"]),
                          int(area["bottom"])))
        colours = crop.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, f"{plot['id']} is blank"

    (entry,) = report.reports
    clipping = next(d for d in entry.diagnoses if d.rule_id == "LD004")
    (start_s, end_s), *_ = clipping.time_ranges
    assert start_s <= 8.0 and end_s >= 14.0
    loudness = plots["loudness"]
    area = loudness["area"]
    seconds_per_px = (loudness["xMax"] - loudness["xMin"]) / (area["right"] - area["left"])
    shaded = [p for p in loudness["problems"] if "-LD004" in p["id"]
              and p["right"] - p["left"] > 5]  # the passage, not its events' lines
    assert len(shaded) == len(clipping.time_ranges)
    drawn_s = (loudness["xMin"] + (shaded[0]["left"] - area["left"]) * seconds_per_px,
               loudness["xMin"] + (shaded[0]["right"] - area["left"]) * seconds_per_px)
    assert drawn_s == pytest.approx((start_s, end_s), abs=2 * seconds_per_px)
    # the shading is visible: reddish pixels in the middle of the passage, none before it
    middle_y = int((area["top"] + area["bottom"]) / 2)
    inside = shot.getpixel((int((shaded[0]["left"] + shaded[0]["right"]) / 2), middle_y + 40))
    before = shot.getpixel((int(area["left"] + (start_s / 3) / seconds_per_px), middle_y + 40))
    assert inside[0] > inside[2] + 10 and abs(before[0] - before[2]) < 10


def test_a_batch_links_each_row_to_its_section(browser: Browser, tmp_path: Path,
                                               clipped_passage: Path, write_wav) -> None:
    quiet = write_wav("quiet.wav", music_like(8.0) * 0.1)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    _, page = _page(tmp_path, quiet, broken, clipped_passage)
    links = browser.load(page, """
      [...document.querySelectorAll('table.summary a')].map(a => [a.textContent,
        document.querySelector(a.getAttribute('href')).querySelector('h2').textContent])
    """).value
    assert [row[0] for row in links][0] == str(broken)  # unreadable first, then the worst
    assert all(text == heading for text, heading in links)
    assert {row[0] for row in links} == {str(quiet), str(broken), str(clipped_passage)}
