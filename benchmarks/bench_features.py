"""Speed and memory of the full extraction against two anchors, measured in one run.

    python benchmarks/bench_features.py [--skip-long] [--out DIR] [--formats] [--codec-check]
                                        [--all] [--tree BASE --tree HEAD [--compiled]]

Generates (once, cached in benchmarks/out/) a 4-minute 44.1 kHz and a 60-minute 48 kHz
stereo 16-bit WAV of deterministic music-like noise, then times whole processes:

- ours: ``mixexpert features FILE --format json --no-cache`` (every descriptor), and on the
  4-minute file ``mixexpert diagnose`` (descriptors, rules, report);
- ffmpeg: ``ffmpeg -af ebur128=peak=true -f null -`` (loudness + true peak only);
- Essentia's MusicExtractor (mono descriptors only; 4-minute file only unless --long-me).

Wall time is the median of ``--repeat`` runs, the commands interleaved; peak RSS is the
largest sum of resident memory over the process tree (our long-file run forks a worker),
and PSS the same with the pages a forked child shares with its parent counted once.
``--tree DIR`` (repeatable) runs our commands with ``PYTHONPATH=DIR``, so a base and a head
checkout are compared in one run, beside the same ffmpeg runs.
``--compiled`` first writes each tree's bytecode into its ``__pycache__`` folders, as
installing a wheel does: with ``PYTHONDONTWRITEBYTECODE`` set (as on our machines) every run
of a checkout otherwise compiles our sources, some 1,400 code objects.
Targets (issue "Measure a mix"): 4 min within 2.5x ffmpeg and at least 4x faster than
MusicExtractor. Issue 14: a 4-minute ``diagnose`` within 1.2x ffmpeg; 60 min within 0.8x
ffmpeg and under 200 MB.

``--formats`` encodes the 60-minute file (once, with ffmpeg, into a temporary folder that
is kept for the next run) as MP3, M4A/AAC, Ogg Vorbis, Opus and FLAC and prints our peak
RSS and wall time per format (issue 14: under 300 MB for every format). ``--codec-check``
prints the cost of ``--codec-check`` on the 4-minute file against the plain extraction
(target: within 2x). ``--all`` prints every figure of issue 14 in one run: the 4- and
60-minute files, then the formats, the codec check, a batch of short files
(``bench_batch.py``'s, ``--jobs 2``, beside the issue's anchor: 358 files of 30 s in 33 s)
and re-judging that batch from cached descriptors (target: 0.3 s a file). Every section
prints the load average, since wall times on a busy machine are inflated (peak RSS is not).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent


def make_music_like(path: Path, minutes: float, rate: int, seed: int = 7) -> None:
    """Write beats, a bass line and band-limited noise, block by block (bounded memory)."""
    if path.exists():
        return
    rng = np.random.default_rng(seed)
    block = rate * 10
    total = int(minutes * 60 * rate)
    tmp = path.with_suffix(".tmp.wav")
    with sf.SoundFile(tmp, "w", rate, 2, subtype="PCM_16") as out:
        for start in range(0, total, block):
            n = min(block, total - start)
            t = (start + np.arange(n)) / rate
            beat = np.exp(-((t * 2.0) % 1.0) * 12.0)  # 120 bpm kick envelope
            kick = beat * np.sin(2 * np.pi * 55 * t)
            bass = 0.3 * np.sin(2 * np.pi * (55 * 2 ** (np.floor(t / 2) % 4 / 12)) * t)
            noise = rng.standard_normal((n, 2)) * 0.05
            noise = np.cumsum(noise, axis=0) * 0.02 + noise  # some low-frequency weight
            left = 0.5 * kick + bass + noise[:, 0]
            right = 0.5 * kick + bass + noise[:, 1]
            out.write(np.clip(np.stack([left, right], axis=1) * 0.4, -1, 1).astype(np.float32))
    tmp.rename(path)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, found by their parent ids (``/proc/PID/task/*/children``
    may miss children, so a forked worker's memory could go uncounted)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        stack.extend(parents.get(p, []))
    return found


def _proc_kb(pid: int, name: str, field: str) -> int:
    """A kB figure of /proc/PID/NAME (``VmRSS:`` of status, ``Pss:`` of smaps_rollup); 0
    once the process is gone."""
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(field)), 0)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak tree RSS MB, peak tree PSS MB) of one whole-process run.

    RSS is sampled every 10 ms and summed over the process tree, which counts the pages a
    forked child shares with its parent twice; PSS shares them out (what the tree really
    holds). The tree and PSS, dearer to read, are refreshed every 50 ms.
    """
    # stderr goes to a file: ffmpeg's ebur128 log would fill a pipe and block the run.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        peak_rss = peak_pss = 0
        pids = [proc.pid]
        for sample in itertools.count():
            if proc.poll() is not None:
                break
            if sample % 5 == 0:
                pids = _tree(proc.pid)
                peak_pss = max(peak_pss, sum(_proc_kb(p, "smaps_rollup", "Pss:") for p in pids))
            peak_rss = max(peak_rss, sum(_proc_kb(p, "status", "VmRSS:") for p in pids))
            time.sleep(0.01)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            err = errors.read().decode(errors="replace")
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, peak_rss / 1024, peak_pss / 1024


