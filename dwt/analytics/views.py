"""The one function that exposes the curated lake (research zone) as DuckDB views.

The CLI (`dwt query`, `dwt metrics`), reports, exports, notebooks and tests all call
`connect(curated_dir)`. DuckDB holds views only; no `.duckdb` file is written.
Layout read here (written by `dwt.lake`): `<curated>/<table>/[region=<r>/[wave=<w>/]]*.parquet`.
A table with no files yet is an empty view with the schema's columns, so queries never fail
on a region or wave that was not delivered.

Paths are never patterns: the files are listed here and each is handed to DuckDB with its
glob characters escaped, so a data folder named `st[1]` is read, not `st1` next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dwt.schema import PARTITION_TYPES, curated_tables, duckdb_type
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import duckdb


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def glob_literal(path: Path | str) -> str:
    """`path` as a DuckDB file pattern that matches only itself ([ * ? in brackets)."""
    return "".join(f"[{c}]" if c in "[*?" else c for c in str(path))


def _empty_select(table: str) -> str:
    spec = curated_tables()[table]
    cols = [f"CAST(NULL AS {duckdb_type(PARTITION_TYPES[p])}) AS {p}" for p in spec.partition]
    cols += [f"CAST(NULL AS {duckdb_type(c['type'])}) AS {c['name']}" for c in spec.columns]
    return f"SELECT {', '.join(cols)} WHERE false"


def view_sql(curated_dir: Path, table: str) -> str:
    """SELECT that reads one curated table (or an empty, typed relation when absent)."""
    spec = curated_tables()[table]
    folder = Path(curated_dir) / table
    found = folder.rglob("*.parquet") if spec.partition else folder.glob("*.parquet")
    files = sorted(found, key=str)  # the order DuckDB's own glob listed them in
    if not folder.is_dir():
        return _empty_select(table)
    return files_view_sql(table, [glob_literal(f) for f in files])


def files_view_sql(table: str, files: Sequence[str]) -> str:
    """SELECT that reads one curated table from exactly `files` (DuckDB paths, local or
    `s3://`, already escaped); an empty, typed relation when there are none."""
    spec = curated_tables()[table]
    if not files:
        return _empty_select(table)
    listed = ", ".join(_sql_str(f) for f in files)
    hive = "true" if spec.partition else "false"
    types = ", ".join(f"{_sql_str(p)}: {duckdb_type(PARTITION_TYPES[p])}" for p in spec.partition)
    hive_types = f", hive_types = {{{types}}}" if spec.partition else ""
    return (
        f"SELECT * FROM read_parquet([{listed}], hive_partitioning = {hive}"
        f"{hive_types}, union_by_name = true)"
    )


def register_views(con: duckdb.DuckDBPyConnection, curated_dir: Path) -> list[str]:
    """Create (or replace) one view per curated table on `con`; returns the view names."""
    names = list(curated_tables())
    for table in names:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {view_sql(curated_dir, table)}")
    return names


def connect(zone: ResearchZone | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the research zone's views registered (notebooks
    may pass the curated folder's path)."""
    import duckdb

    con = duckdb.connect(":memory:")
    register_views(con, zone.root if isinstance(zone, ResearchZone) else Path(zone))
    return con
