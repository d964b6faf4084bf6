"""The data-quality table (research zone, value-free): per region, wave and instrument the rows
delivered, curated, quarantined per reason and flagged, and the files rejected or missing.

Grain and columns: schemas/curated.yaml `research.quality`.
"""

from __future__ import annotations

from typing import Any

from dwt.lake import Transaction
from dwt.schema import Study, curated_tables
from dwt.tables import to_arrow

# Outcomes that curation produces (the others, rejected and missing, come from the manifest and
# the discovery): a region that was not re-curated keeps these rows from the last ingest.
CURATION_OUTCOMES = ("accepted", "curated", "quarantined", "flagged")
SORT = ["wave", "instrument", "outcome", "reason"]


def write_quality(
    tx: Transaction,
    study: Study,
    files: dict[str, Any],
    region_quality: dict[str, list[dict[str, Any]]],
    all_missing: list[str],
) -> None:
    """Rewrite the quality table for every region of the study."""
    import pandas as pd

    spec = curated_tables()["quality"]
    for region in study.region_codes:
        rows = region_quality.get(region)
        if rows is None:
            rows = _existing_curation_quality(tx, region)
        rows = [*rows, *_rejected_rows(files, region), *_missing_rows(all_missing, region)]
        frame = pd.DataFrame(rows, columns=["region", *spec.column_names])
        frame = frame.sort_values(SORT, kind="stable")
        tx.write_parquet("curated", spec.path(region=region), to_arrow(frame, spec))


def _rejected_rows(files: dict[str, Any], region: str) -> list[dict[str, Any]]:
    return [
        {
            "region": region,
            "wave": e.get("wave"),
            "instrument": e.get("instrument"),
            "outcome": "rejected",
            "reason": e.get("reason") or "",
            "rows": 0,
        }
        for _path, e in sorted(files.items())
        if e["status"] == "rejected" and e.get("region") == region
    ]


def _missing_rows(all_missing: list[str], region: str) -> list[dict[str, Any]]:
    rows = []
    for m in all_missing:
        reg, wave, instrument = m.split("/")
        if reg == region:
            rows.append(
                {
                    "region": region,
                    "wave": int(wave),
                    "instrument": instrument,
                    "outcome": "missing",
                    "reason": "not delivered",
                    "rows": 0,
                }
            )
    return rows


def _existing_curation_quality(tx: Transaction, region: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = tx.path("curated", curated_tables()["quality"].path(region=region))
    if not path.exists():
        return []
    rows = pq.read_table(path).to_pylist()
    return [{**r, "region": region} for r in rows if r["outcome"] in CURATION_OUTCOMES]
