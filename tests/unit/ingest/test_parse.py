"""`parse_table`: every accepted spelling and every rejection, on tiny inline frames."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from dwt.ingest.parse import missing_reasons, parse_table
from dwt.schema import Instrument, load_instrument, load_study

STUDY = load_study()
PLACEMENTS = load_instrument("placements")
EMPLOYEE_SURVEY = load_instrument("employee_survey")
EMPLOYER_SURVEY = load_instrument("employer_survey")
CONTACTS = load_instrument("contacts")


def parse_cell(instrument: Instrument, column: str, cell: str | None) -> tuple[Any, list[str]]:
    """Parse one cell in an otherwise empty row; return (typed value, the row's reasons)."""
    raw = pd.DataFrame({column: [cell]}, index=[7], dtype=object)
    frame, reasons = parse_table(raw, instrument, STUDY)
    return frame.loc[7, column], reasons.loc[7]


def accepted(instrument: Instrument, column: str, cell: str) -> Any:
    value, reasons = parse_cell(instrument, column, cell)
    assert reasons == [], f"{cell!r} was rejected: {reasons}"
    return value


def rejected(instrument: Instrument, column: str, cell: str) -> list[str]:
    value, reasons = parse_cell(instrument, column, cell)
    assert pd.isna(value), f"{cell!r} was kept as {value!r}"
    return reasons


# --- identifiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("111222333", "111222333"),
        (" 111222333 ", "111222333"),
        ("89693504", "089693504"),  # leading zero lost in a spreadsheet
        ("1234567", "001234567"),  # ... or two: spreadsheets drop them all
        ("123456789", "123456789"),  # the 11-proef is the validation step's rule, not ours
        ("123 456 782", "123456782"),  # separators, as python-stdnum's nl.bsn drops them
        ("123.456.782", "123456782"),
        ("1234.56.782", "123456782"),
        ("123-456-782", "123456782"),
        ("123\u00a0456\u00a0782", "123456782"),  # no-break spaces
        ("123456782.0", "123456782"),  # a spreadsheet's float
        ("89693504.0", "089693504"),
        ("1.23456782E8", "123456782"),
        ("1,23456782E+08", "123456782"),
        ("8.9693504e7", "089693504"),
        ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12", "123456782"),  # full-width
        ("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0662", "123456782"),  # Arabic
    ],
)
def test_bsn_is_compacted_and_left_padded_to_9_digits(cell: str, expected: str) -> None:
    assert accepted(PLACEMENTS, "bsn", cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "1234567890",  # too long
        "12345678a",
        "-9",  # a survey missing code is not an identifier
        "-123456782",
        "123456782-",
        "123..456.782",
        "1.2346E+08",  # a rounded display: digits lost
        "1.23456782E7",  # not a whole number
        "123\u200b456782",  # zero-width space
        "12345678\u03012",  # combining mark
        "x",
    ],
)
def test_bsn_rejects_what_is_not_one_number(cell: str) -> None:
    assert rejected(PLACEMENTS, "bsn", cell) == ["bsn: not 9 digits"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12345678", "12345678"),
        ("7654321", "07654321"),
        ("654321", "00654321"),
        ("1234-5678", "12345678"),
        ("1234 5678", "12345678"),
        ("7654321.0", "07654321"),
        ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18", "12345678"),
    ],
)
def test_kvk_is_compacted_and_left_padded_to_8_digits(cell: str, expected: str) -> None:
    assert accepted(PLACEMENTS, "employer_kvk", cell) == expected


@pytest.mark.parametrize("cell", ["123456789", "KvK12345678", "-8", "0", "00000000", "1234--5678"])
def test_kvk_rejects_other_lengths_and_non_digits(cell: str) -> None:
    assert rejected(PLACEMENTS, "employer_kvk", cell) == ["employer_kvk: not 8 digits"]


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "2018-03-01",
        "01-03-2018",
        "1-3-2018",
        "01/03/2018",
        "1/3/2018",
        "2018-03-01 00:00:00",
        "2018-03-01T00:00:00",
        " 2018-03-01 ",
        "\u0662\u0660\u0661\u0668-\u0660\u0663-\u0660\u0661",  # Arabic-Indic digits
        "\uff10\uff11-\uff10\uff13-\uff12\uff10\uff11\uff18",  # full-width digits
    ],
)
def test_date_accepts_every_contract_spelling(cell: str) -> None:
    assert accepted(PLACEMENTS, "start_date", cell) == pd.Timestamp(2018, 3, 1)


