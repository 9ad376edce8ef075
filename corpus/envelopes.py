"""Learn the envelopes of released music: ``rules/profiles/envelopes.yaml``.

    python -m corpus.envelopes [--set real-dev] [--output rules/profiles/envelopes.yaml]

For every genre family of the set's clean controls (the ``orig`` and ``norm`` cases: the
excerpt as released and the same master normalised to -14 LUFS), the 5th, 50th and 95th
percentiles of each descriptor in ``DESCRIPTORS``, of the band contrasts in ``CONTRASTS``
and of every band of ``spectrum.third_octave_db``, with the number of files and the
sources they come from. Descriptors are mixexpert's own (the envelope is what the rules
compare mixexpert's measurements with); they are measured through the feature cache, so a
rebuild after a descriptor change costs one analysis of the clean files.

Only ``real-dev`` (or a hand-made set) may be learned from: ``real-check`` is the held-out
test of these envelopes and is refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from expert.descriptors.values import number_or_none
from expert.fileio import write_atomic
from expert.rules.model import ENVELOPE_CONTRASTS, ENVELOPE_DESCRIPTORS

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE.parent / "rules" / "profiles" / "envelopes.yaml"
CLEAN_CASES = ("orig", "norm")
FORBIDDEN_SETS = ("real-check",)

DESCRIPTORS = ENVELOPE_DESCRIPTORS
CONTRASTS = ENVELOPE_CONTRASTS
PERCENTILES = (5, 50, 95)


def family_key(family: str) -> str:
    """``orchestral/acoustic`` -> ``orchestral_acoustic`` (a name expressions can use)."""
    return "".join(c if c.isalnum() else "_" for c in family.lower()).strip("_")


def clean_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The clean controls of a manifest (cases ``orig`` and ``norm``)."""
    return [e for e in manifest.get("files", [])
            if e.get("case") in CLEAN_CASES and e.get("strength", "clean") == "clean"]


def values_of(descriptors: dict[str, Any]) -> dict[str, float | None]:
    """One file's values of every descriptor and contrast the envelope holds."""
    out = {d: number_or_none(descriptors.get(d)) for d in DESCRIPTORS}
    for name, (a, b) in CONTRASTS.items():
        va = out.get(a, number_or_none(descriptors.get(a)))
        vb = out.get(b, number_or_none(descriptors.get(b)))
        out[name] = None if va is None or vb is None else va - vb
    return out


def _stats(values: Sequence[float]) -> dict[str, float | int]:
    arr = np.asarray(values, dtype=float)
    p = np.percentile(arr, PERCENTILES)
    pct = {f"p{q}": round(float(v), 2) for q, v in zip(PERCENTILES, p, strict=True)}
    return {"n": int(arr.size), **pct}


def learn(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Envelopes per family from ``rows`` (``family``, ``source``, ``values``, ``third``)."""
    families: dict[str, Any] = {}
    for fam in sorted({r["family"] for r in rows}):
        mine = [r for r in rows if r["family"] == fam]
        stats: dict[str, Any] = {}
        for name in (*DESCRIPTORS, *CONTRASTS):
            vals = [r["values"][name] for r in mine if r["values"].get(name) is not None]
            if len(vals) >= 3:
                stats[name] = _stats(vals)
        thirds = [r["third"] for r in mine if r.get("third")]
        third: dict[str, Any] = {}
        if thirds:
            width = min(len(t) for t in thirds)
            mat = np.array([[np.nan if v is None else float(v) for v in t[:width]]
                            for t in thirds])
            pct = {q: [] for q in PERCENTILES}
            for col in mat.T:
                ok = col[np.isfinite(col)]
                for q in PERCENTILES:
                    pct[q].append(round(float(np.percentile(ok, q)), 2) if ok.size >= 3 else None)
            third = {"centers_hz": mine[0]["centers"][:width],
                     **{f"p{q}": pct[q] for q in PERCENTILES}}
        families[family_key(fam)] = {
            "family": fam,
            "n_files": len(mine),
            "sources": sorted({r["source"] for r in mine}),
            "stats": stats,
            "third_octave_db": third,
        }
    return families


def _measure_rows(manifest_path: Path, jobs: int) -> list[dict[str, Any]]:
    from expert.pipeline import RunOptions, features_report, map_files

    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    entries = clean_entries(manifest)
    if not entries:
        raise SystemExit(f"{manifest_path}: no clean controls (cases {', '.join(CLEAN_CASES)})")
    paths = [str(manifest_path.parent / e["path"]) for e in entries]
    options = RunOptions(jobs=jobs)
    reports = map_files(lambda p, par: features_report(p, options, parallel=par), paths, jobs)
    rows = []
    for entry, rep in zip(entries, reports, strict=True):
        if not rep.ok:
            print(f"skipped {entry['path']}: {rep.error}", file=sys.stderr)
            continue
        d = rep.descriptors
        rows.append({"family": entry.get("family", "unknown"), "source": entry["source"],
                     "values": values_of(d), "third": d.get("spectrum.third_octave_db"),
                     "centers": d.get("spectrum.third_octave_centers_hz")})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus.envelopes", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--set", default="real-dev",
                        help="a set under corpus/cache (default real-dev)")
    parser.add_argument("--manifest", type=Path, help="a manifest.yaml instead of --set")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    manifest = args.manifest or HERE / "cache" / args.set / "manifest.yaml"
    if args.set in FORBIDDEN_SETS or any(s in str(manifest) for s in FORBIDDEN_SETS):
        print("error: real-check is the held-out test of the envelopes; learn from real-dev",
              file=sys.stderr)
        return 2
    if not manifest.is_file():
        print(f"error: {manifest}: no manifest (build the set first)", file=sys.stderr)
        return 2
    head = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    if head.get("set") in FORBIDDEN_SETS:
        print("error: real-check is the held-out test of the envelopes", file=sys.stderr)
        return 2
    rows = _measure_rows(manifest, args.jobs)
    doc = {
        "version": 1,
        "envelopes": {
            "source": (f"learned from the clean controls (cases {', '.join(CLEAN_CASES)}) of "
                       f"corpus set {head.get('set', manifest.parent.name)}: "
                       f"{len(rows)} files, {len({r['source'] for r in rows})} sources"),
            "command": f"python -m corpus.envelopes --set {args.set}",
            "percentiles": list(PERCENTILES),
            "contrasts": {k: f"{a} - {b}" for k, (a, b) in CONTRASTS.items()},
            "families": learn(rows),
        },
    }
    text = ("# Generated by corpus/envelopes.py: do not edit by hand; rebuild with\n"
            f"#   {doc['envelopes']['command']}\n"
            "# The spread of released music per genre family: 5th/50th/95th percentiles of\n"
            "# mixexpert's descriptors over clean released masters (never real-check).\n")
    text += yaml.safe_dump(doc, sort_keys=False, width=100, default_flow_style=None)
    write_atomic(args.output, text.encode("utf-8"))
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