MUSIC_EXTRACTOR = (
    "import sys, essentia, essentia.standard as es; essentia.log.infoActive=False; "
    "es.MusicExtractor(lowlevelStats=['mean'], rhythmStats=['mean'], tonalStats=['mean'])"
    "(sys.argv[1])"
)


# The 60-minute file as each format is delivered (ffmpeg's encoders, common bit rates).
FORMATS: dict[str, list[str]] = {
    "wav": [],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
    "m4a": ["-c:a", "aac", "-b:a", "256k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "6"],
    "opus": ["-c:a", "libopus", "-b:a", "160k"],
}


def ours(file: Path, *extra: str) -> list[str]:
    """The whole-process command of ``mixexpert features`` on ``file``."""
    return [sys.executable, "-m", "expert.cli", "features", str(file), "--format", "json",
            "--no-cache", *extra]


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def formats(source: Path, folder: Path) -> None:
    """Peak RSS and wall time of our extraction on the 60-minute file in every format."""
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\n60-minute 48 kHz stereo, per format ({load_average()} at the start)")
    print(f"  {'format':8} {'size MB':>8} {'wall s':>8} {'peak RSS MB':>12} {'PSS MB':>7}"
          "  target < 300 MB")
    for ext, codec in FORMATS.items():
        file = source if ext == "wav" else folder / f"{source.stem}.{ext}"
        if not file.exists():
            tmp = file.with_suffix(f".tmp.{ext}")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *codec, str(tmp)],
                           check=True)
            tmp.rename(file)
        wall, rss, pss = measure(ours(file))
        size = file.stat().st_size / 1e6
        verdict = "PASS" if rss < 300 else "FAIL"
        print(f"  {ext:8} {size:8.0f} {wall:8.1f} {rss:12.0f} {pss:7.0f}  {verdict}")
    print(f"  ({load_average()} at the end)")


def codec_cost(file: Path, repeat: int) -> None:
    """Wall time of --codec-check against the plain extraction, same file, same run."""
    runs = run({"plain": (ours(file), None),
                "--codec-check": (ours(file, "--codec-check"), None)}, repeat)
    ratio = runs["--codec-check"][0] / runs["plain"][0]
    print(f"\ncodec check on the 4-minute file ({load_average()})")
    for name, (wall, rss, _pss) in runs.items():
        print(f"  {name:16} {wall:8.2f} s {rss:8.0f} MB")
    print(f"  target: within 2x of the plain extraction: {ratio:.2f}x "
          f"{'PASS' if ratio <= 2 else 'FAIL'}")


