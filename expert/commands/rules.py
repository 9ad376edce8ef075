"""``mixexpert rules list|show ID|validate [PATH...]|test [PATH...]|why ID FILE|schema``.

Exit status: 0 when all is well, 2 when a rule file does not validate (or the rule asked
for does not exist), 1 when ``rules test`` runs and an example fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from expert.commands._common import add_format_option
from expert.errors import ExitStatus
from expert.report.formats import FORMATS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="list, show, validate and test the rules")
    actions = parser.add_subparsers(dest="rules_command", metavar="ACTION")
    actions.required = True

    ls = actions.add_parser("list", help="list the rules (filterable)")
    ls.add_argument("--category", help="only this category (loudness, tonal, stereo, ...)")
    ls.add_argument("--problem", help="only rules concluding this problem or finding")
    ls.add_argument("--select", help="comma-separated codes or prefixes, e.g. LD,TB004")
    ls.add_argument("--tag", help="only rules with this tag")
    add_format_option(ls, FORMATS)

    show = actions.add_parser("show", help="the documentation page of one rule")
    show.add_argument("rule_id", metavar="ID")
    add_format_option(show, FORMATS)

    for name, text in (("validate", "check rule files (built-in and project ones by default)"),
                       ("test", "validate, then run the examples inside the rule files")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders")
        add_format_option(sub, FORMATS)

    why = actions.add_parser("why", help="WHY / WHY NOT of one rule on one audio file, "
                             "with measured values and margins however far from firing")
    why.add_argument("rule_id", metavar="ID")
    why.add_argument("path", metavar="FILE", help="an audio file")
    why.add_argument("--profile", help="delivery profile (default: the project's)")
    why.add_argument("--genre", help="genre profile adjusting the targets")
    why.add_argument("--format", choices=FORMATS, default="rich")
    why.add_argument("--no-cache", action="store_true", help="do not reuse cached features")

    for sub in (ls, show, why, *(actions.choices[n] for n in ("validate", "test"))):
        sub.add_argument("--config", metavar="FILE", help="project settings file (default: "
                         "the nearest above the current folder)")

    actions.add_parser("schema", help="JSON Schema of the rule file format (for editors)")


def _load(args: argparse.Namespace, paths: list[str] | None = None) -> Any:
    from expert.rules import load_project_config, load_rulebase

    project = load_project_config(Path.cwd(), config_file=args.config)
    return load_rulebase(extra_paths=paths or (), project=project)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def run(args: argparse.Namespace) -> int:
    action = args.rules_command
    if action == "schema":
        from expert.rules.model import RuleFileSpec

        schema = RuleFileSpec.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "mixexpert rule file"
        _dump(schema)
        return ExitStatus.OK
    if action in ("validate", "test"):
        return _validate_and_test(args, test=action == "test")
    if action == "why":
        return _why(args)
    rulebase = _load(args)
    if action == "list":
        return _list(rulebase, args)
    return _show(rulebase, args)


def _list(rulebase: Any, args: argparse.Namespace) -> int:
    from expert.rules.project import Selector

    selector = (Selector(rulebase.selectors("--select", args.select.split(",")))
                if args.select else None)
    rules = [r for r in rulebase.rules
             if (not args.category or r.spec.category == args.category)
             and (not args.problem or r.conclusion == args.problem)
             and (not args.tag or args.tag in r.spec.tags)
             and (selector is None or selector.enabled(r))]
    rules.sort(key=lambda r: r.id)
    if args.format == "json":
        _dump({"rules": [{"id": r.id, "problem": r.spec.problem, "concludes": r.spec.concludes,
                          "title": r.spec.title, "category": r.spec.category,
                          "severity": r.severity, "scope": r.spec.scope, "file": r.where}
                         for r in rules], "errors": rulebase.errors})
    else:
        from rich.table import Table

        table = Table(title=f"{len(rules)} rules", show_lines=False)
        for col in ("ID", "Problem / finding", "Severity", "Scope", "Title"):
            table.add_column(col)
        for r in rules:
            conclusion = r.spec.problem or f"[italic]→ {r.spec.concludes}[/]"
            table.add_row(r.id, conclusion, r.severity, r.spec.scope, r.spec.title)
        console = _console()
        console.print(table)
        _print_errors(rulebase.errors)
    return ExitStatus.USAGE if rulebase.errors else ExitStatus.OK


def _show(rulebase: Any, args: argparse.Namespace) -> int:
    rule = rulebase.get(args.rule_id)
    if args.format == "json":
        _dump({"id": rule.id, "file": rule.where, "severity": rule.severity,
               "thresholds": rule.thresholds, **rule.spec.model_dump(mode="json")})
        return ExitStatus.OK
    from expert.report.rule_page import RulePage

    _console().print(RulePage(rule, rulebase))
    return ExitStatus.OK


def _by_status(outcomes: list[Any]) -> str:
    """How the examples came out: fired / did not fire / not applicable (which is which
    matters: a rule that is not applicable was not checked against its thresholds)."""
    words = {"fired": "fired", "not_fired": "did not fire", "not_applicable": "not applicable",
             "skipped": "not applicable"}
    counts = Counter(words.get(o.status, o.status) for o in outcomes)
    return ", ".join(f"{counts[w]} {w}" for w in dict.fromkeys(words.values()) if counts[w])


def _why(args: argparse.Namespace) -> int:
    """Diagnose one file and show one rule's reasoning (the rule need not fire)."""
    from expert.commands.diagnose import project_start
    from expert.engine.result import EngineResult
    from expert.pipeline import RunOptions, Session

    options = RunOptions(profile=args.profile, genre=args.genre, explain=True,
                         project_dir=project_start([args.path]), config=args.config,
                         use_cache=not args.no_cache)
    session = Session(options)
    rule = session.rulebase.get(args.rule_id)
    entry = session.diagnose_file(args.path)
    if not entry.ok or entry.trace is None:
        sys.stderr.write(f"{args.path}: {entry.error}\n")
        return ExitStatus.USAGE
    if args.format == "json":
        _dump({"path": args.path, "trace": entry.trace["traces"][rule.id]})
        return ExitStatus.OK
    from expert.report.reasoning import rule_tree

    result = EngineResult.from_dump(session.profile.name, entry.diagnoses, entry.trace)
    _console().print(rule_tree(result, rule.id))
    return ExitStatus.OK


