"""Survey missing codes from raw delivery to curated lake and research export (issue 15).

A small hand-made delivery with -9 (geen antwoord), -8 (niet van toepassing), empty cells and a
column the file does not have goes through the real ingest (no Prefect: the pipeline function);
the curated survey tables say why each answer is missing, the figures count every reason as
missing (the same numbers as a delivery with empty cells there), and the research export
writes the codes back.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyreadstat
import pytest
from helpers.deliveries import (
    employee_answer,
    employer_answer,
    make_bsn,
    placement,
    tree_digest,
    write_csv,
    write_xlsx,
)

from dwt.analytics.metrics import compute_metrics, to_json
from dwt.analytics.views import connect
from dwt.config import Settings
from dwt.export.research import export_research
from dwt.pseudonym import pseudonymise
from dwt.schema import load_instrument
from dwt.validation.runner import Validator
from dwt.zones import ResearchZone
from flows.ingest_sequence import run_ingest

KEY = b"test-key-missing-reasons"
REGION = "haaglanden"
WAVE = 2018
NOT_DELIVERED = "intention_to_stay"  # the region's file has no such column

# person -> the answers that differ from helpers.deliveries.SURVEY_DEFAULTS
ANSWERS = {
    1: {"work_ability": "-9", "health": "-8", "buddy_helpful": ""},
    2: {"job_satisfaction": " -8 ", "sick_days": "-9", "same_employer": "-8"},
    3: {"work_ability": "5", "buddy_present": "-9"},
    4: {"work_ability": "9", "health": ""},
    5: {"work_ability": "-8", "hours_per_week": "-9"},
}


def _employee_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """An employee survey without the NOT_DELIVERED column (Dutch headers)."""
    columns = [c for c in load_instrument("employee_survey").columns if c.name != NOT_DELIVERED]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(c.alias or c.name for c in columns)
        for row in rows:
            writer.writerow(row.get(c.name, "") for c in columns)


def _delivery(raw: Path, blank_codes: bool) -> None:
    """The study's files; `blank_codes` writes an empty cell wherever the other has a code."""

    def cell(value: str) -> str:
        return "" if blank_codes and value.strip() in ("-9", "-8") else value

    folder = raw / REGION / str(WAVE)
    people = [placement(n, n % 2, start_date="2017-06-01") for n in ANSWERS]
    write_csv(folder / "placements.csv", "placements", people)
    answers = [
        employee_answer(n, WAVE, **{k: cell(v) for k, v in changes.items()})
        for n, changes in ANSWERS.items()
    ]
    _employee_csv(folder / "employee_survey.csv", answers)
    employers = [
        employer_answer(0, WAVE, measure_job_carving=cell("-9"), satisfaction_performance="5"),
        employer_answer(1, WAVE, expected_durability=cell("-8")),
    ]
    write_xlsx(folder / "employer_survey.xlsx", "employer_survey", employers)


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three lakes: the delivery with codes (twice from the same raw files, to rebuild it)
    and with empty cells."""
    validator = Validator()
    out = {}
    for name, blank in (("codes", False), ("again", False), ("blanks", True)):
        data = tmp_path_factory.mktemp(name)
        if name == "again":
            shutil.copytree(out["codes"] / "raw", data / "raw")
        else:
            _delivery(data / "raw", blank_codes=blank)
        result = run_ingest(Settings(data_dir=data), KEY, validator=validator)
        files = {f["path"]: f for f in result.summary["files"]}
        assert {f["status"] for f in files.values()} == {"accepted"}, files
        assert sum(f["quarantined"] for f in files.values()) == 0, files
        out[name] = data
    return out


def _reasons(data: Path, table: str, key: str, items: list[str]) -> dict[str, dict[str, object]]:
    con = connect(data / "curated")
    select = ", ".join(f"{i}, {i}__missing" for i in items)
    rows = con.execute(f"SELECT {key}, {select} FROM {table}").fetchall()
    con.close()
    out = {}
    for row in rows:
        values = iter(row[1:])
        out[row[0]] = {i: (next(values), next(values)) for i in items}
    return out


def test_the_curated_survey_says_why_each_answer_is_missing(lakes: dict[str, Path]) -> None:
    items = ["work_ability", "health", "buddy_helpful", "job_satisfaction", "sick_days"]
    items += ["same_employer", "buddy_present", "hours_per_week", NOT_DELIVERED]
    rows = _reasons(lakes["codes"], "employee_survey", "participant_id", items)
    pid = dict(zip(ANSWERS, pseudonymise(KEY, "bsn", [make_bsn(n) for n in ANSWERS]), strict=True))
    assert set(rows) == set(pid.values())
    one, two, three, four, five = (rows[pid[n]] for n in ANSWERS)
    assert one["work_ability"] == (None, "geen_antwoord")
    assert one["health"] == (None, "niet_van_toepassing")
    assert one["buddy_helpful"] == (None, "niet_geleverd")  # an empty cell
    assert two["job_satisfaction"] == (None, "niet_van_toepassing")
    assert two["sick_days"] == (None, "geen_antwoord")
    assert two["same_employer"] == (None, "niet_van_toepassing")
    assert three["buddy_present"] == (None, "geen_antwoord")
    assert four["health"] == (None, "niet_geleverd")
    assert five["work_ability"] == (None, "niet_van_toepassing")
    assert five["hours_per_week"] == (None, "geen_antwoord")
    for row in rows.values():  # a column the file did not have: not delivered, everywhere
        assert row[NOT_DELIVERED] == (None, "niet_geleverd")
    assert one["job_satisfaction"] == (4, None)  # an answer has no reason
    assert three["work_ability"] == (5, None)
    employers = _reasons(lakes["codes"], "employer_survey", "employer_id", ["measure_job_carving"])
    reasons = sorted(str(r["measure_job_carving"][1]) for r in employers.values())
    assert reasons == ["None", "geen_antwoord"]  # from an xlsx delivery


def test_with_empty_cells_instead_of_codes_only_the_reasons_differ(
    lakes: dict[str, Path],
) -> None:
    codes = _reasons(lakes["codes"], "employee_survey", "participant_id", ["work_ability"])
    blanks = _reasons(lakes["blanks"], "employee_survey", "participant_id", ["work_ability"])
    assert {p: r["work_ability"][0] for p, r in codes.items()} == {
        p: r["work_ability"][0] for p, r in blanks.items()
    }
    assert {r["work_ability"][1] for r in blanks.values()} == {None, "niet_geleverd"}


def test_the_figures_count_both_codes_as_missing(lakes: dict[str, Path]) -> None:
    with_codes = compute_metrics(ResearchZone(lakes["codes"] / "curated"))
    with_blanks = compute_metrics(ResearchZone(lakes["blanks"] / "curated"))
    assert to_json(with_codes) == to_json(with_blanks)
    work_ability = with_codes["all"]["trajectories"]["work_ability"][str(WAVE)]
    assert work_ability["n"] == 3  # persons 2, 3, 4 answered: 7, 5, 9
    assert work_ability["mean"] == pytest.approx(7.0)


def test_the_curated_lake_is_rebuilt_byte_for_byte(lakes: dict[str, Path]) -> None:
    assert tree_digest(lakes["codes"] / "curated") == tree_digest(lakes["again"] / "curated")


def test_the_sav_export_of_the_ingested_lake_writes_the_codes_back(
    lakes: dict[str, Path], tmp_path: Path
) -> None:
    export_research(ResearchZone(lakes["codes"] / "curated"), tmp_path, "sav")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "employee_survey.sav"), user_missing=True)
    pid = pseudonymise(KEY, "bsn", [make_bsn(1), make_bsn(4)])
    rows = frame.set_index("participant_id")
    assert rows.loc[pid[0], "work_ability"] == -9
    assert rows.loc[pid[0], "health"] == -8
    assert rows.loc[pid[1], "health"] != rows.loc[pid[1], "health"]  # empty: system-missing
    assert meta.missing_ranges["work_ability"][0] == {"lo": -9.0, "hi": -9.0}
