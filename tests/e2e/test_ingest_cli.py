"""`dwt ingest` as a user runs it: exit codes, --json shape, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.deliveries import employee_answer, placement, tree_digest, write_csv

DWT = [sys.executable, "-m", "commands"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DWT, *args], env=env, capture_output=True, text=True, timeout=300)


def test_ingest_json_lists_every_file_and_exits_0_when_nothing_rejected(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    raw = tmp_path / "raw" / "haaglanden" / "2020"
    write_csv(raw / "placements.csv", "placements", [placement(n) for n in range(3)])
    write_csv(raw / "employee_survey.csv", "employee_survey", [employee_answer(1, 2020)])
    proc = _run(["ingest", "--data-dir", str(tmp_path), "--json"], cli_env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"run_id", "files", "missing"}
    assert [f["path"] for f in out["files"]] == [
        "haaglanden/2020/employee_survey.csv",
        "haaglanden/2020/placements.csv",
    ]
    assert out["files"][1] == {
        "path": "haaglanden/2020/placements.csv",
        "status": "accepted",
        "reason": None,
        "rows": 3,
        "curated": 3,
        "quarantined": 0,
        "unknown_columns": [],
    }
    assert "haaglanden/2020/contacts" in out["missing"]


def test_ingest_exits_1_and_names_the_rejected_file(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    raw = tmp_path / "raw" / "haaglanden" / "2020"
    write_csv(raw / "placements.csv", "placements", [placement(1)])
    (raw / "contacts.xlsx").write_bytes(b"this is not a spreadsheet")
    proc = _run(["ingest", "--data-dir", str(tmp_path), "--json"], cli_env)
    assert proc.returncode == 1
    files = {f["path"]: f for f in json.loads(proc.stdout)["files"]}
    assert files["haaglanden/2020/contacts.xlsx"]["status"] == "rejected"
    assert files["haaglanden/2020/contacts.xlsx"]["reason"].startswith("unreadable file")
    assert files["haaglanden/2020/placements.csv"]["status"] == "accepted"


def test_ingest_without_a_key_exits_2_and_writes_nothing(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    write_csv(tmp_path / "raw/haaglanden/2020/placements.csv", "placements", [placement(1)])
    env = {k: v for k, v in cli_env.items() if k != "DWT_PSEUDONYM_KEY"}
    before = tree_digest(tmp_path)
    proc = _run(["ingest", "--data-dir", str(tmp_path)], env)
    assert proc.returncode == 2
    assert "no pseudonym key" in proc.stderr
    assert tree_digest(tmp_path) == before


def test_ingest_rejects_an_unknown_region_flag_with_exit_2(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    proc = _run(["ingest", "--data-dir", str(tmp_path), "--region", "utrecht"], cli_env)
    assert proc.returncode == 2
    assert "unknown region 'utrecht'" in proc.stderr