def _print_errors(errors: list[str]) -> None:
    from expert.report.format import printable  # a file name may hold terminal escapes

    for line in errors:
        sys.stderr.write(f"{printable(line)}\n")


def _validate_and_test(args: argparse.Namespace, *, test: bool) -> int:
    paths = list(args.paths)
    rulebase = _load(args, paths)
    if paths:
        from expert.rules.loader import rule_files

        wanted = {p.resolve() for p in rule_files(paths)}
        rules = [r for r in rulebase.rules if Path(r.file).resolve() in wanted]
    else:
        rules = list(rulebase.rules)
    report: dict[str, Any] = {"files": len(rulebase.files), "rules": len(rules),
                              "errors": rulebase.errors, "project": rulebase.project.source}
    if rulebase.errors:
        if args.format == "json":
            _dump({**report, "valid": False})
        else:
            _print_errors(rulebase.errors)
            sys.stderr.write(f"{len(rulebase.errors)} error(s); invalid files were not loaded\n")
        return ExitStatus.USAGE
    if rulebase.project.source and args.format != "json":
        _console().print(f"[dim]project settings: {rulebase.project.source}[/]")
    if not test:
        if args.format == "json":
            _dump({**report, "valid": True})
        else:
            _console().print(f"[green]OK[/]: {len(rules)} rules in {len(rulebase.files)} files")
        return ExitStatus.OK
    from expert.engine.testing import check_overrides, run_rule_tests

    ids = [r.id for r in rules]
    outcomes = run_rule_tests(rulebase, ids)
    overrides = check_overrides(rulebase, ids)
    failed = [o for o in outcomes if not o.passed]
    not_applied = [c for c in overrides if not c.applied]
    if args.format == "json":
        _dump({**report, "valid": True, "tests": len(outcomes), "failed": [
            {"rule_id": o.rule_id, "name": o.name, "where": o.where, "message": o.message,
             "status": o.status} for o in failed],
            "outcomes": [{"rule_id": o.rule_id, "name": o.name, "where": o.where,
                          "passed": o.passed, "status": o.status} for o in outcomes],
            "overrides": [{"rule_id": c.override.rule_id, "threshold": c.override.name,
                           "rule_value": c.override.rule_value, "value": c.override.value,
                           "where": c.override.where, "applied": c.applied,
                           "ranges": c.ranges, "changes": c.changes} for c in overrides]})
    else:
        console = _console()
        from rich.markup import escape

        for o in failed:
            console.print(f"[red]FAIL[/] {o.where} {o.rule_id} {escape(o.name)}: "
                          f"{escape(o.message)}")
        for c in overrides:
            o = c.override
            state = "[green]applied[/]" if c.applied else "[red]NOT applied[/]"
            detail = "; ".join(c.ranges + [f"changes {x}" for x in c.changes])
            console.print(f"override {escape(o.where)} {o.rule_id} {o.name}: "
                          f"{o.rule_value:g} -> {o.value:g} {state}"
                          + (f" [dim]({escape(detail)})[/]" if detail else ""))
        untested = [r.id for r in rules if not r.spec.tests]
        if untested:
            console.print(f"[yellow]rules without examples[/]: {', '.join(untested)}")
        colour = "red" if failed else "green"
        console.print(f"[{colour}]{len(outcomes) - len(failed)} passed, {len(failed)} failed[/]"
                      f" ({len(rules)} rules; {_by_status(outcomes)})")
    return ExitStatus.CHECK_FAILED if failed or not_applied else ExitStatus.OK
