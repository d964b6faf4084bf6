"""`read_raw` over hand-made deliveries in every accepted encoding, and every file rejection.

csv fixtures live in tests/fixtures/raw/ (byte-exact); xlsx and sav files are written here
with openpyxl and pyreadstat, so they are real files of those formats.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from dwt.ingest.parse import parse_table
from dwt.ingest.read import FileRejected, RawTable, read_raw
from dwt.schema import load_instrument, load_study

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "raw"
PLACEMENTS = load_instrument("placements")
EMPLOYEE_SURVEY = load_instrument("employee_survey")
CONTACTS = load_instrument("contacts")


def read_fixture(name: str, tmp_path: Path) -> RawTable:
    """Read a copy, so a bug in the reader could never damage the committed fixture."""
    copy = tmp_path / name
    shutil.copyfile(FIXTURES / name, copy)
    return read_raw(copy, PLACEMENTS)


def rejection(path: Path, instrument: Any = PLACEMENTS) -> str:
    with pytest.raises(FileRejected) as caught:
        read_raw(path, instrument)
    return caught.value.reason


def rows(table: RawTable) -> list[dict[Any, Any]]:
    return table.frame.to_dict(orient="records")


# --- the shape every reader returns -------------------------------------------------------


def test_frame_has_every_schema_column_in_schema_order(tmp_path: Path) -> None:
    table = read_fixture("placements_cp1252.csv", tmp_path)
    assert list(table.frame.columns) == PLACEMENTS.column_names
    assert table.instrument == "placements"


def test_absent_optional_columns_are_all_none(tmp_path: Path) -> None:
    table = read_fixture("placements_cp1252.csv", tmp_path)
    assert table.frame["end_date"].tolist() == [None]
    assert table.frame["hours_per_week"].tolist() == [None]


def test_every_cell_is_text_or_none(tmp_path: Path) -> None:
    table = read_fixture("placements_comma_utf8.csv", tmp_path)
    assert all(str(dtype) == "object" for dtype in table.frame.dtypes)
    cells = table.frame.to_numpy().ravel()
    assert all(cell is None or isinstance(cell, str) for cell in cells)
    assert table.frame.loc[1, "end_date"] is None


def test_index_is_one_based_data_row_number(tmp_path: Path) -> None:
    table = read_fixture("placements_comma_utf8.csv", tmp_path)
    assert table.frame.index.tolist() == [1, 2]


# --- csv ----------------------------------------------------------------------------------


def test_reads_comma_separated_utf8_with_canonical_headers(tmp_path: Path) -> None:
    table = read_fixture("placements_comma_utf8.csv", tmp_path)
    first = rows(table)[0]
    assert first["bsn"] == "111222333"
    assert first["name"] == "Jan Müller"
    assert first["employer_name"] == "Bakkerij Jansen, Haarlem"  # quoted delimiter
    assert first["start_date"] == "2018-03-01"
    assert first["hours_per_week"] == "22.5"
    assert table.header_map["bsn"] == "bsn"
    assert table.unknown_columns == []


def test_reads_semicolon_utf8_bom_with_dutch_alias_variants(tmp_path: Path) -> None:
    table = read_fixture("placements_semicolon_bom_aliases.csv", tmp_path)
    assert table.header_map == {
        "Burgerservicenummer": "bsn",  # the BOM is not part of the first header
        "Naam": "name",
        "KvK-Nummer": "employer_kvk",
        "Werkgever": "employer_name",
        "Startdatum": "start_date",
        "einddatum": "end_date",
        "Reden Einde": "end_reason",
        "CONTRACTVORM": "contract_type",
        "Uren-per week": "hours_per_week",
        "loonwaarde": "wage_value_pct",
        "Doelgroep": "target_group",
        "beperking": "disability_type",
        "geboortejaar": "birth_year",
        "geslacht": "gender",
        "jobcoach": "job_coach",
        "begeleidingsniveau": "job_coach_level",
        "Training_Begeleider": "buddy_training",
        "sector": "sector",
        "bedrijfsgrootte": "employer_size",
    }


def test_keeps_csv_text_as_delivered_for_the_parser(tmp_path: Path) -> None:
    table = read_fixture("placements_semicolon_bom_aliases.csv", tmp_path)
    first, second = rows(table)
    assert first["bsn"] == "89693504"  # leading zero lost; parse pads it
    assert first["start_date"] == "01-03-2018"
    assert first["hours_per_week"] == "22,5"
    assert first["sector"] == "g"
    assert second["start_date"] == "1-3-2018"
    assert second["end_date"] == "31/12/2019"
    assert second["employer_kvk"] == "7654321"


def test_blank_lines_are_not_data_rows(tmp_path: Path) -> None:
    table = read_fixture("placements_semicolon_bom_aliases.csv", tmp_path)
    assert table.frame.index.tolist() == [1, 2]
    assert table.frame["name"].tolist() == ["Anna de Vries", "Kees Bakker"]


def test_reports_unknown_columns_by_position_and_header(tmp_path: Path) -> None:
    table = read_fixture("placements_semicolon_bom_aliases.csv", tmp_path)
    assert table.unknown_columns == ["column 20: Opmerking intern"]
    assert "Opmerking intern" not in table.frame.columns


def test_decodes_windows_1252(tmp_path: Path) -> None:
    table = read_fixture("placements_cp1252.csv", tmp_path)
    assert table.frame.loc[1, "name"] == "Jürgen Müller"
    assert table.frame.loc[1, "employer_name"] == "Café €uro"


def test_strips_surrounding_whitespace_and_blank_cells_become_none(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_date,employer_kvk,advisor_code,contact_type,risk_level,notes\n"
        "2019-05-05,  12345678 , AD-014,interview,groen,   \n",
        encoding="utf-8",
    )
    table = read_raw(path, CONTACTS)
    assert table.frame.loc[1, "employer_kvk"] == "12345678"
    assert table.frame.loc[1, "advisor_code"] == "AD-014"
    assert table.frame.loc[1, "notes"] is None


def test_delimiter_is_the_one_matching_more_known_headers(tmp_path: Path) -> None:
    # Commas inside the header's quoted cells must not win over the real ';' delimiter.
    path = tmp_path / "contacts.csv"
    path.write_text(
        'contactdatum;kvk_nummer;arbeidsdeskundige;contactvorm;risico;"notities, vrij"\n'
        "2019-05-05;12345678;AD-014;interview;groen;a, b, c\n",
        encoding="utf-8",
    )
    table = read_raw(path, CONTACTS)
    assert table.frame.loc[1, "risk_level"] == "groen"
    assert table.unknown_columns == ["column 6: notities, vrij"]


def test_quoted_values_may_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_date,employer_kvk,advisor_code,contact_type,risk_level,notes\n"
        '2019-05-05,12345678,AD-014,interview,groen,"regel een\nregel twee"\n'
        "2019-05-06,12345678,AD-014,interview,rood,\n",
        encoding="utf-8",
    )
    table = read_raw(path, CONTACTS)
    assert table.frame["notes"].tolist() == ["regel een\nregel twee", None]
    assert table.frame.index.tolist() == [1, 2]


def test_rows_of_only_empty_cells_are_not_data_rows(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_date,employer_kvk,advisor_code,contact_type,risk_level\n"
        ",,,,\n"
        "2019-05-06,12345678,AD-014,interview,rood\n"
        " , ,,,\n",
        encoding="utf-8",
    )
    table = read_raw(path, CONTACTS)
    assert table.frame.index.tolist() == [1]
    assert table.frame.loc[1, "risk_level"] == "rood"


# --- xlsx ---------------------------------------------------------------------------------


def write_xlsx(path: Path, sheet_rows: list[list[Any]], second_sheet: bool = False) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in sheet_rows:
        sheet.append(row)
    if second_sheet:
        workbook.create_sheet("andere").append(["bsn"])
    workbook.save(path)
    return path


XLSX_HEADER = [
    "Burgerservicenummer", "KvK nummer", "Startdatum", "einddatum", "contractvorm",
    "uren per week", "loonwaarde", "doelgroep", "beperking", "geslacht", "jobcoach",
    "training begeleider", "sector", "bedrijfsgrootte", "extra kolom",
]  # fmt: skip


@pytest.fixture
def placements_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(
        tmp_path / "placements.xlsx",
        [
            XLSX_HEADER,
            [111222333, 12345678, dt.datetime(2018, 3, 1), dt.date(2019, 12, 31), "vast",
             22.5, 70.0, "wajong", "psychisch", "man", "geen", "geen", "G", "1-24", "x"],
            [89693504, "12345678", "01-03-2018", None, " Vast ",
             32, None, "wajong", "psychisch", "man", "geen", "geen", "G", "1-24", None],
            [None] * len(XLSX_HEADER),
            [None, None, "   "],
        ],
        second_sheet=True,
    )  # fmt: skip


def test_xlsx_date_cells_become_iso_text_and_text_dates_stay(placements_xlsx: Path) -> None:
    frame = read_raw(placements_xlsx, PLACEMENTS).frame
    assert frame["start_date"].tolist() == ["2018-03-01", "01-03-2018"]
    assert frame.loc[1, "end_date"] == "2019-12-31"


def test_xlsx_numbers_become_text_without_spurious_decimals(placements_xlsx: Path) -> None:
    frame = read_raw(placements_xlsx, PLACEMENTS).frame
    assert frame["bsn"].tolist() == ["111222333", "89693504"]
    assert frame["hours_per_week"].tolist() == ["22.5", "32"]
    assert frame.loc[1, "wage_value_pct"] == "70"


def test_xlsx_drops_trailing_empty_rows_and_reads_first_sheet_only(placements_xlsx: Path) -> None:
    table = read_raw(placements_xlsx, PLACEMENTS)
    assert table.frame.index.tolist() == [1, 2]
    assert table.frame.loc[2, "contract_type"] == "Vast"
    assert table.unknown_columns == ["column 15: extra kolom"]


# --- sav ----------------------------------------------------------------------------------


@pytest.fixture
def survey_sav(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "burgerservicenummer": ["111222333", "89693504", "123456782"],
            "invuldatum": [dt.date(2019, 10, 1), dt.date(2019, 11, 15), None],
            "werkzaam": [1.0, 0.0, 1.0],
            "uren_per_week": [24.0, 22.5, float("nan")],
            "werkvermogen": [7.0, -9.0, 12.0],
            "tevredenheid_werk": [4.0, 5.0, 9.0],
        }
    )
    path = tmp_path / "employee_survey.sav"
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels={
            "werkzaam": {1.0: "ja", 0.0: "nee"},
            "tevredenheid_werk": {4.0: "4", 5.0: "5"},
        },
    )
    return path


def test_sav_survey_missing_codes_arrive_as_codes_other_user_missing_values_as_empty(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "burgerservicenummer": ["111222333", "89693504", "123456782"],
            "werkzaam": [1.0, -9.0, -8.0],
            "werkvermogen": [7.0, -9.0, -8.0],
            "tevredenheid_werk": [4.0, 99.0, -9.0],
        }
    )
    path = tmp_path / "employee_survey.sav"
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels={
            "werkzaam": {1.0: "ja", 0.0: "nee", -9.0: "geen antwoord", -8.0: "nvt"},
        },
        missing_ranges={
            "werkvermogen": [-9.0, -8.0],  # declared user-missing, as SPSS users do
            "tevredenheid_werk": [99.0, {"lo": -9.0, "hi": -8.0}],  # 99: the region's own code
        },
    )
    raw = read_raw(path, EMPLOYEE_SURVEY).frame
    assert raw["employed"].tolist() == ["ja", "-9", "-8"]  # a code's label is not the value
    assert raw["work_ability"].tolist() == ["7", "-9", "-8"]
    assert raw["job_satisfaction"].tolist() == ["4", None, "-9"]
    typed_frame, reasons = typed(read_raw(path, EMPLOYEE_SURVEY))
    assert typed_frame["work_ability"].isna().tolist() == [False, True, True]
    assert reasons.map(len).sum() == 0


def test_a_string_variables_user_missing_values_are_empty_but_the_survey_codes() -> None:
    from dwt.ingest.read import _without_user_missing

    values = pd.Series(["groen", "NVT", "-9", None], dtype=object)
    ranges = [{"lo": "NVT", "hi": "NVT"}, {"lo": "-9", "hi": "-9"}]
    kept = _without_user_missing(values, ranges, {-9.0, -8.0})
    assert kept.tolist() == ["groen", None, "-9", None]


def test_sav_value_labels_become_the_code(survey_sav: Path) -> None:
    frame = read_raw(survey_sav, EMPLOYEE_SURVEY).frame
    assert frame["employed"].tolist() == ["ja", "nee", "ja"]


def test_sav_unlabelled_values_stay_numbers(survey_sav: Path) -> None:
    frame = read_raw(survey_sav, EMPLOYEE_SURVEY).frame
    assert frame["job_satisfaction"].tolist() == ["4", "5", "9"]


def test_sav_numbers_and_dates_become_text(survey_sav: Path) -> None:
    frame = read_raw(survey_sav, EMPLOYEE_SURVEY).frame
    assert frame["response_date"].tolist() == ["2019-10-01", "2019-11-15", None]
    assert frame["hours_per_week"].tolist() == ["24", "22.5", None]
    assert frame["work_ability"].tolist() == ["7", "-9", "12"]
    assert frame["bsn"].tolist() == ["111222333", "89693504", "123456782"]


# --- rejections ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("undecodable.csv", "undecodable text"),
        ("header_only.csv", "no data rows"),
        ("empty.csv", "no data rows"),
        ("missing_required.csv", "missing required column: bsn, start_date"),
        ("duplicate_column.csv", "unreadable file: duplicate column bsn"),
        ("ragged_rows.csv", "unreadable file: malformed csv (ragged rows or broken quoting)"),
        ("broken_quoting.csv", "unreadable file: malformed csv (ragged rows or broken quoting)"),
    ],
)
def test_rejects_bad_csv_files_with_a_value_free_reason(
    fixture: str, reason: str, tmp_path: Path
) -> None:
    copy = tmp_path / fixture
    shutil.copyfile(FIXTURES / fixture, copy)
    assert rejection(copy) == reason


def test_rejects_a_single_missing_required_column_by_name(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("contact_date,employer_kvk,advisor_code,contact_type\n2019-05-05,1,a,b\n")
    assert rejection(path, CONTACTS) == "missing required column: risk_level"


def test_rejects_a_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "placements.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    assert rejection(path) == "unreadable file: not a valid xlsx"


def test_rejects_a_truncated_xlsx(placements_xlsx: Path) -> None:
    data = placements_xlsx.read_bytes()
    placements_xlsx.write_bytes(data[: len(data) // 2])
    assert rejection(placements_xlsx) == "unreadable file: not a valid xlsx"


def test_rejects_a_header_only_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "placements.xlsx", [XLSX_HEADER])
    assert rejection(path) == "no data rows"


def test_rejects_an_empty_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "placements.xlsx", [])
    assert rejection(path) == "no data rows"


def test_rejects_a_truncated_sav(survey_sav: Path) -> None:
    data = survey_sav.read_bytes()
    survey_sav.write_bytes(data[: len(data) // 2])
    assert rejection(survey_sav, EMPLOYEE_SURVEY) == "unreadable file: not a valid SPSS file"


def test_rejects_garbage_named_sav(tmp_path: Path) -> None:
    path = tmp_path / "employee_survey.sav"
    path.write_bytes(b"$FL2 not an spss file at all")
    assert rejection(path, EMPLOYEE_SURVEY) == "unreadable file: not a valid SPSS file"


def test_rejects_an_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "placements.txt"
    shutil.copyfile(FIXTURES / "placements_comma_utf8.csv", path)
    assert rejection(path) == "unsupported file type"


def test_rejection_reasons_never_quote_file_content(tmp_path: Path) -> None:
    path = tmp_path / "placements.csv"
    path.write_bytes((FIXTURES / "header_only.csv").read_bytes() + b"111222333;SECRET\n")
    reason = rejection(path)
    assert "111222333" not in reason
    assert "SECRET" not in reason


# --- the raw file is never touched --------------------------------------------------------


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


@pytest.mark.parametrize(
    "fixture",
    sorted(p.name for p in FIXTURES.glob("*.csv")),
)
def test_reading_leaves_csv_bytes_and_mtime_unchanged(fixture: str, tmp_path: Path) -> None:
    copy = tmp_path / fixture
    shutil.copyfile(FIXTURES / fixture, copy)
    os.utime(copy, ns=(1_500_000_000_000_000_000, 1_500_000_000_000_000_000))
    before = snapshot(copy)
    with contextlib.suppress(FileRejected):
        read_raw(copy, PLACEMENTS)
    assert snapshot(copy) == before


def test_reading_leaves_xlsx_and_sav_unchanged(placements_xlsx: Path, survey_sav: Path) -> None:
    before = [snapshot(placements_xlsx), snapshot(survey_sav)]
    read_raw(placements_xlsx, PLACEMENTS)
    read_raw(survey_sav, EMPLOYEE_SURVEY)
    assert [snapshot(placements_xlsx), snapshot(survey_sav)] == before


# --- read, then parse: every encoding ends in the same typed values -----------------------


def typed(table: RawTable) -> tuple[pd.DataFrame, pd.Series]:
    return parse_table(table.frame, load_instrument(table.instrument), load_study())


@pytest.mark.parametrize(
    "fixture",
    ["placements_comma_utf8.csv", "placements_semicolon_bom_aliases.csv", "placements_cp1252.csv"],
)
def test_csv_fixtures_parse_without_reasons(fixture: str, tmp_path: Path) -> None:
    frame, reasons = typed(read_fixture(fixture, tmp_path))
    assert reasons.map(len).sum() == 0
    assert frame.loc[1, "start_date"] == pd.Timestamp(2018, 3, 1)


def test_day_first_csv_parses_to_the_contract_values(tmp_path: Path) -> None:
    frame, _ = typed(read_fixture("placements_semicolon_bom_aliases.csv", tmp_path))
    assert frame["bsn"].tolist() == ["089693504", "035261195"]
    assert frame["employer_kvk"].tolist() == ["12345678", "07654321"]
    assert frame["start_date"].tolist() == [pd.Timestamp(2018, 3, 1)] * 2
    assert frame.loc[2, "end_date"] == pd.Timestamp(2019, 12, 31)
    assert frame.loc[1, "hours_per_week"] == 22.5
    assert frame["sector"].tolist() == ["G", "A"]
    assert frame.loc[2, "end_reason"] == "naar_ander_werk"


def test_xlsx_date_cells_and_text_dates_parse_alike(placements_xlsx: Path) -> None:
    frame, reasons = typed(read_raw(placements_xlsx, PLACEMENTS))
    assert frame["start_date"].tolist() == [pd.Timestamp(2018, 3, 1)] * 2
    assert frame["contract_type"].tolist() == ["vast", "vast"]
    assert frame["bsn"].tolist() == ["111222333", "089693504"]
    assert reasons.map(len).sum() == 0


def test_sav_labels_and_missing_codes_parse(survey_sav: Path) -> None:
    frame, reasons = typed(read_raw(survey_sav, EMPLOYEE_SURVEY))
    assert frame["employed"].tolist() == [True, False, True]
    assert frame["work_ability"].tolist() == [7, pd.NA, 12]  # -9: missing, no reason
    assert frame.loc[2, "hours_per_week"] == 22.5
    assert reasons.map(len).sum() == 0


def test_data_under_a_blank_header_row_misses_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(";;;;\n2019-05-05;12345678;AD-014;interview;groen\n", encoding="utf-8")
    assert rejection(path, CONTACTS).startswith("missing required column: contact_date, ")


# --- numbers are read exactly or refused (issue 12) ----------------------------------------


def test_a_dutch_thousands_separator_in_a_csv_is_refused_not_read_as_ten(tmp_path: Path) -> None:
    path = tmp_path / "employer_survey.csv"
    path.write_text(
        "kvk_nummer;invuldatum;aantal_medewerkers;aantal_banenafspraak;uren\n"
        "12345678;01-10-2019;10.000;2,0;x\n"
        "12345679;01-10-2019;1.250.000;12;x\n",
        encoding="utf-8",
    )
    frame, reasons = typed(read_raw(path, load_instrument("employer_survey")))
    assert pd.isna(frame.loc[1, "employees_total"])  # never 10
    assert reasons.loc[1] == ["employees_total: ambiguous thousands separator"]
    assert frame.loc[2, "employees_total"] == 1_250_000
    assert frame.loc[1, "employees_target_group"] == 2


def test_native_numbers_with_three_decimals_are_read_exactly(tmp_path: Path) -> None:
    xlsx = write_xlsx(
        tmp_path / "placements.xlsx",
        [XLSX_HEADER, [111222333, 12345678, "2018-03-01", None, "vast", 22.125, *[None] * 9]],
    )
    frame, reasons = typed(read_raw(xlsx, PLACEMENTS))
    assert frame.loc[1, "hours_per_week"] == 22.125
    assert "hours_per_week: ambiguous thousands separator" not in reasons.loc[1]

    sav = tmp_path / "employee_survey.sav"
    survey = pd.DataFrame({"bsn": ["111222333"], "werkzaam": [1.0], "uren_per_week": [12.375]})
    pyreadstat.write_sav(survey, sav)
    frame, reasons = typed(read_raw(sav, EMPLOYEE_SURVEY))
    assert frame.loc[1, "hours_per_week"] == 12.375
    assert reasons.loc[1] == []


# --- xlsx as stored: formulas, merged cells, stray cells (issue 12) -------------------------

SHEET_XML = "xl/worksheets/sheet1.xml"


def patch_xlsx(path: Path, old: str, new: str) -> None:
    """Rewrite the first sheet's XML (what another tool could have written)."""
    import zipfile

    members = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            members[name] = archive.read(name)
    xml = members[SHEET_XML].decode("utf-8")
    assert old in xml, old
    members[SHEET_XML] = xml.replace(old, new).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def placements_row(**cells: Any) -> list[Any]:
    row = dict(zip(XLSX_HEADER, [
        111222333, 12345678, "2018-03-01", None, "vast", 22.5, 70, "wajong", "psychisch",
        "man", "geen", "geen", "G", "1-24", None,
    ], strict=True))  # fmt: skip
    row.update(cells)
    return list(row.values())


