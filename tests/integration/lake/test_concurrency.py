"""Two ingests started together on one data dir run one after the other, never interleaved.

Both are real subprocesses (tests/helpers/ingest_driver.py). The lake lock (`Lake.locked`, flock on
`.dwt.lock`) makes the second wait; it then plans against the first one's manifest, finds every
file unchanged and writes nothing. The lake ends byte-for-byte as after two sequential runs
(the run id inside `_snapshot.json` and the manifest aside: see test_crash_safety).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers.lake_runs import (
    copy_waves,
    digest_but_run_ids,
    generated_region,
    ingest,
    leftovers,
    start_ingest,
    views_readable,
)


def test_two_ingests_started_together_end_as_if_run_one_after_the_other(tmp_path: Path) -> None:
    study = generated_region(tmp_path / "study")
    together = tmp_path / "together"
    copy_waves(study, together / "raw", range(2017, 2020))
    sequential = tmp_path / "sequential"
    shutil.copytree(together, sequential)

    procs = [start_ingest(together), start_ingest(together)]
    outputs = [p.communicate(timeout=900) for p in procs]
    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr[-3000:]
    summaries = [json.loads(out) for out, _ in outputs]

    first, second = sorted(summaries, key=lambda s: not s["changed"])
    assert first["changed"] and not second["changed"]  # exactly one of them wrote
    assert {f["status"] for f in first["files"]} == {"accepted"}
    assert {f["status"] for f in second["files"]} == {"unchanged"}
    assert [f["path"] for f in second["files"]] == [f["path"] for f in first["files"]]

    ingest(sequential)
    again = json.loads(ingest(sequential).stdout)
    assert not again["changed"]
    assert leftovers(together) == []
    assert digest_but_run_ids(together) == digest_but_run_ids(sequential)
    assert views_readable(together) == views_readable(sequential)
    assert sorted(p.name for p in (together / "runs").iterdir()) == sorted(
        f"{s['run_id']}.json" for s in summaries
    )
