"""The digest of the knowledge a judgement was made with: rule files, profiles and settings.

A result store keys each file's result by (content hash, rulebase digest, profile name), so
this is what decides whether an earlier result still stands: any edit to a loaded rule
file, a profile file or a project setting changes it; moving a checkout does not (file
contents are hashed, not their paths).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from expert.rules.builtin import builtin_rules_dir
from expert.rules.loader import RuleBase
from expert.rules.model import Profile


def rulebase_digest(
    rulebase: RuleBase,
    profile: Profile,
    *,
    settings: Mapping[str, object] | None = None,
    profiles_dir: Path | None = None,
) -> str:
    """SHA-256 (hex) of the loaded rule files in load order, the profile files, the project
    settings, the resolved ``profile`` (genre and reference targets included) and
    ``settings`` (other choices that change a judgement, e.g. ``--select``; JSON-able)."""
    digest = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        # length-prefixed, so that two different splits of the same bytes never collide
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    for name in rulebase.files:  # the order matters: a later user rule overrides
        part("rule", Path(name).read_bytes())
    folder = (profiles_dir or builtin_rules_dir()) / "profiles"
    for path in sorted(folder.glob("*.yaml")):
        part(f"profile-file {path.name}", path.read_bytes())
    project = rulebase.project.model_dump(mode="json", exclude={"source", "rules"})
    part("project", json.dumps(project, sort_keys=True).encode())
    part("profile", json.dumps(profile.model_dump(mode="json"), sort_keys=True).encode())
    part("settings", json.dumps(dict(settings or {}), sort_keys=True).encode())
    return digest.hexdigest()