def test_a_formula_without_a_cached_value_rejects_the_file_naming_its_column(
    tmp_path: Path,
) -> None:
    # openpyxl (like any script) writes formulas without the value a spreadsheet would cache
    path = write_xlsx(
        tmp_path / "placements.xlsx",
        [XLSX_HEADER, placements_row(), placements_row(**{"uren per week": "=20+4"})],
    )
    assert rejection(path) == (
        "unreadable file: formula without a value in column hours_per_week (never recalculated)"
    )


def test_a_formula_with_its_cached_value_is_read_as_that_value(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "placements.xlsx",
        [XLSX_HEADER, placements_row(**{"uren per week": "=20+4"})],
    )
    patch_xlsx(path, "<f>20+4</f><v />", "<f>20+4</f><v>24</v>")
    assert read_raw(path, PLACEMENTS).frame.loc[1, "hours_per_week"] == "24"


def test_a_formula_in_an_unknown_column_does_not_matter(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "placements.xlsx", [XLSX_HEADER, placements_row(**{"extra kolom": "=1+1"})]
    )
    assert read_raw(path, PLACEMENTS).frame.index.tolist() == [1]


def test_merged_header_cells_reject_the_file(tmp_path: Path) -> None:
    # "uren per week" merged over two columns: the second one's data has no header any more
    header = [*XLSX_HEADER[:5], "uren per week", None, *XLSX_HEADER[6:]]
    row = placements_row()
    path = tmp_path / "placements.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    sheet.append([*row[:6], 99, *row[6:]])
    sheet.merge_cells("F1:G1")
    workbook.save(path)
    assert rejection(path) == "unreadable file: merged header cells"


