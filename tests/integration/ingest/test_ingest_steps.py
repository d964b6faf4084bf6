"""The ingest end to end on small hand-made deliveries (no Prefect: the pipeline functions)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers.deliveries import (
    contact,
    employee_answer,
    employer_answer,
    make_bsn,
    make_kvk,
    placement,
    tree_digest,
    write_csv,
    write_xlsx,
)

from dwt.analytics.views import connect
from dwt.config import ConfigError, Settings
from dwt.errors import KeyMismatch
from dwt.validation.runner import Validator
from flows.ingest_sequence import run_ingest

KEY = b"test-key"
REGION = "haaglanden"


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()  # one GX context for the module


def _study(raw: Path) -> None:
    """Two waves of one region: 4 people, 2 employers, one bad row of each kind below."""
    w17 = raw / REGION / "2017"
    w18 = raw / REGION / "2018"
    write_csv(
        w17 / "placements.csv",
        "placements",
        [
            placement(1, 0, start_date="2017-03-01"),
            placement(2, 0, start_date="2017-04-01"),
            placement(3, 1, start_date="2017-05-01"),
            placement(9, 1, start_date="2017-05-01", bsn="123456789"),  # fails 11-proef
        ],
    )
    write_csv(
        w18 / "placements.csv",
        "placements",
        [
            # person 1's end date arrives in the later snapshot
            placement(1, 0, start_date="2017-03-01", end_date="2018-06-30", end_reason="ontslag"),
            placement(2, 0, start_date="2017-04-01"),
            # person 3 is no longer delivered: kept, flagged
            placement(4, 1, start_date="2018-02-01", job_coach="geen", job_coach_level=""),
        ],
        dutch=False,
        delimiter=";",
        encoding="cp1252",
    )
    write_csv(
        w18 / "employee_survey.csv",
        "employee_survey",
        [
            employee_answer(1, 2018),
            employee_answer(2, 2018, work_ability="11"),  # above maximum
            employee_answer(7, 2018),  # unknown person
            employee_answer(4, 2018),
            employee_answer(4, 2018),  # identical copy -> duplicate
        ],
    )
    write_csv(w18 / "employer_survey.csv", "employer_survey", [employer_answer(0, 2018)])
    write_csv(
        w18 / "contacts.csv",
        "contacts",
        [contact(0, 2018, person=1), contact(1, 2018), contact(5, 2018)],  # employer 5 unknown
    )


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    _study(tmp_path / "raw")
    return tmp_path


def _files(summary: dict) -> dict[str, dict]:
    return {f["path"]: f for f in summary["files"]}


def test_counts_reconcile_for_every_accepted_file(lake_dir: Path, validator: Validator) -> None:
    result = run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    files = _files(result.summary)
    assert {f["status"] for f in files.values()} == {"accepted"}
    for f in files.values():
        assert f["rows"] == f["curated"] + f["quarantined"], f["path"]
    assert files[f"{REGION}/2017/placements.csv"]["quarantined"] == 1
    assert files[f"{REGION}/2018/employee_survey.csv"]["quarantined"] == 3
    assert files[f"{REGION}/2018/contacts.csv"]["quarantined"] == 1
    con = connect(lake_dir / "curated")
    per_wave = dict(
        con.execute("select wave, count(*) from placement_history group by wave").fetchall()
    )
    assert per_wave == {2017: 3, 2018: 3}
    assert con.execute("select count(*) from employee_survey").fetchone() == (2,)


def test_quarantine_keeps_raw_values_and_every_reason(lake_dir: Path, validator: Validator) -> None:
    run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    q = pq.read_table(lake_dir / "restricted/quarantine").to_pylist()
    by_reason = {tuple(r["reasons"]): r for r in q}
    assert ("bsn: fails 11-proef",) in by_reason
    assert json.loads(by_reason[("bsn: fails 11-proef",)]["raw"])["bsn"] == "123456789"
    assert ("work_ability: above maximum",) in by_reason
    assert ("bsn: unknown person in region placements",) in by_reason
    assert ("duplicate row",) in by_reason
    assert ("employer_kvk: unknown employer in region placements",) in by_reason
    dup = by_reason[("duplicate row",)]
    assert dup["source_row"] == 5  # the copy, not the first occurrence


def test_placement_state_is_the_latest_delivered_version(
    lake_dir: Path, validator: Validator
) -> None:
    run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    con = connect(lake_dir / "curated")
    rows = con.execute(
        "select first_wave, last_wave, end_reason, missing_from_latest from placements "
        "order by first_wave, last_wave, end_reason nulls last"
    ).fetchall()
    assert rows == [
        (2017, 2017, None, True),  # person 3: missing from the 2018 snapshot, kept and flagged
        (2017, 2018, "ontslag", False),  # person 1: end date filled in by 2018
        (2017, 2018, None, False),
        (2018, 2018, None, False),
    ]


def test_second_ingest_changes_no_byte(lake_dir: Path, validator: Validator) -> None:
    settings = Settings(data_dir=lake_dir)
    run_ingest(settings, KEY, validator=validator)
    before = {z: tree_digest(lake_dir / z) for z in ("curated", "restricted")}
    again = run_ingest(settings, KEY, validator=validator)
    assert not again.changed
    assert {f["status"] for f in again.summary["files"]} == {"unchanged"}
    assert {z: tree_digest(lake_dir / z) for z in ("curated", "restricted")} == before


def test_changed_file_replaces_what_it_delivered(lake_dir: Path, validator: Validator) -> None:
    settings = Settings(data_dir=lake_dir)
    run_ingest(settings, KEY, validator=validator)
    write_csv(
        lake_dir / "raw" / REGION / "2018" / "employer_survey.csv",
        "employer_survey",
        [employer_answer(0, 2018, expected_durability="2"), employer_answer(1, 2018)],
    )
    result = run_ingest(settings, KEY, validator=validator)
    files = _files(result.summary)
    assert files[f"{REGION}/2018/employer_survey.csv"]["status"] == "accepted"
    assert files[f"{REGION}/2018/placements.csv"]["status"] == "unchanged"
    con = connect(lake_dir / "curated")
    assert con.execute(
        "select list_sort(list(expected_durability)) from employer_survey"
    ).fetchone() == ([2, 4],)


def test_rejected_file_is_named_with_its_reason_and_others_go_on(
    lake_dir: Path, validator: Validator
) -> None:
    bad = lake_dir / "raw" / REGION / "2018" / "employer_survey.csv"
    bad.write_text("invuldatum,aantal_medewerkers\n2018-09-01,4\n", encoding="utf-8")
    (lake_dir / "raw" / "utrecht" / "2018").mkdir(parents=True)
    (lake_dir / "raw" / "utrecht" / "2018" / "placements.csv").write_text("x\n1\n")
    result = run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    files = _files(result.summary)
    assert files[f"{REGION}/2018/employer_survey.csv"]["status"] == "rejected"
    assert files[f"{REGION}/2018/employer_survey.csv"]["reason"] == (
        "missing required column: employer_kvk"
    )
    assert files["utrecht/2018/placements.csv"]["reason"] == "unknown region"
    assert files[f"{REGION}/2018/placements.csv"]["status"] == "accepted"
    assert result.exit_code == 1
    con = connect(lake_dir / "curated")
    quality = con.execute(
        "select outcome, reason from quality where region = ? and wave = 2018 "
        "and instrument = 'employer_survey'",
        [REGION],
    ).fetchall()
    assert ("rejected", "missing required column: employer_kvk") in quality


def test_missing_instruments_are_reported_not_errors(lake_dir: Path, validator: Validator) -> None:
    result = run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    assert f"{REGION}/2017/employee_survey" in result.summary["missing"]
    assert result.exit_code == 0


def test_a_different_key_is_refused_and_changes_nothing(
    lake_dir: Path, validator: Validator
) -> None:
    settings = Settings(data_dir=lake_dir)
    run_ingest(settings, KEY, validator=validator)
    before = tree_digest(lake_dir)
    with pytest.raises(KeyMismatch, match="different pseudonym key"):
        run_ingest(settings, b"another-key", validator=validator)
    assert tree_digest(lake_dir) == before
    # a configuration error: the CLI answers it with exit 2, like every ConfigError
    assert issubclass(KeyMismatch, ConfigError) and KeyMismatch.exit_code == 2


def test_research_zone_holds_no_identifier_bytes(lake_dir: Path, validator: Validator) -> None:
    run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    secrets = {make_bsn(n) for n in range(12)} | {make_bsn(n)[1:] for n in range(12)}
    secrets |= {make_kvk(n) for n in range(6)} | {"123456789"}
    secrets |= {f"Persoon{n} Achternaam{n}" for n in range(12)}
    secrets |= {f"Werkgever{n} BV" for n in range(6)} | {"Gesprek met Persoon1", "Werkgever gebeld"}
    blobs = [p.read_bytes() for p in (lake_dir / "curated").rglob("*") if p.is_file()]
    # Parquet may compress strings: also scan every decoded value
    con = connect(lake_dir / "curated")
    for (table,) in con.execute(
        "select view_name from duckdb_views() where not internal"
    ).fetchall():
        blobs.append(str(con.execute(f"select * from {table}").fetchall()).encode())
    for secret in secrets:
        assert not any(secret.encode() in b for b in blobs), secret
    # ... while the restricted zone does hold them (proves the scan would find them)
    restricted = str(pq.read_table(lake_dir / "restricted/directory").to_pylist())
    assert make_kvk(0) in restricted


def _curated_rows(lake_dir: Path, table: str, wave: int) -> int:
    con = connect(lake_dir / "curated")
    try:
        row = con.execute(f"SELECT count(*) FROM {table} WHERE wave = {wave}").fetchone()
        assert row is not None
        return int(row[0])
    finally:
        con.close()


def _reconciles(lake_dir: Path) -> None:
    """Manifest, quality table and curated rows agree: one accepted file per slot, and each
    accepted file's curated count is the number of rows the lake holds for it."""
    manifest = json.loads((lake_dir / "restricted" / "manifest.json").read_text())["files"]
    accepted = [e for e in manifest.values() if e["status"] == "accepted"]
    slots = [(e["region"], e["wave"], e["instrument"]) for e in accepted]
    assert len(slots) == len(set(slots))
    for e in accepted:
        if e["instrument"] == "employee_survey":
            assert _curated_rows(lake_dir, "employee_survey", e["wave"]) == e["curated"]
    con = connect(lake_dir / "curated")
    try:
        quality = con.execute(
            "SELECT wave, instrument, rows FROM quality WHERE outcome = 'accepted'"
        ).fetchall()
    finally:
        con.close()
    assert sorted((w, i, n) for w, i, n in quality) == sorted(
        (e["wave"], e["instrument"], e["rows"]) for e in accepted
    )


