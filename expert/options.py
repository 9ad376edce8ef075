"""What a run was asked for: the options every room of the pipeline reads.

Kept apart from ``expert.pipeline`` so that a command can build them (and start measuring)
before the rulebase, engine and report models are imported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for on the command line (or an API caller)."""

    profile: str | None = None  # None: the project's profile, else rules.model.DEFAULT_PROFILE
    genre: str | None = None
    reference: tuple[str, ...] = ()  # files or folders; several are averaged
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_paths: tuple[str, ...] = ()
    project_dir: str = "."  # where the search for project settings starts (the audio's)
    config: str | None = None  # an explicit project settings file (--config)
    codec_check: bool = False
    downmix: bool = False
    use_cache: bool = True
    cache_dir: str | None = None
    near_misses: int = 5
    explain: bool = False
    jobs: int = 1