def test_date_keeps_the_day_of_a_date_time() -> None:
    assert accepted(PLACEMENTS, "start_date", "2018-03-01T14:30") == pd.Timestamp(2018, 3, 1)


@pytest.mark.parametrize(
    "cell",
    ["2018/03/01", "01.03.2018", "31-02-2018", "01-03-18", "1 maart 2018", "43160", "03-2018"],
)
def test_date_rejects_other_spellings_and_impossible_days(cell: str) -> None:
    assert rejected(PLACEMENTS, "start_date", cell) == ["start_date: not a date"]


def test_dates_are_day_first_never_month_first() -> None:
    assert accepted(PLACEMENTS, "start_date", "02-03-2018") == pd.Timestamp(2018, 3, 2)


# --- integers and numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", 12), ("12.0", 12), ("12,0", 12), ("12,00", 12), ("+12", 12), ("-3", -3),
        (" 70 ", 70), ("0", 0),
        ("1.000.000", 1_000_000), ("1,000,000", 1_000_000),  # repeated marks: thousands
        ("1.000,0", 1000), ("1,000.0", 1000),  # both marks: the last one is the decimal
        ("\uff17\uff10", 70), ("\u0667\u0660", 70), ("\u06f7\u06f0", 70),  # other scripts
    ],
)  # fmt: skip
def test_integer_accepts_whole_numbers(cell: str, expected: int) -> None:
    assert accepted(PLACEMENTS, "wage_value_pct", cell) == expected


@pytest.mark.parametrize(
    "cell", ["12.5", "12,5", "twaalf", "1e3", "12-", "--1", "+", "1.000,5", "7\u00b2", "\u2460"]
)
def test_integer_rejects_fractions_and_text(cell: str) -> None:
    assert rejected(PLACEMENTS, "wage_value_pct", cell) == ["wage_value_pct: not an integer"]


@pytest.mark.parametrize(
    "cell", ["12.000", "1,500", "-1.000", "\uff11\uff10\uff0e\uff10\uff10\uff10"]
)
def test_integer_refuses_a_lone_thousands_group_as_ambiguous(cell: str) -> None:
    # 12 or 12000? A cell cannot tell, so it is neither (and not silently 12).
    assert rejected(EMPLOYER_SURVEY, "employees_total", cell) == [
        "employees_total: ambiguous thousands separator"
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("22.5", 22.5), ("22,5", 22.5), ("32", 32.0), ("+8", 8.0), (".5", 0.5),
        ("0.125", 0.125), ("0,125", 0.125),  # a group never follows a lone 0
        ("1234.567", 1234.567),  # grouped, it would read 1.234.567
        ("22.1250", 22.125), ("1.5e1", 15.0),
        ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("10.000,25", 10000.25), ("1.234.567", 1234567.0),
        ("\uff12\uff12\uff0c\uff15", 22.5), ("\u0662\u0662.\u0665", 22.5),
    ],
)  # fmt: skip
def test_number_accepts_a_decimal_point_or_comma(cell: str, expected: float) -> None:
    assert accepted(PLACEMENTS, "hours_per_week", cell) == expected


@pytest.mark.parametrize(
    "cell", ["1,2,3", "1.234.5", "1,234,5", "22 uur", "abc", ",", "1e999", "2\u00b2", "1.2.3,4"]
)
def test_number_rejects_malformed_separators_and_text(cell: str) -> None:
    assert rejected(PLACEMENTS, "hours_per_week", cell) == ["hours_per_week: not a number"]


@pytest.mark.parametrize("cell", ["10.000", "10,000", "1.234", "-1,500", "+999.999"])
def test_number_refuses_a_lone_thousands_group_as_ambiguous(cell: str) -> None:
    # "10.000" in a decimal-comma file is 10000, in a decimal-point file 10: never guess.
    assert rejected(PLACEMENTS, "hours_per_week", cell) == [
        "hours_per_week: ambiguous thousands separator"
    ]


