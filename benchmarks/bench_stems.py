"""``mixexpert stems`` on 8 stems of 4 minutes against diagnosing their mix, in one run.

    python benchmarks/bench_stems.py [--repeat N] [--out DIR]

Generates (once, cached in benchmarks/out/stems8/) eight 4-minute 44.1 kHz stereo 16-bit
WAV stems of deterministic instrument-like signals (kick, bass, snare, hats, pad, lead,
guitar, voice-like formants) and their sum as ``mix.wav`` beside them, then times whole
processes, uncached (``--no-cache``), median of ``--repeat`` runs:

- the anchor: ``mixexpert diagnose mix.wav``;
- ours: ``mixexpert stems DIR`` (the mix left out of the folder's stems);
- ours with the mix: ``mixexpert stems DIR --mix mix.wav``.

Target (issue 13): ``stems`` within 2x the time of diagnosing the mix. Prints the load
average, since wall times on a busy machine are inflated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
RATE_HZ = 44100
MINUTES = 4.0
STEMS = ("kick", "bass", "snare", "hats", "pad", "lead", "guitar", "voice")


def _stem(name: str, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One block of a stem (mono), at about -20 dBFS."""
    beat = (t * 2.0) % 1.0  # 120 bpm
    step = np.floor(t / 2.0) % 4
    if name == "kick":
        return np.exp(-beat * 14.0) * np.sin(2 * np.pi * 55 * t)
    if name == "bass":
        return 0.5 * np.sin(2 * np.pi * 55 * 2 ** (step * 5 / 12) * t)
    if name == "snare":
        return np.exp(-((t * 2.0 + 0.5) % 1.0) * 20.0) * rng.standard_normal(t.size) * 0.5
    if name == "hats":
        noise = np.diff(rng.standard_normal(t.size + 1))
        return np.exp(-((t * 4.0) % 1.0) * 30.0) * noise * 0.2
    if name == "pad":
        return 0.15 * sum(np.sin(2 * np.pi * f * 2 ** (step * 5 / 12) * t)
                          for f in (220, 277, 330))
    if name == "lead":
        return 0.2 * np.sign(np.sin(2 * np.pi * 440 * 2 ** (np.floor(t * 4) % 7 / 12) * t))
    if name == "guitar":
        saw = 2 * ((110 * 2 ** (step * 7 / 12) * t) % 1.0) - 1
        return 0.2 * np.tanh(3 * saw)
    formant = sum(np.sin(2 * np.pi * f * t) * a for f, a in ((700, 1), (1220, .5), (2600, .2)))
    return 0.2 * formant * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))


def make_stems(folder: Path) -> None:
    """Write the stems and their sum, block by block (bounded memory), once."""
    if (folder / "done").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(13)
    total = int(MINUTES * 60 * RATE_HZ)
    block = RATE_HZ * 10
    files = {n: sf.SoundFile(folder / f"{n}.wav", "w", RATE_HZ, 2, subtype="PCM_16")
             for n in (*STEMS, "mix")}
    try:
        for start in range(0, total, block):
            t = (start + np.arange(min(block, total - start))) / RATE_HZ
            mix = np.zeros((t.size, 2))
            for i, name in enumerate(STEMS):
                mono = 0.1 * _stem(name, t, rng)
                pan = (i % 4) / 3.0  # spread over the stereo field
                stereo = np.stack([mono * (1 - 0.5 * pan), mono * (0.5 + 0.5 * pan)], axis=1)
                files[name].write(stereo.astype(np.float32))
                mix += stereo
            files["mix"].write(np.clip(mix, -1, 1).astype(np.float32))
    finally:
        for f in files.values():
            f.close()
    (folder / "done").write_text("ok\n")


def _time(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    folder = args.out / "stems8"
    make_stems(folder)
    stems_dir = folder / "stems"  # the stems alone (links), so the mix is not one of them
    stems_dir.mkdir(exist_ok=True)
    for name in STEMS:
        link = stems_dir / f"{name}.wav"
        if not link.exists():
            link.symlink_to(folder / f"{name}.wav")
    mixexpert = [sys.executable, "-m", "expert"]
    with tempfile.TemporaryDirectory() as tmp:
        out = ["--no-cache", "--format", "json", "--output", str(Path(tmp) / "r.json")]
        anchor = _time([*mixexpert, "diagnose", str(folder / "mix.wav"), *out], args.repeat)
        ours = _time([*mixexpert, "stems", str(stems_dir), *out], args.repeat)
        with_mix = _time([*mixexpert, "stems", str(stems_dir), "--mix",
                          str(folder / "mix.wav"), *out], args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}; {len(STEMS)} stems of {MINUTES:.0f} min, "
          f"median of {args.repeat}")
    print(f"diagnose mix.wav (anchor)   {anchor:6.2f} s")
    print(f"stems DIR                   {ours:6.2f} s   {ours / anchor:.2f}x the anchor "
          f"(target <= 2x)")
    print(f"stems DIR --mix mix.wav     {with_mix:6.2f} s   {with_mix / anchor:.2f}x")


if __name__ == "__main__":
    main()
