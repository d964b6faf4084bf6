"""The schemas are the study contract as data: they load, and they say what the contract says
(../shared/study-spec.md). The expected names below are copied from the contract on purpose:
this test is the one place that checks the YAML against the written contract."""

from __future__ import annotations

import pytest

from dwt.schema import (
    COLUMN_TYPES,
    ZONES,
    curated_tables,
    instruments,
    load_instrument,
    load_study,
    normalise_header,
)

CONTRACT_COLUMNS = {
    "placements": (
        "bsn name employer_kvk employer_name start_date end_date end_reason contract_type "
        "hours_per_week wage_value_pct target_group disability_type birth_year gender job_coach "
        "job_coach_level buddy_training sector employer_size"
    ),
    "employee_survey": (
        "bsn response_date employed same_employer hours_per_week work_ability job_satisfaction "
        "health sick_days intention_to_stay buddy_present buddy_helpful buddy_alert buddy_calm "
        "buddy_realistic buddy_instructive buddy_honest"
    ),
    "employer_survey": (
        "employer_kvk response_date employees_total employees_target_group measure_job_carving "
        "measure_wage_subsidy measure_no_risk_policy measure_workplace_adaptation "
        "measure_internal_coach measure_external_coach measure_buddy_training "
        "satisfaction_performance expected_durability support_intermediary"
    ),
    "contacts": (
        "contact_date bsn employer_kvk advisor_code contact_type risk_level signals "
        "advice_given notes"
    ),
    # defined by issue 13 (the contract leaves the interview instruments' columns to it)
    "interviews": (
        "interview_id document_name interview_date interview_type respondent_role employer_kvk "
        "bsn advisor_code"
    ),
    "interview_codes": "interview_id document_name code valence segment_text coder coding_date",
}

CONTRACT_CODES = {
    ("placements", "end_reason"): "naar_ander_werk contract_niet_verlengd ontslag eigen_verzoek "
    "gezondheid overig",
    ("placements", "contract_type"): "proefplaatsing tijdelijk vast detachering",
    ("placements", "target_group"): "banenafspraak wajong wsw_indicatie wia_wga overig",
    ("placements", "disability_type"): "ontwikkelingsstoornis psychisch somatisch meervoudig "
    "onbekend",
    ("placements", "gender"): "man vrouw anders onbekend",
    ("placements", "job_coach"): "geen intern extern",
    ("placements", "job_coach_level"): "licht midden zwaar",
    ("placements", "buddy_training"): "geen harrie_helpt werkmaat anders",
    ("placements", "employer_size"): "1-24 25-99 100-499 500+",
    ("contacts", "contact_type"): "interview telefonisch werkplekobservatie focusgroep",
    ("contacts", "risk_level"): "groen oranje rood",
    ("contacts", "signals"): "werkdruk conflict gezondheid begeleider_weg reorganisatie prive geen",
    ("interviews", "interview_type"): "interview focusgroep werkplekobservatie",
    ("interviews", "respondent_role"): "werkgever leidinggevende werknemer jobcoach "
    "arbeidsdeskundige intermediair",
    ("interview_codes", "valence"): "bevorderend belemmerend neutraal",
}


def test_the_study_has_five_regions_waves_2017_to_2021_and_k_5() -> None:
    study = load_study()
    assert study.region_codes == [
        "zuid-kennemerland-ijmond", "gooi-vechtstreek", "haaglanden", "midden-gelderland",
        "west-brabant",
    ]  # fmt: skip
    assert study.waves == [2017, 2018, 2019, 2020, 2021]
    assert study.k == 5
    assert study.targets == {"employers_min": 30, "employers_max": 45, "participants_min": 45}
    assert study.month_days == 30.4375
    assert str(study.reference_date(2019)) == "2019-12-31"
    assert [str(d) for d in study.fieldwork_window(2019)] == ["2019-08-01", "2020-01-31"]


@pytest.mark.parametrize("name", sorted(CONTRACT_COLUMNS))
def test_every_instrument_has_exactly_the_contract_columns(name: str) -> None:
    assert load_instrument(name).column_names == CONTRACT_COLUMNS[name].split()


@pytest.mark.parametrize(("instrument", "column"), sorted(CONTRACT_CODES))
def test_code_lists_match_the_contract(instrument: str, column: str) -> None:
    codes = list(load_instrument(instrument).column(column).codes)
    assert codes == CONTRACT_CODES[(instrument, column)].split()


def test_sector_codes_are_the_sbi_sections_a_to_u() -> None:
    codes = list(load_instrument("placements").column("sector").codes)
    assert codes == [chr(c) for c in range(ord("A"), ord("U") + 1)]


