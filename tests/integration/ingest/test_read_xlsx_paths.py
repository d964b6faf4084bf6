"""The xlsx reader's two paths read the same cells (dwt.ingest.read, "Two readers, one result").

calamine reads a sheet only when `_calamine_sheet` finds nothing in its XML that calamine
could read differently from openpyxl. Here every xlsx of the test deliveries (the hand-made
ones of test_read.py, a generated study with and without its injected faults, generated files
with bytes flipped) is read through both paths, and each reason to fall back to openpyxl is
shown to make the scan say no.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers.deliveries import placement, write_xlsx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwt.errors import FileRejected
from dwt.ingest import read
from dwt.schema import Instrument, load_instrument, load_study

PLACEMENTS = load_instrument("placements")
SHEET_XML = "xl/worksheets/sheet1.xml"
HEADER = [
    "Burgerservicenummer", "KvK nummer", "Startdatum", "einddatum", "contractvorm",
    "uren per week", "loonwaarde", "doelgroep", "beperking", "geslacht", "jobcoach",
    "training begeleider", "sector", "bedrijfsgrootte", "extra kolom",
]  # fmt: skip
ROW = [111222333, 12345678, "2018-03-01", None, "vast", 22.5, 70, "wajong", "psychisch",
       "man", "geen", "geen", "G", "1-24", None]  # fmt: skip


def outcome(reader: Any) -> tuple[Any, ...]:
    """A reader's `_Cells` as plain values, or its rejection reason."""
    try:
        cells = reader()
    except FileRejected as exc:
        return ("rejected", exc.reason)
    columns = {p: list(c) for p, c in cells.columns.items()}
    return (cells.headers, columns, cells.rows, list(cells.other_content or []))


def table(data: bytes, instrument: Instrument, reader: Any) -> tuple[Any, ...]:
    cells = reader()
    raw = read._canonical_table(cells, instrument)
    return (raw.frame.to_dict(orient="split"), raw.unknown_columns, raw.header_map)


def assert_same_cells(data: bytes, instrument: Instrument) -> bool:
    """Both paths give the same cells (and the same `RawTable`); whether calamine may read."""
    sheet = read._calamine_sheet(data)
    if sheet is None:
        return False
    fast = outcome(lambda: read._xlsx_calamine(data, instrument, sheet))
    slow = outcome(lambda: read._xlsx_openpyxl(data, instrument))
    assert fast == slow
    if fast[0] != "rejected":
        try:
            slow_table = table(data, instrument, lambda: read._xlsx_openpyxl(data, instrument))
        except FileRejected as exc:
            with pytest.raises(FileRejected, match=exc.reason):
                table(data, instrument, lambda: read._xlsx_calamine(data, instrument, sheet))
        else:
            fast_table = table(
                data, instrument, lambda: read._xlsx_calamine(data, instrument, sheet)
            )
            assert fast_table == slow_table
    return True


