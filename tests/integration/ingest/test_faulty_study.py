"""The synthetic study with every injected fault: the ingest must reconcile with the
generator's `_faults.json` exactly — every fault rejected or quarantined as the contract says,
nothing else — and a second ingest is a no-op."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from helpers.deliveries import tree_digest

from dwt.config import Settings
from dwt.generate import generate_study
from dwt.ingest.manifest import RunResult
from dwt.validation.runner import Validator
from flows.ingest_sequence import run_ingest

KEY = b"faulty-study-key"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult, dict[str, Any]]:
    root = tmp_path_factory.mktemp("faulty")
    generate_study(root / "raw", seed=11, scale=1.0, faults=True)
    faults = json.loads((root / "raw" / "_faults.json").read_text(encoding="utf-8"))
    result = run_ingest(Settings(data_dir=root), KEY, validator=Validator())
    return root, result, faults


def _expected(faults: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**faults["files"], **faults.get("rejected_paths", {})}


def _reason_kind(reason: str) -> str:
    # "unreadable file: not a valid xlsx", "undecodable text: invalid UTF-8 bytes in a UTF-8
    # file" — the generator names the kind, the reader the cause
    kinds = ("unreadable file", "undecodable text")
    return reason.split(":")[0] if reason.startswith(kinds) else reason


def test_every_file_has_the_outcome_the_generator_injected(ingested: Any) -> None:
    _, result, faults = ingested
    got = {f["path"]: f for f in result.summary["files"]}
    expected = _expected(faults)
    assert set(got) == set(expected)
    for path, exp in expected.items():
        if exp["expect"] == "rejected":
            assert got[path]["status"] == "rejected", path
            assert _reason_kind(got[path]["reason"]) == exp["reason"], path
        else:
            assert got[path]["status"] == "accepted", (path, got[path]["reason"])
            assert got[path]["rows"] == exp["rows"], path
            assert got[path]["quarantined"] == len(exp["quarantined"]), path
            assert got[path]["rows"] == got[path]["curated"] + got[path]["quarantined"]
    assert sorted(result.summary["missing"]) == sorted(faults["missing"])


def test_every_quarantined_row_has_exactly_the_injected_reasons(ingested: Any) -> None:
    root, _, faults = ingested
    table = pq.read_table(root / "restricted" / "quarantine").to_pylist()
    got = {(r["source_file"], str(r["source_row"])): sorted(r["reasons"]) for r in table}
    expected = {
        (path, row): sorted(reasons)
        for path, exp in faults["files"].items()
        if exp["expect"] == "accepted"
        for row, reasons in exp["quarantined"].items()
    }
    assert got == expected
    assert all(json.loads(r["raw"]) for r in table)  # raw values kept


def test_longitudinal_changes_are_flagged_not_quarantined(ingested: Any) -> None:
    root, _, faults = ingested
    flags = pq.read_table(root / "restricted" / "flags").to_pylist()
    kinds = sorted(f["kind"] for f in flags)
    assert kinds == sorted(f["kind"] for f in faults["flags"])


def test_a_second_ingest_of_the_faulty_study_changes_no_byte(ingested: Any) -> None:
    root, _, _ = ingested
    before = {z: tree_digest(root / z) for z in ("curated", "restricted")}
    again = run_ingest(Settings(data_dir=root), KEY, validator=Validator())
    assert not again.changed
    assert {f["status"] for f in again.summary["files"]} == {"unchanged", "rejected"}
    assert {z: tree_digest(root / z) for z in ("curated", "restricted")} == before
