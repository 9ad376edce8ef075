"""The report's pictures in the terminal (rich): meters, tonal balance, loudness over time.

Each view draws data from ``expert.report.pictures`` and computes nothing about the audio.
Characters carry the meaning (``▲``/``▼`` outside the envelope, ``^``/``|`` under a
problem), colour only repeats it, so the pictures read the same piped, with NO_COLOR and
at 80 columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from expert.report.format import fmt_time
from expert.report.pictures import Meter, OverTime, Placement, Series, TonalBalance
from expert.severity import SEVERITY_RANK

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
#: A verdict's mark: readable without colour.
SEVERITY_MARK = {None: "✓", "info": "i", "warning": "!", "error": "✗"}
PLACEMENT_MARK: dict[Placement, str] = {"inside": "●", "above": "▲", "below": "▼",
                                        "unknown": " "}
PLACEMENT_STYLE: dict[Placement, str] = {"inside": "green", "above": "bold red",
                                         "below": "bold blue", "unknown": ""}

#: Decimals a meter is read to, by unit (a correlation to 0.01, a width to 1 %).
_METER_FORMAT = {"coefficient": "+.2f", "%": ".0f"}


def fmt_meter(value: float | None, unit: str) -> str:
    """A meter reading with its unit: 1 decimal for levels, 2 for a correlation."""
    if value is None:
        return "undefined"
    shown = format(value, _METER_FORMAT.get(unit, ".1f"))
    return shown if unit == "coefficient" else f"{shown} {unit}"


class MetersView:
    """The meters an engineer reads first, each with what it is read against and the mark
    and rule ids of the diagnoses that judged it."""

    def __init__(self, meters: Sequence[Meter], *, family_note: str | None = None) -> None:
        self.meters = list(meters)
        self.family_note = family_note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
        table.add_column("meter", style="bold")
        table.add_column("value", justify="right")
        table.add_column("verdict")
        table.add_column("against", overflow="fold")
        for m in self.meters:
            style = SEVERITY_STYLE.get(m.severity or "", "green")
            verdict = Text(SEVERITY_MARK[m.severity], style=style)
            if m.rule_ids:
                verdict.append(" " + ",".join(m.rule_ids), style=style)
            if m.target is not None:
                against = f"{m.target_kind} {fmt_meter(m.target, m.unit)}"
            elif m.spread is not None:
                against = (f"released: {fmt_meter(m.spread.p5, m.unit)} to "
                           f"{fmt_meter(m.spread.p95, m.unit)}")
            else:
                against = ""
            row = Text(against, style="dim")
            if m.placement in ("above", "below"):  # unusual, whether or not a rule minds
                row.append(f" {PLACEMENT_MARK[m.placement]} {m.placement}",
                           style=PLACEMENT_STYLE[m.placement])
            table.add_row(m.label, Text(fmt_meter(m.value, m.unit), style=style), verdict, row)
        yield table
        if self.family_note and any(m.spread is not None for m in self.meters):
            yield Text(f"released: p5 to p95. {self.family_note}", style="dim")


#: Deviation from the family's median the tonal chart shows (dB; beyond it: the edge row).
_TONAL_TOP_DB = 12.0
_TONAL_STEP_DB = 3.0
#: 1/3-octave bands labelled under the tonal chart.
_TONAL_TICKS = ("31.5", "125", "500", "2k", "8k")


class TonalChart:
    """The file's 1/3-octave spectrum against the family's p5..p95 envelope: one column per
    band, dB from the family's median; ``░`` the envelope, ``●`` the file inside it, ``▲`` /
    ``▼`` above / below it; then the named bands outside their envelope."""

    def __init__(self, tonal: TonalBalance) -> None:
        self.tonal = tonal

    @staticmethod
    def _row(value_db: float, rows: int) -> int:
        k = round((_TONAL_TOP_DB - value_db) / _TONAL_STEP_DB)
        return min(max(k, 0), rows - 1)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        bands = self.tonal.third_octave
        rows = int(2 * _TONAL_TOP_DB / _TONAL_STEP_DB) + 1
        axis_w = 4
        cell = 2 if axis_w + 2 * len(bands) <= options.max_width else 1
        yield Text.assemble(
            ("tonal balance", "bold"),
            (f" against released {self.tonal.family} masters (dB from their median; "
             "░ p5 to p95, ● inside, ▲ above, ▼ below)", "dim"))
        if bands:
            grid = [[(" " * cell, "")] * len(bands) for _ in range(rows)]
            zero = self._row(0.0, rows)
            for i, band in enumerate(bands):
                if band.p50_db is None:
                    continue
                if band.p5_db is not None and band.p95_db is not None:
                    top = self._row(band.p95_db - band.p50_db, rows)
                    bottom = self._row(band.p5_db - band.p50_db, rows)
                    for k in range(top, bottom + 1):
                        grid[k][i] = ("░" * cell, "dim")
                if band.level_db is not None:
                    k = self._row(band.level_db - band.p50_db, rows)
                    mark = PLACEMENT_MARK[band.placement]
                    grid[k][i] = (mark.ljust(cell), PLACEMENT_STYLE[band.placement])
            for k, line in enumerate(grid):
                y = _TONAL_TOP_DB - k * _TONAL_STEP_DB
                label = (f"{y:+.0f}" if y else "0") if k % 2 == 0 else ""
                text = Text(f"{label:>{axis_w - 1}}" + ("┼" if k == zero else "│"), style="dim")
                for chars, style in line:
                    if k == zero and not chars.strip():
                        chars, style = "─" * cell, "dim"
                    text.append(chars, style=style)
                yield text
            ticks = [" "] * (axis_w + cell * len(bands) + 6)
            for i, band in enumerate(bands):
                if band.label in _TONAL_TICKS:
                    at = axis_w + i * cell
                    ticks[at:at + len(band.label)] = band.label
            yield Text("".join(ticks).rstrip() + " Hz", style="dim")
        outside = [b for b in self.tonal.named if b.placement in ("above", "below")]
        named = Text("named bands: ", style="dim")
        if not outside:
            named.append(f"all {len(self.tonal.named)} inside the envelope", style="green")
        for n, band in enumerate(outside):
            assert band.level_db is not None and band.p5_db is not None
            assert band.p95_db is not None
            edge, word = ((band.p95_db, "over p95") if band.placement == "above"
                          else (band.p5_db, "under p5"))
            named.append(("; " if n else "")
                         + f"{band.label} {PLACEMENT_MARK[band.placement]} "
                         f"{abs(band.level_db - edge):.1f} dB {word}",
                         style=PLACEMENT_STYLE[band.placement])
        yield named


_BLOCKS = " ▁▂▃▄▅▆▇█"


def _column_values(series: Series, duration_s: float, columns: int) -> list[float | None]:
    """One value per column: the highest window (centred) in it, else the nearest."""
    centres = [s + series.window_s / 2 for s in series.starts_s]
    out: list[float | None] = []
    for c in range(columns):
        t0, t1 = duration_s * c / columns, duration_s * (c + 1) / columns
        inside = [v for t, v in zip(centres, series.values, strict=True)
                  if t0 <= t < t1 and v is not None]
        if inside:
            out.append(max(inside))
            continue
        mid = (t0 + t1) / 2
        nearest = min(range(len(centres)), key=lambda i: abs(centres[i] - mid))
        out.append(series.values[nearest])
    return out


class OverTimeStrip:
    """A series over the file's duration as a strip of block characters (``rows`` high),
    the reference level as ``┈``, and under it the problem passages (``^``) and events
    (``|``) with the rule ids that name them."""

    def __init__(self, over: OverTime, title: str, *, rows: int = 4,
                 scale: tuple[float, float] | None = None) -> None:
        self.over = over
        self.title = title
        self.rows = rows
        self.scale = scale  # the axis' (low, high); None: the series' own range

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        over = self.over
        series = over.series[0]
        defined = [v for v in series.values if v is not None]
        axis_w = 6
        columns = max(10, options.max_width - axis_w - 1)
        values = _column_values(series, over.duration_s, columns)
        ref = over.reference
        if self.scale is not None:
            lo, hi = self.scale
        else:
            lo = math.floor(min(defined + ([ref] if ref is not None else [])))
            hi = math.ceil(max(defined + ([ref] if ref is not None else [])))
            hi = hi if hi > lo else lo + 1
        title = Text(self.title, style="bold")
        title.append(f" ({series.window_s:g} s windows; {fmt_meter(min(defined), series.unit)}"
                     f" to {fmt_meter(max(defined), series.unit)}"
                     + (f"; ┈ target {fmt_meter(ref, series.unit)}" if ref is not None else "")
                     + ")", style="dim")
        yield title
        eighths = [None if v is None else round((v - lo) / (hi - lo) * self.rows * 8)
                   for v in values]
        ref_row = (None if ref is None
                   else min(int((ref - lo) / (hi - lo) * self.rows), self.rows - 1))
        for r in reversed(range(self.rows)):
            label = f"{hi:+g}" if r == self.rows - 1 else f"{lo:+g}" if r == 0 else ""
            line = Text(f"{label:>{axis_w - 1}}│", style="dim")
            for e in eighths:
                fill = 0 if e is None else min(max(e - r * 8, 0), 8)
                if fill == 0 and r == ref_row:
                    line.append("┈", style="dim")
                else:
                    line.append(_BLOCKS[fill], style="cyan")
            yield line
        marks = [" "] * columns
        styles = [""] * columns
        labels: list[str] = []
        for span in over.problems:
            first = min(int(span.start_s / over.duration_s * columns), columns - 1)
            last = min(int(span.end_s / over.duration_s * columns), columns - 1)
            char = "|" if span.start_s == span.end_s else "^"
            for c in range(first, last + 1):
                if char == "|" or marks[c] != "|":
                    marks[c] = char
                if SEVERITY_RANK[span.severity] >= SEVERITY_RANK.get(styles[c] or "info", 0):
                    styles[c] = span.severity
            label = f"{span.rule_id} {span.problem}"
            if label not in labels:
                labels.append(label)
        if labels:
            line = Text(" " * axis_w)
            for char, sev in zip(marks, styles, strict=True):
                line.append(char, style=SEVERITY_STYLE.get(sev, ""))
            yield line
        end = fmt_time(over.duration_s)
        middle = fmt_time(over.duration_s / 2)
        gap = columns - 4 - len(end)
        axis = " " * axis_w + "0:00" + middle.center(gap) + end
        yield Text(axis, style="dim")
        if labels:
            yield Text(" " * axis_w + "marked (^ passage, | event): " + "; ".join(labels),
                       style="dim")
