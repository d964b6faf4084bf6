"""The restricted zone's handle (`<data>/restricted/`): identifiers, names, notes, raw values.

Only the ingest (through `dwt.lake`) writes it and only the top layer (the `dwt` commands)
builds this handle; reports, metrics and the research export cannot import this module
(import-linter contract). The employer summary receives `directory_lookup()`: a lookup that
returns one employer's own entry, filtered while DuckDB scans, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dwt.audit import AUDIT_FILE, AuditLog
from dwt.errors import ConfigError
from dwt.schema import restricted_tables
from dwt.zones import EmployerEntry


@dataclass(frozen=True)
class RestrictedZone:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def audit_log(self) -> AuditLog:
        return AuditLog(self.root / AUDIT_FILE)

    def directory_lookup(self) -> DirectoryLookup:
        return DirectoryLookup(self.root / restricted_tables()["employer_directory"].folder)


class DirectoryLookup:
    """The employer directory, one entry at a time (an `EmployerLookup`)."""

    def __init__(self, folder: Path):
        self._folder = folder

    def by_kvk(self, kvk: str) -> EmployerEntry | None:
        return self._one("employer_kvk", kvk)

    def by_id(self, employer_id: str) -> EmployerEntry | None:
        return self._one("employer_id", employer_id)

    def _one(self, column: str, value: str) -> EmployerEntry | None:
        """The entry whose `column` equals `value`; DuckDB applies the WHERE while scanning,
        so no other employer's row is ever returned."""
        import duckdb

        files = sorted(str(p) for p in self._folder.glob("*/*.parquet"))
        if not files:
            raise ConfigError(
                f"no employer directory under {self._folder.parent}; run `dwt ingest` first"
            )
        con = duckdb.connect(":memory:")
        try:
            rows = con.execute(
                "SELECT employer_id, employer_kvk, employer_name, region "
                f"FROM read_parquet(?, hive_partitioning = true) WHERE {column} = ? "
                "ORDER BY region",
                [files, value],
            ).fetchall()
        finally:
            con.close()
        if not rows:
            return None
        employer_id, kvk, name, _ = rows[0]
        return EmployerEntry(str(employer_id), str(kvk), str(name or ""), tuple(r[3] for r in rows))
