"""Learning targets from measured masters: the one learner behind the built-in envelopes of
released music (``python -m corpus.envelopes``) and ``mixexpert profiles learn``.

A row is one measured file: ``{"name", "values", "third", "centers"}`` where ``values`` are
``values_of(descriptors)``, and ``source`` where several files are cut from one master
(else each file is its own). ``learn_family`` gives the 5th, 50th and 95th percentiles of
every entry (``ENVELOPE_DESCRIPTORS`` and the contrasts ``ENVELOPE_CONTRASTS``) and of every
band of ``spectrum.third_octave_db``, in the shape of ``rules.model.EnvelopeFamily``, so the
rules judge a learned profile exactly as they judge the envelopes of released music.
Percentiles are numpy's default (linear interpolation between order statistics). The
entries' 5th and 95th are what the rules' thresholds stand on, so they are where a master
of a new source is expected (prediction bounds, at least the sample's own percentiles);
the 1/3-octave curves, which choose the family and locate an excess, are the sample's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from expert.descriptors.values import number_or_none
from expert.rules.model import (
    ENVELOPE_CONTRASTS,
    ENVELOPE_DESCRIPTORS,
    LearnedOutlier,
    LearningSpec,
    ProfileFileSpec,
    Targets,
)

PERCENTILES = (5, 50, 95)
#: An entry's percentiles need at least this many values (fewer: the entry is left out).
MIN_VALUES = 3
#: MAD of a normal distribution = 0.6745 sigma (Iglewicz & Hoaglin, "How to Detect and
#: Handle Outliers", ASQC 1993: the modified z-score 0.6745 (x - median) / MAD).
_MAD_TO_Z = 0.6745


def family_key(family: str) -> str:
    """``orchestral/acoustic`` -> ``orchestral_acoustic`` (a name expressions can use)."""
    return "".join(c if c.isalnum() else "_" for c in family.lower()).strip("_")


def values_of(descriptors: Mapping[str, Any]) -> dict[str, float | None]:
    """One file's values of every descriptor and contrast an envelope holds."""
    out = {d: number_or_none(descriptors.get(d)) for d in ENVELOPE_DESCRIPTORS}
    for name, (a, b) in ENVELOPE_CONTRASTS.items():
        va = out.get(a, number_or_none(descriptors.get(a)))
        vb = out.get(b, number_or_none(descriptors.get(b)))
        out[name] = None if va is None or vb is None else va - vb
    return out


def row_of(name: str, descriptors: Mapping[str, Any]) -> dict[str, Any]:
    """The learner's row for one measured file."""
    return {"name": name, "values": values_of(descriptors),
            "third": descriptors.get("spectrum.third_octave_db"),
            "centers": descriptors.get("spectrum.third_octave_centers_hz")}


def _stats(values: Sequence[float], sources: int) -> dict[str, float | int]:
    """p5/p50/p95 of ``values`` measured on ``sources`` independent masters: the outer two
    widened to where a master of a new source falls (``_prediction_bounds``)."""
    arr = np.asarray(values, dtype=float)
    p5, p50, p95 = (float(v) for v in np.percentile(arr, PERCENTILES))
    if sources >= 2:
        low, high = _prediction_bounds(arr, p50, sources)
        p5, p95 = min(p5, low), max(p95, high)
    return {"n": int(arr.size), "p5": round(p5, 2), "p50": round(p50, 2), "p95": round(p95, 2)}


def _prediction_bounds(arr: np.ndarray, median: float, sources: int) -> tuple[float, float]:
    """Normal-theory 90 % prediction bounds for one master of a source not in the sample
    (Hahn & Meeker, "Statistical Intervals", Wiley 1991, ch. 4: mean +- t(0.95, n - 1)
    s sqrt(1 + 1/n), n the sources), taken about the median with each side's own spread
    (the RMS deviation of the values above, or below, it) so a skewed entry keeps its
    shape. A sample's own 5th/95th percentiles are where its masters lie, and a new source
    falls outside them far more often than 1 in 10: on 6 sources the interpolated 95th
    percentile of a normal sample averages 1.1 sigma, not 1.645."""
    from scipy.stats import t

    k = float(t.ppf(0.95, sources - 1)) * math.sqrt(1.0 + 1.0 / sources)
    above, below = arr[arr >= median] - median, median - arr[arr <= median]
    return (median - k * float(np.sqrt(np.mean(below ** 2))),
            median + k * float(np.sqrt(np.mean(above ** 2))))


