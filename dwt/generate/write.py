"""Cells of one delivery -> the bytes of a csv, xlsx or sav file, reproducibly.

A delivery is held as *cells*: an object DataFrame with the schema's canonical columns whose
values are Python objects (str, int, float, bool, datetime.date, list of codes, None). A str
in a typed column is written as is: that is how faults put "31-02-2019" in a date column.

Reproducibility: csv bytes depend only on the cells; sav files get a fixed creation
date/time in their header (ReadStat writes the clock time there); xlsx files get fixed
workbook properties and fixed zip entry times, so they are byte-identical too.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from dwt.generate.styles import TEXT_DATE_EVERY, Style, headers
from dwt.schema import Column, Instrument

FIXED_TIME = datetime(2022, 1, 1)
_SAV_STAMP = slice(92, 109)  # creation_date[9] + creation_time[8] of the SPSS file header
_SAV_FIXED_STAMP = b"01 Jan 2200:00:00"
EXTRA_COLUMN_NOTE = "plaatsing loopt via proefplaatsing"


def to_cells(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Typed simulation frame -> cells (Python values, None where empty), schema columns only."""
    out: dict[str, list[Any]] = {}
    for col in instrument.columns:
        values = frame[col.name].to_numpy()
        out[col.name] = _python_values(values, col.type)
    return pd.DataFrame(out, dtype=object)


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _python_values(values: np.ndarray, typ: str) -> list[Any]:
    if typ == "date":
        return list(values.astype("datetime64[D]").astype(object))
    if typ == "code_list":
        return [None if v is None else list(v) for v in values]
    convert: Callable[[Any], Any] = {
        "integer": lambda v: int(v),
        "number": lambda v: float(v),
        "boolean": lambda v: bool(v),
    }.get(typ, str)
    return [None if _is_empty(v) else convert(v) for v in values.tolist()]


# ------------------------------------------------------------------------------------ csv
def _number_text(v: float, decimal: str) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", decimal)


def _csv_formatter(col: Column, style: Style, instrument: str) -> Callable[[Any], str]:
    date_text = style.date_text(instrument)
    typed: Callable[[Any], str] = {
        "date": date_text,
        "boolean": lambda v: style.booleans[0] if v else style.booleans[1],
        "integer": lambda v: str(int(v)),
        "number": lambda v: _number_text(float(v), style.decimal),
        "code_list": lambda v: style.list_sep.join(v),
    }.get(col.type, str)
    strip_zero = style.drop_leading_zero and col.type in ("bsn", "kvk")

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            # a spreadsheet on the way turned identifiers into numbers: the leading zero is
            # lost (the contract allows one: "002805133" arrives as 8 digits, "02805133")
            return v[1:] if strip_zero and v.isdigit() and v.startswith("0") else v
        return typed(v)

    return fmt


def csv_bytes(cells: pd.DataFrame, columns: list[Column], style: Style, instrument: str) -> bytes:
    """A csv file in the region's delimiter, decimal mark, date format and encoding."""
    formatted = []
    for col in columns:
        fmt = _csv_formatter(col, style, instrument)
        formatted.append([fmt(v) for v in cells[col.name].tolist()])
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=style.delimiter, lineterminator=style.newline)
    writer.writerow(headers(style, columns) + _extra_headers(style, instrument))
    extra = _extra_values(cells, style, instrument)
    rows = zip(*formatted, *extra, strict=True) if formatted else iter(())
    writer.writerows(rows)
    return buf.getvalue().encode(style.encoding)


def _extra_headers(style: Style, instrument: str) -> list[str]:
    return [style.extra_columns[instrument]] if instrument in style.extra_columns else []


def _extra_values(cells: pd.DataFrame, style: Style, instrument: str) -> list[list[Any]]:
    """An unknown extra column; its value follows from the row, so copies stay identical."""
    if instrument not in style.extra_columns:
        return []
    contract = cells["contract_type"].tolist() if "contract_type" in cells else []
    note = [EXTRA_COLUMN_NOTE if c == "proefplaatsing" else None for c in contract]
    return [note or [None] * len(cells)]


# ----------------------------------------------------------------------------------- xlsx
def _xlsx_value(v: Any, col: Column, style: Style, instrument: str) -> Any:
    if v is None or isinstance(v, str):
        return v
    if col.type == "date":
        # some dates arrive as text; which ones depends on the value, not on the row position
        if v.toordinal() % TEXT_DATE_EVERY == 0:
            return style.date_text(instrument)(v)
        return v
    if col.type == "boolean":
        return style.booleans[0] if v else style.booleans[1]
    if col.type == "code_list":
        return style.list_sep.join(v)
    return v


