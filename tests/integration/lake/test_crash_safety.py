"""An ingest killed with SIGKILL at any point leaves the lake whole, and a re-run finishes it.

Each case runs a real ingest subprocess (tests/helpers/ingest_driver.py) on a lake that
already holds earlier waves, with DWT_CRASH_AT naming the point where the process kills itself
(dwt/lake.py, CRASH_ENV). Then, as every ingest does under its lock, `recover()` runs, and:

- a kill before the commit journal exists leaves both zones byte-for-byte as before the run;
- a kill after it leaves the new state, equal to an uninterrupted run's;
- either way the DuckDB views read, no staging copy or journal is left, and a re-run ends
  where an uninterrupted run ends.

"Equal to an uninterrupted run" is byte-for-byte for every file of both zones except the
run id in the restricted manifest (run_id per file), which names the run that ingested each
file: two runs are two runs. The manifest is compared with the run id taken out; the curated
zone holds no run id and is compared byte for byte. A roll-forward keeps the killed run's id;
its runs/<id>.json is never written (the run log is written after the commit), which the
manifest tolerates.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from helpers.lake_runs import (
    copy_waves,
    digest_but_run_ids,
    generated_region,
    ingest,
    lake_digest,
    leftovers,
    start_ingest,
    views_readable,
)

from dwt.config import settings_from_args
from dwt.lake import Lake

BEFORE_JOURNAL = ["write:1", "write:4", "write:12"]
AFTER_JOURNAL = [
    "journal",
    "moved-aside:curated",
    "swapped:curated",
    "moved-aside:restricted",
    "dropped-old",
]


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`before`: a lake holding waves 2017-2018 with 2019 delivered since (the run to kill);
    `done`: the same after an uninterrupted ingest."""
    root = tmp_path_factory.mktemp("crash")
    study = generated_region(root / "study")
    before = root / "before"
    copy_waves(study, before / "raw", range(2017, 2019))
    ingest(before)
    copy_waves(study, before / "raw", range(2019, 2020))
    shutil.rmtree(before / "runs")
    done = root / "done"
    shutil.copytree(before, done)
    ingest(done)
    return {"before": before, "done": done}


def crashed_copy(lakes: dict[str, Path], tmp_path: Path, point: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(lakes["before"], data)
    proc = start_ingest(data, DWT_CRASH_AT=point)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, f"never reached {point}: {stderr[-2000:]}"
    return data


def recover_under_lock(data: Path) -> None:
    with Lake(settings_from_args(data)).locked(wait_seconds=5):
        pass  # taking the lock runs recover(), as every ingest does first


@pytest.mark.parametrize("point", BEFORE_JOURNAL)
def test_a_kill_before_the_journal_leaves_the_lake_as_before_the_run(
    lakes: dict[str, Path], tmp_path: Path, point: str
) -> None:
    data = crashed_copy(lakes, tmp_path, point)
    assert (data / "curated.new").exists() or (data / "restricted.new").exists()
    recover_under_lock(data)
    assert leftovers(data) == []
    assert lake_digest(data) == lake_digest(lakes["before"])
    assert views_readable(data) == views_readable(lakes["before"])


@pytest.mark.parametrize("point", AFTER_JOURNAL)
def test_a_kill_after_the_journal_rolls_forward_to_the_uninterrupted_result(
    lakes: dict[str, Path], tmp_path: Path, point: str
) -> None:
    data = crashed_copy(lakes, tmp_path, point)
    assert (data / ".commit").exists()
    recover_under_lock(data)
    assert leftovers(data) == []
    assert digest_but_run_ids(data) == digest_but_run_ids(lakes["done"])
    assert views_readable(data) == views_readable(lakes["done"])


@pytest.mark.parametrize("point", [BEFORE_JOURNAL[1], AFTER_JOURNAL[2]])
def test_a_rerun_after_a_kill_reaches_the_uninterrupted_result(
    lakes: dict[str, Path], tmp_path: Path, point: str
) -> None:
    data = crashed_copy(lakes, tmp_path, point)
    ingest(data)  # recovers under the lock, then ingests what is still new
    assert leftovers(data) == []
    assert digest_but_run_ids(data) == digest_but_run_ids(lakes["done"])
    assert views_readable(data) == views_readable(lakes["done"])


def test_the_uninterrupted_run_changed_the_lake(lakes: dict[str, Path]) -> None:
    # Guards the comparisons above: "as before" and "as uninterrupted" must be different states.
    assert lake_digest(lakes["before"]) != lake_digest(lakes["done"])
    assert views_readable(lakes["before"]) != views_readable(lakes["done"])
