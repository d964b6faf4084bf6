"""Curation of one region as the pure function it is: staged rows in, tables out (no IO)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
from helpers.deliveries import contact, employee_answer, make_bsn, make_kvk, placement

from dwt.ingest.curate import build_region
from dwt.ingest.parse import parse_table
from dwt.ingest.staging import STAGED
from dwt.pseudonym import pseudonymise
from dwt.schema import curated_tables, load_instrument, load_study, restricted_tables

KEY = b"unit-test-key"
REGION = "haaglanden"


def staged(instrument: str, rows: list[dict[str, str]], wave: int = 2019) -> pd.DataFrame:
    """Rows as the ingest stages them: typed columns, bookkeeping, raw text, parse reasons
    (the GX rules are not applied here: a parse failure stands for every row reason)."""
    inst = load_instrument(instrument)
    raw = pd.DataFrame([{c: r.get(c, "") for c in inst.column_names} for r in rows])
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
