"""The README's example project settings are real: they validate and change the judgement."""

from __future__ import annotations

import re
from pathlib import Path

from expert.engine import Facts
from expert.pipeline import RunOptions, Session

README = Path(__file__).resolve().parents[1] / "README.md"


def _settings_example() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (settings,) = [b for b in blocks if re.search(r"^thresholds:", b, re.M)]
    return settings


def _session(folder: Path, settings: str) -> Session:
    folder.mkdir()
    (folder / "mixexpert.yaml").write_text(settings, encoding="utf-8")
    for line in re.findall(r"^rules: \[(.*?)\]", settings, re.M):
        for rules_dir in line.split(","):
            (folder / rules_dir.strip()).mkdir(parents=True, exist_ok=True)
    return Session(RunOptions(project_dir=str(folder)))


def test_readme_settings_validate_and_apply(tmp_path: Path) -> None:
    settings = _settings_example()
    session = _session(tmp_path / "project", settings)  # raises on any invalid setting
    assert session.rulebase.errors == []
    config = session.rulebase.project
    assert session.profile.name == config.profile and session.profile.genre == config.genre
    for rule_id, overrides in config.thresholds.items():
        for name, value in overrides.items():
            assert session.rulebase.by_id[rule_id].thresholds[name] == value


def test_readme_threshold_override_changes_a_diagnosis(tmp_path: Path) -> None:
    """The documented ST004 override (2.5 dB) lets a 2.2 dB lean pass that the built-in
    1.5 dB flags."""
    settings = _settings_example()
    assert "ST004: {max_balance_db: 2.5}" in settings
    facts = Facts(descriptors={"stereo.balance_db": 2.2})
    with_readme = _session(tmp_path / "readme", settings).engine.run(facts)
    without = _session(tmp_path / "plain", re.sub(r"^thresholds:.*\n", "", settings, flags=re.M)
                       ).engine.run(facts)
    assert "ST004" in {d.rule_id for d in without.diagnoses}
    assert "ST004" not in {d.rule_id for d in with_readme.diagnoses}
