"""Curation of one region as the pure function it is: staged rows in, tables out (no IO)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
from helpers.deliveries import (
    contact,
    employee_answer,
    interview,
    make_bsn,
    make_kvk,
    placement,
    segment,
)

from dwt.ingest.curate import build_region
from dwt.ingest.parse import parse_table
from dwt.ingest.staging import STAGED
from dwt.pseudonym import pseudonymise
from dwt.schema import curated_tables, load_instrument, load_study, restricted_tables

KEY = b"unit-test-key"
REGION = "haaglanden"


def staged(
    instrument: str, rows: list[dict[str, str]], wave: int = 2019, absent: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Rows as the ingest stages them: typed columns, bookkeeping, raw text, parse reasons
    (the GX rules are not applied here: a parse failure stands for every row reason).
    `absent` columns are not in the delivered file at all."""
    inst = load_instrument(instrument)
    names = [c for c in inst.column_names if c not in absent]
    raw = pd.DataFrame([{c: r.get(c, "") for c in names} for r in rows])
    raw.index = range(1, len(raw) + 1)
    typed, reasons = parse_table(raw, inst, load_study())
    frame = typed.reset_index(drop=True).copy()
    frame[STAGED.region] = REGION
    frame[STAGED.wave] = wave
    frame[STAGED.file] = f"{REGION}/{wave}/{instrument}.csv"
    frame[STAGED.row] = list(raw.index)
    frame[STAGED.reasons] = [list(r) for r in reasons]
    for column in raw.columns:
        frame[STAGED.raw_prefix + column] = raw[column].to_numpy(dtype=object)
    return frame


def table(out: dict[str, pa.Table], path: str) -> pd.DataFrame:
    return out[path].to_pandas()


def test_a_region_is_curated_into_pseudonymous_tables_with_counts_per_file() -> None:
    placements = staged("placements", [placement(1), placement(2, 1, hours_per_week="veel")])
    survey = staged("employee_survey", [employee_answer(1, 2019), employee_answer(7, 2019)])
    out = build_region(REGION, {"placements": placements, "employee_survey": survey}, KEY)

    state = table(out.research, curated_tables()["placements"].path(region=REGION))
    assert state["participant_id"].to_list() == pseudonymise(KEY, "bsn", [make_bsn(1)])
    assert state["employer_id"].to_list() == pseudonymise(KEY, "kvk", [make_kvk(0)])
    assert list(state.columns) == curated_tables()["placements"].column_names
    answers = table(
        out.research, curated_tables()["employee_survey"].path(region=REGION, wave=2019)
    )
    assert answers["participant_id"].to_list() == state["participant_id"].to_list()

    # delivered = curated + quarantined, per file
    assert out.counts == {
        f"{REGION}/2019/placements.csv": (2, 1, 1),
        f"{REGION}/2019/employee_survey.csv": (2, 1, 1),
    }


def test_survey_tables_keep_why_an_answer_is_missing_beside_a_null_item() -> None:
    people = staged("placements", [placement(n) for n in (1, 2, 3)])
    answers = [
        employee_answer(1, 2019, work_ability="-9", health=" -8 ", buddy_helpful=""),
        employee_answer(2, 2019, same_employer="-8", sick_days="-9", hours_per_week="-8"),
        employee_answer(3, 2019),
    ]
    survey = staged("employee_survey", answers, absent=("intention_to_stay",))
    out = build_region(REGION, {"placements": people, "employee_survey": survey}, KEY)
    spec = curated_tables()["employee_survey"]
    rows = table(out.research, spec.path(region=REGION, wave=2019))
    assert list(rows.columns) == spec.column_names
    assert out.counts[f"{REGION}/2019/employee_survey.csv"] == (3, 3, 0)
    ids = pseudonymise(KEY, "bsn", [make_bsn(1), make_bsn(2)])
    rows = rows.set_index("participant_id")
    first, second = rows.loc[ids[0]], rows.loc[ids[1]]

    def reason(row: pd.Series, item: str) -> str | None:
        value = row[f"{item}__missing"]
        return None if pd.isna(value) else str(value)

    # the item stays NULL (figures count it as missing); the reason says why
    assert pd.isna(first["work_ability"]) and reason(first, "work_ability") == "geen_antwoord"
    assert pd.isna(first["health"]) and reason(first, "health") == "niet_van_toepassing"
    assert pd.isna(first["buddy_helpful"]) and reason(first, "buddy_helpful") == "niet_geleverd"
    assert reason(second, "same_employer") == "niet_van_toepassing"
    assert reason(second, "sick_days") == "geen_antwoord"
    assert reason(second, "hours_per_week") == "niet_van_toepassing"
    # a column the file did not deliver: not delivered, in every row
    assert rows["intention_to_stay"].isna().all()
    assert set(rows["intention_to_stay__missing"]) == {"niet_geleverd"}
    # an answered item has no reason
    assert first["job_satisfaction"] == 4 and reason(first, "job_satisfaction") is None
    assert second["work_ability"] == 7 and reason(second, "work_ability") is None
    # required items are never missing in a curated row; dates, identifiers have no companion
    assert "employed__missing" not in rows.columns
    assert "response_date__missing" not in rows.columns
    assert not [c for c in rows.columns if c.startswith(("bsn", "participant_id_"))]
    # every NULL answer item has a reason, every answered one none
    for column in spec.columns:
        if "reason_of" in column:
            item = rows[column["reason_of"]]
            assert (item.isna() == rows[column["name"]].notna()).all(), column["name"]


