"""One configuration object: defaults, overridden by environment, overridden by CLI flags.

This module (with `dwt.lake` for the layout inside the zones) is the only place that knows where
the zones live. A report or export is handed `Settings.research_zone()` only, never the
restricted zone (whose handle, `dwt.restricted.RestrictedZone`, only the commands build).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dwt.errors import ConfigError
from dwt.schema import ROUNDING_RULES, load_study
from dwt.zones import ResearchZone

__all__ = [
    "ENV_DATA_DIR",
    "ENV_K",
    "ENV_KEY",
    "ENV_ROUNDING",
    "ConfigError",
    "Settings",
    "settings_from_args",
]

ENV_DATA_DIR = "DWT_DATA_DIR"
ENV_KEY = "DWT_PSEUDONYM_KEY"
ENV_K = "DWT_DISCLOSURE_K"
ENV_ROUNDING = "DWT_DISCLOSURE_ROUNDING"


def _k_from_environment() -> int:
    """DWT_DISCLOSURE_K when set (a whole number), else the study's k."""
    text = os.environ.get(ENV_K)
    if text is None or not text.strip():
        return int(load_study().k)
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(
            f"{ENV_K} must be a whole number (the disclosure threshold k), not {text.strip()!r}"
        ) from None


def _rounding_from_environment() -> str:
    """DWT_DISCLOSURE_ROUNDING when set, else the study's rule (schemas/study.yaml)."""
    text = os.environ.get(ENV_ROUNDING, "").strip()
    return text or load_study().rounding


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get(ENV_DATA_DIR, "data")))
    k: int = field(default_factory=_k_from_environment)
    rounding: str = field(default_factory=_rounding_from_environment)

    def __post_init__(self) -> None:
        # k can be raised, never lowered: the contract's k is the minimum (schemas/study.yaml)
        minimum = int(load_study().k)
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < minimum:
            raise ConfigError(
                f"disclosure threshold k = {self.k!r} ({ENV_K}) is not allowed: k must be a "
                f"whole number of at least {minimum}, the study's k (schemas/study.yaml)"
            )
        if self.rounding not in ROUNDING_RULES:
            raise ConfigError(
                f"rounding rule {self.rounding!r} ({ENV_ROUNDING}) is not one of "
                f"{', '.join(ROUNDING_RULES)} (schemas/study.yaml disclosure.rounding)"
            )

    @property
    def raw_dir(self) -> Path:
        """Immutable raw deliveries: raw/<region>/<wave>/<instrument>.<ext>."""
        return self.data_dir / "raw"

    @property
    def curated_dir(self) -> Path:
        """Research zone: pseudonymous curated Parquet only."""
        return self.data_dir / "curated"

    @property
    def restricted_dir(self) -> Path:
        """Restricted zone: employer directory, contact notes, quarantine, GX results, demo key."""
        return self.data_dir / "restricted"

    @property
    def runs_dir(self) -> Path:
        """Run manifests (no identifiers): one JSON per ingest run."""
        return self.data_dir / "runs"

    def research_zone(self) -> ResearchZone:
        """The research zone's handle: all that reports, metrics and exports are handed."""
        return ResearchZone(self.curated_dir)

    @property
    def demo_key_file(self) -> Path:
        return self.restricted_dir / "demo-pseudonym.key"


def settings_from_args(
    data_dir: str | os.PathLike[str] | None = None,
    k: int | None = None,
    rounding: str | None = None,
) -> Settings:
    """Settings with CLI flags applied over environment and defaults."""
    base = Settings()
    return Settings(
        data_dir=Path(data_dir) if data_dir is not None else base.data_dir,
        k=k if k is not None else base.k,
        rounding=rounding if rounding is not None else base.rounding,
    )
