"""The HTML report's plots: the picture data of ``expert.report.pictures`` drawn by
matplotlib's SVG backend, returned as SVG text to inline in the page.

matplotlib (a maintained plotting library, not hand-written SVG strings) is imported here
only, and this module only when an HTML report is asked for. The output is byte-stable:
a fixed ``svg.hashsalt`` (the ids of clip paths), text left as text (``svg.fonttype:
none``: no glyph outlines, the page's fonts draw it) and no date in the metadata.

Elements a test (or a reader's script) may look up carry ids (matplotlib ``gid``),
relative to the plot's prefix (see ``svg_text``):

- ``area``: the axes' background rectangle (its left and right edges are the x-limits
  the figure's ``data-x-min`` / ``data-x-max`` attributes name);
- ``problem-<n>-<RULE>``: the shaded passage (or the line of an event) of a diagnosis;
- ``level``, ``envelope``, ``median``, ``series-<descriptor>``: the drawn data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from expert.report.format import fmt_time
from expert.report.pictures import OverTime, Series, Span, TonalBalance

#: Colours by severity (the same as the page's CSS) and for the drawn data.
SEVERITY_COLOUR = {"error": "#c0392b", "warning": "#d68910", "info": "#2e86c1"}
INK, MUTED, ENVELOPE, GRID = "#1f2a36", "#6b7785", "#9fb8cf", "#e3e7ec"
SECOND = "#7d3c98"  # a second series on its own axis (width beside correlation)

#: Legend label, colour and line width of each time series (the name, ink, 1.5 otherwise).
SERIES_STYLE = {
    "loudness.short_term_lufs": ("short-term loudness", INK, 1.8),
    "loudness.momentary_max_lufs": ("loudest momentary (400 ms)", "#5d8aa8", 1.0),
}

#: Figure size in inches (the page scales the SVG to its column) and font size in points.
FIGURE_IN = (8.6, 3.0)
FONT_PT = 9.0
#: Axes position in the figure (fractions of its width and height).
MARGINS = {"left": 0.075, "right": 0.925, "bottom": 0.16, "top": 0.86}
_RC = {
    "svg.hashsalt": "mixexpert",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": FONT_PT,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "axes.spines.top": False,
}


@dataclass(frozen=True)
class Plot:
    """One rendered plot: its SVG and the data range of its x axis (for the page's
    ``data-x-min`` / ``data-x-max``, which map the SVG back to seconds or hertz)."""

    svg: str
    x_min: float
    x_max: float


@contextmanager
def _figure() -> Iterator[tuple[Figure, Axes]]:
    with rc_context(_RC):
        # Fixed margins (room for the legend above, a right-hand axis, the labels):
        # constrained layout drew every figure twice and took 40% of the time.
        fig = Figure(figsize=FIGURE_IN)
        fig.subplots_adjust(**MARGINS)
        ax = fig.add_subplot()
        ax.patch.set_gid("area")
        ax.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        yield fig, ax


def svg_text(fig: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element for inlining: no XML prologue, and every id (and
    reference to one) prefixed with ``prefix-`` so that several plots share a page."""
    buffer = io.StringIO()
    with rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)


def _hz(value: float, _pos: int) -> str:
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"


def tonal_plot(tonal: TonalBalance, centers_hz: list[float], prefix: str) -> Plot | None:
    """The 1/3-octave long-term spectrum against the family's p5-p95 band and median."""
    rows = [(hz, b) for hz, b in zip(centers_hz, tonal.third_octave, strict=False)
            if b.level_db is not None]
    if not rows:
        return None
    with _figure() as (fig, ax):
        hz = [h for h, _ in rows]
        low = [b.p5_db for _, b in rows]
        if all(v is not None for v in low) and all(b.p95_db is not None for _, b in rows):
            ax.fill_between(hz, low, [b.p95_db for _, b in rows], color=ENVELOPE, alpha=0.45,
                            linewidth=0, label=f"released {tonal.family}: p5–p95",
                            gid="envelope")
        if all(b.p50_db is not None for _, b in rows):
            ax.plot(hz, [b.p50_db for _, b in rows], color=MUTED, linestyle="--",
                    linewidth=1.0, label="median", gid="median")
        ax.plot(hz, [b.level_db for _, b in rows], color=INK, linewidth=1.8,
                label="this mix", gid="level")
        for placement, marker in (("above", "^"), ("below", "v")):
            out = [(h, b.level_db) for h, b in rows if b.placement == placement]
            if out:
                ax.plot([h for h, _ in out], [v for _, v in out], linestyle="none",
                        marker=marker, color=SEVERITY_COLOUR["warning"], markersize=5,
                        label=f"{placement} p95" if placement == "above" else "below p5",
                        gid=f"outside-{placement}")
        ax.set_xscale("log")
        ax.set_xlim(hz[0], hz[-1])
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(_hz))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("frequency (Hz, 1/3-octave bands)")
        ax.set_ylabel("level (dB)")
        # The envelope's top bands can reach -100 dB (little music there): keep the
        # scale on the mix and the median.
        shown = [b.level_db for _, b in rows] + [b.p50_db for _, b in rows if b.p50_db]
        ax.set_ylim(bottom=max(ax.get_ylim()[0], min(shown) - 12.0))
        _legend(ax)
        return Plot(svg_text(fig, prefix), hz[0], hz[-1])