def test_other_tables_than_the_surveys_have_no_missing_reason_columns() -> None:
    for name, spec in curated_tables().items():
        companions = [c["name"] for c in spec.columns if c["name"].endswith("__missing")]
        if name in ("employee_survey", "employer_survey"):
            assert companions, name
        else:
            assert companions == [], name


def test_quarantined_rows_keep_every_raw_value_and_reason_in_the_restricted_zone() -> None:
    placements = staged("placements", [placement(1), placement(2, 1, hours_per_week="veel")])
    survey = staged("employee_survey", [employee_answer(7, 2019)])  # not in the placements
    out = build_region(REGION, {"placements": placements, "employee_survey": survey}, KEY)

    spec = restricted_tables()["quarantine"]
    bad_placement = table(
        out.restricted, spec.path(region=REGION, instrument="placements", wave=2019)
    )
    assert bad_placement["reasons"].map(list).to_list() == [["hours_per_week: not a number"]]
    raw = json.loads(bad_placement["raw"][0])
    assert raw["hours_per_week"] == "veel" and raw["bsn"] == make_bsn(2)
    bad_answer = table(
        out.restricted, spec.path(region=REGION, instrument="employee_survey", wave=2019)
    )
    assert bad_answer["reasons"].map(list).to_list() == [
        ["bsn: unknown person in region placements"]
    ]
    assert bad_answer["source_row"].to_list() == [1]


def test_no_identifier_name_or_note_reaches_a_research_table() -> None:
    placements = staged("placements", [placement(1), placement(2, 1)])
    contacts = staged("contacts", [contact(0, 2019, person=1), contact(1, 2019)])
    out = build_region(REGION, {"placements": placements, "contacts": contacts}, KEY)

    secrets = [make_bsn(1), make_bsn(2), make_kvk(0), make_kvk(1), "Persoon1", "Werkgever0 BV"]
    secrets.append("Gesprek met Persoon1")
    for path, arrow in out.research.items():
        text = arrow.to_pandas().to_csv()
        assert not [s for s in secrets if s in text], path
    notes = table(out.restricted, restricted_tables()["contact_notes"].path(region=REGION))
    assert "Gesprek met Persoon1 over werkdruk" in notes["notes"].to_list()
    directory = table(out.restricted, restricted_tables()["employer_directory"].path(region=REGION))
    assert sorted(directory["employer_kvk"]) == sorted([make_kvk(0), make_kvk(1)])


def test_the_latest_wave_that_delivered_a_placement_gives_its_state() -> None:
    first = staged("placements", [placement(1), placement(2)], wave=2018)
    later = staged(
        "placements", [placement(1, end_date="2019-06-30", end_reason="ontslag")], wave=2019
    )
    out = build_region(REGION, {"placements": pd.concat([first, later], ignore_index=True)}, KEY)

    state = table(out.research, curated_tables()["placements"].path(region=REGION))
    by_person = dict(zip(state["participant_id"], state.to_dict("records"), strict=True))
    ended = by_person[pseudonymise(KEY, "bsn", [make_bsn(1)])[0]]
    assert (ended["last_wave"], ended["end_reason"], ended["missing_from_latest"]) == (
        2019,
        "ontslag",
        False,
    )
    gone = by_person[pseudonymise(KEY, "bsn", [make_bsn(2)])[0]]
    assert (gone["last_wave"], gone["missing_from_latest"]) == (2018, True)
    assert any(q["outcome"] == "flagged" and q["rows"] == 1 for q in out.quality)


