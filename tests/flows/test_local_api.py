"""`dwt` commands without a configured Prefect API share one local server per Prefect home.

Real processes throughout: `dwt ingest` as a user runs it (no PREFECT_API_URL), the local
server it starts (`prefect server start` under `python -m commands.local_api serve`), and the
Prefect REST API read back. The module starts the server once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

KEY = "local-api-test-key-not-secret"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.pop("DWT_CRASH_AT", None)
    env.update(PREFECT_HOME=str(home), DWT_PSEUDONYM_KEY=KEY, **extra)
    return env


def _ingest(data: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "commands", "ingest", "--data-dir", str(data), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / "dwt-api.json").read_text()))


def _servers_of(home: Path) -> list[str]:
    """Pids of Prefect server processes that keep their database in this Prefect home."""
    found = subprocess.run(["pgrep", "-f", "prefect server start"], capture_output=True, text=True)
    pids = []
    for pid in found.stdout.split():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"PREFECT_HOME={home}".encode() in environ.split(b"\0"):
            pids.append(pid)
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("prefect-home")
    yield home
    if (home / "dwt-api.json").exists():
        pid = int(_state(home)["pid"])
        os.kill(pid, signal.SIGTERM)


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dwt.generate import generate_study

    raw = tmp_path_factory.mktemp("study") / "raw"
    generate_study(raw, seed=5, scale=0.2)
    return raw


def _data_dir(tmp_path: Path, study: Path, name: str) -> Path:
    import shutil

    data = tmp_path / name
    shutil.copytree(study / "haaglanden", data / "raw" / "haaglanden")
    return data


def test_two_ingests_started_at_once_on_a_new_prefect_home_share_one_server(
    home: Path, study: Path, tmp_path: Path
) -> None:
    runs = [_ingest(_data_dir(tmp_path, study, n), _env(home)) for n in ("a", "b")]
    outcomes = [p.communicate(timeout=600) for p in runs]
    for proc, (out, err) in zip(runs, outcomes, strict=True):
        assert proc.returncode in (0, 1), err[-2000:]
        assert json.loads(out)["files"]
    assert "duplicate column" not in "".join(err for _, err in outcomes)
    state = _state(home)
    assert _alive(int(state["pid"]))
    assert len(_servers_of(home)) == 1


def test_a_later_command_reuses_the_running_server(home: Path, study: Path, tmp_path: Path) -> None:
    before = _state(home)
    data = _data_dir(tmp_path, study, "c")
    first = _ingest(data, _env(home))
    first.communicate(timeout=600)
    again = _ingest(data, _env(home))
    out, err = again.communicate(timeout=600)
    assert again.returncode in (0, 1), err[-2000:]
    assert {f["status"] for f in json.loads(out)["files"]} <= {"unchanged", "rejected"}
    assert _state(home) == before  # the same supervisor and address: no second server
    assert len(_servers_of(home)) == 1


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_ui_of_the_local_server_shows_each_task_run_of_an_ingest(home: Path) -> None:
    """The data manager opens the local server's UI: the recorder service runs, so the ingests'
    task runs (discover, read, validate, curate, commit) are there, not only their flow runs."""
    url = _state(home)["url"]
    runs = _post(f"{url}/flow_runs/filter", {"limit": 50})
    assert runs and {r["state_type"] for r in runs} == {"COMPLETED"}
    names: set[str] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the recorder writes task runs from their events
        body = {"flow_runs": {"id": {"any_": [r["id"] for r in runs]}}, "limit": 200}
        names = {str(t["name"]).rsplit("-", 1)[0] for t in _post(f"{url}/task_runs/filter", body)}
        if {"discover", "read", "validate", "commit"} <= names:
            break
        time.sleep(1)
    assert {"discover", "read", "validate", "commit"} <= names, names


def _flow_run_state(url: str, run_id: str) -> str:
    with urllib.request.urlopen(f"{url}/flow_runs/{run_id}", timeout=10) as response:
        return str(json.loads(response.read())["state"]["type"])


def _limit(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/v2/concurrency_limits/dwt-lake", timeout=10) as response:
        return dict(json.loads(response.read()))


def test_an_ingest_killed_mid_run_holds_no_pipe_and_the_next_run_marks_it_crashed(
    home: Path, study: Path, tmp_path: Path
) -> None:
    data = _data_dir(tmp_path, study, "d")
    killed = _ingest(data, _env(home, DWT_CRASH_AT="journal"))
    killed.communicate(timeout=600)  # returns only once no process holds its pipes any more
    assert killed.returncode == -signal.SIGKILL
    # the lock file names the dead run and its lease of the Prefect limit `dwt-lake`
    owner, lease = (data / ".dwt.lock").read_text().strip().splitlines()
    assert owner.startswith("prefect-flow-run:")
    assert lease.startswith("dwt-lake-lease:")
    run_id = owner.removeprefix("prefect-flow-run:")
    url = str(_state(home)["url"])
    assert _flow_run_state(url, run_id) == "RUNNING"

    # The local server runs no repossessor: without the next run releasing the dead run's
    # lease it would wait for the slot (DWT_LAKE_WAIT_SECONDS) and fail with exit 3.
    after = _ingest(data, _env(home, DWT_LAKE_WAIT_SECONDS="60"))
    _, err = after.communicate(timeout=600)
    assert after.returncode in (0, 1), err[-2000:]
    assert _flow_run_state(url, run_id) == "CRASHED"
    assert _limit(url)["active_slots"] == 0
    assert (data / ".dwt.lock").read_text() == ""  # released by a run that finished


def test_the_server_stops_itself_once_no_command_has_used_it_for_a_while(
    home: Path, study: Path, tmp_path: Path
) -> None:
    pid = int(_state(home)["pid"])
    os.kill(pid, signal.SIGTERM)  # the module's server: stop it, start one with a short idle
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(pid) and not (home / "dwt-api.json").exists()

    proc = _ingest(_data_dir(tmp_path, study, "e"), _env(home, DWT_PREFECT_IDLE_SECONDS="3"))
    proc.communicate(timeout=600)
    pid = int(_state(home)["pid"])
    deadline = time.monotonic() + 60
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(1)
    assert not _alive(pid), "the idle server did not stop"
    assert not (home / "dwt-api.json").exists()
    assert _servers_of(home) == []


def _schema(database: Path) -> list[tuple[Any, ...]]:
    """Every table, index and trigger with its definition, and the alembic revision. Prefect's
    own migrations write a table's constraints in no fixed order (two migrations of empty
    databases differ so): a definition is compared as its set of lines."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2")
        objects = [
            (kind, name, table, sorted(x.strip().rstrip(",") for x in (sql or "").split("\n")))
            for kind, name, table, sql in rows
        ]  # fmt: skip
        return [*objects, *db.execute("SELECT * FROM alembic_version")]