def test_merged_cells_in_a_schema_column_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "placements.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in [XLSX_HEADER, placements_row(), placements_row(Burgerservicenummer=89693504)]:
        sheet.append(values)
    sheet.merge_cells("E2:E3")  # contractvorm: row 3 would read as empty
    workbook.save(path)
    assert rejection(path) == "unreadable file: merged cells in data rows"


def peak_bytes_of_reading(path: Path) -> tuple[RawTable, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        table = read_raw(path, PLACEMENTS)
        return table, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_small_xlsx_with_a_stray_cell_in_the_far_corner_stays_small(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "placements.xlsx", [XLSX_HEADER, placements_row()])
    workbook = openpyxl.load_workbook(path)
    workbook.active["XFD1048576"] = "x"  # type: ignore[index]
    workbook.save(path)
    assert path.stat().st_size < 10_000
    table, peak = peak_bytes_of_reading(path)
    assert peak < 20 * 2**20  # was 6.6 GiB and a MemoryError
    # the stray cell is content of a row (a data row with every schema cell empty)
    assert table.frame.index.tolist() == [1, 2]
    assert table.frame.loc[2].isna().all()


def test_stray_cells_beyond_the_header_in_every_row_allocate_nothing_per_empty_cell(
    tmp_path: Path,
) -> None:
    path = tmp_path / "placements.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(XLSX_HEADER)
    for _ in range(2000):
        sheet.append([*placements_row(), *[None] * 16_000, "x"])
    workbook.save(path)
    table, peak = peak_bytes_of_reading(path)
    assert len(table.frame) == 2000
    assert peak < 60 * 2**20  # 2000 rows x 16384 positions would be hundreds of MB


def test_a_claimed_dimension_is_not_trusted(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "placements.xlsx", [XLSX_HEADER, placements_row()])
    patch_xlsx(path, '<dimension ref="A1:O2" />', '<dimension ref="A1:XFD1048576" />')
    table, peak = peak_bytes_of_reading(path)
    assert table.frame.index.tolist() == [1]
    assert peak < 20 * 2**20


def test_a_bsn_styled_as_a_date_is_read_as_its_number_without_a_warning(
    tmp_path: Path,
) -> None:
    import warnings

    path = write_xlsx(tmp_path / "placements.xlsx", [XLSX_HEADER, placements_row()])
    workbook = openpyxl.load_workbook(path)
    workbook.active["A2"].number_format = "yyyy-mm-dd"  # type: ignore[index]
    workbook.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_raw(path, PLACEMENTS)
    assert not [w for w in caught if "111222333" in str(w.message)]
    assert table.frame.loc[1, "bsn"] == "111222333"


# --- encodings and wide files (issue 12) ---------------------------------------------------

CONTACTS_HEADER = "contact_date,employer_kvk,advisor_code,contact_type,risk_level,notes\n"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_a_utf8_file_with_one_stray_windows_1252_byte_is_rejected_as_an_encoding_problem(
    tmp_path: Path, bom: bytes
) -> None:
    path = tmp_path / "contacts.csv"
    good = "2019-05-05,12345678,AD-014,interview,groen,Gesprek met de heer Müller\n" * 3
    stray = "2019-05-06,12345678,AD-014,interview,groen,Café".encode("cp1252") + b"\n"
    path.write_bytes(bom + (CONTACTS_HEADER + good).encode("utf-8") + stray)
    assert rejection(path, CONTACTS) == "undecodable text: invalid UTF-8 bytes in a UTF-8 file"


def test_an_ascii_file_with_one_windows_1252_letter_is_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        (CONTACTS_HEADER + "2019-05-06,12345678,AD-014,interview,groen,Café\n").encode("cp1252")
    )
    assert read_raw(path, CONTACTS).frame.loc[1, "notes"] == "Café"


