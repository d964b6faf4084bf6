"""Raw delivery file -> `RawTable`: every cell as text, canonical headers (IO edge).

The only module of the ingest that opens a raw file. It reads the file's bytes once,
never writes, moves or locks it, and turns the three accepted encodings (csv, xlsx, sav;
see ../shared/study-spec.md, "Raw deliveries") into one shape: a frame of text cells
(`str`, or None for an empty cell) under the schema's canonical column names. Typing the
text is the job of the pure `dwt.ingest.parse`.

Decisions (also in the tests):
- Row numbers: the index is the 1-based number of the *data row*, counting only rows with at
  least one non-empty cell. Blank lines (csv) and fully empty rows (xlsx, sav) are not data
  rows, so `len(frame)` is the number of data rows the "nothing lost" check counts.
- An empty file (no header at all) is rejected with "no data rows", like a header-only file:
  in both cases there is nothing to ingest, and one reason is easier to count. Data under a
  blank header row is "missing required column: ...".
- Columns with a blank header are spreadsheet artefacts and are ignored silently.
- Native date-time cells (xlsx, SPSS) become their ISO date "YYYY-MM-DD"; a time of day is
  dropped, as the study only has date columns.
- SPSS user-defined missing values arrive as empty cells (pyreadstat's default), just as the
  survey missing codes -9/-8 end up <NA> in parsing.
- Rejection reasons are value-free: they never quote a cell, a header or a parser message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dwt.schema import Instrument, load_study, normalise_header

# A header row is never this long; looking at a prefix keeps delimiter sniffing O(1).
_HEADER_SNIFF_CHARS = 1 << 16
# Integral floats below this are printed as integers; above it a float is not exact anyway.
_EXACT_INT_LIMIT = 2**53
# What dwt.ingest.parse refuses as ambiguous: 1-3 digits, one mark, exactly 3 digits.
_THOUSANDS_SHAPE = re.compile(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")


class FileRejected(Exception):
    """The whole file is refused; `reason` is value-free (docs/ARCHITECTURE.md vocabulary)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RawTable:
    """One raw delivery as text: canonical columns, 1-based data-row index."""

    instrument: str
    frame: pd.DataFrame
    unknown_columns: list[str]
    header_map: dict[str, str]


def read_raw(path: Path, instrument: Instrument) -> RawTable:
    """Read a raw delivery (csv, xlsx or sav) into a `RawTable`, or raise `FileRejected`."""
    readers = {"csv": _csv_columns, "xlsx": _xlsx_columns, "sav": _sav_columns}
    reader = readers.get(path.suffix.lower().lstrip("."))
    if reader is None:
        raise FileRejected("unsupported file type")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected("unreadable file: cannot open") from exc
    headers, columns = reader(data, instrument)
    return _canonical_table(headers, columns, instrument)


# --- csv -----------------------------------------------------------------------------------


# Each reader returns (header cells, one text column per header cell: an Arrow array or a
# sequence of str | None), rows after the header only.
Columns = list[Any]


def _csv_columns(data: bytes, instrument: Instrument) -> tuple[list[Any], Columns]:
    text = _decode(data)
    if "\x00" in text:
        raise FileRejected("unreadable file: binary content")
    if not text.strip():
        raise FileRejected("no data rows")
    delimiter, header = _sniff_delimiter(text, instrument)
    table = _parse_csv(text, delimiter, len(header))
    # pyarrow hands the header back as the first record: the data start after it.
    return header, table.slice(1).columns


def _decode(data: bytes) -> str:
    """Decode with the study's csv encodings in order (UTF-8 with optional BOM, then cp1252)."""
    for encoding in load_study().parsing["csv_encodings"]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRejected("undecodable text")


