"""A real `prefect server start` for a test: its environment, processes started and always
stopped, bounded waits, the CLI, and the REST calls the server tests read back.

Used by tests/flows/test_real_server.py (SQLite, one worker) and
tests/flows/test_postgres_server.py (PostgreSQL, two workers).
"""

from __future__ import annotations

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
PREFECT = str(Path(sys.executable).with_name("prefect"))
SERVER_START_S = 90
RUN_TIMEOUT_S = 300  # a full report of the scale-0.3 study takes ~2 min on a loaded 2-core CI box
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
def started(
    cmd: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess in its own process group, terminated (then killed) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
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