# --- booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("ja", True), ("JA", True), ("j", True), ("J", True), ("1", True), ("1.0", True),
        ("true", True), ("TRUE", True), ("yes", True), ("Yes", True),
        ("nee", False), ("Nee", False), ("n", False), ("0", False), ("0.0", False),
        ("false", False), ("False", False), ("no", False), ("NO", False),
    ],
)  # fmt: skip
def test_boolean_accepts_every_configured_spelling(cell: str, expected: bool) -> None:
    assert accepted(EMPLOYEE_SURVEY, "employed", cell) == expected


@pytest.mark.parametrize("cell", ["2", "y", "misschien", "1.5", "waar", "10"])
def test_boolean_rejects_other_values(cell: str) -> None:
    assert rejected(EMPLOYEE_SURVEY, "employed", cell) == ["employed: not a boolean"]


# --- codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("contract_type", "vast", "vast"),
        ("contract_type", " Vast ", "vast"),
        ("contract_type", "VAST", "vast"),
        ("end_reason", "Naar_Ander_Werk", "naar_ander_werk"),
        ("sector", "a", "A"),  # the schema's SBI letters are upper case
        ("sector", "G", "G"),
        ("employer_size", "500+", "500+"),
        ("employer_size", " 1-24", "1-24"),
    ],
)
def test_code_maps_case_and_whitespace_to_the_canonical_code(
    column: str, cell: str, expected: str
) -> None:
    assert accepted(PLACEMENTS, column, cell) == expected


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("contract_type", "vast contract"),
        ("contract_type", "v"),
        ("sector", "V"),
        ("employer_size", "500"),
        ("gender", "m"),
    ],
)
def test_code_rejects_unknown_codes(column: str, cell: str) -> None:
    assert rejected(PLACEMENTS, column, cell) == [f"{column}: unknown code"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("werkdruk", ["werkdruk"]),
        ("werkdruk;conflict", ["werkdruk", "conflict"]),
        ("Werkdruk | CONFLICT", ["werkdruk", "conflict"]),
        ("werkdruk;conflict|prive", ["werkdruk", "conflict", "prive"]),
        ("werkdruk;", ["werkdruk"]),  # a trailing separator adds nothing
        ("werkdruk;werkdruk", ["werkdruk"]),  # a repeated code counts once
    ],
)
def test_code_list_splits_on_either_separator(cell: str, expected: list[str]) -> None:
    assert accepted(CONTACTS, "signals", cell) == expected


@pytest.mark.parametrize("cell", ["werkdruk;onzin", "onzin", "werkdruk,conflict"])
def test_code_list_rejects_a_cell_with_any_unknown_item(cell: str) -> None:
    assert rejected(CONTACTS, "signals", cell) == ["signals: unknown code"]


def test_code_list_of_only_separators_is_empty() -> None:
    value, reasons = parse_cell(CONTACTS, "signals", " ; | ")
    assert value is pd.NA
    assert reasons == []


@pytest.mark.parametrize("cells", [[None, None], ["werkdruk", None]], ids=["all-empty", "some"])
def test_code_list_empty_cell_is_pandas_na(cells: list[str | None]) -> None:
    raw = pd.DataFrame({"signals": cells}, index=[1, 2], dtype=object)
    frame, _ = parse_table(raw, CONTACTS, STUDY)
    assert frame.loc[2, "signals"] is pd.NA


# --- text ---------------------------------------------------------------------------------


def test_string_and_text_are_stripped() -> None:
    assert accepted(CONTACTS, "advisor_code", " AD-014 ") == "AD-014"
    assert accepted(CONTACTS, "notes", "  belde terug\n") == "belde terug"


# --- empty cells and survey missing codes -------------------------------------------------

NON_IDENTIFIER_COLUMNS = [
    (inst, col.name)
    for inst in (PLACEMENTS, EMPLOYEE_SURVEY, CONTACTS)
    for col in inst.columns
    if not col.is_identifier
]
EVERY_COLUMN = [(inst, col.name) for inst in (PLACEMENTS, CONTACTS) for col in inst.columns]


