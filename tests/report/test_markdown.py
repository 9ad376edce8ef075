"""The markdown report: what a ticket needs, and file names that stay text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest
import soundfile as sf
from markdown_it import MarkdownIt

from expert.pipeline import RunOptions, Session
from expert.report.markdown import code, md, to_markdown
from expert.report.models import FileReport, Report
from tests.conftest import music_like

NASTY = ["<img src=x onerror=alert(1)>.wav", "a_b*c*[link](http://x).wav", "# not a heading",
         "- not a list", "1. not a list", "pipe | in | name.wav", "back\\slash `tick`.wav",
         "&amp; already.wav", "~~struck~~.wav"]


class _Text(HTMLParser):
    """The text and the tag names of a rendered HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.tags = "", []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def _render(markdown: str) -> _Text:
    parsed = _Text()
    parsed.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    return parsed


@pytest.mark.parametrize("name", NASTY)
def test_md_is_literal_text(name: str) -> None:
    rendered = _render(f"Before {md(name)} after")
    assert rendered.tags == ["p"]
    assert rendered.text.strip() == f"Before {name} after"


@pytest.mark.parametrize("name", NASTY)
def test_md_at_the_start_of_a_line_and_in_a_code_span(name: str) -> None:
    assert _render(md(name)).text.strip() == name
    assert _render(md(name)).tags == ["p"]
    spans = _render(code(name))
    assert spans.tags == ["p", "code"] and spans.text.strip() == name.strip()


def test_file_names_in_headings_and_the_summary_stay_text() -> None:
    report = Report(profile={"name": "streaming"}, reports=[
        FileReport(path=name, ok=False, error=f"cannot decode {name}") for name in NASTY])
    rendered = _render(to_markdown(report))
    assert "img" not in rendered.tags and "a" not in rendered.tags and "li" not in rendered.tags
    for name in NASTY:
        assert rendered.text.count(name) >= 3  # summary row, heading, error line


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A real report: 12 s of music with a clipped passage, right channel inverted."""
    data = music_like(12.0).astype(np.float64)
    data[4 * 44100:8 * 44100] *= 3.0
    data[:, 1] *= -1
    path = tmp_path_factory.mktemp("mix") / "mix.wav"
    sf.write(path, np.clip(data, -1.0, 1.0), 44100, subtype="PCM_24")
    session = Session(RunOptions(use_cache=False))
    return Report(profile=session.profile_summary(),
                  reports=[session.diagnose_file(str(path))])


def test_verdict_meters_playback_and_remedies(report: Report) -> None:
    (entry,) = report.reports
    text = to_markdown(report)
    assert re.search(rf"^## .*mix\.wav — {entry.verdict.upper()}$", text, re.M)
    meters = text.split("| meter | value | read against | judged |")[1].split("\n\n")[0]
    assert "true peak" in meters and "ceiling -1.0 dBTP" in meters
    for item in entry.playback:
        assert re.search(rf"^\| {item.platform.replace('_', ' ')} \| ", text, re.M)
    for d in entry.diagnoses:
        assert f"`{d.rule_id}`" in text
        for remedy in d.remedies:
            if remedy.text:
                assert md(remedy.text) in text


def test_symptoms_are_quoted_under_their_cause(report: Report) -> None:
    (entry,) = report.reports
    text = to_markdown(report)
    symptom = next(d for d in entry.diagnoses if d.caused_by)
    heading = next(line for line in text.splitlines() if f"`{symptom.rule_id}`" in line)
    assert heading.startswith("> ####")
    cause = text.index(f"`{symptom.caused_by[0]}`")
    assert cause < text.index(heading)