def xlsx_bytes(cells: pd.DataFrame, columns: list[Column], style: Style, instrument: str) -> bytes:
    """First (only) sheet, header in row 1, dates as Excel date cells (some as text).

    openpyxl builds the workbook around one template row; the rows themselves are written as
    sheet XML directly, because openpyxl's per-cell cost (~0.1 ms) makes a large study slow.
    """
    template = _template_workbook(instrument)
    src = zipfile.ZipFile(io.BytesIO(template))
    sheet_name = next(n for n in src.namelist() if n.startswith("xl/worksheets/sheet"))
    sheet = src.read(sheet_name).decode("utf-8")
    date_style = re.search(r'<c r="A2" s="(\d+)"', sheet)
    values = [
        [_xlsx_value(v, col, style, instrument) for v in cells[col.name].tolist()]
        for col in columns
    ]
    rows = [headers(style, columns) + _extra_headers(style, instrument)]
    rows += [list(r) for r in zip(*values, *_extra_values(cells, style, instrument), strict=True)]
    data = _sheet_data(rows, date_style.group(1) if date_style else "1")
    sheet = re.sub(r"<sheetData>.*</sheetData>", lambda _: data, sheet, flags=re.DOTALL)
    return _fixed_zip(template, {sheet_name: sheet.encode("utf-8")})


@functools.cache
def _template_workbook(instrument: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(instrument)
    ws.append(["header"])
    ws.append([date(2000, 1, 1)])  # gives styles.xml a date format; its style id is reused
    wb.properties.creator = "dwt generate"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def _sheet_data(rows: list[list[Any]], date_style: str) -> str:
    letters = [get_column_letter(i + 1) for i in range(max(len(r) for r in rows))]
    parts = ["<sheetData>"]
    for r, row in enumerate(rows, start=1):
        parts.append(f'<row r="{r}">')
        for letter, v in zip(letters, row, strict=False):
            ref = f"{letter}{r}"
            if v is None:
                continue
            if isinstance(v, str):
                space = ' xml:space="preserve"' if v != v.strip() else ""
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(v)}</t></is></c>')
            elif isinstance(v, date):
                parts.append(
                    f'<c r="{ref}" s="{date_style}"><v>{v.toordinal() - _EXCEL_EPOCH}</v></c>'
                )
            else:
                parts.append(f'<c r="{ref}" t="n"><v>{v!r}</v></c>')
        parts.append("</row>")
    parts.append("</sheetData>")
    return "".join(parts)


def _fixed_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """Re-pack a zip with fixed entry times and a fixed 'modified' property (openpyxl sets now)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = replace.get(info.filename) or src.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()


# ------------------------------------------------------------------------------------ sav
def _sav_column(values: list[Any], col: Column, style: Style) -> tuple[list[Any], dict[float, str]]:
    """SPSS values of a column and its value labels (codes stored numeric, label = code)."""
    if col.type == "code":
        numbers = {code: float(i + 1) for i, code in enumerate(col.codes)}
        unknown = [v for v in values if v is not None and v not in numbers]
        if unknown:
            raise ValueError(f"{col.name}: a sav file can only hold schema codes")
        labels = {n: code for code, n in numbers.items()}
        return [math.nan if v is None else numbers[v] for v in values], labels
    if col.type in ("integer", "number", "boolean"):
        if any(isinstance(v, str) for v in values):
            raise ValueError(f"{col.name}: a numeric sav variable cannot hold text")
        return [math.nan if v is None else float(v) for v in values], {}
    if col.type == "date":
        return values, {}
    if col.type == "code_list":
        return ["" if v is None else style.list_sep.join(v) for v in values], {}
    return ["" if v is None else str(v) for v in values], {}


_SAV_FORMATS = {"integer": "F8.0", "code": "F8.0", "boolean": "F1.0", "number": "F8.1"}


def sav_bytes(cells: pd.DataFrame, columns: list[Column], style: Style) -> bytes:
    """An SPSS file: codes numeric with value labels, dates as SPSS dates, Dutch labels."""
    import pyreadstat

    data: dict[str, list[Any]] = {}
    value_labels: dict[str, dict[float, str]] = {}
    for col in columns:
        data[col.name], labels = _sav_column(cells[col.name].tolist(), col, style)
        if labels:
            value_labels[col.name] = labels
    frame = pd.DataFrame(data, columns=[c.name for c in columns])
    formats = {c.name: _SAV_FORMATS[c.type] for c in columns if c.type in _SAV_FORMATS}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "delivery.sav"
        pyreadstat.write_sav(
            frame,
            str(path),
            column_labels={c.name: c.label.get("nl", c.name) for c in columns},
            variable_value_labels=value_labels,
            variable_format=formats,
        )
        raw = bytearray(path.read_bytes())
    raw[_SAV_STAMP] = _SAV_FIXED_STAMP  # ReadStat writes the clock time here
    return bytes(raw)


def render(cells: pd.DataFrame, columns: list[Column], style: Style, instrument: str) -> bytes:
    """The bytes of one delivery file in the region's style."""
    if style.ext == "csv":
        return csv_bytes(cells, columns, style, instrument)
    if style.ext == "xlsx":
        return xlsx_bytes(cells, columns, style, instrument)
    if style.ext == "sav":
        return sav_bytes(cells, columns, style)
    raise ValueError(f"unknown file type {style.ext!r}")
