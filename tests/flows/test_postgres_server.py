"""Past one machine: a PostgreSQL-backed Prefect server, two workers, one lake.

The module starts, and always stops, a throw-away PostgreSQL cluster (tests/helpers/postgres.py)
and `prefect server start` on it, with the services a production server runs (the repossessor
of expired concurrency leases among them). The tests then show that the Prefect concurrency
limit `dwt-lake` (flows/lake_limit.py) lets one flow run at a time hold the lake, whichever
worker runs it, and that a worker killed with SIGKILL in the middle of an ingest's commit
leaves a lake the next run recovers, with its run marked Crashed and the counts reconciled.

The two workers stand for two machines: worker A serves the pool's `default` queue
(`ingest/yearly`, `report/after-ingest`), worker B a `regional` queue (`ingest/regional`, a
second ingest deployment as a region's own machine would run). Both run on this host and
share its file lock; the holds are read back from the runs' logs in Prefect, and a separate
test shows the server itself making a second holder of `dwt-lake` wait. The report trigger
is left out of the deployed copy of prefect.yaml (tests/flows/test_real_server.py covers it):
here every run is started by the test.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from helpers.lake_runs import leftovers, views_readable
from helpers.postgres import pg_cluster
from helpers.prefect_server import (
    PREFECT,
    REPO,
    SERVER_START_S,
    TERMINAL,
    finished,
    free_port,
    prefect_cli,
    server_env,
    started,
    wait_for,
)

pytestmark = pytest.mark.slow

KEY = "dwt-postgres-test-key-not-secret"
REGIONS = ("gooi-vechtstreek", "haaglanden")
RUN_TIMEOUT_S = 180
PAUSE_TIMEOUT_S = 120
LEASE_STORAGE = "prefect.server.concurrency.lease_storage.filesystem"


@dataclass
class Stack:
    api: httpx.Client
    url: str
    client_env: dict[str, str]
    project: Path
    logs: list[Path]
    tmp: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PostgreSQL, a Prefect server on it, pool `dwt` and the deployments; all stopped after."""
    tmp = tmp_path_factory.mktemp("pg-prefect")
    logs = [tmp / "server.log", tmp / "worker-a.log", tmp / "worker-b.log"]
    with pg_cluster(free_port()) as cluster:
        port = free_port()
        env = server_env(tmp) | {
            "PREFECT_API_DATABASE_CONNECTION_URL": cluster.asyncpg_url,
            # as docs/SCHEDULING.md sets a production server up: leases on disk, so that a
            # restart does not strand a slot; here also a quick repossessor and retry
            "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": LEASE_STORAGE,
            "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1",
            "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
        }
        url = f"http://127.0.0.1:{port}/api"
        client_env = env | {"PREFECT_API_URL": url}
        cmd = [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        with (
            started(cmd, env, tmp, logs[0]),
            httpx.Client(base_url=url, timeout=10) as api,
        ):
            wait_for("/api/health", lambda: api.get("/health").status_code == 200,
                     SERVER_START_S, [*logs, cluster.log])  # fmt: skip
            # the server keeps its data in PostgreSQL, not in a SQLite file
            assert not list(tmp.rglob("*.db"))
            project = project_with_regional_ingest(tmp)
            prefect_cli(["work-pool", "create", "dwt", "--type", "process"], client_env, project)
            proc_out = prefect_cli(["deploy", "--all", "--no-prompt"], client_env, project)
            for name in ("ingest/yearly", "ingest/regional", "report/after-ingest"):
                assert api.get(f"/deployments/name/{name}").status_code == 200, proc_out
            yield Stack(api, url, client_env, project, logs, tmp)


def project_with_regional_ingest(tmp: Path) -> Path:
    """prefect.yaml as shipped, plus `ingest/regional` on queue `regional`, minus triggers."""
    project = tmp / "project"
    project.mkdir()
    (project / "flows").symlink_to(REPO / "flows", target_is_directory=True)
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = [d for d in spec["deployments"] if d["name"] in ("yearly", "after-ingest")]
    for d in deployments:
        d.pop("triggers", None)
    regional = json.loads(json.dumps(deployments[0]))
    regional["name"] = "regional"
    regional["work_pool"]["work_queue_name"] = "regional"
    regional.pop("schedules", None)
    regional.pop("concurrency_limit", None)
    spec["deployments"] = [*deployments, regional]
    (project / "prefect.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return project


def worker(stack: Stack, queue: str, log: Path) -> Any:
    env = stack.client_env | {"DWT_PSEUDONYM_KEY": KEY, "PREFECT_WORKER_QUERY_SECONDS": "1"}
    cmd = [PREFECT, "worker", "start", "--pool", "dwt", "--type", "process",
           "--work-queue", queue, "--name", f"worker-{queue}"]  # fmt: skip
    return started(cmd, env, stack.project, log)


def run_deployment(stack: Stack, name: str, **body: Any) -> str:
    deployment = stack.api.get(f"/deployments/name/{name}").json()
    response = stack.api.post(f"/deployments/{deployment['id']}/create_flow_run", json=body)
    response.raise_for_status()
    return str(response.json()["id"])


def wait_finished(stack: Stack, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = wait_for(
        f"flow run {run_id}", lambda: finished(stack.api, run_id), RUN_TIMEOUT_S, stack.logs
    )
    return run


def lake_holds(stack: Stack, runs: list[str]) -> list[tuple[str, str, str]]:
    """(from, until, flow run) per hold of the lake, from the runs' logs in Prefect."""
    from flows.lake_limit import HOLDING, RELEASING

    body = {"logs": {"flow_run_id": {"any_": runs}}, "limit": 200, "sort": "TIMESTAMP_ASC"}
    response = stack.api.post("/logs/filter", json=body)
    response.raise_for_status()
    opened: dict[str, str] = {}
    holds = []
    for log in response.json():
        run, message = str(log["flow_run_id"]), log["message"]
        if message.startswith(HOLDING):
            opened[run] = log["timestamp"]
        elif message.startswith(RELEASING) and run in opened:
            holds.append((opened.pop(run), log["timestamp"], run))
    return sorted(holds)


def holds_of(stack: Stack, runs: list[str]) -> list[tuple[str, str, str]] | None:
    """The holds of `runs`, once the events of each have arrived (they may lag a little)."""
    holds = lake_holds(stack, runs)
    return holds if len(holds) >= len(runs) else None


def copy_wave(study: Path, data_dir: Path, wave: int, regions: tuple[str, ...] = REGIONS) -> None:
    for region in regions:
        shutil.copytree(study / region / str(wave), data_dir / "raw" / region / str(wave))


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def reconciled(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The manifest's accepted files; fails unless rows = curated + quarantined for each."""
    manifest = json.loads((data_dir / "restricted" / "manifest.json").read_text())["files"]
    accepted = {p: e for p, e in manifest.items() if e["status"] == "accepted"}
    for path, e in accepted.items():
        assert e["rows"] == e["curated"] + e["quarantined"], (path, e)
    delivered = {p.relative_to(data_dir / "raw").as_posix()
                 for p in (data_dir / "raw").rglob("*.*")}  # fmt: skip
    assert set(manifest) == delivered
    return accepted


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dwt.generate import generate_study

    raw = tmp_path_factory.mktemp("study") / "raw"
    generate_study(raw, seed=7, scale=0.2, faults=False)
    return raw


# Run in a process of its own, against this server only: in the test session the Prefect
# client of the pytest process belongs to the session's harness, and a slot taken there would be
# held by nobody for the rest of the session.
HOLDERS = """
import contextvars, json, threading, time
import httpx
from dwt.errors import LakeBusy
from flows.lake_limit import LIMIT, lake_slot

api = httpx.Client(base_url=URL, timeout=10)
seen = {}

def second_holder(into):
    started_at = time.monotonic()
    try:
        with lake_slot():
            into["held"] = True
    except LakeBusy as exc:
        into["busy"] = str(exc)
    into["waited"] = time.monotonic() - started_at

with lake_slot():
    seen["holding"] = api.get(f"/v2/concurrency_limits/{LIMIT}").json()
    first = {}
    thread = threading.Thread(target=contextvars.copy_context().run, args=(second_holder, first))
    thread.start()
    thread.join(timeout=30)
seen["first"] = first
seen["after"] = api.get(f"/v2/concurrency_limits/{LIMIT}").json()
api.patch(f"/v2/concurrency_limits/{LIMIT}", json={"limit": 4}).raise_for_status()
with lake_slot():
    seen["reset"] = api.get(f"/v2/concurrency_limits/{LIMIT}").json()
    second = {}
    second_holder(second)
seen["second"] = second
print(json.dumps(seen))
"""


def test_the_lake_limit_is_created_with_one_slot_and_the_server_makes_a_second_holder_wait(
    stack: Stack,
) -> None:
    from flows.lake_limit import LIMIT

    assert stack.api.get(f"/v2/concurrency_limits/{LIMIT}").status_code == 404
    env = stack.client_env | {"DWT_LAKE_WAIT_SECONDS": "3", "PYTHONPATH": str(REPO)}
    code = f"URL = {stack.url!r}\n" + HOLDERS
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    holding = seen["holding"]
    assert (holding["limit"], holding["active"], holding["active_slots"]) == (1, True, 1)
    assert "held" not in seen["first"] and "dwt-lake" in seen["first"]["busy"]
    assert seen["first"]["waited"] >= 3
    assert seen["after"]["active_slots"] == 0
    assert seen["reset"]["limit"] == 1  # someone widened it: the next holder set it back
    assert "busy" in seen["second"]
    assert stack.api.get(f"/v2/concurrency_limits/{LIMIT}").json()["active_slots"] == 0


def test_two_ingests_and_a_report_at_once_hold_the_lake_in_turn_and_a_killed_worker_is_recovered(
    stack: Stack, study: Path
) -> None:
    from dwt.lake import JOURNAL

    data_dir = stack.tmp / "data"
    reports = stack.tmp / "reports"
    copy_wave(study, data_dir, 2017)
    with (
        worker(stack, "default", stack.logs[1]),
        worker(stack, "regional", stack.logs[2]) as worker_b,
    ):
        first = wait_finished(stack, run_deployment(
            stack, "ingest/yearly", parameters={"data_dir": str(data_dir)}))  # fmt: skip
        assert first["state_type"] == "COMPLETED", first["state"]

        # --- two ingests (one per worker) and a report, started at once
        copy_wave(study, data_dir, 2018)
        started_at = time.monotonic()
        runs = [
            run_deployment(stack, "ingest/yearly",
                           parameters={"data_dir": str(data_dir), "region": REGIONS[0]}),
            run_deployment(stack, "ingest/regional",
                           parameters={"data_dir": str(data_dir), "region": REGIONS[1]}),
            run_deployment(stack, "report/after-ingest",
                           parameters={"data_dir": str(data_dir), "out": str(reports)}),
        ]  # fmt: skip
        done = [wait_finished(stack, run) for run in runs]
        print(f"three runs at once: {time.monotonic() - started_at:.0f} s")
        assert [r["state_type"] for r in done] == ["COMPLETED"] * 3, [r["state"] for r in done]
        assert [r["work_queue_name"] for r in done] == ["default", "regional", "default"]
        holds = wait_for(
            "the logs of the three runs",
            lambda: holds_of(stack, runs), 30, stack.logs,
        )  # fmt: skip
        assert sorted(h[2] for h in holds) == sorted(runs), holds  # each held it once
        for (_, released, _), (acquired, _, _) in itertools.pairwise(holds):
            assert released <= acquired, f"two runs held the lake at once: {holds}"
        assert list(reports.glob("*.html")), "the report wrote no HTML"
        reconciled(data_dir)

        # --- worker B dies (SIGKILL, with its flow run) in the middle of an ingest's commit
        copy_wave(study, data_dir, 2019, REGIONS[1:])
        pause = stack.tmp / "paused-at-journal"
        env = {"DWT_PAUSE_AT": "journal", "DWT_PAUSE_FILE": str(pause)}
        killed = run_deployment(
            stack, "ingest/regional", parameters={"data_dir": str(data_dir)},
            job_variables={"env": env},
        )  # fmt: skip
        wait_for("the ingest to reach its commit", pause.exists, PAUSE_TIMEOUT_S, stack.logs)
        assert (data_dir / JOURNAL).exists()
        tree = process_tree(worker_b.pid)
        assert int(pause.read_text()) in tree  # the flow run is the worker's child
        for pid in tree:
            os.kill(pid, signal.SIGKILL)
        worker_b.wait(timeout=30)
        assert stack.api.get(f"/flow_runs/{killed}").json()["state_type"] == "RUNNING"

        # --- the next run (worker A) recovers the lake from the journal and marks the crash
        after = wait_finished(stack, run_deployment(
            stack, "ingest/yearly", parameters={"data_dir": str(data_dir)}))  # fmt: skip
        assert after["state_type"] == "COMPLETED", after["state"]

    assert stack.api.get(f"/flow_runs/{killed}").json()["state_type"] == "CRASHED"
    assert leftovers(data_dir) == []
    assert stack.api.get("/v2/concurrency_limits/dwt-lake").json()["active_slots"] == 0
    accepted = reconciled(data_dir)
    # the killed run's commit was rolled forward: its files are in the lake, and the next run
    # found them unchanged
    new = {p for p in accepted if p.startswith(f"{REGIONS[1]}/2019/")}
    assert new and all(accepted[p]["run_id"] != after["id"] for p in new)
    snapshot = json.loads((data_dir / "curated" / "_snapshot.json").read_text())
    assert snapshot["waves"][REGIONS[1]] == [2017, 2018, 2019]
    assert views_readable(data_dir)["placements"] > 0
    terminal = {r: stack.api.get(f"/flow_runs/{r}").json()["state_type"] for r in runs}
    assert set(terminal.values()) <= TERMINAL
