"""References to the region's placements, and attributes that change between waves."""

from __future__ import annotations

import pandas as pd

from dwt.schema import load_instrument
from dwt.validation.crosscheck import (
    document_reasons,
    longitudinal_flags,
    unknown_reference_reasons,
)

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


# ------------------------------------------------------------------------ interview waves
UNKNOWN_INTERVIEW = "interview_id: unknown interview in wave interviews"


def test_a_segment_must_belong_to_an_interview_of_its_own_region_and_wave() -> None:
    interviews = pd.DataFrame(
        {
            "_region": ["haaglanden", "haaglanden", "west-brabant"],
            "_wave": [2019, 2020, 2019],
            "interview_id": ["INT-HL-2019-001", "INT-HL-2020-001", "INT-WB-2019-001"],
        }
    )
    typed = _typed(
        "haaglanden",
        interview_id=["INT-HL-2019-001", "INT-HL-2020-001", "INT-WB-2019-001", "INT-HL-2019-009"],
    )
    typed["_wave"] = 2019
    known = {"placements": KNOWN, "interviews": interviews}
    reasons = unknown_reference_reasons(typed, load_instrument("interview_codes"), known)
    # another wave's document, another region's document, and one nobody delivered
    assert reasons.to_list() == [[], [UNKNOWN_INTERVIEW], [UNKNOWN_INTERVIEW], [UNKNOWN_INTERVIEW]]


def test_without_an_interviews_file_every_segment_is_unknown() -> None:
    typed = _typed("haaglanden", interview_id=["INT-HL-2019-001"])
    typed["_wave"] = 2019
    reasons = unknown_reference_reasons(typed, load_instrument("interview_codes"), {})
    assert reasons.to_list() == [[UNKNOWN_INTERVIEW]]


def _documents(**columns: list) -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.array(v, dtype="string") for k, v in columns.items()})
    frame["interview_date"] = pd.to_datetime(frame["interview_date"])
    frame[["_region", "_wave", "_file"]] = ["haaglanden", 2019, "haaglanden/2019/interviews.csv"]
    return frame


def test_the_rows_of_a_focus_group_agree_and_only_a_focus_group_has_several() -> None:
    typed = _documents(
        interview_id=["INT-HL-2019-001", "INT-HL-2019-001", "INT-HL-2019-002", "INT-HL-2019-002",
                      "INT-HL-2019-003", "INT-HL-2019-003", "INT-HL-2019-004"],
        interview_date=["2019-03-01", "2019-03-01", "2019-04-01", "2019-04-01", "2019-05-01",
                        "2019-05-02", "2019-06-01"],
        interview_type=["focusgroep", "focusgroep", "interview", "interview", "focusgroep",
                        "focusgroep", "interview"],
    )  # fmt: skip
    reasons = document_reasons(typed, load_instrument("interviews"))
    several = "interview_id: several rows only for interview_type focusgroep"
    disagree = "interview_id: rows of one document disagree on interview_date, interview_type"
    assert reasons.to_list() == [[], [], [several], [several], [disagree], [disagree], []]


def test_document_rules_do_not_apply_to_instruments_without_documents() -> None:
    typed = _typed("haaglanden", bsn=["111222333", "111222333"])
    assert document_reasons(typed, load_instrument("contacts")).to_list() == [[], []]
