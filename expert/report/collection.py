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
from expert.descriptors.stems import CATALOGUE as STEMS_CATALOGUE
from expert.fileio import write_atomic
from expert.report.format import fmt_value
from expert.report.models import Collection, CollectionReport, FileReport
from expert.report.output import render

#: Member facts shown per member, with short column heads, per kind of collection.
_MEMBER_COLUMNS = {
    "album": {
        "album.track_number": "#",
        "album.track_vs_album_lu": "vs album LU",
        "album.track_below_loudest_lu": "under loudest LU",
        "album.track_brightness_vs_album_db": "brightness dB",
        "album.track_bass_vs_album_db": "bass dB",
        "album.track_width_vs_album_pct": "width %",
        "album.track_plr_vs_album_db": "PLR dB",
        "album.track_gap_before_s": "gap before s",
    },
    "stems": {
        "stems.stem_vs_sum_lu": "vs sum LU",
        "stems.stem_share_pct": "share %",
        "stems.stem_mix_gain_db": "in mix dB",
        "stems.stem_mix_polarity": "polarity",
        "stems.stem_mix_offset_ms": "offset ms",
    },
}
#: Pair facts (stems): masking of one stem by another, then the pairs' low end and phase.
_MASKING_COLUMNS = {
    "stems.masking_low_hz": "from Hz",
    "stems.masking_high_hz": "to Hz",
    "stems.masking_time_pct": "masked %",
    "stems.masking_margin_db": "margin dB",
}
_PAIR_COLUMNS = {
    "stems.pair_low_end_overlap_pct": "low-end overlap %",
    "stems.pair_low_end_share_min_pct": "low share %",
    "stems.pair_correlation": "corr <1 kHz",
    "stems.pair_sum_loss_db": "sum loss dB",
}
_QUIET = {"album": "Nothing sets a track apart from the album.",
          "stems": "No stems fight: no masking, low-end or phase problem found."}


def _value(name: str, value: Any) -> str:
    spec = ALBUM_CATALOGUE.get(name) or STEMS_CATALOGUE.get(name)
    unit = spec.unit if spec else ""
    if unit == "count" and value is not None:
        return f"{value:.0f}"
    if isinstance(value, str):
        return value
    return fmt_value(value, unit)


def _pair_tables(c: Collection) -> list[tuple[list[str], list[list[str]]]]:
    """(column heads, rows of text) of the masking table and the pair table (stems)."""
    tables = []
    for key, columns, joint in (("stems.masking_time_pct", _MASKING_COLUMNS, " under "),
                                ("stems.pair_correlation", _PAIR_COLUMNS, " + ")):
        rows = [[joint.join(Path(m).stem for m in p.members)]
                + [_value(k, p.facts.get(k)) for k in columns]
                for p in c.pairs if key in p.facts]
        if rows:
            tables.append((["stems", *columns.values()], rows))
    return tables


def _title(c: Collection) -> str:
    mix = f", fitted to {c.mix}" if c.mix else ""
    return f"{c.kind.capitalize()}: {len(c.paths)} files{mix}, verdict {c.verdict}"


_WHOLE = {"album": "the whole album", "stems": "the stem set"}


def _whom(d: Any, kind: str) -> str:
    return ", ".join(d.members) if d.members else _WHOLE[kind]


def as_entry(c: Collection) -> FileReport:
    """The collection seen as one entry, for the file renderers' diagnosis views and for
    markers (its facts are in the tables; its diagnoses keep their time ranges)."""
    return FileReport(path=f"the {c.kind}", ok=True, diagnoses=list(c.diagnoses))