# ------------------------------------------------------------------------ interview waves
UNKNOWN_INTERVIEW = "interview_id: unknown interview in wave interviews"


def _interview_region() -> dict[str, pd.DataFrame]:
    """Two employers with placements; wave 2019: an interview at employer 0 about person 1, a
    focus group of both employers (two rows, one document), and an interview at employer 9,
    who has no placement in the region."""
    placements = staged("placements", [placement(1, 0), placement(2, 1)])
    documents = staged(
        "interviews",
        [
            interview(1, 2019, 0, person=1, respondent_role="werknemer"),
            interview(2, 2019, 0, interview_type="focusgroep"),
            interview(2, 2019, 1, interview_type="focusgroep", respondent_role="leidinggevende"),
            interview(3, 2019, 9),
        ],
    )
    segments = staged(
        "interview_codes",
        [
            segment(1, 2019, "Begeleiding\\Jobcoach", "bevorderend"),
            segment(1, 2019, "Begeleiding > Jobcoach", "bevorderend", coder="OZ-02"),
            segment(2, 2019, "werk::werkdruk", "belemmerend"),
            segment(3, 2019, "Werknemer\\Gezondheid", "neutraal"),  # its interview: quarantined
            segment(4, 2019, "Werk\\Uren", "neutraal"),  # no document 4 in the file
            segment(1, 2019, "Begeleiding\\Mentor", "neutraal"),  # not in the code system
        ],
    )
    return {"placements": placements, "interviews": documents, "interview_codes": segments}


def test_interviews_and_segments_are_curated_into_pseudonymous_tables() -> None:
    out = build_region(REGION, _interview_region(), KEY)

    docs = table(out.research, curated_tables()["interviews"].path(region=REGION, wave=2019))
    assert list(docs.columns) == curated_tables()["interviews"].column_names
    refs = pseudonymise(KEY, "interview", ["INT-HL-2019-001", "INT-HL-2019-002"])
    # sorted by date: document 1 on 2019-03-01, the focus group (2 rows, one pseudonym) on 03-02
    assert docs["interview_ref"].to_list() == [refs[0], refs[1], refs[1]]
    assert docs["employer_id"].to_list() == pseudonymise(
        KEY, "kvk", [make_kvk(i) for i in (0, 0, 1)]
    )
    assert docs["participant_id"].to_list()[0] == pseudonymise(KEY, "bsn", [make_bsn(1)])[0]
    assert docs["interview_type"].to_list() == ["interview", "focusgroep", "focusgroep"]

    segs = table(
        out.research, curated_tables()["interview_segments"].path(region=REGION, wave=2019)
    )
    assert list(segs.columns) == curated_tables()["interview_segments"].column_names
    assert segs[["code", "factor", "coder"]].values.tolist() == [
        ["jobcoach", "begeleiding", "OZ-01"],
        ["jobcoach", "begeleiding", "OZ-02"],
        ["werkdruk", "werk", "OZ-01"],
    ]
    assert set(segs["interview_ref"]) == set(refs)


def test_a_segment_of_no_interview_of_its_wave_is_quarantined_with_that_reason() -> None:
    out = build_region(REGION, _interview_region(), KEY)

    quarantine = restricted_tables()["quarantine"]
    bad_docs = table(
        out.restricted, quarantine.path(region=REGION, instrument="interviews", wave=2019)
    )
    assert bad_docs["reasons"].map(list).to_list() == [
        ["employer_kvk: unknown employer in region placements"]
    ]
    bad = table(
        out.restricted, quarantine.path(region=REGION, instrument="interview_codes", wave=2019)
    )
    by_row = dict(zip(bad["source_row"], bad["reasons"].map(list), strict=True))
    # row 4: its interview was quarantined; row 5: no such document; row 6: unknown code
    assert by_row == {4: [UNKNOWN_INTERVIEW], 5: [UNKNOWN_INTERVIEW], 6: ["code: unknown code"]}
    # nothing lost: delivered = curated + quarantined, per file
    assert out.counts[f"{REGION}/2019/interviews.csv"] == (4, 3, 1)
    assert out.counts[f"{REGION}/2019/interview_codes.csv"] == (6, 3, 3)


