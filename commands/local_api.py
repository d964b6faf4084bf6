"""The Prefect API a `dwt` command talks to when none is configured: one local server per
Prefect home, started once, shared by every command, stopped after a while without use.

Why not Prefect's own ephemeral server (one per command): it costs seconds to start for every
command (most of a no-op ingest), two commands started at once on a new Prefect home race in
Prefect's database migrations (`duplicate column name`), and a command killed with SIGKILL
leaves it running with the caller's stdout/stderr held open. This server:

- is started under an exclusive lock in the Prefect home, so one command starts it and the
  others wait for it and reuse it (no concurrent migrations);
- runs detached, its output in `<PREFECT_HOME>/dwt-api.log`, so it never holds a caller's pipes;
- is watched by a small supervisor (`python -m commands.local_api serve`) that stops it once no
  command has used it for `DWT_PREFECT_IDLE_SECONDS` (default 600): every command holds a
  shared lock on `dwt-api.inuse` while it runs, so a long ingest is never cut off;
- serves the Prefect UI at its address while it runs, for the data manager to look at runs;
- runs only the Prefect services that record what happened (the task-run recorder and the
  event persister, so the UI shows each run's task runs and the event feed), none that act
  (scheduler, automations, late runs, the repossessor of expired concurrency leases): the yearly
  schedules and the report trigger belong on a real server (docs/SCHEDULING.md); the lease of a
  run that died holding the lake is released by the next run on this host
  (flows/lake_limit.py).

A configured `PREFECT_API_URL` (a real server, the test harness) is always used as it is.

A new Prefect home starts from a template database: Prefect's migrations of an empty SQLite
database (about 4 s on these cores, a third of a first start) are run once per installed
Prefect version, by `make venv` (`python -m commands.local_api template`), into
`<venv>/share/dwt/prefect-<version>.db`; the supervisor copies it into a home that has no
database yet (and whose database is the default one in that home). Without a template the
server migrates as Prefect always does.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from dwt.imports import imports_without_gc

ENV_IDLE = "DWT_PREFECT_IDLE_SECONDS"
DEFAULT_IDLE_SECONDS = 600
START_TIMEOUT_SECONDS = 180
STATE = "dwt-api.json"
START_LOCK = "dwt-api.lock"
IN_USE = "dwt-api.inuse"
LOG = "dwt-api.log"
PR_SET_PDEATHSIG = 1
LEASE_STORAGE = "prefect.server.concurrency.lease_storage.filesystem"
# Prefect's server services: only those that record (task runs, events) run here.
SERVICES = {
    "task_run_recorder": True, "event_persister": True,
    "scheduler": False, "late_runs": False, "foreman": False, "triggers": False,
    "repossessor": False, "cancellation_cleanup": False, "pause_expirations": False,
    "db_vacuum": False, "cleanup_reconciler": False, "event_logger": False,
}  # fmt: skip


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def configured_api() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


@contextlib.contextmanager
def prefect_api(meanwhile: Callable[[], object] | None = None) -> Iterator[str]:
    """The API for this command's flow runs; the local server is kept in use meanwhile.

    `meanwhile` (the command's own imports, say) is called while a server this command had
    to start comes up, so that the two overlap; it is not called when a server runs already.
    """
    with imports_without_gc():
        configured = configured_api()
        import prefect.flow_engine  # noqa: F401  (the first flow run would import it, gc on)
    if configured:
        yield configured
        return
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    with open(home / IN_USE, "a+") as in_use:
        fcntl.flock(in_use, fcntl.LOCK_SH)  # released when the file closes
        url = _running_or_started(home, meanwhile)
        try:
            # No heartbeats: this server runs no service that reads them (an ingest that dies
            # is marked crashed by the next one, from the lake's lock), and ending the
            # heartbeat thread costs a short run up to a second.
            with temporary_settings(
                {PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
            ):
                yield url
        finally:
            os.utime(home / IN_USE)  # the idle clock starts when the last command ends


def _running_or_started(home: Path, meanwhile: Callable[[], object] | None = None) -> str:
    with open(home / START_LOCK, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = _healthy(home)
        if url:
            return url
        (home / STATE).unlink(missing_ok=True)
        with open(home / LOG, "ab") as log:
            subprocess.Popen(
                [sys.executable, "-m", "commands.local_api", "serve"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                env={**os.environ, "PREFECT_HOME": str(home)},
            )
        if meanwhile is not None:
            with imports_without_gc():
                meanwhile()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            url = _healthy(home)
            if url:
                return url
            time.sleep(0.2)
    from dwt.errors import DwtError

    raise DwtError(
        f"the local Prefect server did not start within {START_TIMEOUT_SECONDS} s; "
        f"see {home / LOG}, or set PREFECT_API_URL to a running server"
    )


def _healthy(home: Path) -> str | None:
    """The recorded server's API URL if its supervisor lives and the API answers."""
    try:
        state = json.loads((home / STATE).read_text())
        os.kill(int(state["pid"]), 0)
        with urllib.request.urlopen(f"{state['url']}/health", timeout=2) as response:
            return str(state["url"]) if response.status == 200 else None
    except (OSError, ValueError, KeyError):
        return None


# ---------------------------------------------------------------- the supervisor


def template_path() -> Path:
    """Where the migrated empty database of the installed Prefect version is kept."""
    from importlib.metadata import version

    return Path(sys.prefix) / "share" / "dwt" / f"prefect-{version('prefect')}.db"


def build_template(path: Path | None = None) -> Path:
    """Run Prefect's migrations on an empty database in a throw-away home; keep the result.

    The migrations run in a child process of their own, so that no setting of this process
    (a configured database, a Prefect home) reaches them.
    """
    target = path or template_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dwt-prefect-template-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=home, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        subprocess.run([sys.executable, "-c", _MIGRATE], env=env, check=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        with contextlib.closing(sqlite3.connect(Path(home) / "prefect.db")) as db:
            db.execute("VACUUM INTO ?", (str(tmp),))  # one file, no WAL beside it
        os.replace(tmp, target)
    return target


_MIGRATE = (
    "import asyncio\n"
    "from prefect.server.database import provide_database_interface\n"
    "asyncio.run(provide_database_interface().create_db())\n"
)


def _seed_from_template(home: Path) -> None:
    """A home without a database gets a copy of the template, if there is one and the home's
    database is Prefect's default (`<home>/prefect.db`, no other database configured)."""
    database = home / "prefect.db"
    configured = any("DATABASE_CONNECTION_URL" in k for k in os.environ)
    with contextlib.suppress(OSError):
        configured |= "DATABASE_CONNECTION_URL" in (home / "profiles.toml").read_text()
    template = template_path()
    if database.exists() or configured or not template.is_file():
        return
    tmp = home / f".prefect.db.{os.getpid()}.tmp"
    shutil.copyfile(template, tmp)
    os.replace(tmp, database)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's child process: SIGTERM it when the supervisor dies, however it dies."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve(idle_seconds: float) -> int:
    """Run the server until it has been idle for `idle_seconds`; record where it listens."""
    home = prefect_home()
    _seed_from_template(home)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": url,
        # The lake's concurrency limit (flows/lake_limit.py): leases kept in the Prefect home
        # survive this server's restarts (in memory, a restart would strand the slot of a run
        # that died holding it), and a waiting run asks again within seconds.
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": LEASE_STORAGE,
        "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "5",
        **{
            f"PREFECT_SERVER_SERVICES_{name.upper()}_ENABLED": "true" if on else "false"
            for name, on in SERVICES.items()
        },
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        stdin=subprocess.DEVNULL,
        env=env,
        preexec_fn=_die_with_parent,
    )  # fmt: skip

    def stop(*_: object) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads((home / STATE).read_text())["pid"] == os.getpid():
                (home / STATE).unlink()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    started = time.time()
    while server.poll() is None:
        if not (home / STATE).exists() and _answers(url):
            tmp = home / f".{STATE}.tmp"
            tmp.write_text(json.dumps({"pid": os.getpid(), "url": url}))
            os.replace(tmp, home / STATE)
        elif (home / STATE).exists():
            _stop_when_idle(home, started, idle_seconds, stop)
        time.sleep(2 if (home / STATE).exists() else 0.2)
    return 1


def _stop_when_idle(
    home: Path, since: float, idle_seconds: float, stop: Callable[[], None]
) -> None:
    """Stop once no command holds the in-use lock and none has ended for `idle_seconds`. The
    exclusive lock is held while stopping, so no command can pick the server up meanwhile."""
    path = home / IN_USE
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a command is running
        if time.time() - max(since, path.stat().st_mtime) > idle_seconds:
            stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.local_api")
    parser.add_argument("action", choices=["serve", "template"])
    if parser.parse_args(argv).action == "template":
        print(f"Prefect's database template: {build_template()}")
        return 0
    idle = float(os.environ.get(ENV_IDLE, DEFAULT_IDLE_SECONDS))
    return serve(idle)


if __name__ == "__main__":
    sys.exit(main())
