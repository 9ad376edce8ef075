"""Benchmark: what a hostile (or just huge) rule file within the 16 MB limit costs to load.

Not a timed test: prints whole-process wall time and peak RSS of ``load_rulebase`` over
one generated file, in a fresh process each time:

- ``nodes``: a file just under the size limit holding nothing but tiny YAML nodes
  (``rules: [0, 0, 0, ...]``, some 8 million of them);
- ``rules``: 100,000 small valid rules in one file.

Target: each is loaded or refused within ~2 s and ~300 MB.

    python benchmarks/bench_rule_loading.py [--case nodes|rules|both] [--pythonpath DIR]

``--pythonpath`` measures another checkout (e.g. the base commit, exported to a temporary
folder) with the same generated files, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 16 * 1024 * 1024  # expert.rules.yamlpos.MAX_FILE_BYTES, not imported: the
# benchmark must run unchanged against a checkout that predates it
RULES = 100_000

_RULE = """\
  - id: {id}
    problem: muddy
    title: Generated rule {n}
    category: tonal
    when: spectrum.low_mid_db > {n}
    explanation: x
"""

_LOAD = (
    "from expert.rules import load_rulebase; rb = load_rulebase([{path!r}]); "
    "print(len(rb.rules), 'rules,', len(rb.errors), 'errors:', "
    "(rb.errors[0][:110] if rb.errors else ''))"
)


def _rule_id(n: int) -> str:
    letters = "".join(chr(65 + (n // 1000 // 26**k) % 26) for k in range(3))
    return f"{letters}{n % 1000:03d}"


def write_nodes(path: Path) -> None:
    body = "0, " * ((LIMIT_BYTES - 16) // 3)
    path.write_text(f"rules: [{body}0]\n")


def write_rules(path: Path) -> None:
    with path.open("w") as out:
        out.write("version: 1\nrules:\n")
        for n in range(RULES):
            out.write(_RULE.format(id=_rule_id(n), n=n))


def measure(path: Path, pythonpath: Path) -> str:
    """Wall time and peak RSS of one fresh process loading ``path`` (GNU time)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    run = subprocess.run(
        ["/usr/bin/time", "-f", "%e s wall, %M KB peak RSS", sys.executable, "-c",
         _LOAD.format(path=str(path))],
        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(),
    )
    result = run.stdout.strip() or run.stderr.strip().splitlines()[0]
    timing = run.stderr.strip().splitlines()[-1]
    return f"{timing}; {result}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("nodes", "rules", "both"), default="both")
    parser.add_argument("--pythonpath", type=Path, default=REPO)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for case, write in (("nodes", write_nodes), ("rules", write_rules)):
            if args.case not in (case, "both"):
                continue
            path = Path(tmp) / f"{case}.yaml"
            write(path)
            size_mb = path.stat().st_size / 2**20
            print(f"{case}: {size_mb:.1f} MB: {measure(path, args.pythonpath)}", flush=True)


if __name__ == "__main__":
    main()
