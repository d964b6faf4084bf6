"""Prefect flow `alert-rejected-delivery`: what the data manager hears when a delivery is refused.

Run by the automation in prefect.yaml (deployment `alerts/rejected-delivery`) for every
`dwt.delivery.rejected` event an ingest emits (flows/ingest.py: `emit_delivery_events`). It
tags the ingest run that emitted the event (`rejected-delivery`, visible in the Prefect UI),
logs the file and its value-free reason, and sends a notification through the Prefect
notification block the study configures (`notify_block`, e.g. "slack-webhook/dwt-datamanager";
none by default). The event never carries a value, so neither does the notification.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

REJECTED_TAG = "rejected-delivery"
FLOW_RUN_PREFIX = "prefect.flow-run."


@flow(name="alert-rejected-delivery", log_prints=False)
def alert_rejected_delivery(
    path: str, reason: str | None = None, ingest_run: str | None = None,
    notify_block: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Mark the ingest run, log the rejection, notify through `notify_block` if configured."""
    logger = get_run_logger()
    logger.warning("delivery rejected: %s (%s)", path, reason or "no reason given")
    marked = _tag_ingest_run(ingest_run) if ingest_run else None
    notified = False
    if notify_block:
        from prefect.blocks.core import Block

        block: Any = Block.load(notify_block)
        block.notify(
            body=f"Levering afgekeurd: {path}\nReden: {reason or 'onbekend'}",
            subject="Duurzaam Werk(t): levering afgekeurd",
        )
        notified = True
    return {"path": path, "reason": reason, "marked_run": marked, "notified": notified}


def _tag_ingest_run(resource_id: str) -> str:
    from prefect.client.orchestration import get_client

    run_id = resource_id.removeprefix(FLOW_RUN_PREFIX)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)  # type: ignore[arg-type]
        tags = sorted({*run.tags, REJECTED_TAG})
        client.update_flow_run(run_id, tags=tags)  # type: ignore[arg-type]
    return run_id
