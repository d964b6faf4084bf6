"""Key policy: identical copies are duplicates (first kept), differing rows all conflict."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dwt.ingest.keys import CONFLICTING_ROWS as CONFLICT
from dwt.ingest.keys import DUPLICATE_ROW as DUP
from dwt.ingest.keys import key_reasons

PLACEMENT_KEY = ["bsn", "employer_kvk", "start_date"]


def _frame(
    rows: list[dict[str, Any]], file: str = "haaglanden/2019/placements.csv"
) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for name in ("bsn", "employer_kvk", "gender"):
        if name in frame:
            frame[name] = frame[name].astype("string")
    if "start_date" in frame:
        frame["start_date"] = pd.to_datetime(frame["start_date"])
    if "hours" in frame:
        frame["hours"] = frame["hours"].astype("Float64")
    frame["_region"] = file.split("/")[0]
    frame["_wave"] = int(file.split("/")[1])
    frame["_file"] = file
    return frame


def _row(bsn: str = "111222333", kvk: str = "12345678", **values: Any) -> dict[str, Any]:
    return {"bsn": bsn, "employer_kvk": kvk, "start_date": "2018-03-01", "hours": 24.0,
            "gender": "man", **values}  # fmt: skip


def _reasons(frame: pd.DataFrame, key: list[str] | None = None) -> list[list[str]]:
    compare = [c for c in frame.columns if not c.startswith("_")]
    return key_reasons(frame, PLACEMENT_KEY if key is None else key, compare).to_list()


def test_an_identical_triple_keeps_the_first_and_quarantines_two_copies() -> None:
    assert _reasons(_frame([_row(), _row(), _row()])) == [[], [DUP], [DUP]]


def test_a_pair_that_shares_a_key_but_differs_is_quarantined_whole() -> None:
    assert _reasons(_frame([_row(), _row(hours=32.0)])) == [[CONFLICT], [CONFLICT]]


def test_a_copy_among_conflicting_rows_is_a_conflict_too() -> None:
    rows = [_row(), _row(), _row(hours=32.0)]
    assert _reasons(_frame(rows)) == [[CONFLICT], [CONFLICT], [CONFLICT]]


def test_mixed_keys_are_judged_each_on_their_own() -> None:
    rows = [
        _row("111222333"),  # kept
        _row("123456782"),  # conflicts with the last row
        _row("111222333"),  # copy of the first
        _row("999999990"),  # alone
        _row("123456782", gender="vrouw"),
    ]
    assert _reasons(_frame(rows)) == [[], [CONFLICT], [DUP], [], [CONFLICT]]


def test_the_result_keeps_the_callers_index() -> None:
    frame = _frame([_row(), _row()])
    frame.index = pd.Index([10, 11])
    result = key_reasons(frame, PLACEMENT_KEY, ["hours"])
    assert result.index.to_list() == [10, 11]
    assert result.to_list() == [[], [DUP]]


def test_rows_with_an_empty_key_column_are_not_key_checked() -> None:
    rows = [_row(bsn=None), _row(bsn=None), _row(bsn=None, hours=1.0)]
    assert _reasons(_frame(rows)) == [[], [], []]


def test_empty_values_outside_the_key_count_as_equal() -> None:
    rows = [_row(hours=None), _row(hours=None), _row(hours=None, gender=None)]
    assert _reasons(_frame(rows)) == [[CONFLICT], [CONFLICT], [CONFLICT]]
    assert _reasons(_frame(rows[:2])) == [[], [DUP]]


def test_the_same_key_in_two_files_is_not_a_duplicate() -> None:
    frame = pd.concat(
        [
            _frame([_row()], "haaglanden/2019/placements.csv"),
            _frame([_row()], "haaglanden/2020/placements.csv"),
            _frame([_row(hours=8.0)], "west-brabant/2019/placements.csv"),
        ],
        ignore_index=True,
    )
    assert _reasons(frame) == [[], [], []]


def test_a_survey_key_naming_the_wave_uses_the_files_wave() -> None:
    rows = [_row(), _row(hours=32.0)]
    assert _reasons(_frame(rows), ["bsn", "wave"]) == [[CONFLICT], [CONFLICT]]


def test_without_a_key_only_identical_rows_are_duplicates() -> None:
    rows = [_row(), _row(hours=32.0), _row()]
    assert _reasons(_frame(rows), []) == [[], [], [DUP]]


def test_code_lists_are_compared_by_their_codes() -> None:
    frame = _frame([_row(), _row(), _row()])
    frame["signals"] = pd.Series([["werkdruk"], ["werkdruk"], ["conflict"]], dtype=object)
    assert _reasons(frame, []) == [[], [DUP], []]


def test_columns_left_out_of_the_comparison_do_not_make_a_conflict() -> None:
    frame = _frame([_row(), _row(hours=32.0)])
    result = key_reasons(frame, PLACEMENT_KEY, ["gender"]).to_list()
    assert result == [[], [DUP]]


def test_an_empty_frame_gives_an_empty_result() -> None:
    frame = _frame([_row()]).iloc[:0]
    assert key_reasons(frame, PLACEMENT_KEY, ["hours"]).to_list() == []
