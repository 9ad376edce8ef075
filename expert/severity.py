"""How serious a diagnosis is, mildest first: the one order that sorting the diagnoses,
``--fail-on`` and ``eval --min-severity`` use.

Plain Python (no pydantic), so that the command line can offer the choices without loading
the rule models.
"""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}