def _sniff_delimiter(text: str, instrument: Instrument) -> tuple[str, list[str]]:
    """The delimiter that splits the header into the most schema-known headers.

    Ties (e.g. no known header at all) go to the one giving more fields, then to the
    first listed in the study's configuration.
    """
    lookup = instrument.header_lookup()
    best: tuple[int, int] = (-1, -1)
    chosen: tuple[str, list[str]] = ("", [])
    for delimiter in load_study().parsing["csv_delimiters"]:
        try:
            header = next(csv.reader(io.StringIO(text[:_HEADER_SNIFF_CHARS]), delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            raise FileRejected("unreadable file: malformed csv header") from exc
        known = sum(normalise_header(h) in lookup for h in header)
        if (known, len(header)) > best:
            best, chosen = (known, len(header)), (delimiter, header)
    return chosen


def _parse_csv(text: str, delimiter: str, width: int) -> Any:
    """All records as text via pyarrow's C++ reader, which also refuses ragged rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        # pyarrow's message quotes the offending record: keep it out of the reason.
        raise FileRejected(
            "unreadable file: malformed csv (ragged rows or broken quoting)"
        ) from exc
    return table


# --- xlsx ----------------------------------------------------------------------------------


def _xlsx_columns(data: bytes, instrument: Instrument) -> tuple[list[Any], Columns]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Stored dimensions can be wrong in files written by other tools: read them all.
            sheet.reset_dimensions()
            rows = [tuple(_xlsx_text(v) for v in row) for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    except Exception as exc:  # zipfile, KeyError, openpyxl's own types: all mean a damaged file
        raise FileRejected("unreadable file: not a valid xlsx") from exc
    if not rows:
        raise FileRejected("no data rows")
    width = max(len(r) for r in rows)
    padded = [r + (None,) * (width - len(r)) for r in rows]
    return list(padded[0]), [[row[i] for row in padded[1:]] for i in range(width)]


def _xlsx_text(value: Any) -> str | None:
    """One cell as text: dates as ISO dates, integral numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    return str(value)


def _float_text(value: float) -> str | None:
    if math.isnan(value):
        return None
    if value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
        return str(int(value))
    return _fraction_text(value)


def _fraction_text(value: float) -> str:
    """A native non-integral number as text the parser reads back exactly: Python's shortest
    round-trip form, with a trailing 0 where it would look like one thousands group
    ("22.125" -> "22.1250"; the parser refuses "22.125" as ambiguous in a text cell)."""
    text = repr(value)
    return text + "0" if _THOUSANDS_SHAPE.fullmatch(text) else text


# --- sav -----------------------------------------------------------------------------------


def _sav_columns(data: bytes, instrument: Instrument) -> tuple[list[Any], Columns]:
    frame, labels = _read_sav_isolated(data)
    columns = [
        _sav_column_text(frame[name], labels.get(name, {})).to_numpy(dtype=object)
        for name in frame.columns
    ]
    return list(frame.columns), columns


_SAV_UNREADABLE = "unreadable file: not a valid SPSS file"


def _read_sav(data: bytes) -> tuple[pd.DataFrame, dict[str, dict[Any, str]]]:
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(io.BytesIO(data), dates_as_pandas_datetime=True)
    except Exception as exc:  # ReadstatError, PyreadstatError, OSError on truncated files
        raise FileRejected(_SAV_UNREADABLE) from exc
    return frame, dict(meta.variable_value_labels or {})


def _sav_child(conn: Any, data: bytes) -> None:
    try:
        conn.send(("ok", _read_sav(data)))
    except FileRejected as exc:
        conn.send(("rejected", exc.reason))
    except BaseException:  # anything else: the parent reports the file as unreadable
        conn.send(("rejected", _SAV_UNREADABLE))
    finally:
        conn.close()


def _read_sav_isolated(data: bytes) -> tuple[pd.DataFrame, dict[str, dict[Any, str]]]:
    """Read a .sav in a forked child: ReadStat's C code can crash the whole process on some
    corrupted files (seen in hostile-input testing), and a crash must reject one file, not
    end the ingest. A fork of the already-importing parent costs milliseconds."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_sav_child, args=(child, data), daemon=True)
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:  # the child died without answering (e.g. a segfault in ReadStat)
        status, payload = "rejected", _SAV_UNREADABLE
    finally:
        parent.close()
        proc.join()
    if status != "ok":
        raise FileRejected(str(payload))
    frame, labels = payload
    return frame, labels


def _sav_column_text(values: pd.Series, value_labels: dict[Any, str]) -> pd.Series:
    """A sav variable as text; a labelled value becomes its label (the label is the code)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d").astype(object)
    elif pd.api.types.is_numeric_dtype(values):
        text = _numbers_as_text(values.to_numpy(dtype=float))
    else:
        text = values.astype(object).map(_scalar_text)
    if value_labels:
        labelled = values.map(value_labels)
        text = text.where(labelled.isna(), labelled)
    return text.where(text.notna(), None)


def _numbers_as_text(values: np.ndarray) -> pd.Series:
    finite = np.isfinite(values)
    integral = finite & (np.floor(values) == values) & (np.abs(values) < _EXACT_INT_LIMIT)
    out = np.full(values.shape, None, dtype=object)
    out[integral] = values[integral].astype(np.int64).astype(str)
    fractional = finite & ~integral
    out[fractional] = [_fraction_text(float(v)) for v in values[fractional]]
    return pd.Series(out, dtype=object)


def _scalar_text(value: Any) -> str | None:
    """Text of a non-numeric sav cell (strings, python dates/times from pyreadstat)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


# --- headers and the canonical frame ------------------------------------------------------


def _canonical_table(headers: Sequence[Any], columns: Columns, instrument: Instrument) -> RawTable:
    """Map headers to canonical names, check the required ones, keep non-empty rows."""
    cells = _clean_cells(columns)
    cells = cells[cells.notna().any(axis=1)]
    if cells.empty and not any(_is_filled(h) for h in headers):
        raise FileRejected("no data rows")  # nothing at all: not even a header
    positions, header_map, unknown = _match_headers(headers, instrument)
    missing = [c for c in instrument.required_columns if c not in positions]
    if missing:
        raise FileRejected("missing required column: " + ", ".join(missing))
    if cells.empty:
        raise FileRejected("no data rows")

    index = pd.RangeIndex(1, len(cells) + 1)
    frame = pd.DataFrame(
        {
            name: (
                pd.Series(cells[positions[name]].to_numpy(), index=index, dtype=object)
                if name in positions
                else pd.Series([None] * len(index), index=index, dtype=object)
            )
            for name in instrument.column_names
        },
        index=index,
    )
    return RawTable(instrument.name, frame, unknown, header_map)


def _match_headers(
    headers: Iterable[Any], instrument: Instrument
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(canonical -> column position, original -> canonical, unknown original headers)."""
    lookup = instrument.header_lookup()
    positions: dict[str, int] = {}
    header_map: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for i, raw_header in enumerate(headers):
        if not _is_filled(raw_header):
            continue
        original = str(raw_header).strip()
        canonical = lookup.get(normalise_header(original))
        if canonical is None:
            unknown.append(original)
        elif canonical in positions:
            if canonical not in duplicates:
                duplicates.append(canonical)
        else:
            positions[canonical] = i
            header_map[original] = canonical
    if duplicates:
        raise FileRejected("unreadable file: duplicate column " + ", ".join(duplicates))
    return positions, header_map, unknown


def _is_filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _clean_cells(columns: Columns) -> pd.DataFrame:
    """Strip surrounding whitespace; empty or blank cells become None (in Arrow's C++ kernels).

    Columns are numbered by position; the index is the 0-based row after the header.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cleaned = {}
    for position, column in enumerate(columns):
        cells = column
        if not isinstance(column, pa.Array | pa.ChunkedArray):
            cells = pa.array(column, type=pa.string(), from_pandas=True)
        trimmed = pc.utf8_trim_whitespace(cells)
        blank = pc.equal(trimmed, "")
        cleaned[position] = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed).to_numpy(
            zero_copy_only=False
        )
    return pd.DataFrame(cleaned, dtype=object)