@pytest.mark.parametrize("missing", ["-9", "-8", " -9 "])
@pytest.mark.parametrize(
    ("instrument", "column"), NON_IDENTIFIER_COLUMNS, ids=lambda x: getattr(x, "name", x)
)
def test_survey_missing_codes_become_na_without_a_reason(
    instrument: Instrument, column: str, missing: str
) -> None:
    value, reasons = parse_cell(instrument, column, missing)
    assert pd.isna(value)
    assert reasons == []


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("-9", "geen_antwoord"),
        (" -9 ", "geen_antwoord"),
        ("-8", "niet_van_toepassing"),
        ("-8\t", "niet_van_toepassing"),
        (None, "niet_geleverd"),
        ("", "niet_geleverd"),
        ("   ", "niet_geleverd"),
        ("7", None),  # a value: no reason
        ("-9.0", None),  # not the code: the parser reads -9 (and the range refuses it)
        ("-7", None),
        ("zeven", None),  # refused by the parser, so the row is quarantined anyway
    ],
)
@pytest.mark.parametrize("column", ["work_ability", "hours_per_week", "buddy_present"])
def test_missing_reasons_tell_the_codes_from_an_empty_cell(
    column: str, cell: str | None, reason: str | None
) -> None:
    cells = pd.Series([cell, "4", cell], index=[3, 5, 8], dtype=object)
    col = EMPLOYEE_SURVEY.column(column)
    found = missing_reasons(cells, len(cells), col, STUDY)
    assert list(found.index) == [3, 5, 8]
    expected = [reason, None, reason]
    assert [None if pd.isna(v) else v for v in found] == expected
    # exactly the cells the parser turns into <NA> without a reason get one
    raw = pd.DataFrame({column: cells})
    typed, reasons = parse_table(raw, EMPLOYEE_SURVEY, STUDY)
    silent_na = typed[column].isna() & (reasons.map(len) == 0)
    assert (found.notna() == silent_na).all()


@pytest.mark.parametrize(
    ("column", "reason"), [("work_ability", "geen_antwoord"), ("employed", None)]
)
def test_a_full_width_code_counts_where_the_parser_reads_digits(
    column: str, reason: str | None
) -> None:
    cells = pd.Series(["\uff0d\uff19"], dtype=object)  # full-width -9
    found = missing_reasons(cells, 1, EMPLOYEE_SURVEY.column(column), STUDY)
    assert (None if pd.isna(found[0]) else found[0]) == reason
    # a boolean column does not fold digits: there the cell is refused, never silently NA
    _, reasons = parse_table(pd.DataFrame({column: cells}), EMPLOYEE_SURVEY, STUDY)
    assert (reasons[0] == []) == (reason is not None)


def test_a_column_the_file_did_not_deliver_is_not_delivered_in_every_row() -> None:
    found = missing_reasons(None, 3, EMPLOYEE_SURVEY.column("health"), STUDY)
    assert found.to_list() == ["niet_geleverd"] * 3


def test_an_identifier_column_has_no_missing_codes() -> None:
    cells = pd.Series(["-9", None], dtype=object)
    found = missing_reasons(cells, 2, EMPLOYEE_SURVEY.column("bsn"), STUDY)
    assert pd.isna(found[0]) and found[1] == "niet_geleverd"


@pytest.mark.parametrize("empty", [None, "", "   "])
@pytest.mark.parametrize(
    ("instrument", "column"),
    EVERY_COLUMN,
    ids=lambda x: getattr(x, "name", x),
)
def test_empty_cells_become_na_without_a_reason(
    instrument: Instrument, column: str, empty: str | None
) -> None:
    value, reasons = parse_cell(instrument, column, empty)
    assert pd.isna(value)
    assert reasons == []


# --- the typed frame as a whole -----------------------------------------------------------

EXPECTED_DTYPES = {
    "bsn": "string", "kvk": "string", "date": "datetime64[ns]", "integer": "Int64",
    "number": "Float64", "boolean": "boolean", "code": "string", "code_list": "object",
    "string": "string", "text": "string",
}  # fmt: skip


@pytest.mark.parametrize("cell", ["x", None], ids=["filled", "all-empty"])
@pytest.mark.parametrize(
    "instrument", [PLACEMENTS, EMPLOYEE_SURVEY, CONTACTS], ids=lambda i: str(i.name)
)
def test_typed_frame_has_schema_columns_and_dtypes(instrument: Instrument, cell: str) -> None:
    raw = pd.DataFrame({c: [cell, None] for c in instrument.column_names}, index=[3, 9])
    frame, reasons = parse_table(raw, instrument, STUDY)
    assert list(frame.columns) == instrument.column_names
    assert {c: str(frame[c].dtype) for c in frame.columns} == {
        c.name: EXPECTED_DTYPES[c.type] for c in instrument.columns
    }
    assert frame.index.tolist() == reasons.index.tolist() == [3, 9]


