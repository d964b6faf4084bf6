"""The production path of docs/SCHEDULING.md against a real `prefect server start`.

One test, as an operator runs it: a server on SQLite in a temp PREFECT_HOME, a process work
pool, `prefect deploy --all` from prefect.yaml, a worker that holds the pseudonym key in its
environment; an ingest run triggered through the API must complete, fill the lake, and fire
the automation that runs the report deployment. Everything started is stopped in `finally`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from helpers.prefect_server import (
    PREFECT,
    RUN_TIMEOUT_S,
    SERVER_START_S,
    TERMINAL,
    delivery_events,
    deploy_all,
    finished,
    flow_runs_of,
    free_port,
    prefect_cli,
    project_checkout,
    server_env,
    serving,
    started,
    wait_for,
)

TEST_KEY = "dwt-real-server-test-key-not-secret"


@pytest.mark.slow
def test_yearly_ingest_deployment_completes_on_a_real_server_and_triggers_the_report(
    tmp_path: Path,
) -> None:
    from dwt.analytics.views import connect
    from dwt.generate import generate_study

    data_dir = tmp_path / "data"
    generate_study(data_dir / "raw", seed=1, scale=0.3, faults=False)
    # one delivery the ingest must reject: its event fires the alert automation
    broken = sorted((data_dir / "raw").glob("*/2019/contacts.*"))[0]
    broken.write_bytes(b"\x00\x01\x02 not a delivery \xff\xfe")
    broken_path = broken.relative_to(data_dir / "raw").as_posix()
    project = project_checkout(tmp_path)
    port = free_port()
    env = server_env(tmp_path)
    client_env = env | {"PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    logs = [tmp_path / "server.log", tmp_path / "worker.log", tmp_path / "serve.log"]
    server_cmd = [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)]

    with (
        started(server_cmd, env, tmp_path, logs[0]),
        httpx.Client(base_url=client_env["PREFECT_API_URL"], timeout=10) as api,
    ):
        wait_for("/api/health", lambda: api.get("/health").status_code == 200, SERVER_START_S, logs)
        prefect_cli(["work-pool", "create", "dwt", "--type", "process"], client_env, project)
        deploy_all(project, client_env)

        ingest = api.get("/deployments/name/ingest/yearly").json()
        assert [s["schedule"]["cron"] for s in ingest["schedules"]] == ["0 6 15 2 *"]
        assert ingest["schedules"][0]["schedule"]["timezone"] == "Europe/Amsterdam"
        assert ingest["work_pool_name"] == "dwt"
        report = api.get("/deployments/name/report/after-ingest").json()
        alert = api.get("/deployments/name/alert-rejected-delivery/rejected-delivery").json()
        automations = api.post("/automations/filter", json={}).json()
        by_name = {a["name"]: a for a in automations}
        assert sorted(by_name) == ["dwt alert on a rejected delivery", "dwt report after ingest"]
        assert by_name["dwt report after ingest"]["actions"][0]["deployment_id"] == report["id"]
        assert (
            by_name["dwt alert on a rejected delivery"]["actions"][0]["deployment_id"]
            == (alert["id"])
        )

        # The key lives only in the worker's environment, never in a deployment.
        worker_env = client_env | {
            "DWT_PSEUDONYM_KEY": TEST_KEY,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
        }
        worker_cmd = [PREFECT, "worker", "start", "--pool", "dwt", "--type", "process"]
        with started(worker_cmd, worker_env, project, logs[1]):
            response = api.post(
                f"/deployments/{ingest['id']}/create_flow_run",
                json={"parameters": {"data_dir": str(data_dir)}},
            )
            response.raise_for_status()
            run = wait_for(
                "the ingest run", lambda: finished(api, response.json()["id"]), RUN_TIMEOUT_S, logs
            )
            assert run["state_type"] == "COMPLETED", json.dumps(run["state"], indent=1)

            reports = wait_for(
                "the triggered report run",
                lambda: [r for r in flow_runs_of(api, "report") if r["state_type"] in TERMINAL],
                RUN_TIMEOUT_S,
                logs,
            )
            assert [r["state_type"] for r in reports] == ["COMPLETED"]
            assert reports[0]["deployment_id"] == report["id"]
            assert reports[0]["parameters"]["data_dir"] == str(data_dir)

            # the rejected delivery: its event arrived, the automation ran the alert, which
            # marked the ingest run
            events = wait_for(
                "the rejection event",
                lambda: delivery_events(api, "dwt.delivery.rejected"),
                RUN_TIMEOUT_S,
                logs,
            )
            assert [e["resource"]["prefect.resource.name"] for e in events] == [broken_path]
            assert "unreadable" in events[0]["payload"]["reason"]
            alerts = wait_for(
                "the alert run",
                lambda: [
                    r for r in flow_runs_of(api, "alert-rejected-delivery")
                    if r["state_type"] in TERMINAL
                ],
                RUN_TIMEOUT_S,
                logs,
            )  # fmt: skip
            assert [a["state_type"] for a in alerts] == ["COMPLETED"]
            assert alerts[0]["parameters"]["path"] == broken_path
            assert alerts[0]["parameters"]["ingest_run"] == f"prefect.flow-run.{run['id']}"
            assert "rejected-delivery" in api.get(f"/flow_runs/{run['id']}").json()["tags"]

        # `dwt serve` re-registers the same deployments from the same file, worker-less.
        dwt = str(Path(sys.executable).with_name("dwt"))
        with started([dwt, "serve"], worker_env, project, logs[2]):
            served = wait_for(
                "dwt serve to register its deployments",
                lambda: serving(api, "ingest/yearly", ingest["updated"]),
                60,
                logs,
            )
            assert served["schedules"][0]["schedule"] == ingest["schedules"][0]["schedule"]
            assert served["parameters"] == ingest["parameters"]
            wait_for(
                "dwt serve to re-register the report",
                lambda: serving(api, "report/after-ingest", report["updated"]),
                30,
                logs,
            )
            automations_now = api.post("/automations/filter", json={}).json()
            assert sorted(a["name"] for a in automations_now) == sorted(by_name)

    con = connect(data_dir / "curated")
    [(placements,)] = con.execute("SELECT count(*) FROM placements").fetchall()
    assert placements > 0
    assert TEST_KEY not in json.dumps([ingest, report, automations, events, alerts])
    assert list((project / "reports").glob("*.html")), "the report run wrote no HTML report"
