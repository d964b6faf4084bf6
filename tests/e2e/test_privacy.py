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
import zipfile
from pathlib import Path

import httpx
import pytest

from dwt.generate import generate_study
from dwt.ingest.discover import discover
from dwt.ingest.read import FileRejected, read_raw
from dwt.schema import load_instrument, load_study

SENSITIVE = ("bsn", "name", "employer_kvk", "employer_name", "notes", "segment_text",
             "document_name", "interview_id")  # fmt: skip


def _identifiers(raw: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {c: set() for c in SENSITIVE}
    for d in discover(raw, load_study()).deliveries:
        try:
            frame = read_raw(d.path, load_instrument(d.instrument)).frame
        except FileRejected:
            continue
        for col in SENSITIVE:
            if col in frame.columns:
                found[col].update(str(v) for v in frame[col].dropna())
    # a BSN may be delivered without its leading zero; scan both spellings, and KvK padded
    found["bsn"] |= {b.zfill(9) for b in found["bsn"] if b.isdigit()}
    found["employer_kvk"] |= {k.zfill(8) for k in found["employer_kvk"] if k.isdigit()}
    # short fragments would match by chance; every real identifier here is longer
    return {c: {v for v in vals if len(v) >= 7} for c, vals in found.items()}


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
    return data, reports, proc.stdout + proc.stderr, _identifiers(data / "raw")


def _blobs(folder: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if zipfile.is_zipfile(p):  # xlsx: scan the XML inside, not the compressed bytes
            with zipfile.ZipFile(p) as z:
                data += b"".join(z.read(n) for n in z.namelist())
        out[str(p)] = data
    return out


def _decoded_parquet(folder: Path) -> dict[str, bytes]:
    import pyarrow.parquet as pq

    return {
        str(p): str(pq.read_table(p).to_pylist()).encode()
        for p in sorted(folder.rglob("*.parquet"))
    }


def _leaks(blobs: dict[str, bytes], identifiers: dict[str, set[str]]) -> list[str]:
    leaks = []
    for kind, values in identifiers.items():
        for value in values:
            needle = value.encode("utf-8")
            leaks += [f"{kind} in {path}" for path, blob in blobs.items() if needle in blob]
    return leaks


def test_the_scan_finds_identifiers_where_they_belong(demo_run: tuple) -> None:
    data, _, _, identifiers = demo_run
    assert all(identifiers[k] for k in SENSITIVE)
    restricted = _blobs(data / "restricted") | _decoded_parquet(data / "restricted")
    # the restricted zone does hold every kind (staged rows, notes, segment texts, directories)
    assert {leak.split(" in ")[0] for leak in _leaks(restricted, identifiers)} == set(SENSITIVE)


def test_research_zone_runs_and_gx_results_hold_no_identifiers(demo_run: tuple) -> None:
    data, _, _, identifiers = demo_run
    blobs = _blobs(data / "curated") | _decoded_parquet(data / "curated")
    blobs |= _blobs(data / "runs") | _blobs(data / "restricted" / "gx")
    assert blobs
    assert _leaks(blobs, identifiers) == []


def test_reports_and_research_exports_hold_no_identifiers(demo_run: tuple) -> None:
    _, reports, _, identifiers = demo_run
    blobs = {p: b for p, b in _blobs(reports).items() if "/werkgevers/" not in p}
    assert any(p.endswith(".pdf") for p in blobs) and any(p.endswith(".sav") for p in blobs)
    assert _leaks(blobs, identifiers) == []


def test_employer_summaries_hold_no_person_identifiers_or_notes(demo_run: tuple) -> None:
    _, reports, _, identifiers = demo_run
    summaries = _blobs(reports / "werkgevers")
    assert summaries
    people = {k: identifiers[k] for k in ("bsn", "name", "notes", "segment_text", "document_name")}
    assert _leaks(summaries, people) == []
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
    assert _leaks(blobs, identifiers) == []
