"""Terminal renderables (rich): the catalogue, measured descriptors and diagnoses.

Each view is an object that renders itself (``__rich_console__``); none computes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from expert.descriptors import CATALOGUE, DescriptorSpec
from expert.engine.result import EngineResult
from expert.report.format import fmt_ranges, fmt_value, nest_symptoms, reference_line
from expert.report.models import FileReport, Report
from expert.report.reasoning import ReasoningView, condition_line
from expert.rules.expr.template import format_value

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
VERDICT_STYLE = {"fail": "bold red", "warn": "yellow", "pass": "green"}


def console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


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


def audio_line(report: FileReport) -> Text:
    audio = report.audio
    if audio is None:
        return Text("")
    parts = [
        f"{audio.duration_s:.1f} s",
        f"{audio.sample_rate_hz} Hz",
        {1: "mono", 2: "stereo"}.get(audio.channels, f"{audio.channels} ch"),
        f"{audio.container}/{audio.codec}",
    ]
    if audio.bit_depth:
        parts.append(f"{audio.bit_depth}-bit")
    if audio.bit_rate_kbps:
        parts.append(f"{audio.bit_rate_kbps:.0f} kbps")
    if audio.downmixed:
        parts.append(f"downmixed from {audio.source_channels} channels")
    return Text(" · ".join(parts), style="dim")


class FeaturesView:
    """The measured descriptors of one file, grouped, with units and meanings."""

    def __init__(self, report: FileReport) -> None:
        self.report = report

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        if not report.ok:
            yield Text(f"{report.path}: {report.error}", style="bold red")
            return
        table = Table(title=report.path, caption=audio_line(report), expand=True)
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


class DiagnosisView:
    """One diagnosis: what, where, why (evidence), what to do, and the symptoms it explains
    (nested inside it)."""

    def __init__(self, diagnosis: Any, symptoms: list[tuple[Any, list[Any]]] | None = None
                 ) -> None:
        self.diagnosis = diagnosis
        self.symptoms = symptoms or []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        d = self.diagnosis
        style = SEVERITY_STYLE.get(d.severity, "")
        head = Text()
        head.append(f"{d.severity.upper():8}", style=style)
        head.append(f"{d.rule_id}  ", style="bold")
        head.append(d.title, style="bold")
        head.append(f"   [{d.problem}]  certainty {d.certainty:.0%}", style="dim")
        if d.inconclusive:
            head.append("  inconclusive", style="magenta")
        body: list[Any] = [Text(f"where: {fmt_ranges(d.time_ranges)}")]
        if d.evidence:
            evidence = Table(box=None, show_header=True, header_style="dim", padding=(0, 1))
            evidence.add_column("evidence")
            evidence.add_column("measured", justify="right")
            evidence.add_column("condition")
            for item in d.evidence:
                evidence.add_row(item.descriptor, fmt_value(item.value, item.unit), item.condition)
            body.append(evidence)
        body.append(Text(d.explanation))
        for remedy in d.remedies:
            params = ", ".join(f"{k}={fmt_value(v)}" for k, v in remedy.parameters.items())
            line = Text("→ ", style="green")
            line.append(remedy.text or remedy.action)
            if remedy.text:
                line.append(f"  {remedy.action}", style="dim")
            if params:
                line.append(f" ({params})", style="dim")
            body.append(line)
        if d.caused_by:
            body.append(Text(f"caused by: {', '.join(d.caused_by)}", style="dim"))
        if self.symptoms:
            body.append(Text("symptoms it explains:", style="dim"))
            body.extend(DiagnosisView(s, sub) for s, sub in self.symptoms)
        yield Panel(Group(*body), title=head, title_align="left", border_style=style)


class FileDiagnosisView:
    """All diagnoses of one file, most severe first, then the nearest misses (or, when the
    report carries the trace, the whole reasoning tree)."""

    def __init__(self, report: FileReport, profile: str = "") -> None:
        self.report = report
        self.profile = profile

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        if not report.ok:
            yield Text(f"✗ {report.path}: {report.error}", style="bold red")
            return
        title = Text(report.path, style="bold")
        if report.verdict is not None:
            title.append(f"  {report.verdict.upper()}",
                         style=VERDICT_STYLE.get(report.verdict, ""))
        yield title
        yield audio_line(report)
        if report.playback:
            yield PlaybackView(report.playback)
        for ref in report.references:
            yield Text(f"against reference {ref.path}: {reference_line(ref)}", style="dim")
        if not report.diagnoses:
            yield Text("✓ no problems found for this profile", style="green")
        for diagnosis, symptoms in nest_symptoms(report.diagnoses):
            yield DiagnosisView(diagnosis, symptoms)
        if report.trace is not None:
            yield ReasoningView(EngineResult.from_dump(self.profile, report.diagnoses,
                                                       report.trace))
        elif report.near_misses:
            table = Table(title="nearest misses (did not fire)", title_justify="left", box=None)
            table.add_column("rule")
            table.add_column("problem")
            table.add_column("failed condition")
            for miss in report.near_misses:
                failed = "; ".join(condition_line(c) for c in miss.failed)
                table.add_row(miss.rule_id, miss.problem, failed)
            yield table
        for note in report.notes:
            yield Text(f"note: {note}", style="yellow")


class ReportView:
    """A whole batch report with a summary line."""

    def __init__(self, report: Report, *, diagnoses: bool = True) -> None:
        self.report = report
        self.diagnoses = diagnoses

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        profile = self.report.profile
        if self.diagnoses:
            targets = profile.get("targets", {})
            line = f"profile: {profile.get('name')} — {profile.get('title', '')}"
            if targets.get("integrated_lufs") is not None:
                line += f" (target {targets['integrated_lufs']:g} LUFS"
                line += f", true peak ≤ {targets.get('true_peak_dbtp', 0):g} dBTP)"
            if profile.get("genre"):
                line += f" · genre {profile['genre']}"
            if profile.get("references"):
                line += " · targets from the average of " + ", ".join(profile["references"])
            yield Text(line, style="dim")
        for entry in self.report.reports:
            if self.diagnoses:
                yield FileDiagnosisView(entry, str(profile.get("name")))
            else:
                yield FeaturesView(entry)
            yield Text("")
        total = len(self.report.reports)
        failed = sum(not r.ok for r in self.report.reports)
        if self.diagnoses:
            count = sum(len(r.diagnoses) for r in self.report.reports)
            yield Text(f"{total} file(s), {count} diagnosis(es), {failed} unreadable", style="bold")


class ComparisonView:
    """Before/after: problems fixed, introduced and remaining, and key descriptor deltas."""

    def __init__(self, comparison: Any) -> None:
        self.comparison = comparison

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        c = self.comparison
        for side in (c.before, c.after):
            if not side.ok:
                yield Text(f"✗ {side.path}: {side.error}", style="bold red")
        if not (c.before.ok and c.after.ok):
            return
        yield Text(f"{c.before.path}  →  {c.after.path}", style="bold")
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


_LIMITED_BY = {None: "", "true_peak": "true-peak headroom", "limiter": "into its limiter",
               "turn_down_only": "turns down only"}


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
        table.add_column("limited by")
        for item in self.playback:
            gain = Text(f"{item.gain_db:+.1f} dB",
                        style="yellow" if item.gain_db < 0 else "")
            peak = ("n/a" if item.true_peak_after_dbtp is None
                    else f"{item.true_peak_after_dbtp:.1f} dBTP")
            table.add_row(item.platform, f"{item.reference_lufs:g} LUFS", gain, peak,
                          _LIMITED_BY.get(item.limited_by, str(item.limited_by)))
        yield table
