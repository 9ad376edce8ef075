"""How the envelopes of released music hold on music they were not learned from.

    python benchmarks/bench_loso.py [CORPUS_SET_DIR] [--jobs 2] [--keys all|changed]
                                    [--by source|package]

`mixexpert eval` on real-dev judges each file against envelopes learned from real-dev's
clean controls, its own source's master among them: an in-sample figure. Here every
source's files are judged instead against envelopes learned without that source (leave
one source out, the learner of `python -m corpus.envelopes`), as a record the envelopes
never saw is judged. Prints the per-key F1 of both runs side by side, macro-F1, the clean
controls with a false alarm and eval's clean false-alarm rate. The gap between the two is
what in-sample tuning on real-dev hides; the held-out real-check is refused here, as in
the learner (it is the test of the envelopes, never a fold of them). ``--by package``
leaves out a whole Debian package at a time (its artists and its production with it), as
music from a label the envelopes never heard is judged: real-check shares its packages
with real-dev, so it cannot tell that.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from benchmarks.real_scores import (  # noqa: E402
    control_false_alarms,
    is_control,
    summary,
)
from corpus.envelopes import FORBIDDEN_SETS, envelopes_of, measure_rows  # noqa: E402
from expert.cli import build_parser  # noqa: E402
from expert.commands.eval import SessionDetector  # noqa: E402
from expert.engine import Engine  # noqa: E402
from expert.evaluate.labels import load_manifest  # noqa: E402
from expert.evaluate.scoring import outcomes_for, run_detector, score  # noqa: E402
from expert.rules.model import EnvelopeFileSpec  # noqa: E402
from expert.rules.profiles import with_envelopes  # noqa: E402


def envelopes_without(rows: list[dict], left_out: str, sources: set[str]) -> EnvelopeFileSpec:
    """The envelopes the learner makes from every clean row but those of ``sources`` (the
    fold named ``left_out``)."""
    kept = [r for r in rows if r["source"] not in sources]
    return EnvelopeFileSpec.model_validate(envelopes_of(
        kept, source=f"learned from {len(kept)} clean files without {left_out}",
        command="benchmarks/bench_loso.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?",
                        default=REPOSITORY / "corpus" / "cache" / "real-dev",
                        help="a real set's folder (with manifest.yaml; default real-dev)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keys", choices=("all", "changed"), default="all",
                        help="print every key's row, or only those whose F1 differs")
    parser.add_argument("--details", action="store_true",
                        help="list the controls alarmed only with their fold left out")
    parser.add_argument("--by", choices=("source", "package"), default="source",
                        help="what one fold leaves out: a source, or a whole package")
    args = parser.parse_args()
    manifest = load_manifest(args.corpus)
    if manifest.set in FORBIDDEN_SETS or args.corpus.name in FORBIDDEN_SETS:
        parser.error("real-check is the held-out test of the envelopes, never a fold")
    paths = [manifest.resolve(entry) for entry in manifest.files]
    rows = measure_rows(args.corpus / "manifest.yaml", args.jobs)

    detector = SessionDetector(build_parser().parse_args(["eval", "--jobs", str(args.jobs)]))
    session = detector.session
    in_sample = score(outcomes_for(manifest, run_detector(detector, paths, jobs=args.jobs)))

    by_fold: dict[str, list[int]] = defaultdict(list)
    fold_sources: dict[str, set[str]] = defaultdict(set)
    for i, entry in enumerate(manifest.files):
        fold = str(getattr(entry, args.by, ""))
        by_fold[fold].append(i)
        fold_sources[fold].add(str(getattr(entry, "source", "")))
    learned_profile = session.profile
    found: list[list[str] | None] = [None] * len(paths)
    for fold, mine in sorted(by_fold.items()):
        session.profile = with_envelopes(learned_profile,
                                         envelopes_without(rows, fold, fold_sources[fold]))
        session.engine = Engine(session.rulebase, session.profile)
        results = run_detector(detector, [paths[i] for i in mine], jobs=args.jobs)
        for i, result in zip(mine, results, strict=True):
            found[i] = result
    held_out = score(outcomes_for(manifest, found))

    before = {p.problem: p for p in in_sample.problems}
    alarms_in, alarms_out = control_false_alarms(in_sample), control_false_alarms(held_out)
    print(f"{manifest.set or args.corpus}: {len(paths)} files, {len(by_fold)} {args.by}s "
          "(one left out at a time)")
    print(f"{'problem':26s} {'F1 in-sample':>13s} {'left out':>9s} "
          f"{'controls alarmed in-sample':>27s} {'left out':>9s}")
    for p in held_out.problems:
        b = before[p.problem].f1
        if args.keys == "changed" and b == p.f1 and \
                alarms_in[p.problem] == alarms_out[p.problem]:
            continue
        print(f"{p.problem:26s} {'-' if b is None else f'{b:.2f}':>13s} "
              f"{'-' if p.f1 is None else f'{p.f1:.2f}':>9s} "
              f"{alarms_in[p.problem]:>27d} {alarms_out[p.problem]:>9d}")
    if args.details:
        inside = {r.path: set(r.false_alarms) for r in in_sample.results}
        for r in held_out.results:
            extra = sorted(set(r.false_alarms) - inside[r.path])
            if is_control(r.path) and extra:
                print(f"  {Path(r.path).parent.name}/{Path(r.path).name}: {', '.join(extra)}")
    for label, ev in (("in-sample", in_sample), ("left out", held_out)):
        print(summary(label, ev))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