def test_a_delivery_resent_in_another_format_replaces_the_first_and_back_again(
    lake_dir: Path, validator: Validator
) -> None:
    settings = Settings(data_dir=lake_dir)
    run_ingest(settings, KEY, validator=validator)
    survey = lake_dir / "raw" / REGION / "2018" / "employee_survey.csv"
    original = survey.read_bytes()
    # corrected as xlsx (three answers instead of five), the csv taken away
    survey.unlink()
    write_xlsx(survey.with_suffix(".xlsx"), "employee_survey",
               [employee_answer(n, 2018) for n in (1, 2, 4)])  # fmt: skip
    result = run_ingest(settings, KEY, validator=validator)
    files = _files(result.summary)
    assert files[f"{REGION}/2018/employee_survey.xlsx"]["status"] == "accepted"
    assert files[f"{REGION}/2018/employee_survey.csv"]["status"] == "removed"
    assert _curated_rows(lake_dir, "employee_survey", 2018) == 3
    _reconciles(lake_dir)

    # then the csv is restored, byte for byte, and the xlsx taken away
    survey.with_suffix(".xlsx").unlink()
    survey.write_bytes(original)
    result = run_ingest(settings, KEY, validator=validator)
    files = _files(result.summary)
    assert files[f"{REGION}/2018/employee_survey.csv"]["status"] == "accepted"
    assert files[f"{REGION}/2018/employee_survey.xlsx"]["status"] == "removed"
    assert _curated_rows(lake_dir, "employee_survey", 2018) == 2  # 5 delivered, 3 quarantined
    _reconciles(lake_dir)


