"""Defects 7 and 8: project settings that are not ours, and selectors that name nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hostile.conftest import one_line, run_subprocess


def _rule_ids(run_out: str) -> list[str]:
    return [d["rule_id"] for e in json.loads(run_out)["reports"] for d in e["diagnoses"]]


# -- pyproject.toml and mixexpert.yaml ----------------------------------------------------

@pytest.mark.parametrize("text", ['tool = "mixexpert"\n', "[tool]\nblack = 1\n",
                                  "this is [ not TOML\n", "x = 1" + "0" * 5000 + "\n"],
                         ids=["tool is text", "another tool", "broken", "5001 digits"])
def test_pyproject_that_is_not_ours_is_ignored(tmp_path: Path, cli, text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    (tmp_path / "mixexpert.yaml").write_text("ignore: [LD]\n")  # found in the same folder
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text(text)
    os.chdir(tmp_path / "sub")
    run = cli("rules", "list", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["rules"]  # the listing does not depend on ignore


def test_broken_pyproject_of_ours_is_one_line(tmp_path: Path, cli) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mixexpert]\nselect = [\n")
    run = cli("rules", "validate")
    assert run.code == 2
    assert one_line(run.err).startswith(f"mixexpert: {tmp_path / 'pyproject.toml'}: invalid TOML")


def test_project_settings_further_up_are_still_found(tmp_path: Path, tone, cli) -> None:
    (tmp_path / "mixexpert.yaml").write_text("select: [LD005]\n")
    (tmp_path / "tool").mkdir()
    (tmp_path / "tool" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    os.chdir(tmp_path / "tool")
    run = cli("diagnose", tone(), "--format", "json", "--no-cache")
    assert set(_rule_ids(run.out)) <= {"LD005"}


def test_unreadable_pyproject_is_ignored_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mixexpert]\nprofile = 'nope'\n")
    (tmp_path / "pyproject.toml").chmod(0)
    run = run_subprocess("rules", "validate", cwd=tmp_path, unprivileged=True)
    assert run.returncode == 0, run.stderr
    assert "pyproject.toml: ignored: cannot read it" in one_line(run.stderr.decode())


def test_foreign_settings_in_a_shared_folder_are_not_used(tmp_path: Path, tone, cli) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    planted = shared / "mixexpert.yaml"
    planted.write_text("profile: planted\n")  # would fail the run if it were used
    os.chown(planted, 65534, 65534)
    os.chdir(shared)
    run = cli("diagnose", tone(), "--format", "json", "--no-cache")
    assert run.code == 0, run.err
    assert "owned by another user" in one_line(run.err)


# -- selectors ----------------------------------------------------------------------------

@pytest.mark.parametrize(("option", "code", "hint"), [
    ("--select", "ZZ999", "rules list"),
    ("--ignore", "LD0O1", "LD001"),
    ("--select", "boomyy", "boomy"),
])
def test_selector_naming_no_rule_is_an_error(tone, cli, option: str, code: str,
                                             hint: str) -> None:
    run = cli("diagnose", tone(), option, code, "--no-cache")
    assert run.code == 2
    line = one_line(run.err)
    assert code in line and hint in line


def test_selectors_have_one_syntax_everywhere(tmp_path: Path, tone, cli) -> None:
    wav = tone()
    upper = _rule_ids(cli("diagnose", wav, "--select", "LD", "--format", "json").out)
    lower = _rule_ids(cli("diagnose", wav, "--select", "ld", "--format", "json").out)
    (tmp_path / "mixexpert.yaml").write_text("select: [ld]\n")
    configured = _rule_ids(cli("diagnose", wav, "--format", "json").out)
    assert upper and upper == lower == configured
    boomy = json.loads(cli("rules", "list", "--select", "boomy", "--format", "json").out)
    assert boomy["rules"] and {r["problem"] for r in boomy["rules"]} == {"boomy"}


def test_settings_selectors_naming_no_rule_are_errors(tmp_path: Path, tone, cli) -> None:
    settings = tmp_path / "mixexpert.yaml"
    settings.write_text("ignore: [ZZ]\nseverity: {boomyy: error}\n")
    run = cli("diagnose", tone(), "--no-cache")
    assert run.code == 2
    assert f"{settings}:1:10: ignore: 'ZZ' names no rule" in run.err
    assert f"{settings}:2:12: severity: 'boomyy'" in run.err
    assert "'boomyy' names no rule code, prefix or problem key; did you mean boomy?" in run.err
