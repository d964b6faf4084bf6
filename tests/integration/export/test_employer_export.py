"""`dwt export employer` on the two-zone test lake: one employer's summary, nothing more.

Checks what an arbeidsdeskundige hands over: the employer's own placements and answers,
employee answers only as aggregates over >= k respondents, no other employer's name, no
participant ids, formula-like text neutralised, files named by the pseudonym.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.reports_lake import EMPLOYERS, LakePaths, secrets, write_lake
from openpyxl import load_workbook

from commands.main import main
from dwt.export.employer import SHEETS

A = EMPLOYERS["A"]


@pytest.fixture
def lake(tmp_path: Path) -> LakePaths:
    return write_lake(tmp_path / "data")


def export(lake: LakePaths, *args: str) -> int:
    return main(["export", "employer", "--data-dir", str(lake.data_dir), *args])


def cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def all_text(path: Path) -> list[str]:
    return [str(v) for rows in cells(path).values() for row in rows for v in row if v is not None]


def test_exports_the_employers_own_placements_and_answers_by_a_kvk_missing_its_zero(
    lake: LakePaths, tmp_path: Path
) -> None:
    out = tmp_path / "a.xlsx"
    assert export(lake, "--employer", A.kvk.lstrip("0"), "--out", str(out)) == 0
    assert out.exists() and out.with_suffix(".pdf").exists()
    sheets = cells(out)
    assert list(sheets) == list(SHEETS)
    assert ("Werkgever", A.name) in sheets["Samenvatting"]
    placements = sheets["Plaatsingen"]
    assert placements[0] == ("Nr.", "Startdatum", "Einddatum", "Contractvorm", "Duur (maanden)",
                             "Stand")  # fmt: skip
    assert [r[1] for r in placements[1:7]] == [
        "2017-02-01", "2017-03-01", "2017-04-10", "2017-05-01", "2017-06-01", "2017-07-01",
    ]  # fmt: skip
    assert ("Aantal medewerkers", "40", "42") in sheets["Vragenlijst werkgever"]


def test_employee_answers_are_aggregated_only_over_at_least_k_respondents(
    lake: LakePaths, tmp_path: Path
) -> None:
    out = tmp_path / "a.xlsx"
    assert export(lake, "--employer", A.kvk, "--out", str(out)) == 0
    rows = {r[0]: r for r in cells(out)["Werknemers (geaggregeerd)"] if r[0]}
    # six respondents: a mean (k = 5), their number shown as the release shows counts ("<7")
    assert rows["2018"][1] == "<7" and rows["2018"][2] == "8,0"
    assert rows["2019"][1] == "<7"  # three respondents: no aggregate at all
    assert set(rows["2019"][2:]) == {"te weinig respondenten"}


def test_the_summary_holds_no_other_employer_and_no_participant_id(
    lake: LakePaths, tmp_path: Path
) -> None:
    out = tmp_path / "a.xlsx"
    assert export(lake, "--employer", A.kvk, "--out", str(out)) == 0
    text = "\n".join(all_text(out))
    pdf = subprocess.run(["pdftotext", str(out.with_suffix(".pdf")), "-"], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    own = {A.kvk, A.name}
    for secret in secrets():
        if secret not in own:
            assert secret not in text and secret not in pdf, secret
    for pid in ("P01", "P02", "pl-01", "participant_id"):
        assert pid not in text and pid not in pdf


def test_formula_like_text_is_neutralised_in_the_workbook(lake: LakePaths, tmp_path: Path) -> None:
    out = tmp_path / "c.xlsx"
    assert export(lake, "--employer", EMPLOYERS["C"].kvk, "--out", str(out)) == 0
    names = [r[1] for r in cells(out)["Samenvatting"] if r[0] == "Werkgever"]
    assert names == ["'" + EMPLOYERS["C"].name]


def test_an_unknown_kvk_exits_2_with_a_clear_message(
    lake: LakePaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(lake, "--employer", "99999999", "--out", str(tmp_path / "x.xlsx")) == 2
    assert "unknown KvK number 99999999" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


def test_advisor_gets_one_summary_per_monitored_employer_named_by_pseudonym(
    lake: LakePaths, tmp_path: Path
) -> None:
    folder = tmp_path / "werkgevers"
    assert export(lake, "--advisor", "AD-014", "--out", str(folder)) == 0
    monitored = sorted(e.employer_id for e in EMPLOYERS.values() if e.advisor == "AD-014")
    assert sorted(p.stem for p in folder.glob("*.xlsx")) == [f"werkgever-{e}" for e in monitored]
    assert len(list(folder.glob("*.pdf"))) == len(monitored)
    for path in folder.iterdir():
        assert not any(e.kvk in path.name or e.name in path.name for e in EMPLOYERS.values())


def test_never_reads_contact_notes_or_the_quarantine(lake: LakePaths, tmp_path: Path) -> None:
    for sub in ("contact_notes", "quarantine"):
        for path in (lake.restricted / sub).rglob("*.parquet"):
            path.write_bytes(b"not parquet: reading this would fail")
    assert export(lake, "--employer", A.kvk, "--out", str(tmp_path / "a.xlsx")) == 0


def test_the_same_lake_gives_the_same_workbook_and_pdf_bytes(
    lake: LakePaths, tmp_path: Path
) -> None:
    first, second = tmp_path / "1.xlsx", tmp_path / "2.xlsx"
    assert export(lake, "--employer", A.kvk, "--out", str(first)) == 0
    assert export(lake, "--employer", A.kvk, "--out", str(second)) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".pdf").read_bytes() == second.with_suffix(".pdf").read_bytes()
