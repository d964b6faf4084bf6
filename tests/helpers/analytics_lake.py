"""Writes a tiny curated lake in tmp_path, in the layout `dwt.analytics.views` reads.

`<curated>/<table>/region=<r>/wave=<w>/part-0.parquet` for tables partitioned by [region, wave],
`<curated>/<table>/region=<r>/part-0.parquet` for [region], `<curated>/<table>/part-0.parquet`
for unpartitioned ones. Partition columns are not stored inside the files (hive partitions).
Column types come from the schema (`dwt.schema.curated_tables()`), so no column list is repeated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dwt.schema import arrow_type, curated_tables


def d(text: str | None) -> dt.date | None:
    """ISO text -> date (None stays None), to keep fixtures readable."""
    return None if text is None else dt.date.fromisoformat(text)


def arrow_schema(table: str) -> pa.Schema:
    cols = curated_tables()[table].columns
    return pa.schema([(c["name"], arrow_type(c["type"])) for c in cols])


def _arrow_table(table: str, rows: pd.DataFrame) -> pa.Table:
    schema = arrow_schema(table)
    arrays = []
    for field in schema:
        values = rows[field.name].tolist() if field.name in rows else [None] * len(rows)
        values = [None if _missing(v) else v for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def write_table(curated_dir: Path, table: str, rows: list[dict[str, Any]]) -> None:
    """Write `rows` (dicts holding the partition keys too) as hive-partitioned Parquet."""
    spec = curated_tables()[table]
    frame = pd.DataFrame(rows)
    parts = list(spec.partition)
    groups = frame.groupby(parts, sort=True) if parts else [((), frame)]
    for key, part in groups:
        keys = key if isinstance(key, tuple) else (key,)
        folder = Path(curated_dir) / table
        for name, value in zip(parts, keys, strict=True):
            folder = folder / f"{name}={value}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(_arrow_table(table, part.reset_index(drop=True)), folder / "part-0.parquet")


PLACEMENT_DEFAULTS: dict[str, Any] = {
    "contract_type": "tijdelijk",
    "hours_per_week": 24.0,
    "wage_value_pct": 60,
    "target_group": "banenafspraak",
    "disability_type": "psychisch",
    "birth_year": 1990,
    "gender": "vrouw",
    "job_coach": "geen",
    "job_coach_level": None,
    "buddy_training": "geen",
    "sector": "G",
    "employer_size": "25-99",
}


def placement(
    pid: str,
    region: str,
    wave: int,
    start: str,
    end: str | None = None,
    reason: str | None = None,
    employer: str = "E1",
    **attrs: Any,
) -> dict[str, Any]:
    """One placement_history row (participant `P<pid>`) as delivered in `wave`."""
    if end is not None and reason is None:
        reason = "ontslag"
    return {
        **PLACEMENT_DEFAULTS,
        "region": region,
        "wave": wave,
        "placement_id": f"pl-{pid}",
        "participant_id": f"P{pid}",
        "employer_id": employer,
        "start_date": d(start),
        "end_date": d(end),
        "end_reason": reason,
        **attrs,
    }


def write_history(curated_dir: Path, rows: list[dict[str, Any]]) -> None:
    """placement_history plus the derived `placements` table (latest delivered state)."""
    write_table(curated_dir, "placement_history", rows)
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["wave"]):
        key = (row["region"], row["placement_id"])
        first = latest.get(key, {}).get("first_wave", row["wave"])
        latest[key] = {**row, "first_wave": first, "last_wave": row["wave"]}
    current = [{k: v for k, v in r.items() if k != "wave"} for r in latest.values()]
    write_table(curated_dir, "placements", current)


def lake_of_size(region: str, n: int, wave: int = 2020) -> list[dict[str, Any]]:
    """n placements with varied starts, ends and attributes, all delivered in `wave`."""
    reasons = ["ontslag", "naar_ander_werk", "contract_niet_verlengd", "gezondheid"]
    rows = []
    for i in range(n):
        start = pd.Timestamp("2017-01-15") + pd.Timedelta(days=37 * i)
        end = start + pd.Timedelta(days=90 + 53 * i) if i % 3 == 0 else None
        if end is not None and end > pd.Timestamp(f"{wave}-12-31"):
            end = None
        rows.append(
            placement(
                f"{region[:2]}{i}", region, wave, start.date().isoformat(),
                end=end.date().isoformat() if end is not None else None,
                reason=reasons[i % 4] if end is not None else None,
                employer=f"E{i % 7}",
                job_coach=["geen", "intern", "extern"][i % 3],
                job_coach_level=None if i % 3 == 0 else ["licht", "midden"][i % 2],
                hours_per_week=float(12 + (i * 5) % 28),
            )
        )  # fmt: skip
    return rows


def contact(
    cid: str, region: str, wave: int, signals: list[str] | None, **attrs: Any
) -> dict[str, Any]:
    """One contacts row; `signals=None` is an empty cell, stored as a NULL list like the ingest."""
    return {
        "region": region,
        "wave": wave,
        "contact_id": cid,
        "employer_id": "E1",
        "contact_date": dt.date(wave, 5, 1),
        "contact_type": "interview",
        "risk_level": "groen",
        "signals": signals,
        **attrs,
    }
