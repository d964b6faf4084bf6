"""A throw-away PostgreSQL cluster for a test: Debian's postgresql package, on 127.0.0.1.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to the
`postgres` system user the package creates (its programs run through `runuser`), in a temp
folder owned by that user. As any other user it runs as that user. It listens on a free port
on 127.0.0.1 only (and a Unix socket in its own folder), trusts local connections (nothing
but the test can reach it), and is stopped and removed by `pg_cluster`'s exit, whatever the
test did. A missing program fails the test with what to install, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVICE_USER = "postgres"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class Cluster:
    port: int
    database: str
    user: str
    log: Path

    @property
    def asyncpg_url(self) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{self.database}"


def pg_bindir() -> Path:
    """The folder of initdb/pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<major>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if not versions:
        pytest.fail(
            "PostgreSQL's initdb/pg_ctl not found (neither on PATH nor under "
            "/usr/lib/postgresql/*/bin): install Debian's `postgresql` package "
            "(scripts/install-system-deps.sh, which `make test` runs first)"
        )
    return Path(versions[-1]).parent


def _major(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _as_service_user() -> list[str]:
    """The prefix that runs a PostgreSQL program as a user it accepts (never root)."""
    if os.geteuid() != 0:
        return []
    try:
        import pwd

        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pytest.fail(
            f"running as root and there is no {SERVICE_USER!r} user to run PostgreSQL as: "
            "install Debian's `postgresql` package (it creates the user)"
        )
    runuser = shutil.which("runuser")
    if not runuser:
        pytest.fail("running as root and `runuser` (util-linux) is missing")
    return [runuser, "-u", SERVICE_USER, "--"]


def _run(cmd: list[str], log: Path, timeout: float = 120) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        pytest.fail(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}\n{tail}")


@contextmanager
def pg_cluster(port: int, database: str = "prefect") -> Iterator[Cluster]:
    """initdb + pg_ctl start on 127.0.0.1:`port`, a database `database`; stopped on exit."""
    bindir = pg_bindir()
    prefix = _as_service_user()
    root = Path(tempfile.mkdtemp(prefix="dwt-pg-"))
    data, log = root / "data", root / "postgres.log"
    if prefix:
        shutil.chown(root, SERVICE_USER, SERVICE_USER)
    root.chmod(0o700)
    user = "prefect"
    started = False
    try:
        _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
              "-E", "UTF8", "--no-sync"], log)  # fmt: skip
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        _run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
              "-w", "-t", str(START_TIMEOUT_S), "start"], log)  # fmt: skip
        started = True
        _create_database(port, user, database)
        yield Cluster(port=port, database=database, user=user, log=log)
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                 "-t", "30", "stop"], capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def _create_database(port: int, user: str, database: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                con = await asyncpg.connect(
                    host="127.0.0.1", port=port, user=user, database="postgres"
                )
                break
            except (OSError, asyncpg.PostgresError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.3)
        try:
            await con.execute(f'CREATE DATABASE "{database}"')
        finally:
            await con.close()

    asyncio.run(create())