def test_the_database_template_is_what_prefects_own_migrations_make(tmp_path: Path) -> None:
    """A new home starts from the template: it must be Prefect's migrated database exactly
    (every table, index and trigger, the same alembic revision), not an approximation."""
    from commands.local_api import _MIGRATE, build_template

    template = build_template(tmp_path / "template.db")
    migrated = tmp_path / "home"
    migrated.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    subprocess.run([sys.executable, "-c", _MIGRATE], env={**env, "PREFECT_HOME": str(migrated)},
                   check=True)  # fmt: skip
    expected = _schema(migrated / "prefect.db")
    assert any(row[1] == "flow_run" for row in expected)
    assert _schema(template) == expected


def test_only_a_home_without_a_database_of_its_own_is_seeded_from_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import commands.local_api as local_api

    template = tmp_path / "template.db"
    template.write_bytes(b"the template")
    monkeypatch.setattr(local_api, "template_path", lambda: template)
    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", raising=False)

    new, used, elsewhere = (tmp_path / name for name in ("new", "used", "elsewhere"))
    for home in (new, used, elsewhere):
        home.mkdir()
    (used / "prefect.db").write_bytes(b"runs of a year")
    (elsewhere / "profiles.toml").write_text(
        '[profiles.study]\nPREFECT_API_DATABASE_CONNECTION_URL = "postgresql+asyncpg://db/p"\n'
    )
    for home in (new, used, elsewhere):
        local_api._seed_from_template(home)
    assert (new / "prefect.db").read_bytes() == b"the template"
    assert (used / "prefect.db").read_bytes() == b"runs of a year"
    assert not (elsewhere / "prefect.db").exists()
    assert sorted(p.name for p in new.iterdir()) == ["prefect.db"]  # no temporary file left

    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/p")
    (new / "prefect.db").unlink()
    local_api._seed_from_template(new)
    assert not (new / "prefect.db").exists()
