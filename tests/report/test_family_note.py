"""The report says which released masters a file was read against and how that family was
chosen: by the genre, or from the spectrum with how near the runner-up was."""

from __future__ import annotations

import pytest

from expert.pipeline import RunOptions, Session, run_batch
from expert.report.markdown import to_markdown
from expert.report.phrases import family_sentence
from expert.report.terminal import FileDiagnosisView
from expert.rules.model import FamilyChoice, FileEnvelope
from tests.conftest import music_like
from tests.report.conftest import _write, rendered


def _envelope(family: str, chosen: FamilyChoice | None) -> FileEnvelope:
    return FileEnvelope(family=family, chosen=chosen)


def test_a_family_from_the_spectrum_names_the_runner_up_and_the_way_out() -> None:
    text = family_sentence(_envelope("band_rock", FamilyChoice(
        by="spectrum", distance=1.853, next_family="orchestral_acoustic", next_distance=2.08)))
    assert "released band_rock masters" in text and "nearest to this spectrum" in text
    assert "1.85" in text and "next orchestral_acoustic at 2.08" in text
    assert "--genre" in text


def test_two_families_about_as_near_are_both_named() -> None:
    text = family_sentence(_envelope("band_rock or electronic_bass_heavy", FamilyChoice(
        by="spectrum", distance=2.0, next_family="electronic_bass_heavy", next_distance=2.1)))
    assert "band_rock and electronic_bass_heavy masters together" in text
    assert "2.00 and 2.10" in text and "wider of the two" in text


@pytest.mark.parametrize(("envelope", "expected"), [
    (_envelope("band_rock", FamilyChoice(by="genre")), "the genre's family"),
    (_envelope("union", FamilyChoice(by="none")), "no spectrum to choose one by"),
    (_envelope("union", None), "no spectrum to choose one by"),
])
def test_a_genre_or_no_spectrum_says_so(envelope: FileEnvelope, expected: str) -> None:
    assert expected in family_sentence(envelope)


def test_every_report_says_how_its_family_was_chosen(tmp_path) -> None:
    path = _write(tmp_path, "mix.wav", music_like(8.0) * 0.5)
    inferred = run_batch([path], Session(RunOptions(use_cache=False)))
    entry = inferred.reports[0]
    assert entry.envelope is not None and entry.envelope.chosen is not None
    assert entry.envelope.chosen.by == "spectrum"
    assert entry.envelope.chosen.next_family not in (None, entry.envelope.families[0])
    assert "nearest to this spectrum" in " ".join(to_markdown(inferred).split())
    by_genre = run_batch([path], Session(RunOptions(use_cache=False, genre="rock")))
    rock = by_genre.reports[0]
    assert rock.envelope is not None and rock.envelope.chosen == FamilyChoice(by="genre")
    shown = rendered(FileDiagnosisView(rock, by_genre.profile), width=100)
    assert "Read against released band_rock masters: the genre's family." in " ".join(
        shown.split())
