"""Each reason of the vocabulary comes out of GX for a tiny hand-made typed frame."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from helpers.gx_frames import CLEAN, clean_rows, typed_frame

from dwt.schema import load_instrument
from dwt.validation.runner import RowValidation, Validator

NO_BUDDY = {c.name: None for c in load_instrument("employee_survey").columns if c.absent_if}
ENDED = {"end_date": "2019-05-01", "end_reason": "ontslag"}

# (instrument, overrides of the clean row, the one reason expected); wave 2019
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("placements", {"bsn": None}, "bsn: required"),
    ("placements", {"bsn": "111222334"}, "bsn: fails 11-proef"),
    ("placements", {"bsn": "000000000"}, "bsn: fails 11-proef"),
    ("placements", {"employer_kvk": None}, "employer_kvk: required"),
    ("placements", {"start_date": None}, "start_date: required"),
    ("placements", {"start_date": "2016-12-31"}, "start_date: below minimum"),
    ("placements", {"start_date": "2020-01-01"}, "start_date: after reference date"),
    ("placements", {**ENDED, "end_date": "2018-02-28"}, "end_date: before start_date"),
    ("placements", {**ENDED, "end_date": "2020-01-01"}, "end_date: after reference date"),
    ("placements", {**ENDED, "end_reason": None}, "end_reason: required"),
    ("placements", {"end_reason": "ontslag"}, "end_reason: must be empty when end_date is empty"),
    ("placements", {**ENDED, "end_reason": "weg"}, "end_reason: unknown code"),
    ("placements", {"contract_type": None}, "contract_type: required"),
    ("placements", {"contract_type": "flex"}, "contract_type: unknown code"),
    ("placements", {"hours_per_week": 0.5}, "hours_per_week: below minimum"),
    ("placements", {"hours_per_week": 40.5}, "hours_per_week: above maximum"),
    ("placements", {"wage_value_pct": 101}, "wage_value_pct: above maximum"),
    ("placements", {"birth_year": 1949}, "birth_year: below minimum"),
    ("placements", {"birth_year": 2004}, "birth_year: above maximum"),
    ("placements", {"gender": None}, "gender: required"),
    ("placements", {"job_coach": None, "job_coach_level": None}, "job_coach: required"),
    (
        "placements",
        {"job_coach_level": None},
        "job_coach_level: required when job_coach is not geen",
    ),
    (
        "placements",
        {"job_coach": "geen"},
        "job_coach_level: must be empty when job_coach is geen",
    ),
    ("placements", {"sector": "Z"}, "sector: unknown code"),
    ("placements", {"employer_size": None}, "employer_size: required"),
    ("employee_survey", {"bsn": "123456789"}, "bsn: fails 11-proef"),
    ("employee_survey", {"response_date": "2019-07-31"}, "response_date: outside fieldwork window"),
    ("employee_survey", {"response_date": "2020-02-01"}, "response_date: outside fieldwork window"),
    ("employee_survey", {"employed": None}, "employed: required"),
    ("employee_survey", {"work_ability": 11}, "work_ability: above maximum"),
    ("employee_survey", {"sick_days": -1}, "sick_days: below minimum"),
    (
        "employee_survey",
        {**NO_BUDDY, "buddy_present": False, "buddy_helpful": 4},
        "buddy_helpful: must be empty when buddy_present is false",
    ),
    ("employer_survey", {"employer_kvk": None}, "employer_kvk: required"),
    (
        "employer_survey",
        {"employees_target_group": 51},
        "employees_target_group: above employees_total",
    ),
    (
        "employer_survey",
        {"employees_total": 0, "employees_target_group": 0},
        "employees_total: below minimum",
    ),
    ("employer_survey", {"support_intermediary": 6}, "support_intermediary: above maximum"),
    ("contacts", {"contact_date": "2018-12-31"}, "contact_date: outside wave year"),
    ("contacts", {"contact_date": "2020-01-01"}, "contact_date: outside wave year"),
    ("contacts", {"advisor_code": "AD-14"}, "advisor_code: does not match pattern"),
    ("contacts", {"bsn": "111222334"}, "bsn: fails 11-proef"),
    ("contacts", {"signals": ["werkdruk", "ruzie"]}, "signals: unknown code"),
    ("contacts", {"risk_level": None}, "risk_level: required"),
]

# Values on the edge of every window and optional values left empty: all clean.
CLEAN_EDGES: list[tuple[str, dict[str, Any]]] = [
    ("placements", {"start_date": "2017-01-01"}),
    ("placements", {"start_date": "2019-12-31"}),
    ("placements", {**ENDED, "end_date": "2019-12-31"}),
    ("placements", {**ENDED, "end_date": "2018-03-01"}),
    ("placements", {"job_coach": "geen", "job_coach_level": None}),
    ("placements", {"hours_per_week": 40.0, "wage_value_pct": None, "birth_year": None}),
    ("employee_survey", {"response_date": "2019-08-01"}),
    ("employee_survey", {"response_date": "2020-01-31"}),
    ("employee_survey", {**NO_BUDDY, "buddy_present": False}),
    ("employee_survey", {"buddy_present": None}),
    ("employee_survey", {"response_date": None, "same_employer": None}),
    ("employer_survey", {"employees_target_group": 50}),
    ("contacts", {"bsn": None, "signals": None, "notes": None}),
    ("contacts", {"contact_date": "2019-12-31"}),
]

INSTRUMENTS = list(CLEAN)


def _rows_of(instrument: str) -> list[dict[str, Any]]:
    rows = clean_rows(instrument)
    rows += [{**CLEAN[instrument], **o} for name, o, _ in CASES if name == instrument]
    rows += [{**CLEAN[instrument], **o} for name, o in CLEAN_EDGES if name == instrument]
    return rows


@pytest.fixture(scope="module")
def results(validator: Validator) -> dict[str, tuple[pd.DataFrame, RowValidation]]:
    """One GX run per instrument over the clean row, every failing case and every edge case."""
    out = {}
    for name in INSTRUMENTS:
        typed = typed_frame(name, _rows_of(name))
        typed.index = pd.RangeIndex(101, 101 + len(typed))  # the caller's own row numbers
        out[name] = (typed, validator.validate_rows(typed, load_instrument(name)))
    return out


def _position(instrument: str, overrides: dict[str, Any], table: list) -> int:
    return 1 + [o for name, o, *_ in table if name == instrument].index(overrides)


@pytest.mark.parametrize(("instrument", "overrides", "reason"), CASES, ids=[c[2] for c in CASES])
def test_a_rule_broken_in_one_row_gives_exactly_its_reason(
    results: dict, instrument: str, overrides: dict[str, Any], reason: str
) -> None:
    _, validation = results[instrument]
    pos = _position(instrument, overrides, CASES)
    assert validation.reasons.iloc[pos] == [reason]


@pytest.mark.parametrize(
    ("instrument", "overrides"), CLEAN_EDGES, ids=[f"{c[0]}-{c[1]}" for c in CLEAN_EDGES]
)
def test_values_on_the_edge_of_a_rule_are_clean(
    results: dict, instrument: str, overrides: dict[str, Any]
) -> None:
    _, validation = results[instrument]
    n_cases = sum(1 for name, *_ in CASES if name == instrument)
    pos = n_cases + _position(instrument, overrides, CLEAN_EDGES)
    assert validation.reasons.iloc[pos] == []


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_a_clean_row_has_no_reasons_and_reasons_keep_the_callers_index(
    results: dict, instrument: str
) -> None:
    typed, validation = results[instrument]
    assert validation.reasons.index.equals(typed.index)
    assert validation.reasons.iloc[0] == []


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_a_frame_of_clean_rows_passes_every_expectation(
    validator: Validator, instrument: str
) -> None:
    validation = validator.validate_rows(
        typed_frame(instrument, clean_rows(instrument, 3)), load_instrument(instrument)
    )
    assert validation.reasons.map(len).sum() == 0
    assert all(e["success"] for e in validation.summary["expectations"])


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_the_summary_counts_failures_per_reason_and_holds_no_values(
    results: dict, instrument: str
) -> None:
    typed, validation = results[instrument]
    summary = validation.summary
    assert summary["rows"] == len(typed)
    for entry in summary["expectations"]:
        assert set(entry) == {
            "expectation", "column", "reason", "success", "element_count", "unexpected_count",
        }  # fmt: skip
    per_reason: dict[str, int] = {}
    for entry in summary["expectations"]:
        per_reason[entry["reason"]] = per_reason.get(entry["reason"], 0) + entry["unexpected_count"]
    expected: dict[str, int] = {}
    for name, _, reason in CASES:
        if name == instrument:
            expected[reason] = expected.get(reason, 0) + 1
    assert {r: n for r, n in per_reason.items() if n} == expected


@pytest.mark.parametrize("instrument", INSTRUMENTS)
def test_no_identifier_or_restricted_value_reaches_the_gx_results(
    results: dict, instrument: str
) -> None:
    typed, validation = results[instrument]
    ((_, result),) = validation.results  # what the Data Docs page of the run shows
    raw = json.dumps(result.to_json_dict(), default=str)
    stored = json.dumps(validation.summary)
    secrets = {"111222333", "111222334", "12345678", "Jan Jansen", "Bakkerij De Korst"}
    for secret in secrets:
        assert secret not in raw
        assert secret not in stored
    # the frames did hold them, so the check above is not vacuous
    assert any(secret in typed.astype(str).to_string() for secret in secrets)


def test_rows_from_several_files_and_waves_use_their_own_waves_bounds(
    validator: Validator,
) -> None:
    both = pd.concat(
        [
            typed_frame("employee_survey", clean_rows("employee_survey"), wave=2019),
            typed_frame("employee_survey", clean_rows("employee_survey"), wave=2020),
            typed_frame("employee_survey", clean_rows("employee_survey"), region="west-brabant"),
        ],
        ignore_index=True,
    )
    validation = validator.validate_rows(both, load_instrument("employee_survey"))
    assert validation.reasons.to_list() == [
        [], ["response_date: outside fieldwork window"], [],
    ]  # fmt: skip
