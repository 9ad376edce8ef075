"""The stems of one song measured together (``expert.features.stems``) and judged
(``mixexpert stems``), on short generated stems whose answer is known by construction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from expert.cli import main
from expert.errors import StemMismatchError
from expert.features.stems.analyzer import measure_stems, stem_names
from expert.features.stems.masking import N_BANDS, SPREADING, threshold

RATE = 44100
SECONDS = 8.0


def _t(seconds: float = SECONDS) -> np.ndarray:
    return np.arange(int(seconds * RATE)) / RATE


def _band_noise(low_hz: float, high_hz: float, level: float, seed: int) -> np.ndarray:
    """Stereo noise limited to [low_hz, high_hz) (FFT brick wall), RMS ``level``."""
    rng = np.random.default_rng(seed)
    n = int(SECONDS * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < low_hz) | (freqs >= high_hz)] = 0
    x = np.fft.irfft(spectrum, n)
    x *= level / np.sqrt(np.mean(x ** 2))
    return np.stack([x, x], axis=1).astype(np.float32)


def _kick() -> np.ndarray:
    t = _t()
    x = 0.5 * np.exp(-((t * 2.0) % 1.0) * 14.0) * np.sin(2 * np.pi * 55 * t)  # 120 bpm
    return np.stack([x, x], axis=1).astype(np.float32)


def _bass(between_kicks: bool) -> np.ndarray:
    t = _t()
    x = 0.3 * np.sin(2 * np.pi * 65 * t)
    if between_kicks:  # plays only in the second half of each beat: takes turns with the kick
        x *= ((t * 2.0) % 1.0) > 0.55
    return np.stack([x, x], axis=1).astype(np.float32)


def _write(folder: Path, stems: dict[str, np.ndarray]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, x in stems.items():
        sf.write(folder / f"{name}.wav", x, RATE, subtype="FLOAT")
    return [str(folder / f"{name}.wav") for name in sorted(stems)]


def _masking(m, masked: str, masker: str) -> dict:
    return next(p.facts for p in m.masking
                if [Path(x).stem for x in p.members] == [masked, masker])


def _pair(m, a: str, b: str) -> dict:
    return next(p.facts for p in m.pairs if [Path(x).stem for x in p.members] == [a, b])


def test_spreading_is_schroeders_peak_at_the_band_itself():
    # SF(0) = 15.81 + 7.5 * 0.474 - 17.5 * sqrt(1 + 0.474^2) = -0.0 dB (Schroeder et al. 1979)
    assert 10 * np.log10(SPREADING[5, 5]) == pytest.approx(0.0, abs=0.05)
    # steeper towards lower bands (25 dB/Bark) than upper ones (10 dB/Bark)
    assert 10 * np.log10(SPREADING[4, 5]) < 10 * np.log10(SPREADING[6, 5])


def test_a_noise_masker_sets_its_threshold_5_5_db_under_its_own_band():
    bands = np.zeros((1, N_BANDS))
    bands[0, 10] = 1.0
    noise = threshold(bands, np.array([0.0]))
    tone = threshold(bands, np.array([1.0]))
    assert 10 * np.log10(noise[0, 10]) == pytest.approx(-5.5, abs=0.1)  # Johnston 1988
    assert 10 * np.log10(tone[0, 10]) == pytest.approx(-(14.5 + 11), abs=0.1)


def test_a_loud_stem_in_the_same_band_masks_a_quiet_one_there(tmp_path):
    lead = _band_noise(1200, 2400, 0.01, seed=1)
    pad = _band_noise(1000, 3000, 0.2, seed=2)
    m = measure_stems(_write(tmp_path, {"lead": lead, "pad": pad}))
    under = _masking(m, "lead", "pad")
    assert under["stems.masking_time_pct"] > 90
    assert under["stems.masking_low_hz"] <= 1500 <= under["stems.masking_high_hz"]
    assert under["stems.masking_margin_db"] > 10
    assert _masking(m, "pad", "lead")["stems.masking_time_pct"] < 5


def test_stems_apart_in_frequency_do_not_mask(tmp_path):
    lead = _band_noise(3000, 6000, 0.05, seed=1)
    pad = _band_noise(200, 400, 0.05, seed=2)
    m = measure_stems(_write(tmp_path, {"lead": lead, "pad": pad}))
    assert _masking(m, "lead", "pad")["stems.masking_time_pct"] < 5
    assert _masking(m, "pad", "lead")["stems.masking_time_pct"] < 5


def test_a_sustained_bass_on_the_kick_fights_one_that_takes_turns_does_not(tmp_path):
    fight = measure_stems(_write(tmp_path / "fight", {"kick": _kick(), "bass": _bass(False)}))
    turns = measure_stems(_write(tmp_path / "turns", {"kick": _kick(), "bass": _bass(True)}))
    assert _pair(fight, "bass", "kick")["stems.pair_low_end_overlap_pct"] > 40
    assert _pair(turns, "bass", "kick")["stems.pair_low_end_overlap_pct"] < 25
    assert _pair(fight, "bass", "kick")["stems.pair_low_end_a_hz"] == pytest.approx(65, abs=11)


def test_a_stem_inverted_against_its_twin_cancels(tmp_path):
    di = _band_noise(40, 800, 0.1, seed=3)
    amp = -0.8 * di + _band_noise(40, 800, 0.02, seed=4)
    other = _band_noise(40, 800, 0.1, seed=5)
    m = measure_stems(_write(tmp_path, {"di": di, "amp": amp, "other": other}))
    twins = _pair(m, "amp", "di")
    assert twins["stems.pair_correlation"] < -0.9 and twins["stems.pair_sum_loss_db"] > 6
    assert abs(_pair(m, "di", "other")["stems.pair_correlation"]) < 0.1


def test_the_mix_fit_finds_offset_polarity_and_a_missing_stem(tmp_path):
    a = _band_noise(100, 4000, 0.1, seed=6)
    b = _band_noise(100, 4000, 0.1, seed=7)
    c = _band_noise(100, 4000, 0.1, seed=8)
    delay = int(0.005 * RATE)  # the mix runs 5 ms late; b is inverted; c is not in it
    late = int(0.002 * RATE)  # d enters it 2 ms later still
    d = _band_noise(100, 4000, 0.05, seed=9)
    mix = np.zeros_like(a)
    mix[delay:] = (2.0 * a - b)[:-delay]
    mix[delay + late:] += d[:-(delay + late)]
    paths = _write(tmp_path, {"a": a, "b": b, "c": c, "d": d})
    sf.write(tmp_path / "mix.wav", mix, RATE, subtype="FLOAT")
    m = measure_stems(paths, str(tmp_path / "mix.wav"))
    assert m.whole["stems.mix_offset_ms"] == pytest.approx(5.0, abs=0.05)
    stem = {Path(p).stem: f for p, f in m.stems.items()}
    assert stem["a"]["stems.stem_mix_gain_db"] == pytest.approx(6.0, abs=0.5)
    assert stem["a"]["stems.stem_mix_polarity"] == 1
    assert stem["b"]["stems.stem_mix_polarity"] == -1
    assert stem["c"]["stems.stem_mix_gain_db"] < -20
    assert stem["a"]["stems.stem_mix_offset_ms"] == pytest.approx(5.0, abs=0.05)
    assert stem["d"]["stems.stem_mix_offset_ms"] == pytest.approx(7.0, abs=0.05)
    assert stem["d"]["stems.stem_mix_gain_db"] == pytest.approx(0.0, abs=0.5)
    assert m.whole["stems.mix_residual_db"] > -20  # the sum of a, b, c is not the mix


def test_level_in_the_sum(tmp_path):
    loud = _band_noise(100, 4000, 0.1, seed=1)
    quiet = _band_noise(100, 4000, 0.01, seed=2)  # 20 dB under
    m = measure_stems(_write(tmp_path, {"loud": loud, "quiet": quiet}))
    stem = {Path(p).stem: f for p, f in m.stems.items()}
    assert stem["loud"]["stems.stem_share_pct"] == pytest.approx(99.0, abs=0.5)
    assert stem["quiet"]["stems.stem_vs_sum_lu"] == pytest.approx(-20.0, abs=0.3)


def test_stem_names_are_usable_in_descriptor_names():
    assert list(stem_names(["a/Kick Drum.wav", "b/kick drum.flac", "c/01.wav"]).values()) == [
        "kick_drum", "kick_drum_2", "01"]


def test_stems_of_different_lengths_are_one_line_naming_them(tmp_path):
    long = _band_noise(100, 4000, 0.1, seed=1)
    paths = _write(tmp_path, {"long": long, "short": long[: RATE * 5]})
    with pytest.raises(StemMismatchError) as error:
        measure_stems(paths)
    message = str(error.value)
    assert "long.wav" in message and "short.wav" in message and "\n" not in message


def _cli(args: list[str], tmp_path: Path, capsys) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIXEXPERT_CACHE_DIR", str(tmp_path / "cache"))
        code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_different_rates_exit_2_with_one_line(tmp_path, capsys):
    x = _band_noise(100, 4000, 0.1, seed=1)
    folder = tmp_path / "set"
    _write(folder, {"a": x})
    sf.write(folder / "b.wav", x, 48000, subtype="FLOAT")
    code, out, err = _cli(["stems", str(folder)], tmp_path, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "a.wav (44100 Hz" in err and "b.wav (48000 Hz" in err


@pytest.fixture(scope="module")
def fighting(tmp_path_factory) -> Path:
    """kick + sustained bass (low end), lead under pad (masking), one unreadable stem."""
    folder = tmp_path_factory.mktemp("set")
    _write(folder, {"kick": _kick(), "bass": _bass(False),
                    "lead": _band_noise(1200, 2400, 0.01, seed=1),
                    "pad": _band_noise(1000, 3000, 0.2, seed=2)})
    (folder / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    return folder


def test_cli_json_follows_the_contract(fighting, tmp_path, capsys):
    code, out, _ = _cli(["stems", str(fighting), "--format", "json"], tmp_path, capsys)
    doc = json.loads(out)
    c = doc["collection"]
    assert code == 0 and doc["schema_version"] == "1.1" and c["kind"] == "stems"
    assert [Path(p).name for p in c["paths"]] == [
        "bass.wav", "broken.wav", "kick.wav", "lead.wav", "pad.wav"]
    broken = next(e for e in doc["reports"] if e["path"].endswith("broken.wav"))
    assert not broken["ok"] and broken["error"] and "broken.wav" in c["notes"][0]
    assert c["descriptors"]["stems.n_stems"] == 4
    assert any(k.startswith("stems.masking.lead.pad.") and k.endswith("hz")
               for k in c["descriptors"])
    about = {(d["rule_id"], tuple(Path(p).stem for p in d["members"])) for d in c["diagnoses"]}
    assert ("SM001", ("lead", "pad")) in about
    assert ("SM002", ("bass", "kick")) in about
    assert not any(rule == "SM001" and members == ("pad", "lead") for rule, members in about)
    lead = next(e for e in doc["reports"] if e["path"].endswith("lead.wav"))
    assert lead["verdict"] == "warn" and lead["descriptors"]["loudness.integrated_lufs"] < -30


@pytest.mark.parametrize("fmt,marker", [("rich", "One stem masks another"),
                                        ("markdown", "| lead under pad |"),
                                        ("html", "<td>lead under pad</td>")])
def test_cli_renders_the_stems_in_every_format(fighting, tmp_path, capsys, fmt, marker):
    out = tmp_path / f"report.{fmt}"
    code, _, _ = _cli(["stems", str(fighting), "--format", fmt, "--output", str(out)],
                      tmp_path, capsys)
    text = out.read_text()
    assert code == 0 and marker in text and "Cut the pad by" in text
    assert "broken.wav" in text


def test_cli_reuses_the_cache(fighting, tmp_path, capsys, monkeypatch):
    import expert.features.stems.analyzer as analyzer

    first = json.loads(_cli(["stems", str(fighting), "--format", "json"], tmp_path, capsys)[1])

    def refuse(*args, **kwargs):
        raise AssertionError("measured again")

    monkeypatch.setattr(analyzer, "_measure", refuse)
    again = json.loads(_cli(["stems", str(fighting), "--format", "json"], tmp_path, capsys)[1])
    assert again["collection"] == first["collection"]
    (fighting / "kick.wav").touch()  # a changed stem is measured again
    with pytest.raises(AssertionError, match="measured again"):
        _cli(["stems", str(fighting), "--format", "json"], tmp_path, capsys)


def test_an_engineers_rule_on_a_stem_name_validates_and_runs(capsys):
    """docs/RULES.md's example: a text comparison (its near miss is not a distance)."""
    rule = Path(__file__).with_name("stems_own_rule.yaml")
    docs = (Path(__file__).resolve().parents[2] / "docs" / "RULES.md").read_text()
    assert 'stems.masking_masked_name == "vocals" and stems.masking_time_pct > 40' in docs
    assert main(["rules", "test", str(rule)]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_cli_output_never_replaces_a_stem_or_the_mix(fighting, tmp_path, capsys):
    before = (fighting / "lead.wav").read_bytes()
    code, _, err = _cli(["stems", str(fighting), "--output", str(fighting / "lead.wav")],
                        tmp_path, capsys)
    assert code == 2 and "lead.wav" in err and len(err.strip().splitlines()) == 1
    assert (fighting / "lead.wav").read_bytes() == before


def test_cli_markers_place_the_fights_on_the_song(fighting, tmp_path, capsys):
    labels = tmp_path / "fights.txt"
    code, _, _ = _cli(["stems", str(fighting), "--markers", str(labels), "--format", "json"],
                      tmp_path, capsys)
    lines = labels.read_text().splitlines()
    assert code == 0 and any("SM001" in line or "mask" in line.lower() for line in lines)
    start, end, _ = lines[0].split("\t")
    assert 0.0 <= float(start) < float(end)


def test_cli_stems_are_not_held_against_delivery_targets(fighting, tmp_path, capsys):
    # A stem is not a master: no "target -14 LUFS" beside its loudness, no meter it lacks,
    # and a stem the set's diagnoses name does not say "no problems found".
    out = tmp_path / "report.txt"
    _cli(["stems", str(fighting), "--output", str(out)], tmp_path, capsys)
    members = out.read_text().split("Stems:")[0].split("summary:")[0]
    assert "target -14" not in members and "true peak" not in members
    assert "no problems found" not in members.split("lead.wav")[1].split("pad.wav")[0]
    assert "listed below" in members
