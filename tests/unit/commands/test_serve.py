"""`dwt serve` reads prefect.yaml as the single source of deployments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from commands.serve import PROJECT_ROOT, describe, load_specs, with_data_dir
from dwt.config import ConfigError

PREFECT_FILE = PROJECT_ROOT / "prefect.yaml"


def test_prefect_yaml_anchors_give_the_deployments_the_shared_pool_and_lake() -> None:
    specs = {s.name: s for s in load_specs(PREFECT_FILE)}
    assert set(specs) == {"yearly", "after-ingest", "rejected-delivery"}
    assert specs["yearly"].entrypoint == "flows/ingest.py:ingest"
    assert specs["after-ingest"].entrypoint == "flows/report.py:report"
    assert specs["yearly"].schedules == [
        {"cron": "0 6 15 2 *", "timezone": "Europe/Amsterdam", "active": True}
    ]
    assert specs["yearly"].parameters == {"data_dir": None, "wave": None, "key_file": None}
    assert specs["after-ingest"].parameters["data_dir"] is None
    assert specs["after-ingest"].schedules == []
    [trigger] = specs["after-ingest"].triggers
    assert trigger["expect"] == ["prefect.flow-run.Completed"]
    [alert] = specs["rejected-delivery"].triggers
    assert specs["rejected-delivery"].entrypoint == "flows/alerts.py:alert_rejected_delivery"
    assert alert["expect"] == ["dwt.delivery.rejected"]
    assert specs["rejected-delivery"].parameters == {"notify_block": None}


def test_data_dir_flag_pins_the_lake_of_deployments_that_take_one(tmp_path: Path) -> None:
    spec = load_specs(PREFECT_FILE)[0]
    pinned = with_data_dir(spec, str(tmp_path))
    assert pinned.parameters["data_dir"] == str(tmp_path.resolve())
    assert with_data_dir(spec, None) is spec


def test_describe_names_schedule_trigger_and_parameters() -> None:
    yearly, report, _alert = load_specs(PREFECT_FILE)
    assert "ingest/yearly" in describe(yearly, "ingest")
    assert "cron '0 6 15 2 *' (Europe/Amsterdam)" in describe(yearly, "ingest")
    assert "on prefect.flow-run.Completed of ingest" in describe(report, "report")


def test_a_file_without_deployments_is_a_configuration_error(tmp_path: Path) -> None:
    empty = tmp_path / "prefect.yaml"
    empty.write_text("name: x\ndeployments: []\n")
    with pytest.raises(ConfigError, match="no deployments"):
        load_specs(empty)


def run_dwt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    dwt = str(Path(sys.executable).with_name("dwt"))
    return subprocess.run(
        [dwt, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_serve_list_prints_every_deployment_without_serving() -> None:
    proc = run_dwt("serve", "--list", env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [
        "ingest/yearly", "report/after-ingest", "alert-rejected-delivery/rejected-delivery"
    ]  # fmt: skip


def test_serve_refuses_to_start_without_a_prefect_server() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = run_dwt("serve", env=env)
    assert proc.returncode == 2
    assert "PREFECT_API_URL" in proc.stderr
