"""One writer at a time, on every machine: the Prefect global concurrency limit `dwt-lake`.

Every flow that writes the lake holds the lake with `holding_lake` for as long as it touches it:
`ingest` (both zones), `report` (reports and the restricted zone's audit log, read from one
committed snapshot) and `demo` (all its stages, once). Holding the lake is, in this order:

1. one slot of the global concurrency limit `dwt-lake` (1 slot; created if it is missing, and
   set back to 1 slot, active, if someone changed it). The Prefect server grants it to one
   flow run at a time, whichever worker or machine asks; the others wait for it, up to
   `DWT_LAKE_WAIT_SECONDS` (default 600), then fail with `LakeBusy` (exit 3). The slot is a
   lease the holder renews every 3/4 of `DWT_LAKE_LEASE_SECONDS` (default 60, the server's
   minimum); a holder that dies stops renewing, and the server's repossessor service frees
   the slot when the lease runs out;
2. the lake's file lock (`Lake.locked`: one host, the second line), which recovers an
   interrupted commit from its journal and names the holder: the flow run and its lease.

A holder that died holding the lake (SIGKILL, a worker or machine lost) is dealt with by the
next one: its lease is released at once when it died on this host (its file lock is free and
the lock file names its lease; the local server runs no repossessor), its commit is rolled
forward or back, and its flow run is marked Crashed in Prefect.

Inside a flow that holds the lake, a subflow's `holding_lake` on the same data folder holds
nothing more (the demo's ingest and report subflows run inside the demo's hold).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from uuid import UUID

from dwt.errors import LakeBusy
from dwt.lake import Lake

LIMIT = "dwt-lake"
ENV_WAIT = "DWT_LAKE_WAIT_SECONDS"
ENV_LEASE = "DWT_LAKE_LEASE_SECONDS"
DEFAULT_WAIT_SECONDS = 600.0
DEFAULT_LEASE_SECONDS = 60.0  # the smallest lease the Prefect server grants
FLOW_RUN_OWNER = "prefect-flow-run:"
LEASE_OWNER = "dwt-lake-lease:"
HOLDING = "holding the lake"  # log lines that bracket a hold (read back by the tests)
RELEASING = "releasing the lake"

_held: ContextVar[str | None] = ContextVar("dwt_lake_held", default=None)


def _logger() -> Any:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError
    from prefect.logging.loggers import get_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return get_logger("dwt")


def _seconds(env: str, default: float) -> float:
    return float(os.environ.get(env) or default)


@contextlib.contextmanager
def holding_lake(lake: Lake, flow_run_id: str) -> Iterator[str | None]:
    """Hold the lake for flow run `flow_run_id`: the `dwt-lake` slot, then the file lock.

    Yields the owner text of an earlier holder that died holding the lake (its commit has been
    recovered and its run marked Crashed by then), or None.
    """
    key = str(Path(lake.data_dir).resolve())
    if _held.get() == key:  # a subflow of a flow that holds this lake already
        yield None
        return
    reclaim_dead_lease(lake)
    with lake_slot(flow_run_id) as lease_id:
        lease = f"{LEASE_OWNER}{lease_id} host={socket.gethostname()}"
        owner = f"{FLOW_RUN_OWNER}{flow_run_id}\n{lease}"
        with lake.locked(owner) as stale:
            token = _held.set(key)
            logger = _logger()
            logger.info("%s %s (limit %s, lease %s)", HOLDING, lake.data_dir, LIMIT, lease_id)
            try:
                if stale:
                    mark_crashed(stale)
                yield stale
            finally:
                _held.reset(token)
                logger.info("%s %s", RELEASING, lake.data_dir)


@contextlib.contextmanager
def lake_slot(flow_run_id: str | None = None) -> Iterator[UUID]:
    """The one slot of `dwt-lake` (created if missing), held and renewed; yields its lease id."""
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.concurrency.context import ConcurrencyContext
    from prefect.concurrency.sync import concurrency

    ensure_lake_limit()
    wait = _seconds(ENV_WAIT, DEFAULT_WAIT_SECONDS)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=UUID(flow_run_id)) if flow_run_id else None
    # The lease id goes into the lake's lock file, so that the next holder on this host can
    # release the lease of one that died; Prefect records it in the concurrency context.
    with ConcurrencyContext() as context, contextlib.ExitStack() as slot:
        try:
            slot.enter_context(
                concurrency(
                    LIMIT, occupy=1, timeout_seconds=wait, strict=True, holder=holder,
                    lease_duration=_seconds(ENV_LEASE, DEFAULT_LEASE_SECONDS),
                )
            )  # fmt: skip
        except TimeoutError:
            raise LakeBusy(
                f"another flow run holds the Prefect concurrency limit {LIMIT!r} "
                f"(waited {wait:.0f} s); try again when it has finished"
            ) from None
        yield context.cleanup_lease_ids[-1]


def ensure_lake_limit() -> None:
    """Create `dwt-lake` (1 slot) if it is missing; set it back to 1 slot, active, if changed.

    Prefect's `concurrency()` on a limit that does not exist does not wait at all (and an
    inactive one grants every request), so the limit is checked before every hold.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.logging.loggers import get_logger

    with get_client(sync_client=True) as client:
        try:
            found = client.read_global_concurrency_limit_by_name(LIMIT)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):  # created by another run meanwhile
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=LIMIT, limit=1, active=True)
                )
            return
        if found.limit != 1 or not found.active:
            get_logger("dwt").warning(
                "the Prefect concurrency limit %s had %d slots (active: %s); the lake allows "
                "one writer: set back to 1 slot, active", LIMIT, found.limit, found.active,
            )  # fmt: skip
            client.update_global_concurrency_limit(
                LIMIT, GlobalConcurrencyLimitUpdate(limit=1, active=True)
            )


def reclaim_dead_lease(lake: Lake) -> None:
    """Release the `dwt-lake` lease of a holder that died on this host holding the lake.

    Only a holder of this host: here a free file lock proves its process is gone. A holder on
    another machine is left to the server's repossessor (its lease runs out).
    """
    dead = lake.dead_holder()
    if not dead:
        return
    for line in dead.splitlines():
        if not line.startswith(LEASE_OWNER):
            continue
        lease, _, host = line.removeprefix(LEASE_OWNER).partition(" host=")
        if host != socket.gethostname():
            return
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            client.release_concurrency_slots_with_lease(UUID(lease))  # a no-op if gone


def mark_crashed(owner: str) -> None:
    """Mark the flow run of a holder that died holding the lake as Crashed in Prefect (it would
    stay "Running" for ever). Best effort: the run may belong to another server."""
    first = owner.splitlines()[0] if owner else ""
    if not first.startswith(FLOW_RUN_OWNER):
        return
    from prefect import get_run_logger
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    logger = get_run_logger()
    run_id = first.removeprefix(FLOW_RUN_OWNER)
    message = "the flow run's process ended while it held the lake; the next run recovered it"
    try:
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(run_id, Crashed(message=message), force=True)
    except Exception as exc:  # an unknown run or another server: the lake is fine either way
        logger.warning("could not mark run %s crashed: %s", run_id, type(exc).__name__)
    else:
        logger.warning("flow run %s had died holding the lake: marked crashed", run_id)
