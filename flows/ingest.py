"""Prefect flow `ingest`: raw deliveries -> validated, pseudonymised, curated Parquet.

The sequence is `flows.ingest_sequence.run_ingest`, written once; this flow runs it with every
step a Prefect task, holds the lake's Prefect limit, and adds the artifacts and events.
Tests and `make bench` run the same function with plain steps (and never import Prefect).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from dwt.config import settings_from_args
from dwt.ingest.manifest import summary_markdown
from dwt.pseudonym import load_key
from flows.ingest_sequence import run_ingest
from flows.lake_limit import holding_lake
from flows.progress import flow_progress
from flows.steps import as_task

__all__ = ["ingest", "run_ingest"]


TABLE_COLUMNS = ("path", "status", "rows", "curated", "quarantined", "reason")
REJECTED_EVENT = "dwt.delivery.rejected"
QUARANTINED_EVENT = "dwt.delivery.quarantined"


def emit_delivery_events(files: list[dict[str, Any]], flow_run_id: str) -> None:
    """A Prefect event per rejected file and per file with quarantined rows, for automations
    (prefect.yaml: alerts). Resource: the delivery slot (region, wave, instrument) and its
    file; payload: the value-free reason and the counts, never a row's values."""
    from prefect.events import emit_event

    for f in files:
        if f["status"] == "rejected":
            event = REJECTED_EVENT
        elif f["status"] == "accepted" and f["quarantined"]:
            event = QUARANTINED_EVENT
        else:
            continue
        parts = f["path"].split("/")
        region, wave = [*parts, "", ""][:2]
        instrument = parts[-1].rsplit(".", 1)[0] if len(parts) == 3 else ""
        emit_event(
            event=event,
            resource={
                "prefect.resource.id": f"dwt.delivery.{f['path']}",
                "prefect.resource.name": f["path"],
                "dwt.region": region,
                "dwt.wave": wave,
                "dwt.instrument": instrument,
            },
            related=[{"prefect.resource.id": f"prefect.flow-run.{flow_run_id}",
                      "prefect.resource.role": "flow-run"}],
            payload={k: f[k] for k in ("reason", "rows", "curated", "quarantined")},
        )  # fmt: skip


@flow(name="ingest", log_prints=False)
def ingest(
    data_dir: str | None = None,
    region: str | None = None,
    wave: int | None = None,
    key_file: str | None = None,
) -> dict[str, Any]:
    """Ingest the raw deliveries under `<data_dir>/raw` (optionally one region and/or wave)."""
    logger = get_run_logger()
    flow_run = str(runtime.flow_run.id)
    result = run_ingest(
        settings_from_args(data_dir), load_key(key_file), region, wave, as_task,
        hold=lambda lake: holding_lake(lake, flow_run), progress=flow_progress("ingest"),
    )  # fmt: skip
    create_markdown_artifact(
        key="ingest-summary",
        markdown=summary_markdown(result.summary),
        description="Files ingested, rejected and missing (counts only)",
    )
    create_table_artifact(
        key="ingest-files",
        table=[{k: f[k] for k in TABLE_COLUMNS} for f in result.summary["files"]],
        description="One row per file: status, rows delivered, curated, quarantined, reason",
    )
    emit_delivery_events(result.summary["files"], flow_run)
    files = result.summary["files"]
    n = {s: sum(f["status"] == s for f in files) for s in ("accepted", "unchanged", "rejected")}
    logger.info(
        "ingest %s: %d accepted, %d unchanged, %d rejected, %d not delivered; lake %s",
        result.summary["run_id"], n["accepted"], n["unchanged"], n["rejected"],
        len(result.summary["missing"]), "updated" if result.changed else "unchanged",
    )  # fmt: skip
    return result.public()