def test_a_raw_file_deleted_after_ingest_takes_its_rows_out_of_the_lake(
    lake_dir: Path, validator: Validator
) -> None:
    settings = Settings(data_dir=lake_dir)
    run_ingest(settings, KEY, validator=validator)
    assert _curated_rows(lake_dir, "employee_survey", 2018) == 2
    (lake_dir / "raw" / REGION / "2018" / "employee_survey.csv").unlink()

    result = run_ingest(settings, KEY, validator=validator)
    assert result.changed and result.exit_code == 0
    files = _files(result.summary)
    assert files[f"{REGION}/2018/employee_survey.csv"]["status"] == "removed"
    assert f"{REGION}/2018/employee_survey" in result.summary["missing"]
    assert _curated_rows(lake_dir, "employee_survey", 2018) == 0
    manifest = json.loads((lake_dir / "restricted" / "manifest.json").read_text())["files"]
    assert f"{REGION}/2018/employee_survey.csv" not in manifest
    assert not (
        lake_dir / "restricted" / "staged" / REGION / "2018" / "employee_survey.parquet"
    ).exists()
    _reconciles(lake_dir)
    # and the next run has nothing to do
    assert not run_ingest(settings, KEY, validator=validator).changed


def test_an_unknown_header_holding_a_name_and_bsn_is_reported_without_them(
    lake_dir: Path, validator: Validator
) -> None:
    path = lake_dir / "raw" / REGION / "2018" / "employer_survey.csv"
    remark = f"Opmerking: bel Jan de Vries {make_bsn(3)}"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([lines[0] + f',"{remark}"', *(line + ",x" for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    result = run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    entry = _files(result.summary)[f"{REGION}/2018/employer_survey.csv"]
    assert entry["status"] == "accepted"
    assert entry["unknown_columns"] == ["column 15: Opmerking:... (37 characters)"]
    reported = [
        json.dumps(result.summary, ensure_ascii=False),
        *(p.read_text(encoding="utf-8") for p in (lake_dir / "runs").glob("*.json")),
        (lake_dir / "restricted" / "manifest.json").read_text(encoding="utf-8"),
    ]
    for text in reported:
        for secret in (make_bsn(3), make_bsn(3)[1:], "Vries", "Jan de"):
            assert secret not in text


def test_a_region_folder_linked_into_raw_is_ingested_like_any_other(
    lake_dir: Path, validator: Validator
) -> None:
    share = lake_dir.parent / f"{lake_dir.name}-share"
    (lake_dir / "raw" / REGION).rename(share)
    (lake_dir / "raw" / REGION).symlink_to(share, target_is_directory=True)
    result = run_ingest(Settings(data_dir=lake_dir), KEY, validator=validator)
    files = _files(result.summary)
    assert files[f"{REGION}/2018/placements.csv"]["status"] == "accepted"
    assert f"{REGION}/2018/placements" not in result.summary["missing"]
    con = connect(lake_dir / "curated")
    assert con.execute("select count(*) from placements").fetchone() == (4,)
