"""The production path of docs/SCHEDULING.md against a real `prefect server start`.

One test, as an operator runs it: a server on SQLite in a temp PREFECT_HOME, a process work
pool, `prefect deploy --all` from prefect.yaml, a worker that holds the pseudonym key in its
environment; an ingest run triggered through the API must complete, fill the lake, and fire
the automation that runs the report deployment. Everything started is stopped in `finally`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
TEST_KEY = "dwt-real-server-test-key-not-secret"
PREFECT = str(Path(sys.executable).with_name("prefect"))
SERVER_START_S = 90
RUN_TIMEOUT_S = 150
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(tmp: Path) -> dict[str, str]:
    """A Prefect of its own: fresh home and database, no telemetry, no UI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_CLI_PROMPT": "false",
    }
    return env


@contextmanager
def started(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[None]:
    """A subprocess in its own process group, terminated (then killed) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield
        finally:
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                if proc.poll() is not None:
                    break
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    continue


def wait_for(what: str, check: Callable[[], Any], timeout: float, logs: list[Path]) -> Any:
    """Poll `check` until it returns something truthy; fail with the logs when it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := check():
                return value
        except httpx.HTTPError:
            pass
        time.sleep(1)
    tails = "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in logs if p.exists()
    )
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")


def prefect_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(
        [PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"prefect {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def deploy_all(project: Path, env: dict[str, str]) -> None:
    """`prefect deploy --all` from prefect.yaml, exactly as the README tells a researcher."""
    from commands.serve import load_specs

    proc = subprocess.run(
        [PREFECT, "deploy", "--all", "--no-prompt"],
        env=env, cwd=project, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"prefect deploy --all:\n{out}"
    for spec in load_specs(project / "prefect.yaml"):
        assert spec.name in out, f"deployment {spec.name} not created:\n{out}"


def flow_runs_of(api: httpx.Client, flow_name: str) -> list[dict[str, Any]]:
    body = {"flows": {"name": {"any_": [flow_name]}}, "limit": 20}
    response = api.post("/flow_runs/filter", json=body)
    response.raise_for_status()
    return list(response.json())


def delivery_events(api: httpx.Client, event: str) -> list[dict[str, Any]]:
    body = {"filter": {"event": {"name": [event]}}, "limit": 50}
    response = api.post("/events/filter", json=body)
    response.raise_for_status()
    return list(response.json()["events"])


def finished(api: httpx.Client, run_id: str) -> dict[str, Any] | None:
    run = api.get(f"/flow_runs/{run_id}").json()
    return run if run["state_type"] in TERMINAL else None


def serving(api: httpx.Client, name: str, before: str) -> dict[str, Any] | None:
    """The deployment once something re-registered it after `before` (ISO timestamps)."""
    deployment = api.get(f"/deployments/name/{name}").json()
    return deployment if deployment["updated"] > before else None


def project_checkout(tmp: Path) -> Path:
    """The checkout a worker runs from: prefect.yaml and flows/ (reports land inside it)."""
    project = tmp / "project"
    project.mkdir()
    shutil.copy(REPO / "prefect.yaml", project / "prefect.yaml")
    (project / "flows").symlink_to(REPO / "flows", target_is_directory=True)
    return project


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
