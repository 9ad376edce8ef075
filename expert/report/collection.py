"""The collection part of an ``album`` (or ``stems``) report, in every format: the members'
own entries are rendered by the file renderers, this adds the collection after them."""

from __future__ import annotations

import io
import sys
from html import escape
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from expert.descriptors.album import CATALOGUE as ALBUM_CATALOGUE
from expert.fileio import write_atomic
from expert.report.format import fmt_value
from expert.report.models import Collection, CollectionReport, FileReport
from expert.report.output import render

#: Member facts shown per track, with short column heads.
_TRACK_COLUMNS = {
    "album.track_number": "#",
    "album.track_vs_album_lu": "vs album LU",
    "album.track_below_loudest_lu": "under loudest LU",
    "album.track_brightness_vs_album_db": "brightness dB",
    "album.track_bass_vs_album_db": "bass dB",
    "album.track_width_vs_album_pct": "width %",
    "album.track_plr_vs_album_db": "PLR dB",
    "album.track_gap_before_s": "gap before s",
}


def _value(name: str, value: Any) -> str:
    unit = spec.unit if (spec := ALBUM_CATALOGUE.get(name)) else ""
    if unit == "count" and value is not None:
        return f"{value:.0f}"
    return fmt_value(value, unit)


def _title(c: Collection) -> str:
    return f"{c.kind.capitalize()}: {len(c.paths)} files, verdict {c.verdict}"


def _whom(d: Any, kind: str) -> str:
    return ", ".join(d.members) if d.members else f"the whole {kind}"


def _as_entry(c: Collection) -> FileReport:
    """The collection seen as one entry for the file renderers' diagnosis views (no time
    ranges or held conditions of its own: its facts are in the tables)."""
    return FileReport(path=f"the {c.kind}", ok=True, diagnoses=list(c.diagnoses))


def collection_markdown(c: Collection) -> str:
    lines = [f"## {_title(c)}", "", "| album fact | value |", "|---|---:|"]
    lines += [f"| `{k}` | {_value(k, v)} |" for k, v in c.descriptors.items()]
    lines += ["", "| file | " + " | ".join(_TRACK_COLUMNS.values()) + " |",
              "|---|" + "---:|" * len(_TRACK_COLUMNS)]
    for path, facts in c.members.items():
        lines.append(f"| {path} | " + " | ".join(_value(k, facts.get(k))
                                                 for k in _TRACK_COLUMNS) + " |")
    lines.append("")
    if not c.diagnoses:
        lines += ["Nothing sets a track apart from the album.", ""]
    for d in c.diagnoses:
        lines += [f"### {d.severity.upper()} `{d.rule_id}` {d.title}", "",
                  f"*About:* {_whom(d, c.kind)} · *certainty* {d.certainty:.0%}", "",
                  d.explanation, ""]
        lines += [f"- {r.text or r.action}" for r in d.remedies]
        lines.append("")
    lines += [f"**Not judged:** {n}" for n in c.notes]
    return "\n".join(lines).rstrip() + "\n"


def collection_html(c: Collection) -> str:
    from expert.report.html import _diagnosis

    facts = "".join(f"<tr><td><code>{escape(k)}</code></td><td class=num>"
                    f"{escape(_value(k, v))}</td></tr>" for k, v in c.descriptors.items())
    head = "".join(f"<th>{escape(h)}</th>" for h in _TRACK_COLUMNS.values())
    rows = "".join(f"<tr><td>{escape(p)}</td>" + "".join(
        f"<td class=num>{escape(_value(k, f.get(k)))}</td>" for k in _TRACK_COLUMNS) + "</tr>"
        for p, f in c.members.items())
    entry = _as_entry(c)
    diags = "".join(f"<p class=dim>about: {escape(_whom(d, c.kind))}</p>"
                    + _diagnosis((d, []), entry, "collection") for d in c.diagnoses
                    ) or "<p>Nothing sets a track apart from the album.</p>"
    notes = "".join(f"<p class=bad>Not judged: {escape(n)}</p>" for n in c.notes)
    return (f"<h2>{escape(_title(c))}</h2><table>{facts}</table>"
            f"<table><tr><th>file</th>{head}</tr>{rows}</table>{diags}{notes}")


class CollectionView:
    """The collection in the terminal: album facts, a row per track, its diagnoses."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from expert.report.terminal import DiagnosisView

        c = self.collection
        yield Text(_title(c), style="bold")
        facts = Table(box=None, show_header=False, padding=(0, 1))
        for k, v in c.descriptors.items():
            facts.add_row(k, _value(k, v))
        tracks = Table(box=None, header_style="dim", padding=(0, 1))
        tracks.add_column("file", overflow="fold")
        for head in _TRACK_COLUMNS.values():
            tracks.add_column(head, justify="right")
        for path, f in c.members.items():
            tracks.add_row(Path(path).name, *(_value(k, f.get(k)) for k in _TRACK_COLUMNS))
        body: list[Any] = [facts, tracks]
        entry = _as_entry(c)
        for d in c.diagnoses:
            body += [Text(f"about: {_whom(d, c.kind)}", style="dim"), DiagnosisView(d, entry)]
        if not c.diagnoses:
            body.append(Text("Nothing sets a track apart from the album."))
        body += [Text(f"not judged: {n}", style="red") for n in c.notes]
        yield Group(*body)


def render_collection(report: CollectionReport, fmt: str) -> str:
    """The whole document: the members' report, then the collection (JSON: one document)."""
    text = render(report, fmt)
    if fmt == "json":
        return text
    if fmt == "markdown":
        return text + "\n" + collection_markdown(report.collection)
    if fmt == "html":
        return text.replace("</html>", collection_html(report.collection) + "</html>")
    buffer = io.StringIO()
    Console(file=buffer, width=110, force_terminal=False, no_color=True).print(
        CollectionView(report.collection))
    return text + buffer.getvalue()


def emit_collection(report: CollectionReport, fmt: str, output: str | None) -> None:
    """Print (rich: with colour on a terminal) or write ``output`` atomically."""
    if output:
        write_atomic(Path(output), render_collection(report, fmt).encode("utf-8"))
        return
    if fmt == "rich":
        from expert.report.terminal import ReportView, console

        out = console()
        out.print(ReportView(report))
        out.print(CollectionView(report.collection))
        return
    sys.stdout.write(render_collection(report, fmt))
    sys.stdout.flush()