def test_index_is_kept_and_reasons_line_up_with_rows() -> None:
    raw = pd.DataFrame(
        {"contract_type": ["vast", "onzin", "tijdelijk"], "birth_year": ["1990", "1990", "?"]},
        index=[5, 6, 8],
    )
    frame, reasons = parse_table(raw, PLACEMENTS, STUDY)
    assert frame["contract_type"].tolist()[0] == "vast"
    assert reasons.to_dict() == {
        5: [],
        6: ["contract_type: unknown code"],
        8: ["birth_year: not an integer"],
    }


def test_a_row_collects_every_reason_in_schema_order() -> None:
    raw = pd.DataFrame(
        {"gender": ["x"], "bsn": ["1x"], "start_date": ["gisteren"], "birth_year": ["oud"]},
        index=[1],
    )
    _, reasons = parse_table(raw, PLACEMENTS, STUDY)
    assert reasons.loc[1] == [
        "bsn: not 9 digits",
        "start_date: not a date",
        "birth_year: not an integer",
        "gender: unknown code",
    ]


def test_each_failing_row_has_its_own_reason_list() -> None:
    # Rows without a reason share one empty list (read-only: a million rows, one list); a
    # row that failed has a list of its own.
    raw = pd.DataFrame({"gender": ["man", "x", "y", "vrouw"]}, index=[1, 2, 3, 4])
    _, reasons = parse_table(raw, PLACEMENTS, STUDY)
    assert reasons.loc[1] == [] and reasons.loc[4] == []
    assert reasons.loc[2] == reasons.loc[3] == ["gender: unknown code"]
    assert reasons.loc[2] is not reasons.loc[3]


def test_reasons_never_contain_the_rejected_value() -> None:
    raw = pd.DataFrame({"bsn": ["98765X321"], "name": ["Jan"], "gender": ["Jansen"]}, index=[1])
    _, reasons = parse_table(raw, PLACEMENTS, STUDY)
    text = " ".join(reasons.loc[1])
    assert "98765X321" not in text
    assert "Jansen" not in text
    assert len(reasons.loc[1]) == 2


def test_repeated_values_parse_the_same_in_every_row() -> None:
    raw = pd.DataFrame({"gender": ["Man", "x", "Man", None, "x"]}, index=range(1, 6))
    frame, reasons = parse_table(raw, PLACEMENTS, STUDY)
    assert frame["gender"].tolist() == ["man", pd.NA, "man", pd.NA, pd.NA]
    assert reasons.map(len).tolist() == [0, 1, 0, 0, 1]


def test_columns_absent_from_the_raw_frame_are_all_na() -> None:
    raw = pd.DataFrame({"bsn": ["111222333"]}, index=[1])
    frame, reasons = parse_table(raw, PLACEMENTS, STUDY)
    assert frame.drop(columns="bsn").isna().all(axis=None)
    assert reasons.loc[1] == []


def test_columns_outside_the_schema_are_dropped() -> None:
    raw = pd.DataFrame({"bsn": ["111222333"], "opmerking": ["weg"]}, index=[1])
    frame, _ = parse_table(raw, PLACEMENTS, STUDY)
    assert "opmerking" not in frame.columns


def test_empty_raw_frame_gives_an_empty_typed_frame() -> None:
    raw = pd.DataFrame({c: [] for c in CONTACTS.column_names}, dtype=object)
    frame, reasons = parse_table(raw, CONTACTS, STUDY)
    assert frame.empty
    assert list(frame.columns) == CONTACTS.column_names
    assert reasons.empty


def test_parse_does_not_modify_the_raw_frame() -> None:
    raw = pd.DataFrame({"gender": [" Man "], "bsn": ["89693504"]}, index=[1], dtype=object)
    before = raw.copy()
    parse_table(raw, PLACEMENTS, STUDY)
    pd.testing.assert_frame_equal(raw, before)