def learn_family(rows: Sequence[Mapping[str, Any]], family: str, sources: Sequence[str],
                 *, min_values: int = MIN_VALUES) -> dict[str, Any]:
    """The envelope of one family (``EnvelopeFamily`` as a dict) from its rows; an entry
    (or band) defined on fewer than ``min_values`` rows is left out."""
    stats: dict[str, Any] = {}
    for name in (*ENVELOPE_DESCRIPTORS, *ENVELOPE_CONTRASTS):
        have = [r for r in rows if r["values"].get(name) is not None]
        if len(have) >= min_values:
            stats[name] = _stats([r["values"][name] for r in have],
                                 len({r.get("source", r["name"]) for r in have}))
    thirds = [r["third"] for r in rows if r.get("third")]
    third: dict[str, Any] = {}
    if thirds:
        width = min(len(t) for t in thirds)
        mat = np.array([[np.nan if v is None else float(v) for v in t[:width]]
                        for t in thirds])
        pct: dict[int, list[float | None]] = {q: [] for q in PERCENTILES}
        for col in mat.T:
            ok = col[np.isfinite(col)]
            for q in PERCENTILES:
                pct[q].append(round(float(np.percentile(ok, q)), 2)
                              if ok.size >= min_values else None)
        centers = next(r["centers"] for r in rows if r.get("third"))
        third = {"centers_hz": list(centers or [])[:width],
                 **{f"p{q}": pct[q] for q in PERCENTILES}}
    return {"family": family, "n_files": len(rows), "sources": sorted(set(sources)),
            "stats": stats, "third_octave_db": third}