@pytest.mark.parametrize("inst", instruments(), ids=lambda i: i.name)
def test_every_column_is_fully_described(inst: object) -> None:
    for col in inst.columns:  # type: ignore[attr-defined]
        assert col.type in COLUMN_TYPES and col.zone in ZONES, col.name
        assert col.alias, f"{col.name} has no Dutch alias"
        assert col.label.get("nl") and col.label.get("en"), col.name
        assert col.description, col.name
        for code, labels in col.codes.items():
            assert labels.get("nl") and labels.get("en"), (col.name, code)


def test_identifiers_are_marked_and_pseudonymised() -> None:
    placements = load_instrument("placements")
    assert placements.column("bsn").zone == "identifier"
    assert placements.column("bsn").pseudonym == "participant_id"
    assert placements.column("employer_kvk").pseudonym == "employer_id"
    assert placements.column("name").zone == "identifier"
    assert placements.column("employer_name").zone == "restricted"
    assert load_instrument("contacts").column("notes").zone == "restricted"


def test_conditional_rules_are_stated() -> None:
    placements = load_instrument("placements")
    assert placements.column("end_reason").required_iff == {"column": "end_date", "present": True}
    assert placements.column("job_coach_level").required_iff == {
        "column": "job_coach", "not_in": ["geen"],
    }  # fmt: skip
    assert load_instrument("employee_survey").column("buddy_calm").absent_if == {
        "column": "buddy_present", "equals": False,
    }  # fmt: skip


def test_keys_are_the_contract_keys() -> None:
    assert load_instrument("placements").key == ("bsn", "employer_kvk", "start_date")
    assert load_instrument("employee_survey").key == ("bsn", "wave")
    assert load_instrument("employer_survey").key == ("employer_kvk", "wave")
    # a focus group of several employers is one row per employer, sharing the document code
    assert load_instrument("interviews").key == ("interview_id", "employer_kvk")


def test_interview_texts_and_document_codes_never_reach_the_research_zone() -> None:
    for name in ("interviews", "interview_codes"):
        inst = load_instrument(name)
        assert inst.column("interview_id").zone == "identifier"
        assert inst.column("interview_id").pseudonym == "interview_ref"
        assert inst.column("document_name").zone == "restricted"
    assert load_instrument("interview_codes").column("segment_text").zone == "restricted"
    study = load_study()
    assert study.instruments.index("interviews") < study.instruments.index("interview_codes")
    assert study.instruments.index("contacts") < study.instruments.index("interviews")


def test_curated_tables_state_their_grain_and_hold_no_identifier_columns() -> None:
    identifiers = {c.name for i in instruments() for c in i.columns if c.zone != "research"}
    for name, table in curated_tables().items():
        assert table.grain, name
        assert not {c["name"] for c in table.columns} & identifiers, name


@pytest.mark.parametrize(
    "header", ["Uren per week", " uren-per-week ", "UREN_PER_WEEK", "uren  per_week"]
)
def test_header_matching_ignores_case_space_dash_and_underscore(header: str) -> None:
    assert normalise_header(header) == "uren_per_week"


def test_the_survey_missing_codes_are_the_contracts_with_their_reasons() -> None:
    study = load_study()
    assert study.missing_codes == ["-9", "-8"]  # study-spec: -9 geen antwoord, -8 n.v.t.
    labels = {r.raw: r.label["nl"] for r in study.coded_missing_reasons}
    assert labels == {"-9": "geen antwoord", "-8": "niet van toepassing"}
    assert [r.stata for r in study.coded_missing_reasons] == ["a", "b"]
    assert [r.code for r in study.missing_reasons if r.raw is None] == ["niet_geleverd"]


@pytest.mark.parametrize("table", ["employee_survey", "employer_survey"])
def test_every_optional_answer_item_of_a_survey_has_a_reason_column_at_the_end(table: str) -> None:
    columns = curated_tables()[table].columns
    items = [c for c in load_instrument(table).research_columns]
    expected = [
        f"{c.name}__missing"
        for c in items
        if not c.required and c.type in ("integer", "number", "boolean", "code")
    ]
    names = [c["name"] for c in columns]
    assert names[-len(expected) :] == expected
    assert names[: -len(expected)] == [names[0], *(c.name for c in items)]
    for c in columns:
        if c["name"] in expected:
            assert c["type"] == "code" and list(c["codes"]) == [
                "geen_antwoord", "niet_van_toepassing", "niet_geleverd",
            ]  # fmt: skip
            assert c["reason_of"] + "__missing" == c["name"]
