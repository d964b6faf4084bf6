"""prepare(): the frame GX sees holds no identifier, no restricted text, and per-row bounds."""

from __future__ import annotations

import pandas as pd
import pytest

from dwt.schema import load_instrument, load_study
from dwt.validation.prepare import codes_known, elfproef, prepare

STUDY = load_study()


def _typed(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(columns)


@pytest.mark.parametrize(
    ("bsn", "passes"),
    [
        ("111222333", True),  # 9+8+7+12+10+8+9+6-3 = 66
        ("123456782", True),  # 9+16+21+24+25+24+21+16-2 = 154
        ("111222334", False),
        ("123456789", False),
        ("000000000", False),  # sums to 0 but is no BSN
        ("12345678", False),  # not 9 digits (parse pads; defence only)
        ("12345678a", False),
    ],
)
def test_elfproef_by_hand(bsn: str, passes: bool) -> None:
    assert elfproef(pd.Series([bsn], dtype="string")).to_list() == [passes]


def test_elfproef_is_empty_for_an_empty_bsn_and_keeps_the_index() -> None:
    result = elfproef(pd.Series(["111222333", None], index=[7, 9], dtype="string"))
    assert result.index.to_list() == [7, 9]
    assert result.iloc[0] == True  # noqa: E712 - a pandas boolean scalar
    assert result.isna().to_list() == [False, True]


def test_identifiers_and_restricted_columns_are_replaced_or_dropped() -> None:
    instrument = load_instrument("placements")
    typed = _typed(
        bsn=pd.array(["111222333", None, "111222334"], dtype="string"),
        name=pd.array(["Jan", "Piet", None], dtype="string"),
        employer_kvk=pd.array(["12345678", None, "87654321"], dtype="string"),
        employer_name=pd.array(["Bakkerij", "Smid", None], dtype="string"),
        _wave=[2019, 2019, 2019],
    )
    frame = prepare(typed, instrument, STUDY)
    assert not {"bsn", "name", "employer_kvk", "employer_name"} & set(frame.columns)
    assert frame["bsn__present"].to_list() == [True, False, True]
    assert frame["bsn__elfproef"].to_list() == [True, pd.NA, False]
    assert frame["employer_kvk__present"].to_list() == [True, False, True]
    text = frame.astype(str).to_string()
    for value in ("111222333", "12345678", "Jan", "Bakkerij"):
        assert value not in text


def test_notes_never_reach_gx() -> None:
    typed = _typed(notes=pd.array(["Jan belde"], dtype="string"), _wave=[2019])
    frame = prepare(typed, load_instrument("contacts"), STUDY)
    assert "notes" not in frame.columns


def test_date_bounds_follow_each_rows_wave() -> None:
    typed = _typed(response_date=pd.to_datetime(["2019-09-01", "2020-09-01"]), _wave=[2019, 2020])
    frame = prepare(typed, load_instrument("employee_survey"), STUDY)
    assert frame["response_date__min"].to_list() == [
        pd.Timestamp("2019-08-01"), pd.Timestamp("2020-08-01"),
    ]  # fmt: skip
    assert frame["response_date__max"].to_list() == [
        pd.Timestamp("2020-01-31"), pd.Timestamp("2021-01-31"),
    ]  # fmt: skip


def test_placement_bounds_are_study_start_and_the_reference_date() -> None:
    typed = _typed(start_date=pd.to_datetime(["2018-01-01"]), _wave=[2021])
    frame = prepare(typed, load_instrument("placements"), STUDY)
    assert frame.loc[0, "start_date__min"] == pd.Timestamp("2017-01-01")
    assert frame.loc[0, "start_date__max"] == pd.Timestamp("2021-12-31")
    assert frame.loc[0, "end_date__max"] == pd.Timestamp("2021-12-31")
    assert "end_date__min" not in frame.columns  # that bound is the row's own start_date


def test_date_bounds_without_the_wave_column_are_an_error() -> None:
    typed = _typed(start_date=pd.to_datetime(["2018-01-01"]))
    with pytest.raises(KeyError, match="_wave"):
        prepare(typed, load_instrument("placements"), STUDY)


def test_a_code_list_becomes_a_known_codes_flag() -> None:
    cells = pd.Series([["werkdruk"], ["werkdruk", "ruzie"], None, []], dtype=object)
    assert codes_known(cells, ["werkdruk", "geen"]).to_list() == [True, False, pd.NA, True]


def test_a_column_the_file_did_not_deliver_is_empty_with_its_type() -> None:
    typed = _typed(contact_date=pd.to_datetime(["2019-05-05"]), _wave=[2019])
    frame = prepare(typed, load_instrument("contacts"), STUDY)
    assert frame["advice_given"].dtype == "boolean"
    assert frame["advice_given"].isna().all()
    assert frame["bsn__present"].to_list() == [False]


def test_the_gx_frame_has_a_fresh_positional_index() -> None:
    typed = _typed(start_date=pd.to_datetime(["2018-01-01", "2018-02-01"]), _wave=[2019, 2019])
    typed.index = pd.Index([17, 4])
    frame = prepare(typed, load_instrument("placements"), STUDY)
    assert frame.index.equals(pd.RangeIndex(2))
    assert frame["start_date"].to_list() == typed["start_date"].to_list()


def test_prepare_does_not_change_the_typed_frame() -> None:
    typed = _typed(bsn=pd.array(["111222333"], dtype="string"), _wave=[2019])
    before = typed.copy()
    prepare(typed, load_instrument("placements"), STUDY)
    pd.testing.assert_frame_equal(typed, before)
