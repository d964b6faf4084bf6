"""References to the region's placements, and attributes that change between waves."""

from __future__ import annotations

import pandas as pd

from dwt.schema import load_instrument
from dwt.validation.crosscheck import longitudinal_flags, unknown_reference_reasons

KNOWN = pd.DataFrame(
    {
        "_region": ["haaglanden", "haaglanden", "west-brabant"],
        "bsn": pd.array(["111222333", "123456782", "999999990"], dtype="string"),
        "employer_kvk": pd.array(["12345678", "12345678", "87654321"], dtype="string"),
    }
)
UNKNOWN_PERSON = "bsn: unknown person in region placements"
UNKNOWN_EMPLOYER = "employer_kvk: unknown employer in region placements"


def _typed(region: str, **columns: list) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.array(v, dtype="string") for k, v in columns.items()})
    frame["_region"] = region
    return frame


def test_a_respondent_unknown_to_the_regions_placements_is_quarantined() -> None:
    typed = _typed("haaglanden", bsn=["111222333", "999999990", "555555555"])
    reasons = unknown_reference_reasons(typed, load_instrument("employee_survey"), KNOWN)
    # 999999990 is a placement of another region: unknown here
    assert reasons.to_list() == [[], [UNKNOWN_PERSON], [UNKNOWN_PERSON]]


def test_an_employer_survey_checks_the_employer() -> None:
    typed = _typed("west-brabant", employer_kvk=["87654321", "12345678"])
    reasons = unknown_reference_reasons(typed, load_instrument("employer_survey"), KNOWN)
    assert reasons.to_list() == [[], [UNKNOWN_EMPLOYER]]


def test_a_contact_checks_both_and_skips_an_empty_bsn() -> None:
    typed = _typed(
        "haaglanden",
        bsn=["111222333", None, "000000000"],
        employer_kvk=["12345678", "00000001", "00000001"],
    )
    typed.index = pd.Index([5, 6, 7])
    reasons = unknown_reference_reasons(typed, load_instrument("contacts"), KNOWN)
    assert reasons.index.to_list() == [5, 6, 7]
    assert reasons.to_list() == [[], [UNKNOWN_EMPLOYER], [UNKNOWN_PERSON, UNKNOWN_EMPLOYER]]


def test_placements_reference_nothing() -> None:
    typed = _typed("haaglanden", bsn=["555555555"], employer_kvk=["00000001"])
    reasons = unknown_reference_reasons(typed, load_instrument("placements"), KNOWN)
    assert reasons.to_list() == [[]]


def test_with_no_known_placements_every_given_reference_is_unknown() -> None:
    typed = _typed("haaglanden", bsn=["111222333"])
    reasons = unknown_reference_reasons(typed, load_instrument("employee_survey"), KNOWN.iloc[:0])
    assert reasons.to_list() == [[UNKNOWN_PERSON]]


def _history(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["participant_id", "_region", "_wave", "birth_year", "gender"]
    )
    frame["birth_year"] = frame["birth_year"].astype("Int64")
    frame["gender"] = frame["gender"].astype("string")
    return frame


def test_a_birth_year_that_changes_between_waves_is_flagged_at_the_wave_it_changed() -> None:
    history = _history(
        [
            ("p1", "haaglanden", 2017, 1980, "man"),
            ("p1", "haaglanden", 2018, 1980, "man"),
            ("p1", "haaglanden", 2019, 1981, "man"),
            ("p2", "haaglanden", 2019, 1990, "vrouw"),
        ]
    )
    flags = longitudinal_flags(history)
    assert flags.to_dict("records") == [
        {"_region": "haaglanden", "_wave": 2019, "participant_id": "p1",
         "kind": "birth_year_changed"},
    ]  # fmt: skip


def test_gender_changes_and_empty_values_are_not_a_change() -> None:
    history = _history(
        [
            ("p1", "haaglanden", 2017, 1980, "man"),
            ("p1", "haaglanden", 2018, None, None),
            ("p1", "haaglanden", 2019, 1980, "vrouw"),
            ("p1", "haaglanden", 2020, 1980, "vrouw"),
        ]
    )
    flags = longitudinal_flags(history)
    assert flags[["_wave", "kind"]].values.tolist() == [[2019, "gender_changed"]]


def test_two_placements_of_one_person_that_disagree_within_a_wave_are_flagged() -> None:
    history = _history(
        [
            ("p1", "haaglanden", 2018, 1980, "man"),
            ("p1", "haaglanden", 2018, 1982, "man"),
        ]
    )
    assert longitudinal_flags(history)["kind"].to_list() == ["birth_year_changed"]


def test_the_same_person_in_two_regions_is_judged_per_region() -> None:
    history = _history(
        [
            ("p1", "haaglanden", 2018, 1980, "man"),
            ("p1", "west-brabant", 2019, 1985, "man"),
        ]
    )
    assert longitudinal_flags(history).empty


def test_flags_work_on_the_curated_state_column_names() -> None:
    history = _history(
        [("p1", "haaglanden", 2018, 1980, "man"), ("p1", "haaglanden", 2019, 1980, "anders")]
    ).rename(columns={"_region": "region", "_wave": "wave"})
    flags = longitudinal_flags(history)
    assert list(flags.columns) == ["region", "wave", "participant_id", "kind"]
    assert flags["kind"].to_list() == ["gender_changed"]


def test_flags_also_work_on_the_bsn_before_pseudonymisation() -> None:
    history = _history(
        [
            ("111222333", "haaglanden", 2018, 1980, "man"),
            ("111222333", "haaglanden", 2019, 1979, "man"),
        ]
    ).rename(columns={"participant_id": "bsn"})
    assert longitudinal_flags(history)["bsn"].to_list() == ["111222333"]
