"""The detectors' decision thresholds (``rules/detectors/detectors.yaml``) as a contract.

The analyzers measure; where one must decide inside the measurement (is this impulse a
click?) it takes the threshold from here, so that the knowledge stays in ``rules/`` with
its sources. Only the built-in file is read: a descriptor means the same in every project.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from expert.errors import MixExpertError

DETECTORS_FILE = ("detectors", "detectors.yaml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClickThresholds(_Section):
    impulse_ratio: float = Field(gt=1)
    edge_ratio: float = Field(gt=1)
    min_residual_peak: float = Field(gt=0, lt=1)
    min_lpc_ratio: float = Field(gt=0)
    min_envelope_ratio: float = Field(gt=0)
    max_onset_ratio: float = Field(gt=0)


class ClipThresholds(_Section):
    min_run_samples: int = Field(ge=2)
    min_level_dbfs: float = Field(le=0)


class DropoutThresholds(_Section):
    quiet_dbfs: float = Field(lt=0)
    loud_dbfs: float = Field(lt=0)
    min_ms: int = Field(ge=1)
    max_ms: int = Field(ge=1)


class DetectorThresholds(_Section):
    """Every detector's thresholds; no defaults: the values live in the YAML file."""

    version: int = Field(ge=1, le=1)
    clicks: ClickThresholds
    clipping: ClipThresholds
    dropouts: DropoutThresholds


def detectors_path() -> Path:
    return Path(str(files("expert.rulebase").joinpath(*DETECTORS_FILE)))


@lru_cache(maxsize=1)
def builtin_detector_thresholds() -> DetectorThresholds:
    """The built-in thresholds, read once per process."""
    return load_detector_thresholds(detectors_path())


def load_detector_thresholds(path: Path) -> DetectorThresholds:
    """Thresholds from ``path``; a file that does not validate is a one-line error naming it
    and the offending key."""
    try:
        data = yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return DetectorThresholds.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise MixExpertError(f"{path}: {str(exc).splitlines()[0]}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MixExpertError(f"{path}: {where}: {first['msg']}") from None


def detectors_digest() -> str:
    """SHA-256 of the thresholds file, for the descriptor cache key."""
    return hashlib.sha256(detectors_path().read_bytes()).hexdigest()
