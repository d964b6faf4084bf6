"""`dwt problems`: a region's data-quality discrepancies for the intermediary, with raw values.

What REDCap calls data quality discrepancies: every rejected file of the region (with its
reason) and every quarantined row (file, row number, every reason, and all its values exactly
as delivered, under the Dutch column names of the delivery forms). It is the only output that
puts raw values in a file: it is written from the restricted zone for the data manager, who
sends it back to the intermediary that delivered the data, and the command says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dwt.export.safe_cells import neutralise_formula
from dwt.files import write_atomic
from dwt.restricted import RestrictedZone
from dwt.schema import load_instrument, load_study, restricted_tables

FILES_SHEET = "Afgekeurde bestanden"
FILES_HEADER = ("Meting", "Instrument", "Bestand", "Reden")
ROW_HEADER = ("Meting", "Bestand", "Rij", "Redenen")


@dataclass(frozen=True)
class ProblemList:
    region: str
    wave: int | None
    rejected_files: list[tuple[Any, ...]]
    rows: dict[str, list[dict[str, Any]]]  # instrument -> quarantined rows (raw values)

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


def problem_list(zone: RestrictedZone, region: str, wave: int | None) -> ProblemList:
    """Rejected files (from the manifest) and quarantined rows of one region (and wave)."""
    import pyarrow.parquet as pq

    manifest_path = zone.root / "manifest.json"
    files = json.loads(manifest_path.read_text())["files"] if manifest_path.is_file() else {}
    rejected = sorted(
        (
            (e.get("wave"), e.get("instrument") or "", path, e.get("reason") or "")
            for path, e in files.items()
            if e["status"] == "rejected"
            and path.split("/")[0] == region
            and (wave is None or e.get("wave") == wave)
        ),
        key=lambda r: (r[0] is None, r[0] or 0, r[1], r[2]),  # a file outside the layout: no wave
    )
    spec = restricted_tables()["quarantine"]
    folder = zone.root / spec.partition_dir(region=region)
    rows: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            if wave is None or row["wave"] == wave:
                rows.setdefault(row["instrument"], []).append(row)
    order = list(load_study().instruments)
    ordered = {
        i: sorted(rows[i], key=lambda r: (r["wave"], r["source_row"])) for i in order if i in rows
    }
    return ProblemList(region, wave, rejected, ordered)


def _sheet_name(instrument: str) -> str:
    return load_instrument(instrument).title["nl"][:31]


def _cell(value: Any) -> Any:
    return neutralise_formula(value) if isinstance(value, str) else value


def xlsx_bytes(problems: ProblemList) -> bytes:
    """The workbook: one sheet of rejected files, one per instrument with quarantined rows."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = FILES_SHEET
    sheet.append(FILES_HEADER)
    for rejected in problems.rejected_files:
        sheet.append([_cell(v) for v in rejected])
    for instrument, rows in problems.rows.items():
        inst = load_instrument(instrument)
        columns = inst.column_names
        ws = book.create_sheet(_sheet_name(instrument))
        ws.append([*ROW_HEADER, *((inst.column(c).alias or c) for c in columns)])
        for row in rows:
            raw = json.loads(row["raw"])
            values = [raw.get(c) for c in columns]
            where = [row["wave"], row["source_file"], row["source_row"], "; ".join(row["reasons"])]
            ws.append([*where, *(_cell(v) for v in values)])
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write_problem_list(problems: ProblemList, path: Path) -> Path:
    return write_atomic(path, xlsx_bytes(problems), mode=0o600)