def workbook_bytes(rows: list[list[Any]], formats: dict[str, str] | None = None) -> bytes:
    """An openpyxl-written workbook (shared strings, a dimension, styles) of these rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def patched(data: bytes, old: str, new: str, member: str = SHEET_XML) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    text = members[member].decode("utf-8")
    assert old in text, old
    members[member] = text.replace(old, new, 1).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def with_shared_strings(data: bytes) -> bytes:
    """The workbook with E2 (contractvorm, "vast") in a shared string table, as Excel writes."""
    data = patched(
        data, '<c r="E2" t="inlineStr"><is><t>vast</t></is></c>', '<c r="E2" t="s"><v>0</v></c>'
    )
    rels = "xl/_rels/workbook.xml.rels"
    relation = (
        '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml" Id="rId9" /></Relationships>'
    )
    data = patched(data, "</Relationships>", relation, rels)
    content_type = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    data = patched(data, "</Types>", content_type, "[Content_Types].xml")
    table = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>vast</t></si></sst>'
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()


PLAIN = workbook_bytes([HEADER, ROW])
SHARED = with_shared_strings(PLAIN)
SST = "xl/sharedStrings.xml"
INLINE_VAST = '<c r="E2" t="inlineStr"><is><t>vast</t></is></c>'


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[bytes]]:
    """Every xlsx of a generated study and of one with its faults: {instrument: [bytes]}."""
    from dwt.generate import generate_study

    found: dict[str, list[bytes]] = {}
    for seed, scale, faults in ((5, 0.3, False), (11, 1.0, True)):
        out = tmp_path_factory.mktemp("study") / "raw"
        generate_study(out, seed=seed, scale=scale, faults=faults)
        for path in sorted(out.glob("*/*/*.xlsx")):
            found.setdefault(path.stem, []).append(path.read_bytes())
    return found


def test_every_generated_xlsx_reads_the_same_through_calamine_and_openpyxl(
    generated: dict[str, list[bytes]],
) -> None:
    fast = total = 0
    for name, files in generated.items():
        for data in files:
            total += 1
            fast += assert_same_cells(data, load_instrument(name))
    assert total > 50
    assert fast >= 0.9 * total  # the plain generated files do take the fast path


HAND_MADE: dict[str, list[list[Any]]] = {
    "test_read placements": [
        HEADER,
        [111222333, 12345678, dt.datetime(2018, 3, 1), dt.date(2019, 12, 31), "vast",
         22.5, 70.0, "wajong", "psychisch", "man", "geen", "geen", "G", "1-24", "x"],
        [89693504, "12345678", "01-03-2018", None, " Vast ",
         32, None, "wajong", "psychisch", "man", "geen", "geen", "G", "1-24", None],
        [None] * len(HEADER),
        [None, None, None, "x"],
    ],
    "header only": [HEADER],
    "empty": [],
    "numbers": [HEADER, [*ROW[:5], 12.375, 22.125, *ROW[7:]], [*ROW[:5], -0.5, 1e-7, *ROW[7:]],
                [*ROW[:5], 1e20, 123456789012345, *ROW[7:]]],
    "text": [HEADER, [*ROW[:4], "  padded  ", "Chloë & Zn. <b>", "a\nb", "tab\there", *ROW[8:]]],
    "only data far right": [HEADER, [None] * 20 + ["x"]],
    "no header cells": [[None, None], ROW],
    "blank header in between": [[*HEADER[:3], None, *HEADER[4:]], ROW],
    "duplicate column": [[*HEADER, "uren per week"], [*ROW, 3]],
}  # fmt: skip


@pytest.mark.parametrize("name", HAND_MADE)
def test_hand_made_workbooks_read_the_same_through_both_paths(name: str) -> None:
    assert assert_same_cells(workbook_bytes(HAND_MADE[name]), PLACEMENTS)


def test_the_helpers_workbooks_read_the_same_through_both_paths(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "placements.xlsx", "placements", [placement(n) for n in range(9)])
    assert assert_same_cells(path.read_bytes(), PLACEMENTS)


def test_rows_starting_below_and_right_of_a1_read_the_same() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["C3"], sheet["D5"] = "bsn", 111222333
    out = io.BytesIO()
    workbook.save(out)
    assert assert_same_cells(out.getvalue(), PLACEMENTS)


DATE_FORMATS = [
    "yyyy-mm-dd",
    "dd-mm-yyyy",
    "d-m-yyyy",
    "dd/mm/yyyy",
    "mm-dd-yy",
    "d-mmm-yy",
    "dd.mm.yyyy",
    "yyyy-mm-dd hh:mm",
    "mm-dd-yy",
    "d-mmm",
    "mmm-yy",
    "m/d/yy h:mm",
]


@pytest.mark.parametrize("number_format", DATE_FORMATS)
@pytest.mark.parametrize(
    "day",
    [dt.date(1900, 3, 1), dt.date(2018, 3, 1), dt.datetime(2019, 12, 31), dt.date(9999, 12, 31)],
)
def test_date_cells_of_the_accepted_formats_read_the_same(number_format: str, day: Any) -> None:
    data = workbook_bytes([HEADER, [*ROW[:2], day, *ROW[3:]]], {"C2": number_format})
    assert assert_same_cells(data, PLACEMENTS)


@pytest.mark.parametrize("number_format", ["0", "0.00", "#,##0", "#,##0.00", "0%", "0.00E+00", "@"])
def test_numbers_of_the_accepted_formats_read_the_same(number_format: str) -> None:
    data = workbook_bytes([HEADER, [*ROW[:5], 22.5, 70, *ROW[7:]]], {"F2": number_format})
    assert assert_same_cells(data, PLACEMENTS)


def inline(text: str) -> bytes:
    """The cell E2 (contractvorm) as an inline string with this XML inside <is>."""
    return patched(PLAIN, INLINE_VAST, f'<c r="E2" t="inlineStr"><is>{text}</is></c>')


def test_shared_and_rich_inline_strings_read_the_same() -> None:
    assert assert_same_cells(SHARED, PLACEMENTS)
    assert assert_same_cells(inline("<r><t>va</t></r><r><rPr><b/></rPr><t>st</t></r>"), PLACEMENTS)
    assert assert_same_cells(inline('<t xml:space="preserve"> vast </t>'), PLACEMENTS)
    assert outcome(lambda: read._xlsx_columns(SHARED, PLACEMENTS))[1][4] == ["vast"]


# --- every reason to leave the file to openpyxl -------------------------------------------

STYLED = workbook_bytes([HEADER, ROW], {"C2": "yyyy-mm-dd"})
FALLBACKS = {
    "a formula": patched(
        PLAIN, '<c r="F2" t="n"><v>22.5</v>', '<c r="F2"><f>20+2.5</f><v>22.5</v>'
    ),
    "merged cells": patched(
        PLAIN, "</sheetData>", '</sheetData><mergeCells><mergeCell ref="E1:F1"/></mergeCells>'
    ),
    "an error cell": patched(PLAIN, '<c r="F2" t="n"><v>22.5</v>', '<c r="F2" t="e"><v>#N/A</v>'),
    "a boolean cell": patched(PLAIN, '<c r="F2" t="n"><v>22.5</v>', '<c r="F2" t="b"><v>1</v>'),
    "a formula string type": patched(
        PLAIN, '<c r="F2" t="n"><v>22.5</v>', '<c r="F2" t="str"><v>22.5</v>'
    ),
    "an ISO date cell": patched(
        PLAIN, '<c r="F2" t="n"><v>22.5</v>', '<c r="F2" t="d"><v>2018-01-01</v>'
    ),
    "a number beyond float precision": patched(
        PLAIN, "<v>111222333</v>", "<v>12345678901234567890</v>"
    ),
    "a value that is no plain number": patched(PLAIN, "<v>22.5</v>", "<v> 22.5</v>"),
    "an empty value": patched(PLAIN, "<v>22.5</v>", "<v/>"),
    "an unknown cell attribute": patched(PLAIN, '<c r="F2" t="n">', '<c r="F2" t="n" cm="1">'),
    "a cell without a reference": patched(PLAIN, '<c r="F2" t="n">', '<c t="n">'),
    "a cell outside its row": patched(PLAIN, '<c r="F2" t="n">', '<c r="F7" t="n">'),
    "a cell twice": patched(PLAIN, '<c r="F2" t="n">', '<c r="E2" t="n">'),
    "rows out of order": patched(
        PLAIN, '<row r="2">', '<row r="3"><c r="A3" t="n"><v>5</v></c></row><row r="2">'
    ),
    "a blank text (calamine trims it)": workbook_bytes([HEADER, ROW, [None, None, "   "]]),
    "a stray cell in the far corner": patched(
        PLAIN,
        "</row></sheetData>",
        '</row><row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
    ),
    "a namespace prefix on cells": patched(
        PLAIN, '<c r="F2" t="n"><v>22.5</v></c>', '<x:c r="F2" t="n"><x:v>22.5</x:v></x:c>'
    ),
    "an escaped character": patched(SHARED, "<t>vast</t>", "<t>va_x000D_st</t>", SST),
    "an empty text": patched(SHARED, "<t>vast</t>", "<t></t>", SST),
    "unpreserved surrounding whitespace": patched(SHARED, "<t>vast</t>", "<t> vast</t>", SST),
    "a character reference": patched(SHARED, "<t>vast</t>", "<t>va&#13;st</t>", SST),
    "a phonetic run": patched(
        SHARED, "<t>vast</t>", '<t>vast</t><rPh sb="0" eb="1"><t>v</t></rPh>', SST
    ),
    "an escaped character inline": inline("<t>va_x000D_st</t>"),
    "an empty inline text": inline("<t/>"),
    "unpreserved whitespace inline": inline("<t>vast </t>"),
    "a raw line end inline": inline("<t>va\r\nst</t>"),
    "the 1904 date system": patched(
        PLAIN, "<workbookPr", '<workbookPr date1904="1"', "xl/workbook.xml"
    ),
    "a BSN styled as a date": workbook_bytes([HEADER, ROW], {"A2": "yyyy-mm-dd"}),
    "a date before 1900-03-01": patched(
        STYLED,
        '<c r="C2" s="1" t="inlineStr"><is><t>2018-03-01</t></is></c>',
        '<c r="C2" s="1" t="n"><v>59</v></c>',
    ),
    "a date with a time of day": workbook_bytes(
        [HEADER, [*ROW[:2], dt.datetime(2018, 3, 1, 23, 59), *ROW[3:]]], {"C2": "yyyy-mm-dd"}
    ),
    "a time format": workbook_bytes(
        [HEADER, [*ROW[:2], dt.date(2018, 3, 1), *ROW[3:]]], {"C2": "h:mm"}
    ),
    "a custom number format": workbook_bytes([HEADER, ROW], {"F2": "0.0"}),
    "a chart sheet first": patched(
        PLAIN, '/worksheet"', '/chartsheet"', "xl/_rels/workbook.xml.rels"
    ),
    "a damaged member": PLAIN[:-300] + bytes(300),
    "not a zip": b"PK\x03\x04 not really",
}


def test_the_unpatched_files_are_plain() -> None:
    for data in (PLAIN, SHARED, STYLED):
        assert read._calamine_sheet(data) == "Sheet"


@pytest.mark.parametrize("reason", FALLBACKS)
def test_a_file_calamine_could_read_differently_goes_to_openpyxl(reason: str) -> None:
    data = FALLBACKS[reason]
    assert read._calamine_sheet(data) is None
    assert outcome(lambda: read._xlsx_columns(data, PLACEMENTS)) == outcome(
        lambda: read._xlsx_openpyxl(data, PLACEMENTS)
    )


def test_a_file_calamine_fails_on_is_judged_by_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any) -> None:
        raise RuntimeError("calamine")

    monkeypatch.setattr(read, "_xlsx_calamine", fail)
    assert outcome(lambda: read._xlsx_columns(PLAIN, PLACEMENTS)) == outcome(
        lambda: read._xlsx_openpyxl(PLAIN, PLACEMENTS)
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(load_study().instruments)),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_a_generated_xlsx_with_bytes_flipped_reads_the_same_when_calamine_may_read_it(
    generated: dict[str, list[bytes]], name: str, flips: list[tuple[float, int]]
) -> None:
    if name not in generated:
        return
    data = bytearray(generated[name][0])
    for where, value in flips:
        data[min(int(len(data) * where), len(data) - 1)] = value
    assert_same_cells(bytes(data), load_instrument(name))