def collection_markdown(c: Collection) -> str:
    columns = _MEMBER_COLUMNS[c.kind]
    lines = [f"## {_title(c)}", "", f"| {c.kind} fact | value |", "|---|---:|"]
    lines += [f"| `{k}` | {_value(k, v)} |" for k, v in c.descriptors.items()]
    lines += ["", "| file | " + " | ".join(columns.values()) + " |",
              "|---|" + "---:|" * len(columns)]
    for path, facts in c.members.items():
        lines.append(f"| {path} | " + " | ".join(_value(k, facts.get(k))
                                                 for k in columns) + " |")
    for heads, rows in _pair_tables(c):
        lines += ["", "| " + " | ".join(heads) + " |", "|---|" + "---:|" * (len(heads) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    if not c.diagnoses:
        lines += [_QUIET[c.kind], ""]
    for d in c.diagnoses:
        where = "".join(f" · {a:.0f}-{b:.0f} s" for a, b in d.time_ranges)
        lines += [f"### {d.severity.upper()} `{d.rule_id}` {d.title}", "",
                  f"*About:* {_whom(d, c.kind)} · *certainty* {d.certainty:.0%}{where}", "",
                  d.explanation, ""]
        lines += [f"- {r.text or r.action}" for r in d.remedies]
        lines.append("")
    lines += [f"**Not judged:** {n}" for n in c.notes]
    return "\n".join(lines).rstrip() + "\n"


def _html_table(heads: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join("<tr><td>" + escape(row[0]) + "</td>" + "".join(
        f"<td class=num>{escape(v)}</td>" for v in row[1:]) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def collection_html(c: Collection) -> str:
    from expert.report.html import _diagnosis

    columns = _MEMBER_COLUMNS[c.kind]
    facts = "".join(f"<tr><td><code>{escape(k)}</code></td><td class=num>"
                    f"{escape(_value(k, v))}</td></tr>" for k, v in c.descriptors.items())
    members = _html_table(["file", *columns.values()], [
        [p, *(_value(k, f.get(k)) for k in columns)] for p, f in c.members.items()])
    pairs = "".join(_html_table(heads, rows) for heads, rows in _pair_tables(c))
    entry = as_entry(c)
    diags = "".join(f"<p class=dim>about: {escape(_whom(d, c.kind))}</p>"
                    + _diagnosis((d, []), entry, "collection") for d in c.diagnoses
                    ) or f"<p>{escape(_QUIET[c.kind])}</p>"
    notes = "".join(f"<p class=bad>Not judged: {escape(n)}</p>" for n in c.notes)
    return (f"<h2>{escape(_title(c))}</h2><table>{facts}</table>"
            f"{members}{pairs}{diags}{notes}")


class CollectionView:
    """The collection in the terminal: its facts, a row per member (and per pair of
    stems), its diagnoses."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from expert.report.terminal import DiagnosisView

        c = self.collection
        yield Text(_title(c), style="bold")
        facts = Table(box=None, show_header=False, padding=(0, 1))
        for k, v in c.descriptors.items():
            facts.add_row(k, _value(k, v))
        tables = [(["file", *_MEMBER_COLUMNS[c.kind].values()],
                   [[Path(p).name, *(_value(k, f.get(k)) for k in _MEMBER_COLUMNS[c.kind])]
                    for p, f in c.members.items()]), *_pair_tables(c)]
        body: list[Any] = [facts]
        for heads, rows in tables:
            table = Table(box=None, header_style="dim", padding=(0, 1))
            table.add_column(heads[0], overflow="fold")
            for head in heads[1:]:
                table.add_column(head, justify="right")
            for row in rows:
                table.add_row(*row)
            body.append(table)
        entry = as_entry(c)
        for d in c.diagnoses:
            body += [Text(f"about: {_whom(d, c.kind)}", style="dim"), DiagnosisView(d, entry)]
        if not c.diagnoses:
            body.append(Text(_QUIET[c.kind]))
        body += [Text(f"not judged: {n}", style="red") for n in c.notes]
        yield Group(*body)


def _members(report: CollectionReport) -> CollectionReport:
    """The members as the file views show them: a stem is not a master, so its meters are
    not read against the destination's delivery targets."""
    if report.collection.kind != "stems":
        return report
    return report.model_copy(update={"profile": {**report.profile, "targets": {}}})


def render_collection(report: CollectionReport, fmt: str) -> str:
    """The whole document: the members' report, then the collection (JSON: one document)."""
    if fmt == "json":
        return render(report, fmt)
    text = render(_members(report), fmt)
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
        out.print(ReportView(_members(report)))
        out.print(CollectionView(report.collection))
        return
    sys.stdout.write(render_collection(report, fmt))
    sys.stdout.flush()
