"""Learned profiles on real music: learn from half of a family's released masters, judge the
other half's masters and their injected problems, against the built-in envelopes and the
learned profile.

    python benchmarks/bench_learned.py [--family band/rock] [--jobs 2]

Reads corpus/cache/real-dev (never real-check). The family's sources, sorted, alternate
between the learning half (even positions) and the test half (odd); the learning half's
``orig`` files (as released) are learned with ``mixexpert profiles learn``. On the test
half it counts, per profile: clean masters (``orig``) with a diagnosis above info on a
problem their labels call absent (false alarms), and labelled-present problems of the
injected files found (at any severity, and above info). Injected files are normalised to
-14 LUFS by the corpus, so under a learned profile (the masters' own level) they also read
as quiet: that count is shown separately.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from expert.pipeline import RunOptions, Session, map_files  # noqa: E402

SET = REPOSITORY / "corpus" / "cache" / "real-dev"


def _score(session: Session, entries: list[dict], jobs: int) -> dict[str, Any]:
    paths = [str(SET / e["path"]) for e in entries]
    reports = map_files(lambda p, par: session.diagnose_file(p, parallel=par), paths, jobs)
    out = {"clean": 0, "clean_false_alarm": 0, "present": 0, "found": 0, "found_above_info": 0,
           "injected_false_alarm_quiet": 0, "injected_false_alarm_other": 0, "injected": 0,
           "clean_problems": Counter(), "missed": Counter()}
    for entry, rep in zip(entries, reports, strict=True):
        absent = {k for k, v in entry["labels"].items() if v == "absent"}
        said = {d.problem: d.severity for d in rep.diagnoses}
        loud = {p for p, s in said.items() if s != "info"}
        if entry["case"] == "orig":
            out["clean"] += 1
            out["clean_false_alarm"] += bool(loud & absent)
            out["clean_problems"].update(loud & absent)
            continue
        out["injected"] += 1
        present = {k for k, v in entry["labels"].items() if v == "present"}
        out["present"] += len(present)
        out["found"] += len(present & set(said))
        out["found_above_info"] += len(present & loud)
        out["missed"].update(present - set(said))
        wrong = loud & absent
        out["injected_false_alarm_quiet"] += "loudness_too_quiet" in wrong
        out["injected_false_alarm_other"] += bool(wrong - {"loudness_too_quiet"})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="band/rock")
    parser.add_argument("--genre", help="the built-in genre of the family (e.g. rock)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    manifest = yaml.safe_load((SET / "manifest.yaml").read_text(encoding="utf-8"))
    files = [e for e in manifest["files"] if e.get("family") == args.family]
    sources = sorted({e["source"] for e in files})
    learn_from, test_on = sources[0::2], sources[1::2]
    with tempfile.TemporaryDirectory() as tmp:
        masters = Path(tmp) / "masters"
        masters.mkdir()
        for source in learn_from:
            (masters / (source.replace("/", "_") + ".flac")).symlink_to(
                SET / source / "orig.flac")
        profile = Path(tmp) / "learned.yaml"
        subprocess.run([sys.executable, "-m", "expert", "profiles", "learn", str(masters),
                        "--name", "learned", "--output", str(profile), "--jobs",
                        str(args.jobs)], check=True, cwd=REPOSITORY)
        tests = [e for e in files if e["source"] in test_on and e["case"] != "norm"]
        print(f"{args.family}: learned from {len(learn_from)} masters ({', '.join(learn_from)});"
              f" judged {len(tests)} files of {len(test_on)} sources")
        runs = {"built-in (streaming, family inferred)": RunOptions()}
        if args.genre:
            runs[f"built-in (--genre {args.genre})"] = RunOptions(genre=args.genre)
        runs["learned (--profile learned.yaml)"] = RunOptions(profile=str(profile))
        for name, options in runs.items():
            s = _score(Session(options), tests, args.jobs)
            print(f"{name}: clean masters with a false alarm above info "
                  f"{s['clean_false_alarm']}/{s['clean']}; injected problems found "
                  f"{s['found']}/{s['present']} (above info {s['found_above_info']}); injected "
                  f"files with another false alarm above info "
                  f"{s['injected_false_alarm_other']}/{s['injected']}, with loudness_too_quiet "
                  f"{s['injected_false_alarm_quiet']}/{s['injected']}")
            print(f"    false alarms on clean masters: {dict(sorted(s['clean_problems'].items()))}"
                  f"; missed: {dict(sorted(s['missed'].items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
