"""Terminal renderables (rich): the catalogue, measured descriptors, and the report of a
judged file (header, pictures from ``charts``, diagnoses) and of a batch (summary, quiet
lines).

Each view is an object that renders itself (``__rich_console__``); none computes anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from expert.descriptors import CATALOGUE, DescriptorSpec
from expert.engine.result import Condition, Diagnosis, EngineResult, Evidence
from expert.report.charts import (
    SEVERITY_MARK,
    SEVERITY_STYLE,
    MetersView,
    OverTimeStrip,
    TonalChart,
)
from expert.report.format import (
    LIMITED_BY,
    audio_parts,
    fmt_ranges,
    fmt_time,
    fmt_value,
    nest_symptoms,
    printable,
    project_lines,
    reference_line,
)
from expert.report.models import FileReport, Report
from expert.report.phrases import family_sentence
from expert.report.pictures import Pictures, pictures, where
from expert.report.reasoning import ReasoningView
from expert.rules.expr.template import format_value

VERDICT_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green"}


def console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def error_line(path: str, error: str | None, *, mark: str = "✗ ") -> Text:
    """A file's one-line error: one line even when piped (rich wraps at 80 columns then),
    the name and message printable."""
    return Text(f"{mark}{printable(path)}: {printable(error or '')}", style="bold red",
                no_wrap=True, overflow="ignore")


def _group(name: str) -> str:
    return name.split(".", 1)[0]


def catalogue_table(specs: Iterable[DescriptorSpec]) -> Table:
    """The catalogue as a table: name, unit, scope, meaning and method."""
    table = Table(title="Descriptor catalogue", show_lines=False, expand=True)
    table.add_column("descriptor", style="bold", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("scope", no_wrap=True)
    table.add_column("meaning / method", ratio=1)
    for _name, members in groupby(specs, key=lambda s: _group(s.name)):
        table.add_section()
        for spec in members:
            scope = spec.scope + (" · stereo" if spec.stereo_only else "")
            body = Text(spec.meaning)
            body.append("\n" + spec.method, style="dim")
            if spec.gate is not None:
                body.append(f"\nreports only {spec.gate.describe(spec.unit)}: {spec.gate.reason}",
                            style="yellow")
            table.add_row(spec.name, spec.unit, scope, body)
    return table


class FeaturesView:
    """The measured descriptors of one file, grouped, with units and meanings."""

    def __init__(self, report: FileReport) -> None:
        self.report = report

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        if not report.ok:
            yield error_line(report.path, report.error, mark="")
            return
        table = Table(title=Text(printable(report.path)), caption=audio_line(report), expand=True)
        width = max((len(n) for n in report.descriptors), default=10)
        table.add_column("descriptor", style="bold", no_wrap=True, min_width=width)
        table.add_column("value", justify="right", max_width=26, overflow="fold")
        table.add_column("meaning", ratio=1, min_width=30, style="dim")
        names = sorted(report.descriptors, key=_catalogue_order)
        for _name, members in groupby(names, key=_group):
            table.add_section()
            for name in members:
                spec = CATALOGUE.get(name)
                value = report.descriptors[name]
                shown = fmt_value(value, spec.unit if spec else "")
                table.add_row(name, shown, spec.meaning if spec else "")
        yield table
        if report.timeline is not None:
            yield Text(
                f"time-resolved: {len(report.timeline.series)} descriptors over "
                f"{len(report.timeline.starts_s)} windows of {report.timeline.window_s:g} s "
                f"(hop {report.timeline.hop_s:g} s); see --format json",
                style="dim",
            )
        for note in report.notes:
            yield Text(f"note: {note}", style="yellow")


_ORDER = {name: i for i, name in enumerate(CATALOGUE)}


def _catalogue_order(name: str) -> tuple[int, str]:
    return (_ORDER.get(name, len(_ORDER)), name)


#: Event times listed in a diagnosis' "where" before the rest are counted.
_EVENTS_SHOWN = 12


def _where(diagnosis: Diagnosis, entry: FileReport) -> str:
    """'whole track', the passages (0:12.0-0:31.5), a silence's own span to the
    millisecond, and event times (0:12.345)."""
    w = where(diagnosis, entry)
    if w.whole_track:
        return "whole track"
    parts = [fmt_ranges(w.ranges)] if w.ranges else []
    parts += [f"{fmt_time(a, 3)}–{fmt_time(b, 3)}" for a, b in w.spans]
    if w.events_s:
        shown = ", ".join(fmt_time(t, 3) for t in w.events_s[:_EVENTS_SHOWN])
        rest = len(w.events_s) - _EVENTS_SHOWN
        more = f" and {rest} more" if rest > 0 else ""
        parts.append(f"at {shown}{more}")
    return "; ".join(parts)


def _matches(item: Evidence, condition: Condition) -> bool:
    # The engine writes an evidence item's condition as the condition's source, then
    # "(observed op threshold)" for a comparison.
    return item.condition == condition.text or item.condition.startswith(condition.text + " (")


def evidence_table(diagnosis: Diagnosis, conditions: list[Condition]) -> Table | None:
    """The evidence as measured value against threshold and margin (the conditions' source
    is for ``--explain``). A condition on an expression of several descriptors lists them,
    then the compared value."""
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    width = max((len(e.descriptor) for e in diagnosis.evidence), default=10)
    table.add_column("descriptor", no_wrap=True, min_width=min(width, 40), overflow="fold")
    table.add_column("measured", justify="right")
    table.add_column("against", overflow="fold")
    table.add_column("margin", style="dim", overflow="fold")
    shown: set[str] = set()
    row = table.add_row

    for c in conditions:
        members = [e for e in diagnosis.evidence if _matches(e, c) and e.descriptor not in shown]
        if not members:
            continue
        shown.update(e.descriptor for e in members)
        numeric = isinstance(c.observed, float) and isinstance(c.threshold, float)
        single = (numeric and len(members) == 1 and isinstance(members[0].value, float)
                  and math.isclose(members[0].value, c.observed, abs_tol=1e-3))
        # An expression's value need not share its descriptors' unit (a loudness minus a
        # target is in LU): only a bare descriptor's comparison shows one.
        unit = members[0].unit if single else ""
        against = f"{c.operator} {fmt_value(c.threshold, unit)}" if numeric else ""
        margin = f"margin {fmt_value(c.margin, unit)}" if c.margin is not None else ""
        if single:
            row(members[0].descriptor, fmt_value(members[0].value, unit), against, margin)
            continue
        for e in members:
            row(e.descriptor, fmt_value(e.value, e.unit), "", "")
        if numeric:
            row("  ⤷ compared", fmt_value(c.observed, unit), against, margin)
    for e in diagnosis.evidence:  # a report without held conditions (read back from JSON)
        if e.descriptor not in shown:
            row(e.descriptor, fmt_value(e.value, e.unit), e.condition, "")
    return table if table.row_count else None


class DiagnosisView:
    """One diagnosis: what, where, why (evidence as numbers), what to do, and the symptoms
    it explains (nested under it)."""

    def __init__(self, diagnosis: Diagnosis, entry: FileReport,
                 symptoms: list[tuple[Any, list[Any]]] | None = None, *,
                 explain: bool = False) -> None:
        self.diagnosis = diagnosis
        self.entry = entry
        self.symptoms = symptoms or []
        self.explain = explain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        d = self.diagnosis
        style = SEVERITY_STYLE.get(d.severity, "")
        head = Text()
        head.append(f"{SEVERITY_MARK[d.severity]} {d.severity.upper():8}", style=style)
        head.append(f"{d.rule_id}  ", style="bold")
        head.append(d.title, style="bold")
        yield head
        place = Text(f"where: {_where(d, self.entry)}")
        place.append(f"  ({d.problem}, certainty {d.certainty:.0%})", style="dim")
        if d.inconclusive:
            place.append("  inconclusive", style="magenta")
        body: list[Any] = [place]
        conditions = self.entry.conditions.get(d.rule_id, [])
        evidence = evidence_table(d, conditions)
        if evidence is not None:
            body.append(evidence)
        if self.explain:  # the rule's own words for what was compared
            body.extend(Text(f"when {c.text}", style="dim") for c in conditions
                        if any(_matches(e, c) for e in d.evidence))
        body.append(Text(d.explanation))
        for remedy in d.remedies:
            params = ", ".join(f"{k}={fmt_value(v)}" for k, v in remedy.parameters.items())
            line = Text("→ ", style="green")
            line.append(remedy.text or remedy.action)
            line.append(f"  {remedy.action}({params})" if remedy.text else f"({params})",
                        style="dim")
            body.append(line)
        if d.caused_by:
            body.append(Text(f"caused by: {', '.join(d.caused_by)}", style="dim"))
        if self.symptoms:
            body.append(Text("symptoms it explains:", style="dim"))
            body.extend(DiagnosisView(s, self.entry, sub, explain=self.explain)
                        for s, sub in self.symptoms)
        yield Padding(Group(*body), (0, 0, 0, 2), expand=False)


VERDICT_MARK = {"fail": "✗", "warn": "!", "pass": "✓"}


def audio_line(report: FileReport) -> Text:
    """What the file is: format, rate, channels, duration."""
    if report.audio is None:
        return Text("")
    return Text(" · ".join(audio_parts(report.audio)), style="dim")


class FileHeader:
    """The file's name and verdict, what it is, the meters and the playback per platform
    (side by side when the terminal is wide enough)."""

    def __init__(self, entry: FileReport, pictures: Pictures) -> None:
        self.entry = entry
        self.pictures = pictures

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        entry = self.entry
        title = Table.grid(expand=True)
        title.add_column(ratio=1, overflow="fold")
        title.add_column(justify="right", no_wrap=True)
        verdict = Text("")
        if entry.verdict is not None:
            verdict = Text(f"{VERDICT_MARK[entry.verdict]} {entry.verdict.upper()}",
                           style=VERDICT_STYLE[entry.verdict])
        title.add_row(Text(printable(entry.path), style="bold"), verdict)
        yield Rule(style="dim")
        yield title
        yield audio_line(entry)
        meters = MetersView(self.pictures.meters, family_note=family_sentence(entry.envelope)
                            if entry.envelope is not None else None)
        if not entry.playback:
            yield meters
            return
        playback = PlaybackView(entry.playback)
        if options.max_width >= _SIDE_BY_SIDE_WIDTH:
            grid = Table.grid(padding=(0, 4))
            grid.add_row(meters, playback)
            yield grid
        else:
            yield meters
            yield playback


#: From this many columns the meters and the playback table sit side by side.
_SIDE_BY_SIDE_WIDTH = 150


#: The correlation strip's axis: a coefficient's whole range.
_CORRELATION_SCALE = (-1.0, 1.0)


class FileDiagnosisView:
    """One judged file: header, pictures, diagnoses (most severe and most certain first,
    symptoms under their cause), then the nearest misses (with ``--explain``: the whole
    reasoning tree) or a line counting them."""

    def __init__(self, report: FileReport, profile: Mapping[str, Any] | None = None) -> None:
        self.report = report
        self.profile = profile or {}

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        if not report.ok:
            yield Rule(style="dim")
            yield error_line(report.path, report.error)
            return
        pics = pictures(report, self.profile)
        yield FileHeader(report, pics)
        for ref in report.references:
            yield Text(f"against reference {printable(ref.path)}: {reference_line(ref)}",
                       style="dim")
        if pics.tonal is not None:
            yield Text("")
            yield TonalChart(pics.tonal)
        if pics.loudness is not None:
            yield Text("")
            yield OverTimeStrip(pics.loudness, "short-term loudness")
        if pics.stereo is not None and any(e.descriptor.startswith("stereo.")
                                           for d in report.diagnoses for e in d.evidence):
            yield Text("")  # drawn when a diagnosis is about the stereo image
            yield OverTimeStrip(pics.stereo, "correlation over time", rows=2,
                                scale=_CORRELATION_SCALE)
        yield Text("")
        explain = report.trace is not None
        if not report.diagnoses and report.verdict in ("warn", "fail"):
            # a stem's verdict comes from the diagnoses of the set that name it
            yield Text("its problems with the other members are listed below, with the set's "
                       "diagnoses", style=VERDICT_STYLE[report.verdict])
        elif not report.diagnoses:
            yield Text("✓ no problems found for this profile", style="green")
        for diagnosis, symptoms in nest_symptoms(report.diagnoses):
            yield DiagnosisView(diagnosis, report, symptoms, explain=explain)
        if explain:
            assert report.trace is not None
            yield ReasoningView(EngineResult.from_dump(str(self.profile.get("name")),
                                                       report.diagnoses, report.trace),
                                asked=report.trace.get("asked"))
        elif report.near_misses:
            n = len(report.near_misses)
            yield Text(f"{n} near miss{'es' if n > 1 else ''}: --explain", style="dim")
        for note in report.notes:
            yield Text(f"note: {note}", style="yellow")


def print_quiet(console: Console, entry: FileReport) -> None:
    """The quiet line of one file, never wrapped (scripts read it)."""
    console.print(quiet_line(entry), soft_wrap=True)


def quiet_line(entry: FileReport) -> Text:
    """``path  verdict  problem,keys`` (``error`` and the message for an unreadable file)."""
    if not entry.ok:
        return Text(f"{printable(entry.path)}  error  {printable(entry.error or '')}",
                    style="bold red")
    keys = ",".join(dict.fromkeys(d.problem for d in entry.diagnoses)) or "-"
    verdict = entry.verdict or "-"
    line = Text(f"{printable(entry.path)}  ")
    line.append(verdict, style=VERDICT_STYLE.get(verdict, ""))
    line.append(f"  {keys}")
    return line


#: Summary order: what cannot be judged first, then the worst verdicts.
_SUMMARY_RANK = {None: 0, "fail": 1, "warn": 2, "pass": 3}


class BatchSummary:
    """File x verdict x problem keys, worst first (input order within a verdict); an
    unreadable file with its one-line error."""

    def __init__(self, entries: Iterable[FileReport]) -> None:
        self.entries = list(entries)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        counts = {v: sum(e.ok and e.verdict == v for e in self.entries)
                  for v in ("fail", "warn", "pass")}
        unreadable = sum(not e.ok for e in self.entries)
        told = [f"{n} {v}" for v, n in counts.items() if n]
        if unreadable:
            told.append(f"{unreadable} unreadable")
        table = Table(title=f"summary: {len(self.entries)} files, " + ", ".join(told),
                      title_justify="left", box=None, header_style="dim", padding=(0, 1),
                      pad_edge=False)
        table.add_column("file", no_wrap=True, overflow="fold")
        table.add_column("verdict", no_wrap=True)
        table.add_column("problems", ratio=1, overflow="fold")
        ranked = sorted(self.entries,
                        key=lambda e: _SUMMARY_RANK[e.verdict if e.ok else None])
        for e in ranked:
            if not e.ok:
                table.add_row(Text(printable(e.path)), Text("✗ error", style="bold red"),
                              Text(printable(e.error or ""), style="red"))
                continue
            verdict = e.verdict or "pass"
            keys = ", ".join(dict.fromkeys(d.problem for d in e.diagnoses)) or "—"
            table.add_row(Text(printable(e.path)), Text(f"{VERDICT_MARK[verdict]} {verdict}",
                                       style=VERDICT_STYLE[verdict]), keys)
        yield table


def profile_line(profile: Mapping[str, Any]) -> Text:
    """The profile the batch is judged against, with its delivery targets, and what the
    project settings changed (one line each)."""
    targets = profile.get("targets", {})
    line = f"profile: {profile.get('name')} — {profile.get('title', '')}"
    if targets.get("integrated_lufs") is not None:
        line += f" (target {targets['integrated_lufs']:g} LUFS"
        line += f", true peak ≤ {targets.get('true_peak_dbtp', 0):g} dBTP)"
    if profile.get("genre"):
        line += f" · genre {profile['genre']}"
    if profile.get("references"):
        line += " · targets from the average of " + ", ".join(
            printable(str(path)) for path in profile["references"])
    return Text("\n".join([line, *project_lines(profile)]), style="dim")


class ReportView:
    """A whole batch report: the profile, each file and, for more than one file, the
    summary (``print_quiet`` prints the one-line form)."""

    def __init__(self, report: Report, *, diagnoses: bool = True) -> None:
        self.report = report
        self.diagnoses = diagnoses

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        profile = self.report.profile
        if not self.diagnoses:
            for entry in self.report.reports:
                yield FeaturesView(entry)
                yield Text("")
            return
        yield profile_line(profile)
        for entry in self.report.reports:
            yield FileDiagnosisView(entry, profile)
            yield Text("")
        if len(self.report.reports) > 1:
            yield BatchSummary(self.report.reports)


class ComparisonView:
    """Before/after: problems fixed, introduced and remaining, and key descriptor deltas."""

    def __init__(self, comparison: Any) -> None:
        self.comparison = comparison

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        c = self.comparison
        for side in (c.before, c.after):
            if not side.ok:
                yield error_line(side.path, side.error)
        if not (c.before.ok and c.after.ok):
            return
        yield Text(f"{printable(c.before.path)}  →  {printable(c.after.path)}", style="bold")
        for label, items, style in (
            ("fixed", c.fixed, "green"),
            ("introduced", c.introduced, "red"),
            ("remaining", c.remaining, "yellow"),
        ):
            yield Text(f"{label:11}{', '.join(items) or '—'}", style=style)
        table = Table(title="key descriptors", title_justify="left")
        table.add_column("descriptor")
        table.add_column("before", justify="right")
        table.add_column("after", justify="right")
        table.add_column("change", justify="right")
        for change in c.changes:
            table.add_row(
                change.descriptor,
                fmt_value(change.before, change.unit),
                fmt_value(change.after, change.unit),
                format_value(change.delta, "+.2f"),
            )
        yield table




class PlaybackView:
    """Playback per platform: the gain each service applies and the true peak after it."""

    def __init__(self, playback: Iterable[Any]) -> None:
        self.playback = list(playback)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(title="playback (normalisation per platform)", title_justify="left",
                      box=None, header_style="dim", padding=(0, 1))
        table.add_column("platform", no_wrap=True)
        table.add_column("reference", justify="right", no_wrap=True)
        table.add_column("gain", justify="right", no_wrap=True)
        table.add_column("true peak after", justify="right", no_wrap=True)
        table.add_column("limited by", overflow="fold")
        for item in self.playback:
            gain = Text(f"{item.gain_db:+.1f} dB",
                        style="yellow" if item.gain_db < 0 else "")
            peak = ("n/a" if item.true_peak_after_dbtp is None
                    else f"{item.true_peak_after_dbtp:.1f} dBTP")
            table.add_row(item.platform, f"{item.reference_lufs:g} LUFS", gain, peak,
                          LIMITED_BY.get(item.limited_by, str(item.limited_by)))
        yield table