def test_a_segment_is_checked_against_the_interviews_of_its_own_wave() -> None:
    region = _interview_region()
    later = staged("interview_codes", [segment(1, 2019, "werk::uren", "neutraal")], wave=2020)
    later["interview_id"] = "INT-HL-2019-001"  # a 2019 document, delivered in 2020's codes file
    region["interview_codes"] = pd.concat([region["interview_codes"], later], ignore_index=True)
    out = build_region(REGION, region, KEY)

    spec = restricted_tables()["quarantine"]
    bad = table(out.restricted, spec.path(region=REGION, instrument="interview_codes", wave=2020))
    assert bad["reasons"].map(list).to_list() == [[UNKNOWN_INTERVIEW]]


def test_segment_texts_and_document_names_stay_in_the_restricted_zone() -> None:
    region = _interview_region()
    out = build_region(REGION, region, KEY)

    secrets = [*region["interview_codes"]["segment_text"], *region["interviews"]["document_name"]]
    secrets += list(region["interviews"]["interview_id"])
    for path, arrow in out.research.items():
        text = arrow.to_pandas().to_csv()
        assert not [s for s in secrets if s in text], path
    texts = table(
        out.restricted, restricted_tables()["interview_segment_texts"].path(region=REGION)
    )
    assert len(texts) == 3 and texts["segment_text"].str.contains("Achternaam").all()
    directory = table(
        out.restricted, restricted_tables()["interview_directory"].path(region=REGION)
    )
    assert directory["interview_id"].to_list() == sorted(
        ["INT-HL-2019-001", "INT-HL-2019-002"],
        key=lambda code: pseudonymise(KEY, "interview", [code])[0],
    )
    assert directory["document_name"].str.startswith("Interview Respondent").all()


# ------------------------------------------------------------------ ordering without objects
def test_stable_order_sorts_as_pandas_stable_sort_with_missing_values_last() -> None:
    from dwt.ingest.curate import _stable_order

    frame = pd.DataFrame(
        {
            "id": ["b", None, "a", "b", "a", "c", None],
            "wave": [2019, 2018, 2019, 2018, 2019, 2017, 2017],
            "day": pd.to_datetime(["2019-01-02", None, None, "2018-05-01", None, None, None]),
        }
    )
    for columns in (["id"], ["id", "wave"], ["wave", "day", "id"], ["day"]):
        expected = frame.sort_values(columns, kind="stable").index.to_numpy()
        assert _stable_order(frame, columns).tolist() == expected.tolist(), columns


def test_employers_count_placements_and_take_the_latest_placements_attributes() -> None:
    rows = [
        placement(1, 0, start_date="2018-01-01", sector="Q"),
        placement(2, 0, start_date="2018-03-01", sector="F"),
        placement(3, 1, start_date="2018-02-01"),
    ]
    later = [placement(1, 0, start_date="2018-01-01", sector="Q")]
    stacked = pd.concat(
        [staged("placements", rows, wave=2018), staged("placements", later, wave=2019)],
        ignore_index=True,
    )
    out = build_region(REGION, {"placements": stacked}, KEY)
    employers = table(out.research, curated_tables()["employers"].path(region=REGION))
    kvk = pseudonymise(KEY, load_instrument("placements").column("employer_kvk").hmac_prefix,
                       [make_kvk(0), make_kvk(1)])  # fmt: skip
    by_id = employers.set_index("employer_id")
    assert list(employers["employer_id"]) == sorted(employers["employer_id"])
    assert by_id.loc[kvk[0], "placements"] == 2 and by_id.loc[kvk[1], "placements"] == 1
    assert (by_id.loc[kvk[0], "first_wave"], by_id.loc[kvk[0], "last_wave"]) == (2018, 2019)
    # employer 0's latest placement: person 1, still delivered in 2019 (the later wave)
    assert by_id.loc[kvk[0], "sector"] == "Q"


def test_a_region_whose_placements_are_all_quarantined_has_empty_placement_tables() -> None:
    bad = staged("placements", [placement(1, gender="x"), placement(2, gender="y")])
    out = build_region(REGION, {"placements": bad}, KEY)
    assert table(out.research, curated_tables()["placements"].path(region=REGION)).empty
    assert table(out.research, curated_tables()["employers"].path(region=REGION)).empty
    assert out.counts[f"{REGION}/2019/placements.csv"] == (2, 0, 2)
