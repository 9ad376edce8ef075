"""Defects 2, 3, 9 and 13: inputs that cannot be read, are not files, or have hostile names.

Every OS error on one input is that input's one-line error; names are printed safely in
every format.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.hostile.conftest import ZERO_DEVICE, device_node, one_line, run_subprocess

FORMATS = ("rich", "json", "markdown", "html")


def _entries(stdout: bytes) -> dict[str, dict]:
    return {os.path.basename(r["path"]): r for r in json.loads(stdout)["reports"]}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_unreadable_file_is_its_own_error(tone, tmp_path: Path, jobs: str) -> None:
    good, locked = tone("good.wav"), tone("locked.wav")
    locked.chmod(0)
    run = run_subprocess("diagnose", good, locked, "--jobs", jobs, "--format", "json",
                         unprivileged=True)
    assert run.returncode == 0 and b"Traceback" not in run.stderr, run.stderr
    entries = _entries(run.stdout)
    assert entries["good.wav"]["ok"]
    assert entries["locked.wav"]["error"] == "cannot read: Permission denied"


def test_cache_does_not_serve_a_file_that_became_unreadable(tone, cli, tmp_path: Path,
                                                            monkeypatch) -> None:
    wav = tone()
    cache = {"MIXEXPERT_CACHE_DIR": str(tmp_path / "cache")}
    monkeypatch.setenv("MIXEXPERT_CACHE_DIR", cache["MIXEXPERT_CACHE_DIR"])
    first = cli("features", wav, "--format", "json")
    assert _entries(first.out.encode())["tone.wav"]["ok"]
    wav.chmod(0)
    again = run_subprocess("features", wav, "--format", "json", env=cache, unprivileged=True)
    assert _entries(again.stdout)["tone.wav"]["error"] == "cannot read: Permission denied"


@pytest.mark.parametrize("command", ["reference", "compare"])
def test_unreadable_reference_or_revision_is_one_line(tone, command: str) -> None:
    good, locked = tone("good.wav"), tone("locked.wav")
    locked.chmod(0)
    argv = (["diagnose", good, "--reference", locked] if command == "reference"
            else ["compare", good, locked])
    run = run_subprocess(*argv, unprivileged=True)
    assert run.returncode == 2
    shown = run.stderr if command == "reference" else run.stdout  # compare prints its sides
    assert "Permission denied" in one_line(shown.decode())
    assert b"Traceback" not in run.stderr


def test_unreadable_sub_folder_gets_an_entry(tone, tmp_path: Path) -> None:
    tone("ok.wav", folder=tmp_path / "album")
    tone("hidden.wav", folder=tmp_path / "album" / "private")
    (tmp_path / "album" / "private").chmod(0)
    run = run_subprocess("features", tmp_path / "album", "--format", "json", unprivileged=True)
    entries = _entries(run.stdout)
    assert entries["ok.wav"]["ok"]
    assert entries["private"]["error"] == "cannot read: Permission denied"


def test_fifo_and_device_say_what_they_are_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)  # nobody writes: opening it for reading would block forever
    zero = tmp_path / "zero.wav"
    if device_node(zero, ZERO_DEVICE) is None:  # a /dev/zero of our own, else the real one
        zero.symlink_to("/dev/zero")  # read-only use: the reader only stats it
    run = run_subprocess("features", fifo, zero, "--format", "json", timeout_s=30)
    entries = _entries(run.stdout)
    assert entries["stream.wav"]["error"] == "is a FIFO (named pipe), not an audio file"
    assert entries["zero.wav"]["error"] == "is a character device, not an audio file"


NON_UTF8 = b"caf\xe9"


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_name_is_analysed_and_printed_safely(tone, cli, fmt: str) -> None:
    wav = tone(NON_UTF8 + b".wav")
    run = cli("diagnose", wav, "--format", fmt, "--no-cache")
    assert run.code == 0, run.err
    if fmt == "json":
        (entry,) = json.loads(run.out)["reports"]
        assert entry["ok"] and os.fsencode(entry["path"]).endswith(NON_UTF8 + b".wav")
    else:
        assert "caf\\xe9.wav" in run.out.replace("\\\\", "\\")
    run.out.encode("utf-8")  # no lone surrogate reaches the terminal


def test_non_utf8_mp3_name_is_decoded(tmp_path: Path, tone, cli) -> None:
    data, rate = sf.read(tone())
    mp3 = tmp_path / os.fsdecode(NON_UTF8 + b".mp3")
    with open(mp3, "wb") as handle:
        sf.write(handle, data, rate, format="MP3")
    run = cli("features", mp3, "--format", "json", "--no-cache")
    (entry,) = json.loads(run.out)["reports"]
    assert entry["ok"], entry["error"]


HOSTILE = "x\x1b]0;PWNED\x07\x1b[2J<img src=x onerror=alert(1)>[bold]\u202e.wav"


@pytest.mark.parametrize("fmt", ["rich", "markdown", "html"])
def test_escape_sequences_in_names_are_shown_not_sent(tone, cli, fmt: str) -> None:
    wav = tone(HOSTILE)
    broken = wav.with_name(HOSTILE.replace(".wav", "-bad.wav"))
    broken.write_bytes(b"RIFF not really")
    run = cli("diagnose", wav, broken, "--format", fmt, "--no-cache")
    assert run.code == 0, run.err
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in run.out
    assert "\\x1b" in run.out and "PWNED" in run.out
    if fmt == "markdown":
        assert "<img" not in run.out.replace("\\<img", "")
    if fmt == "html":
        assert "<img" not in run.out and "&lt;img" in run.out


def test_error_lines_stay_one_line_when_piped(tmp_path: Path, cli) -> None:
    bad = tmp_path / ("long-name-" * 12 + ".wav")
    bad.write_bytes(b"text, not a wave file")
    run = cli("diagnose", bad)
    (line,) = [line for line in run.out.splitlines() if "✗" in line]
    assert line == f"✗ {bad}: not an audio file (no WAV header)"


def test_silent_file_is_one_silent_file_diagnosis(tmp_path: Path, cli) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((441000, 2), dtype=np.float32), 44100)
    run = cli("diagnose", silent, "--format", "json", "--no-cache")
    (entry,) = json.loads(run.out)["reports"]
    assert [(d["rule_id"], d["severity"]) for d in entry["diagnoses"]] == [("AR008", "error")]
    assert entry["verdict"] == "fail"


def test_wav_header_claiming_more_than_the_file_holds_gets_a_note(tmp_path: Path, cli) -> None:
    wav = tmp_path / "cut.wav"
    sf.write(wav, 0.3 * np.sin(np.arange(44100) / 7.0), 44100, subtype="PCM_16")  # mono, 1 s
    data = bytearray(wav.read_bytes())
    at = data.index(b"data")
    claimed_bytes = 44100 * 2 * 3600 * 10  # 10 h of 16-bit mono (RIFF sizes stop at 4 GB)
    data[at + 4:at + 8] = claimed_bytes.to_bytes(4, "little")
    wav.write_bytes(bytes(data))
    (entry,) = json.loads(cli("features", wav, "--format", "json", "--no-cache").out)["reports"]
    assert entry["audio"]["duration_s"] == pytest.approx(1.0)
    assert any("header claims 36000.0 s of audio but the file holds 1.0 s" in note
               for note in entry["notes"])


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to write an MP3")
def test_decoder_warnings_do_not_leak(tone, tmp_path: Path, capfd) -> None:
    from expert.cli import main

    mp3 = tmp_path / "cut.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", tone(seconds=3.0), "-b:a", "128k",
                    mp3], check=True)
    mp3.write_bytes(mp3.read_bytes()[:20000])  # the Xing header now overstates the stream
    capfd.readouterr()
    assert main(["features", str(mp3), "--format", "json", "--no-cache"]) == 0
    out, err = capfd.readouterr()  # file descriptors 1 and 2: what the decoders write too
    assert err == "" and json.loads(out)["reports"][0]["ok"]


DECODER_CRASH = Path(__file__).parent / "data" / "decoder-crash.ogg"  # found by test_fuzz


def test_a_file_that_crashes_the_decoder_is_its_own_error(tone, tmp_path: Path) -> None:
    """FFmpeg (inside Essentia) dies with SIGSEGV on this damaged Ogg about every other
    time (otherwise it refuses it); five copies make a crash near certain (97 %). The batch goes on
    and each copy gets a one-line error."""
    copies = [tmp_path / f"damaged{i}.ogg" for i in range(5)]
    for copy in copies:
        shutil.copy(DECODER_CRASH, copy)
    run = run_subprocess("features", *copies, tone(), "--format", "json", "--no-cache")
    assert run.returncode == 0, run.stderr
    *damaged, fine = json.loads(run.stdout)["reports"]
    assert fine["ok"] and len(damaged) == len(copies)
    for entry in damaged:
        assert entry["error"].startswith(("the decoder crashed on this file (SIG",
                                          "cannot decode")), entry["error"]
