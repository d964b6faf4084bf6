"""Privacy is a feature: after `dwt demo` on a faulty synthetic study, no BSN, name, KvK number,
employer name, note text, interview segment text, QDA document name or document code appears in
the research zone, run manifests, GX results, reports, research exports, Prefect artifacts or
the command's own output. Proven by scanning bytes.

The identifiers are taken from the raw deliveries themselves (every value of every identifier
or restricted column), so the scan covers exactly what was delivered.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers import privacy as scan

from dwt.generate import generate_study


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory, prefect_api: str
) -> tuple[Path, Path, str, dict[str, set[str]]]:
    import os

    root = tmp_path_factory.mktemp("privacy")
    data, reports = root / "data", root / "reports"
    generate_study(data / "raw", seed=5, scale=1.0, faults=True)
    env = dict(os.environ, PREFECT_API_URL=prefect_api, DWT_PSEUDONYM_KEY="privacy-test-key")
    proc = subprocess.run(
        [sys.executable, "-m", "commands", "demo", "--data-dir", str(data), "--out", str(reports)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-3000:]  # the faulty study has rejected files
    assert (data / "curated" / "placements").is_dir()
    return data, reports, proc.stdout + proc.stderr, scan.identifiers_of(data / "raw")


def test_the_scan_finds_identifiers_where_they_belong(demo_run: tuple) -> None:
    data, _, _, identifiers = demo_run
    assert all(identifiers[k] for k in scan.SENSITIVE)
    restricted = scan.blobs(data / "restricted") | scan.decoded_parquet(data / "restricted")
    # the restricted zone does hold every kind (staged rows, notes, segment texts, directories)
    assert {leak.split(" in ")[0] for leak in scan.leaks(restricted, identifiers)} == set(
        scan.SENSITIVE
    )


def test_research_zone_runs_and_gx_results_hold_no_identifiers(demo_run: tuple) -> None:
    data, _, _, identifiers = demo_run
    blobs = scan.blobs(data / "curated") | scan.decoded_parquet(data / "curated")
    blobs |= scan.blobs(data / "runs") | scan.blobs(data / "restricted" / "gx")
    # the GX Data Docs site of the ingest is among them (pages per instrument)
    assert sum(".html" in p and "/gx/docs/" in p for p in blobs) > 3
    assert blobs
    assert scan.leaks(blobs, identifiers) == []


def test_reports_and_research_exports_hold_no_identifiers(demo_run: tuple) -> None:
    _, reports, _, identifiers = demo_run
    blobs = {p: b for p, b in scan.blobs(reports).items() if "/werkgevers/" not in p}
    assert any(p.endswith(".pdf") for p in blobs) and any(p.endswith(".sav") for p in blobs)
    assert scan.leaks(blobs, identifiers) == []


def test_employer_summaries_hold_no_person_identifiers_or_notes(demo_run: tuple) -> None:
    _, reports, _, identifiers = demo_run
    summaries = scan.blobs(reports / "werkgevers")
    assert summaries
    people = {k: identifiers[k] for k in ("bsn", "name", "notes", "segment_text", "document_name")}
    assert scan.leaks(summaries, people) == []
    # each summary names at most its own employer
    for path, blob in summaries.items():
        if path.endswith(".xlsx"):
            named = [n for n in identifiers["employer_name"] if n.encode() in blob]
            assert len(named) <= 1, (path, named)


def test_command_output_and_prefect_artifacts_hold_no_identifiers(
    demo_run: tuple, prefect_api: str
) -> None:
    _, _, output, identifiers = demo_run
    body = {"limit": 200, "offset": 0, "sort": "CREATED_DESC"}
    artifacts = httpx.post(f"{prefect_api}/artifacts/filter", json=body, timeout=30).json()
    assert artifacts, "the ingest publishes a summary artifact"
    blobs = {"output": output.encode(), "artifacts": str(artifacts).encode()}
    assert scan.leaks(blobs, identifiers) == []
