"""The data manager's records: provenance in every run manifest, an audit line for every output
command, and the problem list of a region (the one file with raw values), opened with openpyxl.

A faulty synthetic study (every injected fault) is ingested once through the flow's sequence;
the commands then run as a user runs them (`commands.main.main`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from commands.main import main
from dwt.config import Settings
from dwt.generate import generate_study
from dwt.pseudonym import key_fingerprint
from dwt.schema import load_instrument
from dwt.validation.runner import Validator
from flows.ingest_sequence import run_ingest

KEY = b"audit-test-key-not-secret"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audit")
    generate_study(root / "raw", seed=11, scale=0.5, faults=True)
    run_ingest(Settings(data_dir=root), KEY, validator=Validator())
    return root


def _worst_region(lake: Path) -> str:
    """The region with the most quarantined rows (every region has some faults)."""
    rows = pq.read_table(lake / "restricted" / "quarantine").to_pylist()
    counts: dict[str, int] = {}
    for path in {r["source_file"] for r in rows}:
        counts[path.split("/")[0]] = counts.get(path.split("/")[0], 0) + 1
    return max(sorted(counts), key=lambda r: counts[r])


def test_every_run_manifest_says_who_ran_which_code_with_which_key(lake: Path) -> None:
    (log,) = sorted((lake / "runs").glob("*.json"))
    prov = json.loads(log.read_text())["provenance"]
    assert prov["user"] and prov["host"]
    lock = hashlib.sha256((Path(__file__).parents[2] / "requirements.lock").read_bytes())
    assert prov["code"]["lock_sha256"] == lock.hexdigest()[:16]
    assert prov["code"]["package"]
    assert prov["key_fingerprint"] == key_fingerprint(KEY)


def test_the_problem_list_holds_every_rejected_file_and_quarantined_row_with_raw_values(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = _worst_region(lake)
    out = tmp_path / "problemen.xlsx"
    assert main(["problems", "--data-dir", str(lake), "--region", region, "--out", str(out)]) == 0
    assert "raw values" in capsys.readouterr().err

    manifest = json.loads((lake / "restricted" / "manifest.json").read_text())["files"]
    rejected = sorted(
        p for p, e in manifest.items() if e["status"] == "rejected" and p.startswith(region + "/")
    )
    quarantined = [r for r in pq.read_table(lake / "restricted" / "quarantine").to_pylist()
                   if r["source_file"].startswith(region + "/")]  # fmt: skip
    assert quarantined, "the faulty study quarantines rows in every region"
    book = load_workbook(out, read_only=True)
    files = list(book["Afgekeurde bestanden"].iter_rows(values_only=True))
    assert files[0] == ("Meting", "Instrument", "Bestand", "Reden")
    assert sorted(row[2] for row in files[1:]) == rejected
    assert all(row[3] for row in files[1:])  # every rejected file with its reason

    listed = 0
    for instrument in {r["instrument"] for r in quarantined}:
        inst = load_instrument(instrument)
        sheet = list(book[inst.title["nl"][:31]].iter_rows(values_only=True))
        header = sheet[0]
        assert header[:4] == ("Meting", "Bestand", "Rij", "Redenen")
        assert list(header[4:]) == [c.alias or c.name for c in inst.columns]  # Dutch names
        expected = {
            (r["source_file"], r["source_row"]): r
            for r in quarantined
            if r["instrument"] == instrument
        }
        for row in sheet[1:]:
            source = expected[(row[1], row[2])]
            assert row[3] == "; ".join(source["reasons"])
            raw = json.loads(source["raw"])
            for name, value in zip(inst.column_names, row[4:], strict=True):
                shown = value.lstrip("'") if isinstance(value, str) and value[:1] == "'" else value
                assert shown == raw.get(name) or (shown is None and raw.get(name) in (None, ""))
            listed += 1
    assert listed == len(quarantined)


def test_every_output_command_appends_who_what_when_and_the_files_with_their_hashes(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(lake)]
    directory = pq.read_table(lake / "restricted" / "directory").to_pylist()
    kvk, employer_id = directory[0]["employer_kvk"], directory[0]["employer_id"]
    commands = [
        ["report", *data, "--region", _worst_region(lake), "--out", str(tmp_path / "r"),
         "--format", "html"],
        ["export", "research", *data, "--out", str(tmp_path / "x"), "--format", "csv"],
        ["export", "employer", *data, "--employer", kvk, "--out", str(tmp_path / "w.xlsx")],
    ]  # fmt: skip
    before = len(_audit(lake, capsys))
    for argv in commands:
        assert main(argv) == 0, argv
    lines = _audit(lake, capsys)[before:]
    assert [line["command"] for line in lines] == [
        "dwt report", "dwt export research", "dwt export employer",
    ]  # fmt: skip
    snapshot = json.loads((lake / "curated" / "_snapshot.json").read_text())["snapshot"]
    for line in lines:
        assert line["user"] and line["host"] and line["at"] and line["snapshot"] == snapshot
        assert line["files"], line["command"]
        for f in line["files"]:
            assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert lines[2]["parameters"]["employers"] == [employer_id]
    # the KvK typed on the command line is not in the audit log: the employer's pseudonym is
    assert kvk not in (lake / "restricted" / "audit.jsonl").read_text()


def _audit(lake: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["audit", "--data-dir", str(lake), "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))
