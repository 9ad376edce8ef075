"""The time-located diagnoses of one file as DAW markers, so the engineer can jump to them.

Two formats, chosen by the file's extension:

- ``.txt``: an Audacity label track (File > Import > Labels): one label a line,
  ``start<TAB>end<TAB>label``, times in seconds; a point label has start = end.
- ``.csv``: a REAPER region/marker list (Region/Marker Manager > Import): header
  ``#,Name,Start,End,Length``, regions ``R1, R2, ...`` and markers ``M1, M2, ...`` (no end or
  length), times as REAPER's Minutes:Seconds ruler shows them (``m:ss.fff``).

A passage (a diagnosis' time range, or a silence's span from an end of the file) becomes a
region, an event its evidence counts (a click, a clipped run, a dropout) a point marker;
diagnoses about the whole track have no place and are left out. Labels read
"ID problem: short remedy".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from expert.engine.result import Diagnosis
from expert.errors import UsageError
from expert.fileio import write_atomic
from expert.report.models import FileReport
from expert.report.pictures import where

#: A label longer than this (characters) is cut at a word: DAW label lanes are narrow.
MAX_LABEL = 80
_FIRST_SENTENCE = re.compile(r"^(.+?[.;:!?])(?:\s|$)")


@dataclass(frozen=True)
class Marker:
    """One place in the song: ``start_s`` = ``end_s`` for a point."""

    start_s: float
    end_s: float
    label: str

    @property
    def is_point(self) -> bool:
        return self.end_s <= self.start_s


def short_remedy(diagnosis: Diagnosis) -> str:
    """The first sentence of the first remedy's text (the title when no remedy has text),
    at most ``MAX_LABEL`` characters, on one line."""
    text = next((r.text for r in diagnosis.remedies if r.text), "") or diagnosis.title
    text = " ".join(text.split())
    if match := _FIRST_SENTENCE.match(text):
        text = match.group(1).rstrip(".;:")
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1].rsplit(" ", 1)[0] + "…"
    return text


def label(diagnosis: Diagnosis) -> str:
    return f"{diagnosis.rule_id} {diagnosis.problem}: {short_remedy(diagnosis)}"


def markers_of(entry: FileReport) -> list[Marker]:
    """Where every diagnosis of ``entry`` lies (``pictures.where``): its passages and a
    silence's span as regions, the events its evidence counts as points; in time order."""
    found: list[Marker] = []
    for d in entry.diagnoses:
        w, text = where(d, entry), label(d)
        found += [Marker(start, end, text) for start, end in (*w.ranges, *w.spans)]
        found += [Marker(at, at, text) for at in w.events_s]
    return sorted(found, key=lambda m: (m.start_s, m.end_s, m.label))


def audacity_labels(markers: list[Marker]) -> str:
    """An Audacity label track (tab-separated seconds; tabs in a label become spaces)."""
    return "".join(f"{m.start_s:.6f}\t{m.end_s:.6f}\t{m.label.replace(chr(9), ' ')}\n"
                   for m in markers)


def reaper_time(seconds: float) -> str:
    """``m:ss.fff``, REAPER's Minutes:Seconds time format."""
    millis = round(seconds * 1000)
    minutes, millis = divmod(millis, 60_000)
    return f"{minutes}:{millis // 1000:02d}.{millis % 1000:03d}"


def reaper_regions(markers: list[Marker]) -> str:
    """A REAPER region/marker manager CSV (regions R1.., point markers M1..)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["#", "Name", "Start", "End", "Length"])
    regions = points = 0
    for m in markers:
        if m.is_point:
            points += 1
            writer.writerow([f"M{points}", m.label, reaper_time(m.start_s), "", ""])
        else:
            regions += 1
            writer.writerow([f"R{regions}", m.label, reaper_time(m.start_s),
                             reaper_time(m.end_s), reaper_time(m.end_s - m.start_s)])
    return out.getvalue()


#: Marker formats by file extension.
WRITERS: dict[str, Callable[[list[Marker]], str]] = {
    ".txt": audacity_labels,
    ".csv": reaper_regions,
}


def marker_format(path: str | Path) -> Callable[[list[Marker]], str] | None:
    """The writer for ``path``'s extension, or None when it is not one of ``WRITERS``."""
    return WRITERS.get(Path(path).suffix.lower())


def write_markers(path: str | Path, entry: FileReport) -> int:
    """Write ``entry``'s markers to ``path`` atomically; returns how many were written."""
    writer = marker_format(path)
    if writer is None:
        raise UsageError(f"{path}: a marker file ends in " + " or ".join(WRITERS))
    markers = markers_of(entry)
    write_atomic(Path(path), writer(markers).encode("utf-8"))
    return len(markers)