def test_a_csv_with_thousands_of_extra_columns_is_read_and_they_are_counted(
    tmp_path: Path,
) -> None:
    extra = [f"kolom_{i}" for i in range(10_000)]  # a header of ~115 KB
    path = tmp_path / "contacts.csv"
    path.write_text(
        CONTACTS_HEADER.strip() + "," + ",".join(extra) + "\n"
        + "2019-05-05,12345678,AD-014,interview,groen,," + ",".join(["x"] * 10_000) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    table = read_raw(path, CONTACTS)
    assert table.frame.loc[1, "risk_level"] == "groen"
    assert table.unknown_columns[0] == "column 7: kolom_#"
    assert table.unknown_columns[-1] == "... and 9980 more unknown columns"
    assert len(table.unknown_columns) == 21


# --- SPSS: sentinel dates and labelled scales (issue 12) -----------------------------------


def test_a_sentinel_date_in_a_sav_quarantines_its_row_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "employee_survey.sav"
    frame = pd.DataFrame(
        {
            "burgerservicenummer": ["111222333", "123456782"],
            "invuldatum": [dt.date(2019, 10, 1), dt.date(9999, 12, 31)],
            "werkzaam": [1.0, 1.0],
        }
    )
    pyreadstat.write_sav(frame, path)
    table = read_raw(path, EMPLOYEE_SURVEY)
    assert table.frame["response_date"].tolist() == ["2019-10-01", "9999-12-31"]
    typed_frame, reasons = typed(table)
    assert typed_frame.loc[1, "response_date"] == pd.Timestamp(2019, 10, 1)
    assert reasons.loc[1] == []
    assert reasons.loc[2] == ["response_date: not a date"]


def test_a_labelled_likert_item_is_read_as_its_numbers(tmp_path: Path) -> None:
    scale = {1.0: "zeer ontevreden", 2.0: "ontevreden", 3.0: "neutraal", 4.0: "tevreden",
             5.0: "zeer tevreden"}  # fmt: skip
    path = tmp_path / "employee_survey.sav"
    frame = pd.DataFrame(
        {
            "burgerservicenummer": ["111222333", "123456782"],
            "werkzaam": [1.0, 0.0],
            "tevredenheid_werk": [1.0, 5.0],
            "ervaren_gezondheid": [3.0, 4.0],
        }
    )
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels={
            "werkzaam": {1.0: "ja", 0.0: "nee"},  # a boolean: the label is the code
            "tevredenheid_werk": scale,
            "ervaren_gezondheid": scale,
        },
    )
    table = read_raw(path, EMPLOYEE_SURVEY)
    assert table.frame["job_satisfaction"].tolist() == ["1", "5"]
    assert table.frame["employed"].tolist() == ["ja", "nee"]
    typed_frame, reasons = typed(table)
    assert typed_frame["job_satisfaction"].tolist() == [1, 5]
    assert typed_frame["health"].tolist() == [3, 4]
    assert reasons.map(len).sum() == 0


def test_sav_code_labels_stay_the_code(tmp_path: Path) -> None:
    path = tmp_path / "contacts.sav"
    frame = pd.DataFrame(
        {
            "contactdatum": [dt.date(2019, 5, 5)],
            "kvk_nummer": ["12345678"],
            "arbeidsdeskundige": ["AD-014"],
            "contactvorm": [2.0],
            "risico": [3.0],
        }
    )
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels={
            "contactvorm": {1.0: "interview", 2.0: "telefonisch"},
            "risico": {1.0: "groen", 2.0: "oranje", 3.0: "rood"},
        },
    )
    table = read_raw(path, CONTACTS)
    assert table.frame.loc[1, "contact_type"] == "telefonisch"
    assert table.frame.loc[1, "risk_level"] == "rood"
    assert table.frame.loc[1, "contact_date"] == "2019-05-05"
