"""Test-suite wide setup.

Prefect: PREFECT_HOME is isolated in a temp dir before Prefect is imported anywhere, and the
one session-scoped `prefect_test_harness` (60 s start-up allowed) is started only by tests
that ask for the `prefect_api` fixture. Subprocesses (`dwt ...` as a user runs it) are
pointed at that same server through PREFECT_API_URL, so no test pays Prefect's start-up twice.
GX: analytics off, no progress bars.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="dwt-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

REPO = Path(__file__).resolve().parent.parent
TEST_KEY = "dwt-test-key-not-secret"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A real Prefect API (the test harness's server) shared by the whole session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        url = PREFECT_API_URL.value()
        assert url, "prefect_test_harness did not expose an API URL"
        yield url


@pytest.fixture
def cli_env(prefect_api: str) -> dict[str, str]:
    """Environment for `dwt` subprocesses: the session's Prefect server and a test key."""
    env = dict(os.environ)
    env["PREFECT_API_URL"] = prefect_api
    env["DWT_PSEUDONYM_KEY"] = TEST_KEY
    return env


@pytest.fixture(autouse=True)
def _lake_slot_released(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test on the session's Prefect server must leave the lake's limit free: a slot held by
    nobody would make every later ingest of the session wait (flows/lake_limit.py). The slot is
    freed, and the test that left it held fails, so one fault does not stall the suite."""
    yield
    if "prefect_api" not in request.fixturenames:
        return
    import httpx

    url = request.getfixturevalue("prefect_api")
    with httpx.Client(base_url=url, timeout=10) as api:
        response = api.get("/v2/concurrency_limits/dwt-lake")
        if response.status_code != 200 or not response.json()["active_slots"]:
            return
        api.patch("/v2/concurrency_limits/dwt-lake", json={"active_slots": 0})
    pytest.fail("the test left the lake's concurrency slot (dwt-lake) held on the session server")
