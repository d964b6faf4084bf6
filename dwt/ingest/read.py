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
- Columns with a blank header are spreadsheet artefacts and are ignored silently. Unknown
  columns are ignored and reported by position, their header shown only when short and never
  with its digits (`describe_unknown_columns`): a header may hold a remark with a name or BSN.
- Native date-time cells (xlsx, SPSS) become their ISO date "YYYY-MM-DD"; a time of day is
  dropped, as the study only has date columns.
- SPSS user-defined missing values arrive as empty cells, except the survey missing codes
  (-9, -8): declared user-missing or not, they arrive as their code, so parsing makes them <NA>
  and curation keeps why (geen antwoord / niet van toepassing) instead of "not delivered". A
  value label on a missing code is never applied ("-9" stays "-9", not "geen antwoord"). SPSS
  value labels are applied to code, boolean and text items only ("the label is the code");
  integer and number items keep their numbers (a labelled Likert scale). SPSS dates are
  converted here, one cell at a time.
- Rejection reasons are value-free: they never quote a cell, a header or a parser message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dwt.errors import FileRejected
from dwt.schema import Instrument, load_study, normalise_header

# A header row is never this long; looking at a prefix keeps delimiter sniffing O(1).
# A line break outside quotes ends the header record (which may be long: thousands of columns).
_QUOTE_OR_BREAK = re.compile(r'["\r\n]')
# A valid UTF-8 multi-byte sequence; text in a one-byte encoding rarely forms one.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_UTF8_BOM = b"\xef\xbb\xbf"
MIXED_ENCODING = "undecodable text: invalid UTF-8 bytes in a UTF-8 file"
# Integral floats below this are printed as integers; above it a float is not exact anyway.
_EXACT_INT_LIMIT = 2**53
# What dwt.ingest.parse refuses as ambiguous: 1-3 digits, one mark, exactly 3 digits.
_THOUSANDS_SHAPE = re.compile(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")


@dataclass
class RawTable:
    """One raw delivery as text: canonical columns, 1-based data-row index.

    `cells` holds the text in Arrow (`string[pyarrow]`, <NA> when empty): about the file's
    own size, where a Python string per cell costs ~60 bytes (a 200 MiB csv took 2.8 GiB).
    `frame` is the same as Python text (str, None when empty), for a look at a small file.
    """

    instrument: str
    cells: pd.DataFrame
    unknown_columns: list[str]  # described value-free: `describe_unknown_columns`
    header_map: dict[str, str]

    @property
    def frame(self) -> pd.DataFrame:
        """The cells as Python text: object columns of str, None when empty."""
        return pd.DataFrame(
            {name: _python_text(column) for name, column in self.cells.items()},
            index=self.cells.index,
        )


def _python_text(column: Any) -> pd.Series:
    """An Arrow text column as object str, None where empty."""
    values = column.to_numpy(dtype=object, na_value=None)
    return pd.Series(values, index=column.index, dtype="object")


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
    return _canonical_table(reader(data, instrument), instrument)


@dataclass
class _Cells:
    """What a reader found, rows after the header only.

    `columns` maps a position to its text column (an Arrow array or a sequence of str | None);
    a reader may leave out positions that hold no schema column (the xlsx reader does, so
    that it allocates by the cells that exist), and then says in `other_content` which rows
    hold a non-blank cell in a left-out position (such a row is still a data row).
    """

    headers: list[Any]
    columns: dict[int, Any]
    rows: int
    other_content: Any = None


# --- csv -----------------------------------------------------------------------------------


def _csv_columns(data: bytes, instrument: Instrument) -> _Cells:
    text = _decode(data)
    if "\x00" in text:
        raise FileRejected("unreadable file: binary content")
    if not text.strip():
        raise FileRejected("no data rows")
    delimiter, header = _sniff_delimiter(text, instrument)
    table = _parse_csv(text, delimiter, len(header)).slice(1)
    # pyarrow hands the header back as the first record: the data start after it.
    return _Cells(header, dict(enumerate(table.columns)), table.num_rows)


def _decode(data: bytes) -> str:
    """Decode with the study's csv encodings in order (UTF-8 with optional BOM, then cp1252).

    A file that is evidently UTF-8 -- a BOM, or more valid multi-byte sequences than invalid
    bytes -- but does not decode as UTF-8 is not read as cp1252 (that would turn every
    accented letter, and a BOM in front of the first header, into mojibake and end in a
    misleading "missing required column"): it is rejected as an encoding problem.
    """
    for encoding in load_study().parsing["csv_encodings"]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            if encoding.replace("_", "-").lower().startswith("utf-8") and _evidently_utf8(data):
                raise FileRejected(MIXED_ENCODING) from None
    raise FileRejected("undecodable text")


def _evidently_utf8(data: bytes) -> bool:
    if data.startswith(_UTF8_BOM):
        return True
    replaced = data.decode("utf-8", errors="replace").count("\ufffd") - data.count(b"\xef\xbf\xbd")
    return sum(1 for _ in _UTF8_SEQUENCE.finditer(data)) > replaced


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
            header = next(csv.reader(io.StringIO(_header_record(text)), delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            raise FileRejected("unreadable file: malformed csv header") from exc
        known = sum(normalise_header(h) in lookup for h in header)
        if (known, len(header)) > best:
            best, chosen = (known, len(header)), (delimiter, header)
    return chosen


def _header_record(text: str) -> str:
    """The text of the first record: up to the first line break outside quotes."""
    quoted = False
    for match in _QUOTE_OR_BREAK.finditer(text):
        if match.group() == '"':
            quoted = not quoted
        elif not quoted:
            return text[: match.start()]
    return text


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


_NO_VALUE = "formula without a value"


def _xlsx_columns(data: bytes, instrument: Instrument) -> _Cells:
    """The first sheet, cell by cell as stored: no trust in its claimed dimension, memory by
    the cells that exist (a 6 KB file with one cell at XFD1048576 must stay small).

    Two readers, one result. openpyxl (pure Python, per cell) knows everything this reader
    is careful about; calamine (Rust) reads a plain sheet about ten times faster but sees
    less: it computes no "formula without a value", reads merged cells as ordinary ones, trims
    unpreserved whitespace, converts dates by its own format rules and allocates a dense
    rows x columns range. So a cheap scan of the file's XML (`_calamine_sheet`, byte regexes)
    hands calamine only sheets in which none of that can make a difference; every other file,
    and any file calamine fails on, goes through openpyxl unchanged. The tests read every
    test delivery and a generated study through both readers and compare the cells.
    """
    sheet_name = _calamine_sheet(data)
    if sheet_name is not None:
        try:
            return _xlsx_calamine(data, instrument, sheet_name)
        except Exception:  # what calamine cannot read is openpyxl's to judge (and reject)
            pass
    return _xlsx_openpyxl(data, instrument)


def _xlsx_openpyxl(data: bytes, instrument: Instrument) -> _Cells:
    from openpyxl import load_workbook

    try:
        # openpyxl warns with cell contents (a BSN styled as a date: "serial value ..."):
        # a warning reaches logs and terminals, so none is let through.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                cells, merged = _xlsx_sheet(workbook, instrument)
            finally:
                workbook.close()
    except FileRejected:
        raise
    except Exception as exc:  # zipfile, KeyError, openpyxl's own types: all mean a damaged file
        raise FileRejected("unreadable file: not a valid xlsx") from exc
    _refuse_merged(merged, cells.columns)
    return cells


def _xlsx_sheet(workbook: Any, instrument: Instrument) -> tuple[_Cells, list[str]]:
    """Stream the first sheet's XML once: (cells of schema columns, merged ranges)."""
    from openpyxl.worksheet._reader import (
        FORMULA_TAG,
        VALUE_TAG,
        WorkSheetParser,
        _cast_number,
    )

    class Parser(WorkSheetParser):
        """openpyxl's own parser; a formula cell without a cached value is marked."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            stored = element.findtext(VALUE_TAG)
            # no <v>, or an empty one not typed as a string result (a formula giving "")
            cached = bool(stored) or (stored == "" and element.get("t") == "str")
            if not cached and element.find(FORMULA_TAG) is not None:
                cell["data_type"] = _NO_VALUE
            elif cell["data_type"] == "e" and element.get("t", "n") == "n" and stored:
                # a number styled as a date but beyond any date (a BSN in a date-formatted
                # column): openpyxl makes it "#VALUE!"; the number is what the cell holds
                cell["value"], cell["data_type"] = _cast_number(stored), "n"
            return cell

    sheet = workbook.worksheets[0]
    lookup = instrument.header_lookup()
    headers: list[Any] = []
    wanted: dict[int, list[str | None]] = {}  # 0-based position of a schema column -> cells
    other: list[bool] = []
    no_value: set[str] = set()  # where formulas have no cached value: "header" or a column
    rows = 0
    with workbook._archive.open(sheet._worksheet_path) as source:
        parser = Parser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for row_number, row in parser.parse():
            if row_number == 1:
                headers = _xlsx_header(row)
                if any(cell["data_type"] == _NO_VALUE for cell in row):
                    no_value.add("the header row")
                wanted = {
                    i: [] for i, h in enumerate(headers)
                    if _is_filled(h) and normalise_header(str(h)) in lookup
                }  # fmt: skip
                continue
            values: dict[int, str | None] = {}
            elsewhere = False
            for cell in row:
                position = cell["column"] - 1
                if position in wanted:
                    if cell["data_type"] == _NO_VALUE:
                        no_value.add("column " + lookup[normalise_header(str(headers[position]))])
                    values[position] = _xlsx_text(cell["value"])
                elif _is_filled(cell["value"]):
                    elsewhere = True
            if not any(map(_is_filled, values.values())) and not elsewhere:
                continue  # an empty row (styled cells only) is not kept
            for position, column in wanted.items():
                column.append(values.get(position))
            other.append(elsewhere)
            rows += 1
        merges = parser.merged_cells.mergeCell if parser.merged_cells is not None else []
    if no_value:
        where = ", ".join(sorted(no_value))
        raise FileRejected(f"unreadable file: {_NO_VALUE} in {where} (never recalculated)")
    return _Cells(headers, dict(wanted), rows, other), [str(m.coord) for m in merges]


def _xlsx_header(row: list[dict[str, Any]]) -> list[Any]:
    """Header texts by position, as wide as the last non-blank header cell."""
    width = max((c["column"] for c in row if _is_filled(c["value"])), default=0)
    headers: list[Any] = [None] * width
    for cell in row:
        if cell["column"] <= width:
            headers[cell["column"] - 1] = _xlsx_text(cell["value"])
    return headers


def _refuse_merged(merged: list[str], columns: dict[int, Any]) -> None:
    """Merged cells keep their value in the first cell only: the others read as empty, so a
    merged header hides a column and a merged data cell empties rows. Either is refused."""
    from openpyxl.utils.cell import range_boundaries

    for ref in merged:
        min_col, min_row, max_col, _ = range_boundaries(ref)
        if min_row == 1:
            raise FileRejected("unreadable file: merged header cells")
        if any(min_col - 1 <= position <= max_col - 1 for position in columns):
            raise FileRejected("unreadable file: merged cells in data rows")


# --- xlsx: when calamine may read the file (see `_xlsx_columns`) --------------------------

# A sheet or string table holding any of these is read by openpyxl: formulas (cached value or
# not, openpyxl judges them), merged cells (openpyxl's path refuses them), text calamine reads
# differently (_xHHHH_ escapes, phonetic runs, CDATA, character references, raw line ends).
_NOT_PLAIN = (b"<f>", b"<f ", b"<f/", b"mergeCell", b"<rPh", b"<![CDATA[", b"&#", b"\r")
_NOT_PLAIN_XML = re.compile(
    rb":(?:sheetData|row|c|v|f|is|si|r|t)[\s/>]"  # cell or string markup with a namespace prefix
    rb"|_x[0-9A-Fa-f]{4}_"  # an escaped character (openpyxl keeps it, calamine decodes it)
)
# Text calamine reads differently: an empty text ("" in openpyxl, an empty cell in calamine),
# attributes other than xml:space="preserve", surrounding whitespace not preserved (trimmed).
_EMPTY_TEXT = (b"<t/>", b"<t />", b"<t></t>", b"<si/>", b"<si />", b"<is/>", b"<is />")
_TEXT_NOT_PLAIN = re.compile(rb'<t\s(?!xml:space="preserve">[^<])|<t>\s|<t>[^<]*\s</t>')
_NUMBER = rb"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?"
# The cells calamine may read, every one of them: a reference, a style, a plain type (number,
# shared or inline string) and a plain number (or string index), or nothing at all.
_PLAIN_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,5})")?'
    rb'(?:(?: t="n")?(?: ?/>|>(?:<v>(' + _NUMBER + rb")</v>)?</c>)"
    rb'| t="s"(?: ?/>|>(?:<v>[0-9]{1,9}</v>)?</c>)'
    rb'| t="inlineStr"(?: ?/>|>(?:<is>.*?</is>)?</c>))',
    re.DOTALL,
)
_ODD_CELL = re.compile(rb"<c[\t\r\n>/]")  # a cell without attributes, or on several lines
_LONG_INTEGER = re.compile(rb"<v>-?[0-9]{16,}</v>")  # beyond float precision: openpyxl's int
_ROW_NUMBER = re.compile(rb'r="([1-9][0-9]{0,6})"')
# Built-in number formats both readers treat alike: numbers (General, 0, 0.00, #,##0,
# #,##0.00, 0%, 0.00%, 0.00E+00, @) and dates (m-d-yy, d-mmm-yy, d-mmm, mmm-yy, m/d/yy h:mm).
_PLAIN_NUMBER_FORMATS = {0, 1, 2, 3, 4, 9, 10, 11, 49}
_DATE_NUMBER_FORMATS = {14, 15, 16, 17, 22}
# Custom date formats of day, month and year (and a time of day) both readers see as dates.
_PLAIN_DATE_CODE = re.compile(
    r"(?:d{1,2}|m{1,4}|yy|yyyy)(?:[-/. ](?:d{1,2}|m{1,4}|yy|yyyy)){1,2}(?: h{1,2}:mm(?::ss)?)?"
)
# Day 61 is 1900-03-01 (before it, the 1900 leap-year bug); 2958465 is 9999-12-31.
_DATE_SERIALS = range(61, 2958466)
# calamine allocates rows x columns of the range from A1: at most this many for the cells
# that exist (a sparse sheet, or a stray cell far out, goes to openpyxl, which streams).
_DENSE_SLACK, _DENSE_MINIMUM = 4, 1 << 16


def _calamine_sheet(data: bytes) -> str | None:
    """The first sheet's name if calamine reads the file exactly as openpyxl would, else None.

    Cheap: the zip's members are inflated (and their checksums tested) once, and the XML is
    searched with byte regexes; the only per-cell work in Python is on date-styled cells.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None:
                return None
            names = set(archive.namelist())
            members = {n: archive.read(n) for n in names if n.endswith((".xml", ".rels"))}
    except Exception:  # not a zip, a damaged member: openpyxl decides how to reject it
        return None
    types = members.get("[Content_Types].xml", b"")
    if b"spreadsheetml.sheet.main+xml" not in types or b'PartName="/xl/workbook.xml"' not in types:
        return None
    workbook = members.get("xl/workbook.xml", b"")
    relations = _relations(members.get("xl/_rels/workbook.xml.rels", b""))
    first = re.search(rb"<sheet\s[^>]*>", workbook)
    if first is None or re.search(rb'date1904\s*=\s*["\'](?!0|false)', workbook):
        return None
    name, rid = re.search(rb'\sname="([^"]*)"', first[0]), re.search(rb'\sr:id="([^"]*)"', first[0])
    if name is None or rid is None or rid[1] not in relations:
        return None
    kind, target = relations[rid[1]]
    sheet = members.get(_part(target))
    strings = [
        members.get(_part(t), b"") for k, t in relations.values() if k.endswith(b"/sharedStrings")
    ]
    if not kind.endswith(b"/worksheet") or sheet is None:
        return None
    if any(map(_text_not_plain, [sheet, *strings])) or _LONG_INTEGER.search(sheet):
        return None
    cells = _sheet_cells(sheet)
    if cells is None:
        return None
    date_styles = _date_styles(members.get("xl/styles.xml"), {c[2] or b"0" for c in cells})
    if date_styles is None or not _plain_date_serials(cells, date_styles):
        return None
    import html

    return html.unescape(name[1].decode("utf-8"))


def _text_not_plain(xml: bytes) -> bool:
    return (
        any(marker in xml for marker in _NOT_PLAIN + _EMPTY_TEXT)
        or _NOT_PLAIN_XML.search(xml) is not None
        or _TEXT_NOT_PLAIN.search(xml) is not None
    )


def _relations(rels: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """Id -> (Type, Target) of a .rels part."""
    found = {}
    for element in re.findall(rb"<Relationship\s[^>]*>", rels):
        attributes = dict(re.findall(rb'(\w+)="([^"]*)"', element))
        if b"Id" in attributes:
            found[attributes[b"Id"]] = (
                attributes.get(b"Type", b""),
                attributes.get(b"Target", b""),
            )
    return found


def _part(target: bytes) -> str:
    """A workbook relation's target as a zip member name."""
    text = target.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("/") else "xl/" + text


def _sheet_cells(sheet: bytes) -> list[tuple[bytes, bytes, bytes, bytes]] | None:
    """Every cell (column letters, row, style, value) if all are plain (`_PLAIN_CELL`), rows
    come in order, each cell in its own row and none twice, and the range calamine would
    allocate (A1 to the last row and column) is not far beyond the cells; else None."""
    start, end = sheet.find(b"<sheetData>"), sheet.find(b"</sheetData>")
    if start < 0 or end < 0:
        empty = b"<sheetData" in sheet and b"<row" not in sheet and b"<c " not in sheet
        return [] if empty else None
    chunks = sheet[start + len(b"<sheetData>") : end].split(b"<row ")
    if chunks[0].strip() or _ODD_CELL.search(sheet):
        return None
    previous = last_row = 0
    cells: list[tuple[bytes, bytes, bytes, bytes]] = []
    letters: set[bytes] = set()
    for chunk in chunks[1:]:
        number = _ROW_NUMBER.match(chunk)
        if number is None or int(number[1]) <= previous:
            return None
        previous = int(number[1])
        row = _PLAIN_CELL.findall(chunk)
        if len(row) != chunk.count(b"<c "):
            return None
        if row:
            row_letters = {cell[0] for cell in row}
            if {cell[1] for cell in row} != {number[1]} or len(row_letters) < len(row):
                return None
            letters |= row_letters
            cells += row
            last_row = previous
    width = max(map(_column_number, letters), default=0)
    if width > 16384 or last_row * width > _DENSE_SLACK * len(cells) + _DENSE_MINIMUM:
        return None
    return cells


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _date_styles(styles: bytes | None, used: set[bytes]) -> set[bytes] | None:
    """The used cell styles that hold a date, or None if a used style has a number format
    outside the few both readers are known to treat alike (then openpyxl reads the file)."""
    if styles is None:
        return set() if used <= {b"0"} else None
    if re.search(rb"<\w+:(?:xf|numFmt|numFmts|cellXfs)[\s/>]", styles):
        return None
    block = re.search(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.DOTALL)
    formats = re.findall(rb'<xf\b[^>]*?\snumFmtId="([0-9]+)"', block[1]) if block else []
    if not block or len(formats) != block[1].count(b"<xf"):
        return None
    custom = dict(re.findall(rb'<numFmt\s+numFmtId="([0-9]+)"\s+formatCode="([^"]*)"', styles))
    if len(custom) != styles.count(b"<numFmt "):
        return None
    dates = set()
    for style in used | {b"0"}:
        if not style.isdigit() or int(style) >= len(formats):
            return None
        fmt = formats[int(style)]
        if fmt in custom:
            if int(fmt) < 164 or not _PLAIN_DATE_CODE.fullmatch(custom[fmt].decode("utf-8")):
                return None
            dates.add(style)
        elif int(fmt) in _DATE_NUMBER_FORMATS:
            dates.add(style)
        elif int(fmt) not in _PLAIN_NUMBER_FORMATS:
            return None
    return None if b"0" in dates else dates


def _plain_date_serials(
    cells: list[tuple[bytes, bytes, bytes, bytes]], date_styles: set[bytes]
) -> bool:
    """Every date-styled cell is empty or a whole day from 1900-03-01 to 9999-12-31: where
    both readers give the same date (a BSN in a date column, a time of day, the 1900 leap-year
    bug and rounding near midnight are openpyxl's)."""
    if not date_styles:
        return True
    serials = {cell[3] for cell in cells if cell[2] in date_styles}
    return all(not s or (s.isdigit() and int(s) in _DATE_SERIALS) for s in serials)


def _xlsx_calamine(data: bytes, instrument: Instrument, sheet_name: str) -> _Cells:
    """The first sheet read by calamine, as `_xlsx_openpyxl` reads it (the same `_Cells`)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
        first = workbook.sheets_metadata[0]
        if first.name != sheet_name or first.typ != SheetTypeEnum.WorkSheet:
            raise ValueError("calamine's first sheet is not openpyxl's")
        grid = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    lookup = instrument.header_lookup()
    header = [_calamine_text(v) for v in grid[0]] if grid else []
    width = max((i + 1 for i, h in enumerate(header) if _is_filled(h)), default=0)
    headers: list[Any] = header[:width]
    wanted = [
        i for i, h in enumerate(headers) if _is_filled(h) and normalise_header(str(h)) in lookup
    ]
    body = grid[1:]
    texts = {p: [_calamine_text(row[p]) for row in body] for p in wanted}
    skip = set(wanted)
    others = [i for i in range(len(grid[0]) if grid else 0) if i not in skip]
    other = [any(_raw_filled(row[i]) for i in others) for row in body]
    filled = [any(_is_filled(texts[p][r]) for p in wanted) or other[r] for r in range(len(body))]
    keep = [r for r, f in enumerate(filled) if f]
    columns: dict[int, Any] = {p: [texts[p][r] for r in keep] for p in wanted}
    return _Cells(headers, columns, len(keep), [other[r] for r in keep])


def _calamine_text(value: Any) -> str | None:
    """One calamine cell as `_xlsx_text` gives openpyxl's: an empty cell is "" in calamine."""
    if type(value) is str:
        return value or None
    if isinstance(value, float | int | bool | dt.datetime | dt.date) and not isinstance(
        value, dt.time
    ):
        return _xlsx_text(value)
    raise ValueError("a cell type openpyxl reads differently")  # time, duration


def _raw_filled(value: Any) -> bool:
    """`_is_filled` of a raw calamine cell (no empty cell is None there)."""
    return bool(value.strip()) if type(value) is str else True


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


# Schema types whose SPSS value labels are the value ("the label is the code"); integer and
# number items keep their numbers (a labelled Likert scale 1 = "zeer ontevreden" ... 5 is 1-5).
_LABELLED_TYPES = ("code", "code_list", "boolean", "string", "text")
# SPSS formats that hold a date (seconds since 1582-10-14), as pyreadstat lists them.
_SAV_DATE_FORMATS = ("DATE", "ADATE", "EDATE", "JDATE", "SDATE", "DATETIME", "YMDHMS")
_SAV_EPOCH = np.datetime64("1582-10-14", "s")


def _sav_columns(data: bytes, instrument: Instrument) -> _Cells:
    frame, labels, formats, missing = _read_sav_isolated(data)
    lookup = instrument.header_lookup()
    types = {c.name: c.type for c in instrument.columns}
    codes = {float(c) for c in load_study().missing_codes}
    columns = {}
    for i, name in enumerate(frame.columns):
        canonical = lookup.get(normalise_header(str(name)))
        use_labels = types.get(canonical or "") in _LABELLED_TYPES
        is_date = _format_name(formats.get(name, "")) in _SAV_DATE_FORMATS
        values = _without_user_missing(frame[name], missing.get(name) or [], codes)
        value_labels = labels.get(name, {}) if use_labels else {}
        value_labels = {k: v for k, v in value_labels.items() if not _is_code(k, codes)}
        text = _sav_column_text(values, value_labels, is_date)
        columns[i] = text.to_numpy(dtype=object)
    return _Cells(list(frame.columns), columns, len(frame))


def _is_code(value: Any, codes: set[float]) -> bool:
    """Whether an SPSS value is one of the survey missing codes (-9.0, -8.0)."""
    return isinstance(value, int | float) and float(value) in codes


def _without_user_missing(
    values: pd.Series, ranges: list[dict[str, Any]], codes: set[float]
) -> pd.Series:
    """A variable read with its user-missing values: those that are not survey missing codes
    become empty (as pyreadstat's default reading gives them); the codes stay."""
    if not ranges:
        return values
    if not pd.api.types.is_numeric_dtype(values):  # a string variable: discrete values only
        listed = {str(r.get("lo")) for r in ranges if r.get("lo") == r.get("hi")}
        keep = {f"{c:g}" for c in codes}
        text = values.astype(object).map(lambda v: None if v is None else str(v).strip())
        hide = (values.astype(object).isin(listed) & ~text.isin(keep)).to_numpy()
        cells = values.to_numpy(dtype=object).copy()
        cells[hide] = None
        return pd.Series(cells, index=values.index, dtype=object)
    numbers = values.to_numpy(dtype=float)
    hidden = np.zeros(len(numbers), dtype=bool)
    for r in ranges:
        lo, hi = r.get("lo"), r.get("hi")
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            hidden |= (numbers >= float(lo)) & (numbers <= float(hi))
    hidden &= ~np.isin(numbers, list(codes))
    return values.mask(hidden)


_SAV_UNREADABLE = "unreadable file: not a valid SPSS file"


# values (user-missing values kept), value labels, SPSS formats, user-missing ranges
SavContent = tuple[
    pd.DataFrame, dict[str, dict[Any, str]], dict[str, str], dict[str, list[dict[str, Any]]]
]


def _range(entry: Any) -> dict[str, Any]:
    """One user-missing range as pyreadstat reads it ({"lo": ..., "hi": ...})."""
    if isinstance(entry, dict):
        return {"lo": entry.get("lo"), "hi": entry.get("hi")}
    return {"lo": entry, "hi": entry}


def _format_name(spss_format: str) -> str:
    """The letters of an SPSS format: DATE11 -> DATE, F8.2 -> F."""
    match = re.match(r"[A-Z]+", spss_format.upper())
    return match.group() if match else ""


def _read_sav(data: bytes) -> SavContent:
    """(values, value labels per variable, SPSS format per variable). Dates stay numbers
    here: converting them in pyreadstat fails the whole file on one sentinel date beyond
    pandas' range (9999-12-31), so `_sav_dates` converts them, cell by cell."""
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(
            io.BytesIO(data), disable_datetime_conversion=True, user_missing=True
        )
    except Exception as exc:  # ReadstatError, PyreadstatError, OSError on truncated files
        raise FileRejected(_SAV_UNREADABLE) from exc
    formats = {str(k): str(v) for k, v in (meta.original_variable_types or {}).items()}
    missing = {str(k): [_range(r) for r in v] for k, v in (meta.missing_ranges or {}).items()}
    return frame, dict(meta.variable_value_labels or {}), formats, missing


def _serve_sav(conn: Any) -> None:
    """The reader child: read each .sav sent, answer with its content or a rejection.

    The fork inherits the parent's signal handlers (Prefect's SIGTERM handler raises, so the
    child printed a traceback when multiprocessing stopped it at the parent's exit): the
    child ends quietly on SIGTERM and leaves Ctrl-C to the parent."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close_inherited_files(keep=conn.fileno())
    while True:
        try:
            data = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            reply: tuple[str, Any] = ("ok", _read_sav(data))
        except FileRejected as exc:
            reply = ("rejected", exc.reason)
        except BaseException:  # anything else: the parent reports the file as unreadable
            reply = ("rejected", _SAV_UNREADABLE)
        conn.send(reply)


def _close_inherited_files(keep: int) -> None:
    """Close every file the fork inherited but its pipe (and stdin, stdout, stderr). The child
    outlives the run that started it: a copy of the lake's lock file kept open here would
    keep its flock held after the run closed it, and the next ingest would wait for it."""
    import os

    highest = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 65536
    os.closerange(3, keep)
    os.closerange(keep + 1, max(highest, keep + 1))


class _SavReader:
    """One forked reader child for the whole run, restarted after it died on a file.

    ReadStat's C code can crash the whole process on some corrupted files (seen in
    hostile-input testing), and a crash must reject one file, not end the ingest. A fork per
    file did that too but cost more than reading most files (a fork of a large parent, its
    start and join); one child serves every file until it dies, and the next file gets a
    fresh one. The child is a fork: it reads with the `_read_sav` of its start (a test that
    replaces that function gets a new child) and only the process that forked it uses it.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._child: tuple[Any, Any, Any, int] | None = None  # process, pipe, reader, pid

    def read(self, data: bytes) -> tuple[str, Any]:
        with self._lock:
            conn = self._running()
            try:
                conn.send(data)
                reply: tuple[str, Any] = conn.recv()
            except (EOFError, OSError):  # the child died without answering (a segfault)
                self._stop()
                return ("rejected", _SAV_UNREADABLE)
            return reply

    def _running(self) -> Any:
        import multiprocessing
        import os

        child = self._child
        if child is not None and (
            child[2] is not _read_sav or child[3] != os.getpid() or not child[0].is_alive()
        ):
            self._stop()
            child = None
        if child is None:
            ctx = multiprocessing.get_context("fork")
            ours, theirs = ctx.Pipe(duplex=True)
            process = ctx.Process(target=_serve_sav, args=(theirs,), daemon=True)
            process.start()
            theirs.close()
            child = self._child = (process, ours, _read_sav, os.getpid())
        return child[1]

    def _stop(self) -> None:
        if self._child is None:
            return
        process, conn, _, _ = self._child
        self._child = None
        conn.close()  # the child's recv ends: it returns
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()


_SAV_READER = _SavReader()


def _read_sav_isolated(data: bytes) -> SavContent:
    """Read a .sav in the reader child (`_SavReader`): a crash there rejects this file only."""
    status, payload = _SAV_READER.read(data)
    if status != "ok":
        raise FileRejected(str(payload))
    frame, labels, formats, missing = payload
    return frame, labels, formats, missing


def _sav_column_text(values: pd.Series, value_labels: dict[Any, str], is_date: bool) -> pd.Series:
    """A sav variable as text; a labelled value becomes its label (the label is the code)."""
    if is_date and pd.api.types.is_numeric_dtype(values):
        text = _sav_dates(values.to_numpy(dtype=float))
    elif pd.api.types.is_numeric_dtype(values):
        text = _numbers_as_text(values.to_numpy(dtype=float))
    else:
        text = values.astype(object).map(_scalar_text)
    if value_labels:
        labelled = values.map(value_labels)
        text = text.where(labelled.isna(), labelled)
    return text.where(text.notna(), None)


def _sav_dates(seconds: np.ndarray) -> pd.Series:
    """SPSS date values as ISO dates (a time of day dropped). A date beyond 9999-12-31 keeps
    its number, which the parser refuses as "not a date"; 9999-12-31 itself is a date that
    the row's date rules judge. Either way only that row is affected."""
    out = _numbers_as_text(seconds)
    finite = np.isfinite(seconds) & (np.abs(seconds) < 2.5e14)  # ~ +-8 million years
    days = np.floor(seconds[finite] / 86400).astype(np.int64).astype("timedelta64[D]")
    iso = np.datetime_as_string(_SAV_EPOCH.astype("datetime64[D]") + days, unit="D")
    plain = np.char.str_len(iso) == 10  # years 0000-9999 only ("+10000-01-01" is not)
    positions = np.flatnonzero(finite)[plain]
    out.iloc[positions] = iso[plain].astype(object)
    return out


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


def _canonical_table(cells: _Cells, instrument: Instrument) -> RawTable:
    """Map headers to canonical names, check the required ones, keep non-empty rows."""
    cleaned = {position: _clean_column(column) for position, column in cells.columns.items()}
    filled = _filled_rows(cleaned.values(), cells.rows, cells.other_content)
    if not filled.any() and not any(_is_filled(h) for h in cells.headers):
        raise FileRejected("no data rows")  # nothing at all: not even a header
    positions, header_map, unknown = _match_headers(cells.headers, instrument)
    missing = [c for c in instrument.required_columns if c not in positions]
    if missing:
        raise FileRejected("missing required column: " + ", ".join(missing))
    if not filled.any():
        raise FileRejected("no data rows")

    import pyarrow as pa

    keep = pa.array(np.flatnonzero(filled))
    index = pd.RangeIndex(1, len(keep) + 1)
    frame = pd.DataFrame(
        {
            name: pd.Series(
                pd.arrays.ArrowExtensionArray(
                    cleaned[positions[name]].take(keep)
                    if name in positions
                    else pa.nulls(len(keep), pa.string())
                ),
                index=index,
            )
            for name in instrument.column_names
        },
        index=index,
    )
    return RawTable(instrument.name, frame, unknown, header_map)


def _match_headers(
    headers: Iterable[Any], instrument: Instrument
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(canonical -> column position, original -> canonical, unknown columns described)."""
    lookup = instrument.header_lookup()
    positions: dict[str, int] = {}
    header_map: dict[str, str] = {}
    unknown: list[tuple[int, str]] = []
    duplicates: list[str] = []
    for i, raw_header in enumerate(headers):
        if not _is_filled(raw_header):
            continue
        original = str(raw_header).strip()
        canonical = lookup.get(normalise_header(original))
        if canonical is None:
            unknown.append((i + 1, original))
        elif canonical in positions:
            if canonical not in duplicates:
                duplicates.append(canonical)
        else:
            positions[canonical] = i
            header_map[original] = canonical
    if duplicates:
        raise FileRejected("unreadable file: duplicate column " + ", ".join(duplicates))
    return positions, header_map, describe_unknown_columns(unknown)


# An unknown header is reported (run manifest, output, Prefect) but may hold a remark with a
# name or a BSN: it is shown whole only when short, and never with its digits.
_SHOWN_HEADER_CHARS = 24
_FIRST_WORD_CHARS = 12
_LISTED_UNKNOWN = 20


def describe_unknown_columns(unknown: list[tuple[int, str]]) -> list[str]:
    """Each unknown column as `column <1-based position>: <header>`, the header's digits
    masked and a long one cut to its first word; at most `_LISTED_UNKNOWN` of them, then one
    `... and N more unknown columns`."""
    shown = [f"column {position}: {_masked_header(header)}" for position, header in unknown]
    if len(shown) > _LISTED_UNKNOWN:
        rest = len(shown) - _LISTED_UNKNOWN
        shown = [*shown[:_LISTED_UNKNOWN], f"... and {rest} more unknown columns"]
    return shown


def _masked_header(header: str) -> str:
    text = " ".join(header.split())  # newlines, tabs, runs of spaces: one space
    text = "".join("#" if unicodedata.category(ch) == "Nd" else ch for ch in text)
    if len(text) <= _SHOWN_HEADER_CHARS:
        return text
    first = text.split(" ")[0][:_FIRST_WORD_CHARS]
    return f"{first}... ({len(text)} characters)"


def _is_filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _clean_column(column: Any) -> Any:
    """Surrounding whitespace stripped; empty or blank cells become null (Arrow C++ kernels)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = column
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    if not isinstance(cells, pa.Array):
        cells = pa.array(column, type=pa.string(), from_pandas=True)
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _filled_rows(columns: Iterable[Any], rows: int, other_content: Any) -> np.ndarray:
    """Rows with at least one non-blank cell in any column (left-out ones included)."""
    filled = np.zeros(rows, dtype=bool)
    if other_content is not None:
        filled |= np.asarray(other_content, dtype=bool)
    for column in columns:
        filled |= column.is_valid().to_numpy(zero_copy_only=False)
    return filled
