"""`mixexpert stems` on real stems: the Frets on Fire songs of Debian's
fretsonfire-songs-sectoid (guitar.ogg + song.ogg per song), 20 s excerpts.

Untouched, a song's stems raise nothing above info. Then a masking boost (+15 dB at 1.5 kHz,
Q 0.7, on the band: the guitar's core range) and a polarity flip of the guitar, with the
untouched sum as the mix: the flip is found in every song, the masking in the songs whose
guitar plays in that range, and nothing is said about the untouched band stem's polarity.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from corpus import dsp
from corpus.real import build as real
from corpus.real import inject, sources
from expert.cli import main

PACKAGE = "fretsonfire-songs-sectoid"
EXCERPT_S = 20.0
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """One folder per song: guitar.wav, song.wav (the untouched excerpts)."""
    said: list[str] = []
    if shutil.which("apt-get") is None and not list((CORPUS / "cache" / "pkgs").glob(
            f"{PACKAGE}_*/.complete")):
        pytest.skip("needs apt-get (Debian) or the package in corpus/cache")
    pool = real.available_sources(real.load_recipe(), CORPUS / "cache", [PACKAGE], said.append)
    if not pool:
        pytest.skip(f"Debian archive not reachable: {'; '.join(said)}")
    root = tmp_path_factory.mktemp("fof")
    folders = []
    for source in pool:
        folder = root / source.id.replace("/", "-")
        folder.mkdir()
        start = sources.excerpt_start_s(source.duration_s, EXCERPT_S)
        for path in source.paths:
            x = sources.fade(sources.decode(path, start, EXCERPT_S))
            sf.write(folder / f"{path.stem}.wav", x, dsp.SR_HZ, subtype="FLOAT")
        folders.append(folder)
    return folders


def _stems(folder: Path, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / f"{folder.name}.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path / "cache"))
        assert main(["stems", str(folder), *extra, "--format", "json",
                     "--output", str(out)]) == 0
    return json.loads(out.read_text())


def _injected(folder: Path, root: Path) -> Path:
    """guitar.wav inverted, song.wav boosted at 1.5 kHz; mix.wav (outside) the untouched sum."""
    target = root / folder.name
    target.mkdir()
    stems = {name: sf.read(folder / f"{name}.wav", dtype="float32")[0]
             for name in ("guitar", "song")}
    sf.write(root / f"{folder.name}-mix.wav", stems["guitar"] + stems["song"], dsp.SR_HZ,
             subtype="FLOAT")
    inject.stem_eq(stems, np.random.default_rng(0), "song", freq_hz=1500.0, gain_db=15.0,
                   q=0.7)
    stems["guitar"] = -stems["guitar"]
    for name, x in stems.items():
        sf.write(target / f"{name}.wav", x, dsp.SR_HZ, subtype="FLOAT")
    return target


def test_untouched_stems_raise_nothing_above_info(songs, tmp_path) -> None:
    for folder in songs:
        doc = _stems(folder, tmp_path)
        said = [(d["rule_id"], d["severity"]) for d in doc["collection"]["diagnoses"]]
        assert all(severity == "info" for _, severity in said), (folder.name, said)
        assert doc["collection"]["kind"] == "stems" and len(doc["reports"]) == 2


def test_the_untouched_sum_is_the_mix(songs, tmp_path) -> None:
    folder = songs[0]
    mix = tmp_path / "mix.wav"
    stems = [sf.read(folder / f"{n}.wav", dtype="float32")[0] for n in ("guitar", "song")]
    sf.write(mix, stems[0] + stems[1], dsp.SR_HZ, subtype="FLOAT")
    doc = _stems(folder, tmp_path, "--mix", str(mix))
    c = doc["collection"]
    assert c["descriptors"]["stems.mix_residual_db"] < -60
    assert c["descriptors"]["stems.mix_offset_ms"] == 0
    assert all(d["severity"] == "info" for d in c["diagnoses"])


def test_a_masking_boost_and_a_polarity_flip_are_found(songs, tmp_path) -> None:
    masked = []
    for folder in songs:
        injected = _injected(folder, tmp_path)
        doc = _stems(injected, tmp_path, "--mix", str(tmp_path / f"{folder.name}-mix.wav"))
        found = {(d["rule_id"], tuple(Path(p).stem for p in d["members"])): d
                 for d in doc["collection"]["diagnoses"]}
        assert ("SM004", ("guitar",)) in found, (folder.name, list(found))  # inverted in the mix
        assert ("SM004", ("song",)) not in found  # the band kept its polarity
        masking = found.get(("SM001", ("guitar", "song")))
        if masking is not None:
            masked.append(folder.name)
            pair = next(p for p in doc["collection"]["pairs"]
                        if [Path(m).stem for m in p["members"]] == ["guitar", "song"]
                        and "stems.masking_low_hz" in p["facts"])
            assert pair["facts"]["stems.masking_low_hz"] <= 1500 <= pair["facts"][
                "stems.masking_high_hz"]  # the boosted range
            assert masking["time_ranges"] and masking["remedies"][0]["parameters"]["gain_db"] < 0
            assert "Cut the song" in masking["remedies"][0]["text"]
        assert ("SM001", ("song", "guitar")) not in found  # the boost hides nothing of the band
    # measured: 3 of the 4 guitars (the fourth, 'Feelings', is masked 17 % of its time)
    assert len(masked) >= 3, masked