def _mid_times(series: Series, duration_s: float) -> list[float]:
    """Each window's value drawn at the centre of what it covers (a file shorter than one
    window has one window over all of it)."""
    return [(start + min(start + series.window_s, duration_s)) / 2
            for start in series.starts_s]


def _shade(ax: Axes, problems: tuple[Span, ...]) -> None:
    """Every located passage of a diagnosis: a band (an event: a thin line); each rule
    labelled once, at its first passage."""
    top = ax.get_ylim()[1]
    labelled: set[str] = set()
    for n, span in enumerate(problems):
        colour = SEVERITY_COLOUR.get(span.severity, MUTED)
        gid = f"problem-{n}-{span.rule_id}"
        if span.end_s > span.start_s:
            ax.axvspan(span.start_s, span.end_s, color=colour, alpha=0.16, linewidth=0,
                       gid=gid)
        else:
            ax.axvline(span.start_s, color=colour, alpha=0.55, linewidth=0.7, gid=gid)
        if span.rule_id not in labelled:
            labelled.add(span.rule_id)
            ax.text(span.start_s, top, f" {span.rule_id}", color=colour, va="top",
                    ha="left", fontsize=FONT_PT - 1)


def _legend(ax: Axes, handles: list | None = None) -> None:
    """Above the plot, out of the data's way."""
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False,
              ncols=4, borderaxespad=0.2)


def _time_axis(ax: Axes, duration_s: float) -> None:
    ax.set_xlim(0.0, duration_s)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 5, 6, 10], integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda s, _pos: fmt_time(s).removesuffix(".0")))
    ax.set_xlabel("time (m:ss)")


def _line(ax: Axes, series: Series, duration_s: float, colour: str, label: str, *,
          width: float = 1.5) -> None:
    """The series as a line, with dots where too few values make one (a short file)."""
    values = [float("nan") if v is None else v for v in series.values]
    few = sum(v is not None for v in series.values) < 3
    ax.plot(_mid_times(series, duration_s), values, color=colour, linewidth=width,
            marker="o" if few else None, markersize=4, label=label,
            gid=f"series-{series.name}")


def loudness_plot(loudness: OverTime, prefix: str) -> Plot:
    """Short-term loudness over time against the target, the problem passages shaded."""
    with _figure() as (fig, ax):
        for series in loudness.series:
            label, colour, width = SERIES_STYLE.get(series.name, (series.name, INK, 1.5))
            _line(ax, series, loudness.duration_s, colour,
                  f"{label}, per {series.window_s:g} s window", width=width)
        if loudness.reference is not None:
            ax.axhline(loudness.reference, color=MUTED, linestyle="--", linewidth=1.0,
                       label=f"target {loudness.reference:g} LUFS", gid="target")
        ax.set_ylabel("loudness (LUFS)")
        _time_axis(ax, loudness.duration_s)
        ax.margins(y=0.15)
        _shade(ax, loudness.problems)
        _legend(ax)
        return Plot(svg_text(fig, prefix), 0.0, loudness.duration_s)


def stereo_plot(stereo: OverTime, prefix: str) -> Plot:
    """Correlation (left axis, -1..+1) and width (right axis, 0-100 %) over time."""
    with _figure() as (fig, ax):
        by_name = {s.name: s for s in stereo.series}
        handles = []
        if (corr := by_name.get("stereo.correlation")) is not None:
            _line(ax, corr, stereo.duration_s, INK, "correlation")
            ax.axhline(0.0, color=MUTED, linewidth=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel("correlation")
        _time_axis(ax, stereo.duration_s)
        if (width := by_name.get("stereo.width_pct")) is not None:
            right = ax.twinx()
            _line(right, width, stereo.duration_s, SECOND, "width (%)")
            right.set_ylim(0.0, 100.0)
            right.set_ylabel("width (%)", color=SECOND)
            right.tick_params(axis="y", colors=SECOND)
            handles = right.get_legend_handles_labels()[0]
        _shade(ax, stereo.problems)
        _legend(ax, ax.get_legend_handles_labels()[0] + handles)
        return Plot(svg_text(fig, prefix), 0.0, stereo.duration_s)
