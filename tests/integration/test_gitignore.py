"""Nothing the pipeline writes under data/ can be committed by accident (.gitignore).

An ingest runs into a data folder in tmp_path; every path it left there, and the names a
crashed commit can leave (dwt.lake), are asked of `git check-ignore` as if they were under
the repository's data/. Only the two .gitkeep files are tracked.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from helpers.deliveries import employee_answer, placement, write_csv

from dwt.config import Settings
from dwt.lake import JOURNAL, LOCK_FILE, ZONES
from flows.ingest_sequence import run_ingest

REPO = Path(__file__).resolve().parents[2]


def ignored(paths: list[str]) -> set[str]:
    proc = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(paths) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return set(proc.stdout.splitlines())


def test_everything_an_ingest_writes_under_data_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    raw = data / "raw" / "haaglanden" / "2018"
    write_csv(raw / "placements.csv", "placements", [placement(1), placement(2)])
    write_csv(raw / "employee_survey.csv", "employee_survey", [employee_answer(1, 2018)])
    run_ingest(Settings(data_dir=data), b"gitignore-test-key-not-secret")
    written = [p.relative_to(tmp_path).as_posix() for p in sorted(data.rglob("*")) if p.is_file()]
    assert any(p.startswith("data/runs/") for p in written)
    assert "data/.dwt.lock" in written
    leftovers = [f"data/{JOURNAL}", f"data/{LOCK_FILE}"]
    leftovers += [f"data/{zone}.{suffix}/x" for zone in ZONES for suffix in ("new", "old")]
    leftovers += ["data/restricted/demo-pseudonym.key", "data/anything-new/x.json"]
    paths = written + leftovers
    assert ignored(paths) == set(paths)


def test_only_the_gitkeep_files_under_data_are_tracked() -> None:
    assert ignored(["data/raw/.gitkeep", "data/curated/.gitkeep"]) == set()
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "data"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(tracked) == ["data/curated/.gitkeep", "data/raw/.gitkeep"]
