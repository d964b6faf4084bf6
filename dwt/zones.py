"""Handles for the two zones of the lake, built once at the top (the `dwt` commands, the flows).

`ResearchZone` is all that reports, metrics, the research export and notebooks are handed: a
pseudonymous folder, nothing else. The restricted zone's handle lives in `dwt.restricted`, which
those modules may not import (import-linter contract in pyproject.toml); the employer summary,
the one outward reader of the restricted zone, gets an `EmployerLookup` that returns one
employer's own directory entry and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

SNAPSHOT = "_snapshot.json"


@dataclass(frozen=True)
class ResearchZone:
    """The research zone (`<data>/curated/`): pseudonymous Parquet and its snapshot record."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def has_data(self) -> bool:
        return self.root.is_dir() and any(self.root.rglob("*.parquet"))

    def snapshot(self) -> dict[str, Any]:
        """What the zone was built from (content hash, key fingerprint, waves); {} if none."""
        path = self.root / SNAPSHOT
        if not path.is_file():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def snapshot_id(self) -> str:
        """The snapshot's content hash ("onbekend" when the zone has none)."""
        return str(self.snapshot().get("snapshot") or "onbekend")


@dataclass(frozen=True)
class EmployerEntry:
    """One employer's directory entry: what its own summary may show about it."""

    employer_id: str
    employer_kvk: str
    employer_name: str
    regions: tuple[str, ...]


class EmployerLookup(Protocol):
    """Finds one employer's directory entry; never lists the directory."""

    def by_kvk(self, kvk: str) -> EmployerEntry | None: ...

    def by_id(self, employer_id: str) -> EmployerEntry | None: ...
