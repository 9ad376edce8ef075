"""Defects 4, 11, 12 and the NUL byte of 13: rule files, cache entries and options that are
not what they claim to be."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from expert.errors import RuleError
from expert.rules.yamlpos import MAX_FILE_BYTES, load_yaml_file
from tests.hostile.conftest import ZERO_DEVICE, device_node, one_line, run_subprocess


def _zero_device(path: Path) -> Path:
    """A /dev/zero of our own (reading it never ends), else a link to the real one."""
    if device_node(path, ZERO_DEVICE) is None:
        path.symlink_to("/dev/zero")
    return path


def test_fifo_and_device_rule_files_are_refused_not_read(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    os.mkfifo(rules / "waiting.yaml")  # nobody writes: reading it would block forever
    _zero_device(rules / "endless.yaml")
    # A link to a device elsewhere (a link to a file of the folder is that file, read once).
    (rules / "link.yaml").symlink_to(_zero_device(tmp_path / "zero"))
    run = run_subprocess("rules", "validate", rules, timeout_s=30)
    assert run.returncode == 2
    err = run.stderr.decode()
    assert f"{rules / 'waiting.yaml'}:1:1: is a FIFO (named pipe), not a regular file" in err
    assert f"{rules / 'endless.yaml'}:1:1: is a character device, not a regular file" in err
    assert f"{rules / 'link.yaml'}:1:1: is a character device" in err


def test_size_limit_is_counted_while_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(RuleError, match="larger than the 16 MB limit"):
        load_yaml_file(big)


def test_nul_byte_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "nul.yaml"
    bad.write_bytes(b"rules:\n  - id: XX001\n    title: 'a\x00b'\n")
    with pytest.raises(RuleError) as caught:
        load_yaml_file(bad)
    assert one_line(str(caught.value)).startswith(f"{bad}:3:14: malformed YAML: character U+0000")


# -- cache entries ------------------------------------------------------------------------

def _tamper(kind: str, entry: Path) -> None:
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "zero":
        _zero_device(entry.with_suffix(".dev"))
        entry.symlink_to(entry.with_suffix(".dev"))
    elif kind == "wrong type":
        document = json.loads(entry.read_text())
        document["descriptors"]["loudness.integrated_lufs"] = "loud"
        entry.write_text(json.dumps(document))
    elif kind == "not json":
        entry.write_bytes(b"\xff\x00garbage")


@pytest.mark.parametrize("kind", ["fifo", "zero", "wrong type", "not json"])
def test_tampered_cache_entry_is_a_miss(tone, cli, tmp_path: Path, monkeypatch,
                                       kind: str) -> None:
    wav = tone()
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(cache_dir))
    expected = json.loads(cli("diagnose", wav, "--format", "json").out)["reports"][0]
    (entry,) = cache_dir.glob("*.json")
    if kind != "wrong type":
        entry.unlink()
    _tamper(kind, entry)
    if kind in ("fifo", "zero"):  # in a child: a regression hangs or eats memory there
        again = run_subprocess("diagnose", wav, "--format", "json", timeout_s=30,
                               env={"MIXEXPERT_CACHE_DIR": str(cache_dir)})
        assert again.returncode == 0, again.stderr
        output = again.stdout.decode()
    else:
        output = cli("diagnose", wav, "--format", "json").out
    assert json.loads(output)["reports"][0]["descriptors"] == expected["descriptors"]
    assert entry.is_file() and not entry.is_symlink()  # recomputed and replaced


# -- options ------------------------------------------------------------------------------

@pytest.mark.parametrize("option", [["--jobs", "0"], ["--jobs", "-1"], ["--near-misses", "-5"],
                                    ["--jobs", "two"]])
def test_out_of_range_counts_are_usage_errors(tone, cli, option: list[str]) -> None:
    run = cli("diagnose", tone(), *option)
    assert run.code == 2
    assert option[0] in one_line(run.err)


# -- rule file shape (defect 6; figures in benchmarks/bench_rule_loading.py) ---------------

def test_too_many_values_are_refused_while_parsing(tmp_path: Path) -> None:
    from expert.rules.yamlpos import MAX_NODES

    flood = tmp_path / "flood.yaml"
    flood.write_text("rules: [" + "0, " * MAX_NODES + "0]\n")
    with pytest.raises(RuleError, match=f"more than {MAX_NODES:,} YAML values"):
        load_yaml_file(flood)


@pytest.mark.parametrize(("text", "message"), [
    ("a: &x 1\nb: *x\n", "anchors and aliases"),
    ("<<: {a: 1}\n", "no '<<' merges"),
    ("? [a]\n: b\n", "mapping keys must be plain text"),
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("x: !!python/object:os.system ls\n", "YAML tag '!!python/object:os.system'"),
    ("---\na\n---\nb\n", "one YAML document"),
    ("x: 1" + "0" * 5000 + "\n", "not a number a rule file can hold"),  # int() refuses it
    ("a:" + " [" * 40 + "]" * 40 + "\n", "nesting deeper than 32"),
], ids=["alias", "merge", "complex key", "duplicate", "python tag", "two documents",
        "5001 digits", "deep"])
def test_unsafe_shapes_are_refused_with_their_position(tmp_path: Path, text: str,
                                                        message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(RuleError, match=message) as caught:
        load_yaml_file(bad)
    assert str(caught.value).startswith(f"{bad}:")


def test_rule_file_names_with_escapes_are_printed_safely(tmp_path: Path, cli) -> None:
    bad = tmp_path / "evil\x1b]0;PWNED\x07.yaml"
    bad.write_text("rules: 3\n")
    run = cli("rules", "validate", bad)
    assert run.code == 2
    assert "\x1b" not in run.err and "evil\\x1b]0;PWNED\\x07.yaml:1:" in run.err


def test_unreadable_rule_folder_is_an_error_not_skipped(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "private").mkdir(parents=True)
    (rules / "private" / "mine.yaml").write_text("rules: []\n")
    (rules / "private").chmod(0)
    run = run_subprocess("rules", "validate", rules, unprivileged=True)
    assert run.returncode == 2
    assert f"{rules / 'private'}:1:1: cannot read: Permission denied" in run.stderr.decode()
