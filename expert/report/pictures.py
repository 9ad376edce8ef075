"""What the report's pictures show, as plain data that any renderer draws.

Tonal balance against the envelope the file was judged with, loudness and stereo over
time with the passages the diagnoses name, the meters an engineer reads first, and where
each diagnosis lies. Everything is read from what a ``FileReport`` already carries
(descriptors, timeline, envelope, diagnoses) and the profile summary: nothing is measured
here, and no threshold is decided here (a meter's verdict is that of the diagnoses whose
evidence names it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from expert.descriptors import CATALOGUE
from expert.descriptors.spectrum import NAMED_BANDS_HZ
from expert.descriptors.values import number_or_none
from expert.engine import Diagnosis
from expert.report.models import FileReport
from expert.rules.model import EnvelopeRange
from expert.severity import SEVERITY_RANK, Severity

Placement = Literal["inside", "above", "below", "unknown"]


def placement(level: float | None, p5: float | None, p95: float | None) -> Placement:
    """Where a value lies against a p5..p95 envelope (bounds included count as inside)."""
    if level is None or p5 is None or p95 is None:
        return "unknown"
    return "above" if level > p95 else "below" if level < p5 else "inside"


@dataclass(frozen=True)
class Band:
    """One band of the tonal balance: the file's level against the family's spread, dB."""

    label: str
    level_db: float | None
    p5_db: float | None
    p50_db: float | None
    p95_db: float | None

    @property
    def placement(self) -> Placement:
        return placement(self.level_db, self.p5_db, self.p95_db)


@dataclass(frozen=True)
class TonalBalance:
    """The file's spectrum against the envelope of the family it was judged with.

    ``third_octave``: the 1/3-octave long-term spectrum band by band (dB, as
    ``spectrum.third_octave_db``); ``named``: the named bands (``spectrum.<band>_db``, share
    of the power 20 Hz-20 kHz) against the family's percentiles of the same descriptors.
    """

    family: str
    third_octave: tuple[Band, ...]
    named: tuple[Band, ...]


def _hz_label(hz: float) -> str:
    return f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}"


def _at(values: Sequence[Any], i: int) -> float | None:
    return number_or_none(values[i]) if i < len(values) else None


def tonal_balance(entry: FileReport) -> TonalBalance | None:
    """The tonal-balance picture of a judged file; None without an envelope to judge by."""
    env = entry.envelope
    if env is None:
        return None
    curve = env.third_octave_db
    levels = entry.descriptors.get("spectrum.third_octave_db")
    third: list[Band] = []
    if isinstance(levels, list) and curve.get("centers_hz"):
        p5, p50, p95 = curve.get("p5") or [], curve.get("p50") or [], curve.get("p95") or []
        for i, hz in enumerate(curve["centers_hz"]):
            if hz is None:
                continue
            third.append(Band(_hz_label(float(hz)), _at(levels, i), _at(p5, i), _at(p50, i),
                              _at(p95, i)))
    named: list[Band] = []
    for band in ("deep_sub", *NAMED_BANDS_HZ):
        name = f"spectrum.{band}_db"
        stat: EnvelopeRange | None = env.stats.get(name)
        if stat is None or name not in entry.descriptors:
            continue
        named.append(Band(band.replace("_", " "), number_or_none(entry.descriptors[name]),
                          stat.p5, stat.p50, stat.p95))
    if not third and not named:
        return None
    return TonalBalance(family=env.family, third_octave=tuple(third), named=tuple(named))


@dataclass(frozen=True)
class Span:
    """A passage a diagnosis names, seconds (an event: ``start_s == end_s``)."""

    start_s: float
    end_s: float
    rule_id: str
    problem: str
    severity: Severity


@dataclass(frozen=True)
class Series:
    """One time-resolved descriptor: a value per analysis window (None: undefined)."""

    name: str
    unit: str
    window_s: float
    starts_s: tuple[float, ...]
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class OverTime:
    """Series over the file's duration, with the passages of the time-located diagnoses
    (``problems``) and a reference level to read them against (``reference``: the
    profile's loudness target, or None)."""

    duration_s: float
    series: tuple[Series, ...]
    problems: tuple[Span, ...]
    reference: float | None = None


#: The time-resolved series each picture draws, in order (those the timeline has).
LOUDNESS_SERIES = ("loudness.short_term_lufs", "loudness.momentary_max_lufs")
STEREO_SERIES = ("stereo.correlation", "stereo.width_pct")


def _over_time(entry: FileReport, names: Iterable[str], reference: float | None
               ) -> OverTime | None:
    timeline, audio = entry.timeline, entry.audio
    if timeline is None or audio is None or not timeline.starts_s:
        return None
    series = tuple(
        Series(name, CATALOGUE[name].unit if name in CATALOGUE else "", timeline.window_s,
               tuple(timeline.starts_s), tuple(number_or_none(v) for v in values))
        for name in names
        if (values := timeline.series.get(name)) is not None
        and len(values) == len(timeline.starts_s)
        and any(number_or_none(v) is not None for v in values))
    if not series:
        return None
    return OverTime(duration_s=audio.duration_s, series=series,
                    problems=problem_spans(entry), reference=reference)


def problem_spans(entry: FileReport) -> tuple[Span, ...]:
    """Every located passage of every diagnosis (``where``: ranges, spans, and each event
    as a span of zero length), in time order."""
    spans = [Span(a, b, d.rule_id, d.problem, d.severity) for d in entry.diagnoses
             for w in (where(d, entry),)
             for a, b in (*w.ranges, *w.spans, *((t, t) for t in w.events_s))]
    return tuple(sorted(spans, key=lambda s: (s.start_s, s.end_s, s.rule_id)))


def loudness_over_time(entry: FileReport, profile: Mapping[str, Any]) -> OverTime | None:
    """Short-term loudness and the loudest momentary (400 ms) moment of each 3 s window,
    against the target."""
    target = number_or_none((profile.get("targets") or {}).get("integrated_lufs"))
    return _over_time(entry, LOUDNESS_SERIES, target)


def stereo_over_time(entry: FileReport) -> OverTime | None:
    """Correlation and width over time (stereo files)."""
    return _over_time(entry, STEREO_SERIES, None)


@dataclass(frozen=True)
class Where:
    """Where a diagnosis lies: the passages it names (s, at the analysis windows'
    resolution), spans measured from an end of the file (s, sample-exact: a leading or
    trailing silence), and the times of the events its evidence counts (s, 1 ms)."""

    ranges: tuple[tuple[float, float], ...]
    spans: tuple[tuple[float, float], ...]
    events_s: tuple[float, ...]

    @property
    def whole_track(self) -> bool:
        return not (self.ranges or self.spans or self.events_s)


def where(diagnosis: Diagnosis, entry: FileReport) -> Where:
    """The diagnosis' own time ranges; for a track-wide verdict on a duration measured from
    an end of the file (``span_from``: leading / trailing silence), that span; and the
    times of the events its evidence counts (``event_times``: clicks, clipped runs,
    dropouts), inside its ranges when it has any."""
    ranges = diagnosis.time_ranges
    duration = entry.audio.duration_s if entry.audio is not None else None
    spans: set[tuple[float, float]] = set()
    events: set[float] = set()
    for item in diagnosis.evidence:
        spec = CATALOGUE.get(item.descriptor)
        if spec is None:
            continue
        length = number_or_none(entry.descriptors.get(item.descriptor))
        if spec.span_from is not None and not ranges and length is not None:
            if spec.span_from == "start":
                spans.add((0.0, length))
            elif duration is not None:
                spans.add((max(0.0, duration - length), duration))
        times = entry.descriptors.get(spec.event_times) if spec.event_times else None
        if isinstance(times, list):
            events.update(t for v in times if (t := number_or_none(v)) is not None
                          and (not ranges or any(a <= t <= b for a, b in ranges)))
    return Where(ranges=tuple((float(a), float(b)) for a, b in ranges),
                 spans=tuple(sorted(spans)), events_s=tuple(sorted(events)))


@dataclass(frozen=True)
class Meter:
    """A meter of the header: its value, what it is read against (the profile's target or
    ceiling, else the spread of the family's released masters), and the worst severity of
    the diagnoses with a condition on it alone (None: none has)."""

    descriptor: str
    label: str
    value: float | None
    unit: str
    target: float | None
    target_kind: Literal["target", "ceiling"] | None
    spread: EnvelopeRange | None
    severity: Severity | None
    rule_ids: tuple[str, ...]

    @property
    def placement(self) -> Placement:
        """Where the value lies in the family's spread (unknown without one)."""
        if self.spread is None:
            return "unknown"
        return placement(self.value, self.spread.p5, self.spread.p95)


#: The meters an engineer reads first: descriptor -> label (codec one only when measured).
METERS: dict[str, str] = {
    "loudness.integrated_lufs": "integrated",
    "loudness.true_peak_dbtp": "true peak",
    "codec.true_peak_dbtp": "after codec",
    "loudness.range_lu": "LRA",
    "loudness.plr_db": "PLR",
    "stereo.correlation": "correlation",
    "stereo.width_pct": "width",
}
#: Meters read against a profile target: descriptor -> (kind, key in the profile's targets).
_METER_TARGETS: dict[str, tuple[Literal["target", "ceiling"], str]] = {
    "loudness.integrated_lufs": ("target", "integrated_lufs"),
    "loudness.true_peak_dbtp": ("ceiling", "true_peak_dbtp"),
    "codec.true_peak_dbtp": ("ceiling", "true_peak_dbtp"),
}


def _worst(diagnoses: Iterable[Diagnosis]) -> Severity | None:
    found = [d.severity for d in diagnoses]
    return max(found, key=SEVERITY_RANK.__getitem__) if found else None


def _judges(diagnosis: Diagnosis, descriptor: str) -> bool:
    """Whether a condition of the diagnosis is on ``descriptor`` alone (against targets or
    thresholds): a PLR computed from the true peak judges the dynamics, not the peak."""
    return any(e.descriptor == descriptor
               and sum(x.condition == e.condition for x in diagnosis.evidence) == 1
               for e in diagnosis.evidence)


def meters(entry: FileReport, profile: Mapping[str, Any]) -> tuple[Meter, ...]:
    """The header's meters of a judged file, in ``METERS`` order (those it has)."""
    targets = profile.get("targets") or {}
    stats = entry.envelope.stats if entry.envelope is not None else {}
    out: list[Meter] = []
    for name, label in METERS.items():
        value = number_or_none(entry.descriptors.get(name))
        if name not in entry.descriptors or (name.startswith("codec.") and value is None):
            continue
        kind, key = _METER_TARGETS.get(name, (None, ""))
        target = number_or_none(targets.get(key)) if kind else None
        if value is None and target is None and stats.get(name) is None:
            continue  # not measured, and nothing to read it against: it says nothing
        judged = [d for d in entry.diagnoses if _judges(d, name)]
        out.append(Meter(
            descriptor=name, label=label, value=value,
            unit=CATALOGUE[name].unit if name in CATALOGUE else "",
            target=target, target_kind=kind,
            spread=None if kind else stats.get(name), severity=_worst(judged),
            rule_ids=tuple(dict.fromkeys(d.rule_id for d in judged))))
    return tuple(out)


@dataclass(frozen=True)
class Pictures:
    """Everything a renderer draws for one judged file besides the diagnoses' text."""

    meters: tuple[Meter, ...]
    tonal: TonalBalance | None
    loudness: OverTime | None
    stereo: OverTime | None


def pictures(entry: FileReport, profile: Mapping[str, Any]) -> Pictures:
    """The pictures of one file (``profile``: the report's profile summary)."""
    return Pictures(meters=meters(entry, profile), tonal=tonal_balance(entry),
                    loudness=loudness_over_time(entry, profile),
                    stereo=stereo_over_time(entry))