def learn(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Envelopes per family from rows that also carry ``family`` and ``source``."""
    out: dict[str, Any] = {}
    for fam in sorted({r["family"] for r in rows}):
        mine = [r for r in rows if r["family"] == fam]
        out[family_key(fam)] = learn_family(mine, fam, [r["source"] for r in mine])
    return out


def outliers(rows: Sequence[Mapping[str, Any]], spec: LearningSpec) -> list[LearnedOutlier]:
    """Files that lie far from the others on an entry ``spec.outlier_min_deviation`` names.

    An outlier both has a modified z-score (Iglewicz & Hoaglin 1993) above
    ``spec.outlier_z`` and lies at least the entry's minimum deviation from the median (a
    folder of near-identical masters has a MAD near 0, where any difference is "far").
    Needs at least ``MIN_VALUES`` values of the entry. One entry per file: its largest.
    """
    found: dict[str, LearnedOutlier] = {}
    for entry, min_dev in spec.outlier_min_deviation.items():
        have = [(r["name"], r["values"].get(entry)) for r in rows]
        have = [(n, v) for n, v in have if v is not None]
        if len(have) < MIN_VALUES:
            continue
        vals = np.array([v for _, v in have], dtype=float)
        med = float(np.median(vals))
        mad = float(np.median(np.abs(vals - med)))
        for name, value in have:
            dev = value - med
            z = np.inf if mad == 0 else _MAD_TO_Z * abs(dev) / mad
            if z > spec.outlier_z and abs(dev) >= min_dev:
                prev = found.get(name)
                if prev is None or abs(dev) / min_dev > abs(prev.deviation) / \
                        spec.outlier_min_deviation[prev.entry]:
                    found[name] = LearnedOutlier(file=name, entry=entry, value=round(value, 2),
                                                 median=round(med, 2), deviation=round(dev, 2))
    return [found[n] for n in sorted(found)]


#: Profile target <- the learned entry whose median sets it (band shares: the tonal curve).
_MEDIAN_TARGETS = {
    "integrated_lufs": "loudness.integrated_lufs",
    "sub_db": "spectrum.sub_db", "bass_db": "spectrum.bass_db",
    "low_mid_db": "spectrum.low_mid_db", "mid_db": "spectrum.mid_db",
    "high_mid_db": "spectrum.high_mid_db", "presence_db": "spectrum.presence_db",
    "brilliance_db": "spectrum.brilliance_db",
}
#: Floors at the 5th percentile, ceilings at the 95th.
_LOW_TARGETS = {"loudness_range_min_lu": "loudness.range_lu",
                "crest_factor_min_db": "loudness.crest_factor_db", "plr_min_db": "loudness.plr_db"}
_HIGH_TARGETS = {"loudness_range_max_lu": "loudness.range_lu"}


def _half_range(stat: Mapping[str, float]) -> float:
    return max(stat["p95"] - stat["p50"], stat["p50"] - stat["p5"])


def learned_targets(stats: Mapping[str, Mapping[str, float]], spec: LearningSpec) -> Targets:
    """A master profile's targets from a family's statistics.

    Loudness: the median, with the masters' own spread (the larger half of p5..p95, at
    least ``loudness_tolerance_min_lu``) as tolerance; a warning ``warning_margin_lu``
    beyond it either way. True peak: ``spec.true_peak_dbtp`` (a delivery limit). Dynamics:
    5th percentile floors, the 95th the LRA ceiling. The tonal curve: band medians,
    tolerance the widest band's half-range.
    """
    values: dict[str, float | None] = {}
    for target, entry in _MEDIAN_TARGETS.items():
        values[target] = stats[entry]["p50"] if entry in stats else None
    for target, entry in _LOW_TARGETS.items():
        values[target] = stats[entry]["p5"] if entry in stats else None
    for target, entry in _HIGH_TARGETS.items():
        values[target] = stats[entry]["p95"] if entry in stats else None
    loud = stats.get("loudness.integrated_lufs")
    if loud is not None:
        tol = max(spec.loudness_tolerance_min_lu, _half_range(loud))
        values["integrated_tolerance_lu"] = tol
        values["turn_down_warning_db"] = tol + spec.warning_margin_lu
        values["quiet_floor_lufs"] = loud["p50"] - tol - spec.warning_margin_lu
    bands = [stats[e] for t, e in _MEDIAN_TARGETS.items() if t.endswith("_db") and e in stats]
    if bands:
        values["tonal_tolerance_db"] = max(spec.tonal_tolerance_min_db,
                                           max(_half_range(b) for b in bands))
    values["true_peak_dbtp"] = spec.true_peak_dbtp
    return Targets(**{k: (None if v is None else round(v, 2)) for k, v in values.items()})


def learned_profile(rows: Sequence[Mapping[str, Any]], name: str, folder: str,
                    spec: LearningSpec, *, unreadable: Sequence[str] = (),
                    date: str, tool_version: str, rulebase_version: str) -> ProfileFileSpec:
    """A profile file (one ``master`` destination with its own envelope) from the measured
    masters of ``folder``: outliers are left out of the statistics and listed."""
    found = outliers(rows, spec)
    out_names = {o.file for o in found}
    kept = [r for r in rows if r["name"] not in out_names]
    files = [r["name"] for r in kept]
    family = learn_family(kept, name, files, min_values=1)
    stats = family["stats"]
    targets = learned_targets(stats, spec)
    small = len(kept) < spec.min_files
    notes = [f"{len(kept)} masters" + (f", a small sample (fewer than {spec.min_files}): the "
                                       "5th and 95th percentiles are where a new master "
                                       "is expected, wide for so few"
                                       if small else "")]
    if found:
        notes.append("left out as outliers: " + "; ".join(
            f"{o.file} ({o.entry} {o.deviation:+.1f} from the median {o.median:g})"
            for o in found))
    source = (f"learned by mixexpert {tool_version} (rulebase {rulebase_version}) on {date} "
              f"from {len(kept)} masters in {folder}: medians are the targets, the "
              "5th-95th percentile range the tolerances")
    return ProfileFileSpec.model_validate({
        "version": 1,
        "profiles": [{"name": name, "title": f"Learned from {len(kept)} masters in {folder}",
                      "kind": "master", "source": source, "notes": "; ".join(notes),
                      "family": name,
                      "targets": targets.model_dump(exclude_none=True)}],
        "envelopes": {"source": source,
                      "command": f"mixexpert profiles learn {folder} --name {name}",
                      "percentiles": list(PERCENTILES),
                      "contrasts": {k: f"{a} - {b}" for k, (a, b) in ENVELOPE_CONTRASTS.items()},
                      "families": {name: family}},
        "learned": {"folder": folder, "files": files, "n_files": len(kept),
                    "small_sample": small, "outliers": [o.model_dump() for o in found],
                    "unreadable": list(unreadable), "date": date, "tool_version": tool_version,
                    "rulebase_version": rulebase_version},
    })
