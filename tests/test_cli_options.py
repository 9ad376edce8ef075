"""The small things of the command line: short flags, `compare --output`, the cache's home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expert.cli import build_parser, main
from expert.features.cache import default_cache_dir
from tests.conftest import music_like

LONG = ["--output", "r.json", "--format", "json", "--profile", "apple_music", "--jobs", "2"]
SHORT = ["-o", "r.json", "-f", "json", "-p", "apple_music", "-j", "2"]


@pytest.mark.parametrize("command", ["diagnose", "features", "compare", "eval"])
def test_short_flags_mean_the_long_ones(command: str) -> None:
    parser = build_parser()
    inputs = {"diagnose": ["a.wav"], "features": ["a.wav"], "compare": ["a.wav", "b.wav"],
              "eval": []}[command]
    known = {"features": {"--profile", "-p"}, "compare": {"--jobs", "-j"}}.get(command, set())

    def keep(argv: list[str]) -> list[str]:
        pairs = [argv[i:i + 2] for i in range(0, len(argv), 2)]
        return [x for flag, value in pairs if flag not in known for x in (flag, value)]

    long_args = parser.parse_args([command, *inputs, *keep(LONG)])
    short_args = parser.parse_args([command, *inputs, *keep(SHORT)])
    assert vars(long_args) == vars(short_args)
    assert short_args.format == "json" and short_args.output == "r.json"


def test_compare_writes_its_output(capsys, tmp_path: Path, write_wav) -> None:
    before = write_wav("before.wav", music_like(6.0) * 1.8)
    after = write_wav("after.wav", music_like(6.0) * 0.5)
    out = tmp_path / "cmp.json"
    assert main(["compare", str(before), str(after), "-f", "json", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    doc = json.loads(out.read_text())
    assert doc["before"]["path"] == str(before) and doc["after"]["path"] == str(after)
    text = tmp_path / "cmp.txt"
    assert main(["compare", str(before), str(after), "-o", str(text)]) == 0
    written = text.read_text()
    assert "key descriptors" in written and "\x1b[" not in written  # no colour codes


def test_help_says_where_the_cache_is_and_how_to_move_it(capsys, monkeypatch,
                                                         tmp_path: Path) -> None:
    for argv in (["--help"], ["diagnose", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        text = " ".join(capsys.readouterr().out.split())
        assert "MIXEXPERT_CACHE_DIR" in text and "XDG_CACHE_HOME/mixexpert" in text
    # ... and the cache honours what the help says, in that order.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MIXEXPERT_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "mixexpert"
