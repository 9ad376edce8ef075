"""A wheel built from the repository carries the built-in knowledge and diagnoses a file.

Builds the wheel offline (``pip wheel --no-build-isolation``: setuptools and wheel come from
the test environment), installs it into a fresh venv that borrows the installed
dependencies (``--system-site-packages``, so numpy and Essentia need no download) and runs
the installed ``mixexpert`` from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from expert.rules import load_rulebase

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from: the package, the knowledge and the metadata.
SOURCES = ("pyproject.toml", "README.md", "expert", "rules")


def run(*command: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=check)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the venv's bin folder with the wheel installed)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy, so that the build leaves nothing in the checkout
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "-w", tmp / "dist", src, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("mixexpert-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv, cwd=tmp)
    bin_dir = venv / "bin"
    run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q",
        "--no-deps", "--no-index", wheel, cwd=tmp)
    return wheel, bin_dir


def test_wheel_holds_every_package_and_the_rulebase(installed: tuple[Path, Path]):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {p.parent.relative_to(ROOT).as_posix()
                for p in (ROOT / "expert").rglob("__init__.py")}
    assert {p for p in packages if f"{p}/__init__.py" not in names} == set(), (
        "add the package to [tool.setuptools] packages in pyproject.toml")
    knowledge = {f"expert/rulebase/{p.relative_to(ROOT / 'rules').as_posix()}"
                 for p in (ROOT / "rules").rglob("*.yaml")}
    assert knowledge - names == set()


def test_installed_package_lists_the_full_rulebase(installed: tuple[Path, Path],
                                                   tmp_path: Path):
    _, bin_dir = installed
    where = run(bin_dir / "python", "-c", "import expert; print(expert.__file__)", cwd=tmp_path)
    assert str(bin_dir.parent) in where.stdout
    out = run(bin_dir / "mixexpert", "rules", "list", "--format", "json", cwd=tmp_path)
    listed = json.loads(out.stdout)
    assert listed["errors"] == []
    # AR008, ST009, AL001-011, SM001-009
    assert len(listed["rules"]) == len(load_rulebase().rules) == 61


def test_installed_package_diagnoses_a_file(installed: tuple[Path, Path], tmp_path: Path):
    _, bin_dir = installed
    rate = 44100
    t = np.arange(rate * 3) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    sf.write(tmp_path / "mix.wav", np.stack([tone, -tone], axis=1), rate, subtype="PCM_16")
    out = run(bin_dir / "mixexpert", "diagnose", "mix.wav", "--format", "json", cwd=tmp_path)
    report = json.loads(out.stdout)
    (entry,) = report["reports"]
    assert "polarity_inverted_channel" in {d["problem"] for d in entry["diagnoses"]}


def test_installed_eval_asks_for_a_checkout(installed: tuple[Path, Path], tmp_path: Path):
    _, bin_dir = installed
    out = run(bin_dir / "mixexpert", "eval", cwd=tmp_path, check=False)
    assert out.returncode == 2
    assert len(out.stderr.splitlines()) == 1 and "checkout" in out.stderr