def ffmpeg_scan(file: Path) -> list[str]:
    """The anchor: ffmpeg's EBU R 128 meter with true peak, single-threaded."""
    return ["ffmpeg", "-nostats", "-hide_banner", "-i", str(file), "-af", "ebur128=peak=true",
            "-f", "null", "-"]


def diagnose(file: Path) -> list[str]:
    """The whole ``mixexpert diagnose`` of ``file``: descriptors, rules, report."""
    return [sys.executable, "-m", "expert.cli", "diagnose", str(file), "--format", "json",
            "--no-cache", "--output", os.devnull]


Result = tuple[float, float, float]  # median wall s, peak RSS MB, peak PSS MB


def run(commands: dict[str, tuple[list[str], dict[str, str] | None]],
        repeat: int) -> dict[str, Result]:
    """Every command ``repeat`` times, interleaved (a change of the machine's load hits
    them all alike): median wall time, largest peak memory."""
    runs: dict[str, list[Result]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (cmd, env) in commands.items():
            runs[name].append(measure(cmd, env))
    return {name: (statistics.median(r[0] for r in rs), max(r[1] for r in rs),
                   max(r[2] for r in rs)) for name, rs in runs.items()}


def report(title: str, results: dict[str, Result]) -> None:
    print(f"\n{title}")
    print(f"  {'tool':34} {'wall s':>8} {'peak RSS MB':>12} {'PSS MB':>7} {'vs ffmpeg':>10}")
    base = results["ffmpeg ebur128"][0]
    for name, (wall, rss, pss) in results.items():
        print(f"  {name:34} {wall:8.2f} {rss:12.0f} {pss:7.0f} {wall / base:9.2f}x")


def with_trees(trees: list[Path], name: str,
               cmd: list[str]) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    """``cmd`` once per checkout (``PYTHONPATH=TREE``), or as installed without ``--tree``.

    ``PYTHONSAFEPATH``: ``python -m`` otherwise puts the current folder first on the path,
    so a run started inside a checkout would time that checkout under every name.
    """
    if not trees:
        return {name: (cmd, None)}
    return {f"{name} [{tree.name}]": (cmd, {**os.environ, "PYTHONPATH": str(tree),
                                            "PYTHONSAFEPATH": "1"})
            for tree in trees}


def compile_tree(tree: Path) -> None:
    """Write the bytecode of the checkout's package next to its sources (``--compiled``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "expert")], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


#: Issue 14's batch anchor: 358 real-dev excerpts of 30 s with ``--jobs 2`` in 33 s.
ANCHOR_AUDIO_S_PER_S = 358 * 30 / 33
BATCH_FILES = 100


def batch(folder: Path, repeat: int) -> None:
    """Throughput of a batch of short files on two cores (against the anchor), and the
    re-run of the same batch judged from cached descriptors, as after a rule edit."""
    from bench_batch import make_batch, timed

    audio_s = make_batch(folder, BATCH_FILES)
    walls = [timed(None, folder, 2) for _ in range(repeat)]
    wall = statistics.median(walls)
    rate = audio_s / wall
    print(f"\n{BATCH_FILES} files of 5-30 s ({audio_s / 60:.1f} min of audio), --jobs 2 "
          f"({load_average()})")
    print(f"  mixexpert diagnose: {wall:.2f} s, {rate:.0f} s of audio a second; the anchor "
          f"{ANCHOR_AUDIO_S_PER_S:.0f}: {rate / ANCHOR_AUDIO_S_PER_S:.2f}x, >= 1.5x (issue "
          f"14) {verdict(rate >= 1.5 * ANCHOR_AUDIO_S_PER_S)}")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MIXEXPERT_CACHE_DIR": cache}
        cmd = [sys.executable, "-m", "expert.cli", "diagnose", str(folder), "--jobs", "2",
               "--format", "json", "--output", os.devnull]
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)  # fills the cache
        cached = statistics.median(measure(cmd, env)[0] for _ in range(repeat))
    print(f"  re-judged from cached descriptors: {cached:.2f} s, {cached / BATCH_FILES:.3f} s "
          f"a file, <= 0.3 s (issue 14) {verdict(cached / BATCH_FILES <= 0.3)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-long", action="store_true", help="only the 4-minute file")
    parser.add_argument("--long-me", action="store_true", help="MusicExtractor on 60 min too")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--long-repeat", type=int, default=1,
                        help="runs of the 60-minute file (median)")
    parser.add_argument("--formats", action="store_true",
                        help="only: peak RSS per format on the 60-minute file")
    parser.add_argument("--formats-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "mixexpert-bench-formats")
    parser.add_argument("--codec-check", action="store_true",
                        help="only: cost of --codec-check on the 4-minute file")
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="a checkout to time with PYTHONPATH=TREE (repeatable: e.g. base "
                        "and head, back to back in one run); default: as installed")
    parser.add_argument("--compiled", action="store_true",
                        help="write each tree's bytecode first, as an installed wheel has it")
    parser.add_argument("--all", action="store_true",
                        help="every figure of issue 14 in one run (formats, codec check, batch "
                        "and cached re-run after the two files)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("needs ffmpeg (scripts/install-system-deps.sh)")
    args.out.mkdir(parents=True, exist_ok=True)
    short = args.out / "music-4min-44k1.wav"
    make_music_like(short, 4, 44100)
    long = args.out / "music-60min-48k.wav"
    if args.codec_check:
        codec_cost(short, args.repeat)
    if args.formats:
        make_music_like(long, 60, 48000)
        formats(long, args.formats_dir)
    if args.codec_check or args.formats:
        return
    trees = [t.resolve() for t in args.tree]
    if args.compiled:
        for tree in trees:
            compile_tree(tree)
    print(f"({load_average()} at the start)")
    commands = {**with_trees(trees, "mixexpert features", ours(short)),
                **with_trees(trees, "mixexpert diagnose", diagnose(short)),
                "ffmpeg ebur128": (ffmpeg_scan(short), None),
                "MusicExtractor": ([sys.executable, "-c", MUSIC_EXTRACTOR, str(short)], None)}
    res = run(commands, args.repeat)
    report(f"4-minute 44.1 kHz stereo WAV ({load_average()})", res)
    me, ff = res["MusicExtractor"][0], res["ffmpeg ebur128"][0]
    for name, (wall, _rss, _pss) in res.items():
        if name.startswith("mixexpert features"):
            print(f"  {name}: <= 2.5x ffmpeg: {wall / ff:.2f}x {verdict(wall <= 2.5 * ff)}; "
                  f">= 4x faster than MusicExtractor: {me / wall:.1f}x "
                  f"{verdict(me >= 4 * wall)}")
        elif name.startswith("mixexpert diagnose"):
            print(f"  {name}: <= 1.2x ffmpeg (issue 14): {wall / ff:.2f}x "
                  f"{verdict(wall <= 1.2 * ff)}")
    if args.skip_long:
        return
    make_music_like(long, 60, 48000)
    commands = {**with_trees(trees, "mixexpert features", ours(long)),
                "ffmpeg ebur128": (ffmpeg_scan(long), None)}
    if args.long_me:
        commands["MusicExtractor"] = ([sys.executable, "-c", MUSIC_EXTRACTOR, str(long)], None)
    res = run(commands, args.long_repeat)
    report(f"60-minute 48 kHz stereo WAV ({load_average()})", res)
    ff = res["ffmpeg ebur128"][0]
    for name, (wall, rss, pss) in res.items():
        if name.startswith("mixexpert"):
            print(f"  {name}: <= 0.8x ffmpeg (issue 14): {wall / ff:.2f}x "
                  f"{verdict(wall <= 0.8 * ff)}; peak RSS < 200 MB: {rss:.0f} MB "
                  f"{verdict(rss < 200)} (PSS {pss:.0f} MB)")
    if args.all:
        formats(long, args.formats_dir)
        codec_cost(short, args.repeat)
        batch(args.out / "batch", args.repeat)


if __name__ == "__main__":
    main()
