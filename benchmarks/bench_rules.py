"""Benchmark: load + validate and evaluate 1,000 generated rules over a full descriptor set.

Not a timed test: prints the figures. Targets: load and validate < 500 ms, evaluation
< 50 ms (one file, every descriptor of the catalogue, 180 windows = a 3-minute track).

    python benchmarks/bench_rules.py [--rules 1000] [--windows 180]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from expert.descriptors import CATALOGUE
from expert.engine import Engine, Facts
from expert.rules import load_rulebase, resolve_profile

RULES_PER_FILE = 100
OPS = (">", "<", ">=", "<=")


def _numbers(scopes: tuple[str, ...]) -> list[str]:
    return sorted(n for n, s in CATALOGUE.items() if s.kind == "number" and s.scope in scopes)


def generate(count: int, folder: Path, seed: int = 7) -> None:
    """Write ``count`` rules: 70 % track scope, 20 % window scope, 10 % derived findings."""
    rng = random.Random(seed)
    track, window = _numbers(("track", "both")), _numbers(("both", "window"))
    findings: list[str] = []
    rules = []
    for i in range(count):
        kind = "finding" if i % 10 == 0 else "window" if i % 10 in (1, 2) else "track"
        names = window if kind == "window" else track
        parts = []
        for _ in range(rng.randint(2, 4)):
            a, b = rng.sample(names, 2)
            term = rng.choice([a, f"{a} - {b}", f"abs({a})", f"max({a}, {b})"])
            parts.append(f"{term} {rng.choice(OPS)} {rng.uniform(-30, 30):.1f} + margin_db")
        when = f" {rng.choice(['and', 'or'])} ".join(parts)
        if findings and kind == "track" and rng.random() < 0.3:
            when = f"finding.{rng.choice(findings)} and ({when})"
        rule = {
            "id": f"B{chr(65 + i // 1000)}{i % 1000:03d}",
            "title": f"Generated rule {i}", "category": "bench",
            "scope": "window" if kind == "window" else "track",
            "thresholds": {"margin_db": 1.0}, "when": when,
            "explanation": f"Value {{{names[i % len(names)]}:.1f}} against the threshold.",
            "remedies": [{"action": "adjust", "parameters": {
                "gain_db": f"clamp({names[(i + 1) % len(names)]} - margin_db, -6, 6)"}}],
        }
        if kind == "finding":
            rule["concludes"] = f"f{i}"
            findings.append(f"f{i}")
        else:
            rule["problem"] = rng.choice(["muddy", "harsh", "boomy", "dull", "too_wide"])
        rules.append(rule)
    for start in range(0, count, RULES_PER_FILE):
        chunk = rules[start:start + RULES_PER_FILE]
        declared = {r["concludes"]: "generated" for r in chunk if "concludes" in r}
        doc = {"version": 1, "findings": declared, "rules": chunk}
        (folder / f"bench_{start // RULES_PER_FILE:03d}.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False, width=1000))


def facts(windows: int, seed: int = 3) -> Facts:
    rng = random.Random(seed)
    descriptors = {n: rng.uniform(-40, 10) for n in _numbers(("track", "both"))}
    series = {n: [rng.uniform(-40, 10) for _ in range(windows)]
              for n in _numbers(("both", "window"))}
    return Facts(descriptors=descriptors, window_s=3.0,
                 window_starts_s=[float(i) for i in range(windows)], series=series)


def _best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--windows", type=int, default=180)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(args.rules, folder)
        load_ms, rb = _best(lambda: load_rulebase([folder], builtin=False), 3)
    assert not rb.errors, rb.errors[:3]
    engine = Engine(rb, resolve_profile())
    f = facts(args.windows)
    engine.run(f)  # warm-up (imports numpy)
    run_ms = [_best(lambda: engine.run(f), 1)[0] for _ in range(7)]
    trace_ms, result = _best(lambda: (r := engine.run(f), r.traces, r.near_misses)[0], 3)
    n_window = sum(r.spec.scope == "window" for r in rb.rules)
    print(f"rules: {len(rb.rules)} ({n_window} window-scoped, {len(rb.findings)} derived "
          f"findings); descriptors: {len(f.descriptors)}, series: {len(f.series)} x "
          f"{args.windows} windows")
    print(f"load + validate: {load_ms:7.1f} ms   (target < 500 ms)")
    print(f"evaluate:        {min(run_ms):7.1f} ms   (median {statistics.median(run_ms):.1f};"
          f" target < 50 ms)")
    print(f"evaluate + traces + near misses: {trace_ms:.1f} ms "
          f"({len(result.diagnoses)} diagnoses, {len(result.near_misses)} near misses)")


if __name__ == "__main__":
    main()
