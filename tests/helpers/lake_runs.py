"""Helpers for the crash, concurrency and key tests: a small generated study, ingest
subprocesses (tests/helpers/ingest_driver.py) and digests of the lake's zones.

The study is the synthetic generator's (`dwt.generate`) at a small scale, cut down to one
region so an ingest subprocess stays quick; `before` holds its first waves, `later` the next.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.deliveries import tree_digest

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "helpers" / "ingest_driver.py"
TEST_KEY = "dwt-test-key-not-secret"
REGION = "gooi-vechtstreek"
ZONES = ("curated", "restricted")


def generated_region(out: Path, scale: float = 0.3, seed: int = 11) -> Path:
    """A generated study's deliveries of one region, all waves, under `out/<region>/...`."""
    from dwt.generate import generate_study

    full = out.parent / (out.name + "-full")
    generate_study(full, seed=seed, scale=scale)
    shutil.copytree(full / REGION, out / REGION)
    shutil.rmtree(full)
    return out


def copy_waves(source: Path, raw: Path, waves: range) -> None:
    """Copy the given waves of the study's region into a data dir's raw/ folder."""
    for wave in waves:
        shutil.copytree(source / REGION / str(wave), raw / REGION / str(wave), dirs_exist_ok=True)


def driver_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DWT_CRASH_AT", None)
    env["DWT_PSEUDONYM_KEY"] = TEST_KEY
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.update(extra)
    return env


def start_ingest(data_dir: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(data_dir)],
        env=driver_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ingest(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """One ingest subprocess; fails the test unless it ran to the end (exit 0 or 1)."""
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(data_dir)],
        env=driver_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return proc


def lake_digest(data_dir: Path) -> dict[str, dict[str, str]]:
    return {zone: tree_digest(data_dir / zone) for zone in ZONES}


def without_run_ids(data_dir: Path) -> dict[str, Any]:
    """The file that names the run that ingested each file, with the run id taken out.

    The restricted manifest (run_id per file) says *which* run ingested a file; two runs over
    the same files differ there and nowhere else (the curated zone holds no run id).
    """
    manifest = json.loads((data_dir / "restricted" / "manifest.json").read_text())
    for entry in manifest["files"].values():
        entry.pop("run_id", None)
    return {"manifest": manifest}


RUN_ID_FILES = {"restricted": "manifest.json"}


DATA_DOCS = "gx/docs/"  # restricted: one GX Data Docs site per ingest, named by its run
_RUN_STAMPS = re.compile(r"\d{8}T\d{6}(?:Z-[0-9a-f]{6}|\.\d{6}Z)")


def digest_but_run_ids(data_dir: Path) -> dict[str, Any]:
    """Every byte of both zones, except the run id inside the manifest and the GX Data Docs
    sites (each run's own: its id and times are in every page); of those, which pages exist."""
    digest: dict[str, Any] = lake_digest(data_dir)
    for zone, name in RUN_ID_FILES.items():
        digest[zone].pop(name, None)
    digest["run_id_files"] = without_run_ids(data_dir)
    sites = [p for p in digest["restricted"] if p.startswith(DATA_DOCS) and p.endswith(".html")]
    digest["data_docs_pages"] = sorted(_RUN_STAMPS.sub("<run>", p) for p in sites)
    digest["restricted"] = {
        p: h for p, h in digest["restricted"].items() if not p.startswith(DATA_DOCS)
    }
    return digest


def leftovers(data_dir: Path) -> list[str]:
    """Staging copies, old copies or a journal left behind (none after a finished run)."""
    names = ("curated.new", "restricted.new", "curated.old", "restricted.old", ".commit")
    return [n for n in names if (data_dir / n).exists()]


def views_readable(data_dir: Path) -> dict[str, int]:
    """Row count of every curated view through DuckDB, as `dwt query` reads the lake."""
    from dwt.analytics.views import connect

    con = connect(data_dir / "curated")
    try:
        query = "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
        names = [row[0] for row in con.execute(query).fetchall()]
        counts = {}
        for name in names:
            row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            assert row is not None
            counts[name] = int(row[0])
        return counts
    finally:
        con.close()
