"""The report as one self-contained HTML page, to read or to send to a client.

No scripts, fonts, images or styles from anywhere else: the CSS is inline and the plots
are inline SVG (``expert.report.plots``, drawn from ``expert.report.pictures``). A batch
starts with a summary table linking to each file's section. Output is deterministic except
for the date in the footer (``generated_at``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from importlib.util import find_spec
from typing import Any

from expert.descriptors import CATALOGUE
from expert.errors import UsageError
from expert.report.format import (
    LIMITED_BY,
    audio_parts,
    fmt_value,
    nest_symptoms,
    printable,
    project_lines,
)
from expert.report.models import FileReport, Report
from expert.report.phrases import (
    condition_unit,
    family_sentence,
    margin_text,
    meter_outside,
    meter_state,
    meter_unit,
    meter_value,
    meter_versus,
    problem_keys,
    profile_line,
    where_text,
    worst_first,
)
from expert.report.pictures import Meter, Pictures, TonalBalance, pictures
from expert.rules.expr.template import format_value

_STYLE = """
:root{--ink:#1f2a36;--muted:#6b7785;--line:#dde2e8;--soft:#f5f7f9;--error:#c0392b;
--warning:#b9770e;--info:#2e86c1;--pass:#1e8449}
*{box-sizing:border-box}
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);max-width:62rem;margin:2rem auto;padding:0 1.2rem;background:#fff}
h1{font-size:1.55rem;margin:0 0 .2rem}h2{font-size:1.25rem;margin:0}
h3{font-size:1rem;margin:1.6rem 0 .5rem;color:var(--muted);text-transform:uppercase;
letter-spacing:.04em}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.86em}
.dim{color:var(--muted)}small{font-size:.82em}
header.page{border-bottom:2px solid var(--ink);padding-bottom:.6rem;margin-bottom:1.2rem}
section.file{margin:2rem 0 3rem}
.filehead{display:flex;align-items:baseline;gap:.8rem;flex-wrap:wrap;
border-bottom:1px solid var(--line);padding-bottom:.3rem}
.verdict{font-weight:700;font-size:.8rem;letter-spacing:.06em;padding:.1rem .55rem;
border-radius:.25rem;color:#fff;text-transform:uppercase}
.verdict.fail{background:var(--error)}.verdict.warn{background:var(--warning)}
.verdict.pass{background:var(--pass)}.verdict.unreadable{background:var(--muted)}
.meters{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.2rem,1fr));gap:.5rem;
margin:.8rem 0}
.meter{border:1px solid var(--line);border-top:4px solid var(--pass);border-radius:.3rem;
padding:.35rem .6rem;background:var(--soft)}
.meter .label{font-size:.75rem;color:var(--muted);text-transform:uppercase;
letter-spacing:.04em}
.meter .value{font-size:1.3rem;font-weight:650;font-variant-numeric:tabular-nums}
.meter .vs{font-size:.75rem;color:var(--muted)}
.meter.error{border-top-color:var(--error)}.meter.warning{border-top-color:var(--warning)}
.meter.info{border-top-color:var(--info)}.meter.none{border-top-color:var(--line)}
.meter.error .value{color:var(--error)}.meter.warning .value{color:var(--warning)}
table{border-collapse:collapse;margin:.4rem 0;width:100%}
td,th{padding:.2rem .55rem;text-align:left;border-bottom:1px solid var(--line);
vertical-align:top}
th{font-size:.78rem;color:var(--muted);font-weight:600;text-transform:uppercase;
letter-spacing:.03em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.diag{border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:.3rem;
padding:.55rem .9rem .4rem;margin:.8rem 0;background:#fff;break-inside:avoid}
.diag.error{border-left-color:var(--error)}.diag.warning{border-left-color:var(--warning)}
.diag.info{border-left-color:var(--info)}
.diag .head{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.sev{font-size:.72rem;font-weight:700;letter-spacing:.06em}
.sev.error{color:var(--error)}.sev.warning{color:var(--warning)}.sev.info{color:var(--info)}
.diag .title{font-weight:650}
.diag p{margin:.35rem 0}
.evidence td{font-size:.86rem}.evidence td.cond{word-break:break-word;color:var(--muted)}
ul.remedies{margin:.4rem 0;padding-left:1.2rem}ul.remedies li{margin:.2rem 0}
ul.remedies li::marker{content:"→  ";color:var(--pass)}
.symptoms{margin:.5rem 0 .2rem .4rem;padding-left:.8rem;border-left:2px dotted var(--line)}
.symptoms>.label{font-size:.78rem;color:var(--muted)}
.key{display:inline-block;font-size:.8rem;border-radius:.2rem;padding:0 .35rem;
margin:.05rem .15rem .05rem 0;background:var(--soft);border:1px solid var(--line)}
.key.error{border-color:var(--error);color:var(--error)}
.key.warning{border-color:var(--warning);color:var(--warning)}
figure.plot{margin:.8rem 0 1.2rem;break-inside:avoid}
figure.plot svg{width:100%;height:auto;display:block}
figcaption{font-size:.8rem;color:var(--muted)}
.ok{color:var(--pass);font-weight:600}.bad{color:var(--error)}.out{color:var(--warning)}
footer{margin-top:3rem;border-top:1px solid var(--line);padding-top:.5rem;font-size:.8rem;
color:var(--muted)}
a{color:inherit}
@page{margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}
section.file+section.file{break-before:page}a{text-decoration:none}
.meters{grid-template-columns:repeat(auto-fill,minmax(6.8rem,1fr))}
.meter .value{font-size:1.1rem}h3{break-after:avoid}
.diag,.meter,figure.plot,tr{break-inside:avoid}}
"""

#: Marks for a value outside the family's spread (as the tonal plot's markers).
_OUTSIDE_MARK = {"above": "▲", "below": "▼"}
#: How a band's placement against the envelope is shown (outside is not a diagnosis).
_PLACEMENT_CLASS = {"inside": "ok", "above": "out", "below": "out", "unknown": "dim"}


def require_plotting() -> None:
    """Fail before any analysis when matplotlib, which draws the plots, is missing."""
    if find_spec("matplotlib") is None:
        raise UsageError("--format html draws its plots with matplotlib, which is not "
                         "installed: pip install 'mixexpert[html]'")


def _e(value: Any) -> str:
    # printable: control characters and undecodable name bytes as visible escapes.
    return escape(printable(str(value)), quote=True)


def _with_unit(value: float | None, unit: str = "", spec: str = "+.1f") -> str:
    """A number in ``spec`` (signed by default: gains, band levels) with its unit; n/a."""
    text = format_value(value, spec)
    return f"{text} {unit}".rstrip() if value is not None and unit else text


# --------------------------------------------------------------------------------------
# Header: meters and playback
# --------------------------------------------------------------------------------------

def _meter(meter: Meter) -> str:
    rules = f" title='judged by {_e(', '.join(meter.rule_ids))}'" if meter.rule_ids else ""
    where = meter_outside(meter)
    outside = f" <span class=out>{_OUTSIDE_MARK[where]} {where}</span>" if where else ""
    return (f"<div class='meter {meter_state(meter)}'{rules} "
            f"data-descriptor='{_e(meter.descriptor)}'>"
            f"<div class=label>{_e(meter.label)}</div>"
            f"<div class=value>{_e(meter_value(meter))} <small>{_e(meter_unit(meter))}</small>"
            f"</div><div class=vs>{_e(meter_versus(meter))}{outside}</div></div>")


def _playback(entry: FileReport) -> str:
    if not entry.playback:
        return ""
    rows = "".join(
        f"<tr><td>{_e(p.platform.replace('_', ' '))}</td>"
        f"<td class=num>{format_value(p.reference_lufs, 'g')} LUFS</td>"
        f"<td class=num>{_e(_with_unit(p.gain_db, 'dB'))}</td>"
        f"<td class=num>{_e(_with_unit(p.true_peak_after_dbtp, 'dBTP', '.1f'))}</td>"
        f"<td class=dim>{_e(LIMITED_BY.get(p.limited_by, p.limited_by or ''))}</td></tr>"
        for p in entry.playback)
    return ("<h3>Playback on the services</h3><table class=playback><tr><th>platform</th>"
            "<th class=num>plays at</th><th class=num>gain</th><th class=num>true peak after"
            f"</th><th>limited by</th></tr>{rows}</table>")


# --------------------------------------------------------------------------------------
# Diagnoses
# --------------------------------------------------------------------------------------

def _evidence(d: Any, entry: FileReport) -> str:
    held = entry.conditions.get(d.rule_id, [])
    if held:
        rows = "".join(
            f"<tr><td class='cond mono'>{_e(c.text)}</td>"
            f"<td class=num>{_e(fmt_value(c.observed, unit))}</td>"
            f"<td class=num>{_e(c.operator)} {_e(fmt_value(c.threshold, unit))}</td>"
            f"<td class=num>{_e(margin_text(c.margin, unit))}</td></tr>"
            for c in held for unit in (condition_unit(c, d),))
        return ("<table class=evidence><tr><th>condition</th><th class=num>measured</th>"
                "<th class=num>threshold</th><th class=num>margin</th></tr>"
                f"{rows}</table>")
    if not d.evidence:
        return ""
    rows = "".join(
        f"<tr><td class=mono>{_e(e.descriptor)}</td>"
        f"<td class=num>{_e(fmt_value(e.value, e.unit))}</td>"
        f"<td class='cond mono'>{_e(e.condition)}</td></tr>" for e in d.evidence)
    return ("<table class=evidence><tr><th>evidence</th><th class=num>measured</th>"
            f"<th>condition</th></tr>{rows}</table>")


def _remedies(d: Any) -> str:
    items = []
    for r in d.remedies:
        params = ", ".join(f"{k}={fmt_value(v)}" for k, v in r.parameters.items())
        action = f"<code>{_e(r.action)}</code>" + (f" ({_e(params)})" if params else "")
        items.append(f"<li>{_e(r.text)} <small class=dim>{action}</small></li>" if r.text
                     else f"<li><small>{action}</small></li>")
    return f"<ul class=remedies>{''.join(items)}</ul>" if items else ""


def _diagnosis(node: tuple[Any, list[Any]], entry: FileReport, anchor: str) -> str:
    d, symptoms = node
    badges = [f"<code>{_e(d.problem)}</code>", f"certainty {d.certainty:.0%}"]
    if d.inconclusive:
        badges.append("<b>inconclusive</b> (within the measurement noise)")
    caused = (f"<p class=dim><small>caused by {_e(', '.join(d.caused_by))}</small></p>"
              if d.caused_by else "")
    nested = ""
    if symptoms:
        nested = ("<div class=symptoms><div class=label>symptoms it explains</div>"
                  + "".join(_diagnosis(s, entry, anchor) for s in symptoms) + "</div>")
    return (
        f"<article class='diag {_e(d.severity)}' id='{anchor}-{_e(d.rule_id)}'>"
        f"<div class=head><span class='sev {_e(d.severity)}'>{_e(d.severity.upper())}</span>"
        f"<code>{_e(d.rule_id)}</code><span class=title>{_e(d.title)}</span>"
        f"<small class=dim>{' · '.join(badges)}</small></div>"
        f"<p><small class=dim>where:</small> {_e(where_text(d, entry))}</p>"
        f"<p>{_e(d.explanation)}</p>{_evidence(d, entry)}{_remedies(d)}{caused}{nested}"
        "</article>")


# --------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------

def _figure(name: str, anchor: str, plot: Any, caption: str) -> str:
    return (f"<figure class=plot id='{anchor}-{name}' data-plot='{name}' "
            f"data-x-min='{plot.x_min:g}' data-x-max='{plot.x_max:g}'>{plot.svg}"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _tonal_table(tonal: TonalBalance) -> str:
    if not tonal.named:
        return ""
    rows = "".join(
        f"<tr><td>{_e(b.label)}</td><td class=num>{_e(_with_unit(b.level_db, 'dB'))}</td>"
        f"<td class=num>{_e(format_value(b.p5_db, '.1f'))} … "
        f"{_e(format_value(b.p95_db, '.1f'))}"
        f"</td><td class={_PLACEMENT_CLASS[b.placement]}>{_e(b.placement)}</td>"
        "</tr>" for b in tonal.named)
    return ("<table class=bands><tr><th>band</th><th class=num>level</th>"
            f"<th class=num>released p5 … p95 (dB)</th><th></th></tr>{rows}</table>")


def _plots(entry: FileReport, pics: Pictures, anchor: str) -> str:
    from expert.report import plots  # matplotlib: only when a page with plots is made

    out = []
    if pics.tonal is not None and pics.tonal.third_octave and entry.envelope is not None:
        centers = [float(h) for h in entry.envelope.third_octave_db.get("centers_hz", [])
                   if h is not None]
        tonal = plots.tonal_plot(pics.tonal, centers, f"{anchor}-tonal")
        if tonal is not None:
            out.append(_figure("tonal", anchor, tonal,
                               "Long-term spectrum in 1/3-octave bands (dark line) against "
                               f"released {pics.tonal.family.replace('_', ' ')} masters: "
                               "the shaded band holds 90% of them (p5–p95), the dashed "
                               "line is their median."))
    if pics.tonal is not None:
        out.append(_tonal_table(pics.tonal))
    if pics.loudness is not None:
        out.append(_figure("loudness", anchor, plots.loudness_plot(pics.loudness,
                                                                   f"{anchor}-loudness"),
                           "Short-term loudness (3 s) and the loudest momentary 400 ms of "
                           "each 3 s window, over time, against the target; shaded: the "
                           "passages the diagnoses name."))
    if pics.stereo is not None:
        out.append(_figure("stereo", anchor, plots.stereo_plot(pics.stereo,
                                                               f"{anchor}-stereo"),
                           "Correlation (+1 mono, 0 unrelated, below 0 cancels in mono) "
                           "and width over time; shaded: the passages the diagnoses name."))
    return ("<h3>Pictures</h3>" + "".join(out)) if out else ""


# --------------------------------------------------------------------------------------
# Files, summary, page
# --------------------------------------------------------------------------------------

def _verdict(entry: FileReport) -> str:
    state = entry.verdict if entry.ok else "unreadable"
    return f"<span class='verdict {_e(state)}'>{_e(state)}</span>" if state else ""


def _file(entry: FileReport, profile: dict[str, Any], anchor: str, diagnoses: bool) -> str:
    head = (f"<div class=filehead><h2>{_e(entry.path)}</h2>{_verdict(entry)}</div>")
    if not entry.ok:
        return (f"<section class=file id='{anchor}'>{head}"
                f"<p class=bad>Could not analyse: {_e(entry.error or '')}</p></section>")
    about = f"<p class=dim>{_e(' · '.join(audio_parts(entry.audio)))}</p>" if entry.audio else ""
    if not diagnoses:
        rows = "".join(
            f"<tr><td class=mono>{_e(n)}</td><td class=num>"
            f"{_e(fmt_value(v, CATALOGUE[n].unit if n in CATALOGUE else ''))}</td>"
            f"<td class=dim>{_e(CATALOGUE[n].meaning if n in CATALOGUE else '')}</td></tr>"
            for n, v in entry.descriptors.items())
        return f"<section class=file id='{anchor}'>{head}{about}<table>{rows}</table></section>"
    pics = pictures(entry, profile)
    meters = "".join(_meter(m) for m in pics.meters)
    body = "".join(_diagnosis(node, entry, anchor) for node in nest_symptoms(entry.diagnoses))
    found = (f"<h3>Diagnoses ({len(entry.diagnoses)})</h3>{body}" if body
             else "<h3>Diagnoses</h3><p class=ok>No problems found for this profile.</p>")
    notes = "".join(f"<p class=dim><small>note: {_e(n)}</small></p>" for n in entry.notes)
    family = (f"<p class=dim><small>{_e(family_sentence(entry.envelope))}</small></p>"
              if entry.envelope is not None else "")
    return (f"<section class=file id='{anchor}'>{head}{about}"
            f"<div class=meters>{meters}</div>{family}{_playback(entry)}{found}"
            f"{_plots(entry, pics, anchor)}{notes}</section>")


def _keys(entry: FileReport) -> str:
    return " ".join(f"<span class='key {_e(sev)}'>{_e(key)}</span>"
                    for key, sev in problem_keys(entry).items())


def _summary(entries: Iterable[tuple[str, FileReport]]) -> str:
    """File x verdict x problem keys, worst first (``phrases.worst_first``)."""
    ordered = worst_first(entries)
    rows = "".join(
        f"<tr><td><a href='#{anchor}'>{_e(entry.path)}</a></td><td>{_verdict(entry)}</td>"
        + (f"<td>{_keys(entry) or '<span class=dim>none</span>'}</td>" if entry.ok
           else f"<td class=bad>{_e(entry.error or '')}</td>")
        + "</tr>" for anchor, entry in ordered)
    return ("<h3>Summary</h3><table class=summary><tr><th>file</th><th>verdict</th>"
            f"<th>problems</th></tr>{rows}</table>")


def to_html(report: Report, *, diagnoses: bool = True, rulebase_digest: str | None = None,
            generated_at: datetime | None = None) -> str:
    """The whole page (``generated_at``: the footer's date, default now, UTC)."""
    profile = report.profile
    entries = [(f"file-{n}", e) for n, e in enumerate(report.reports, start=1)]
    count = len(entries)
    if count == 1:
        title = entries[0][1].path.rsplit("/", 1)[-1]
        what = "Mix report"
    else:
        title = f"{count} files"
        what = "Mix report for a batch"
    intro = (f"What mixexpert measured in {'this file' if count == 1 else 'these files'}, "
             "what it found wrong against the targets, where, and what to do about it. "
             if diagnoses else "The measured descriptors, with units. ")
    settings = "".join(f"<li>{_e(line)}</li>"
                       for line in (project_lines(profile) if diagnoses else []))
    header = (f"<header class=page><div class=dim>{_e(what)}</div><h1>{_e(title)}</h1>"
              f"<p class=dim>{_e(intro)}"
              f"{_e(profile_line(profile)) if diagnoses else ''}</p>"
              f"{'<ul class=dim>' + settings + '</ul>' if settings else ''}</header>")
    summary = _summary(entries) if count > 1 and diagnoses else ""
    files = "".join(_file(e, profile, anchor, diagnoses) for anchor, e in entries)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    footer = (f"<footer>Made {_e(when)} by mixexpert {_e(report.tool.version)} · profile "
              f"<code>{_e(profile.get('name'))}</code>"
              + (f" · rulebase <code title='{_e(rulebase_digest)}'>{_e(rulebase_digest[:16])}"
                 "</code>" if rulebase_digest else "")
              + f" · report schema {_e(report.schema_version)}</footer>")
    return ("<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{_e(what)}: {_e(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{header}{summary}{files}{footer}</body></html>\n")
