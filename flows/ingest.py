"""Prefect flow `ingest`: raw deliveries -> validated, pseudonymised, curated Parquet.

`run_ingest` is the sequence, written once: discover -> read (per file, retried on IO errors)
-> validate (GX, once per instrument) -> stage -> curate (per region) -> commit (atomic) ->
run log. The flow runs it with every step a Prefect task; tests and `make bench` run the same
function with plain steps.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from dwt.audit import provenance
from dwt.config import Settings, settings_from_args
from dwt.errors import LakeWriteError
from dwt.ingest import steps
from dwt.ingest.manifest import RunResult, new_run_id, summary_markdown, write_run_log
from dwt.lake import Lake
from dwt.pseudonym import key_fingerprint, load_key
from dwt.schema import Study, load_study
from flows.lake_limit import holding_lake
from flows.progress import Progress, flow_progress, no_progress
from flows.steps import Step, as_task, plain

if TYPE_CHECKING:
    from dwt.validation.runner import Validator


def run_ingest(
    settings: Settings,
    key: bytes,
    region: str | None = None,
    wave: int | None = None,
    step: Step = plain,
    validator: Validator | None = None,
    hold: Callable[[Lake], AbstractContextManager[object]] = Lake.locked,
    progress: Progress = no_progress,
) -> RunResult:
    """The ingest of `settings.raw_dir` (optionally one region and/or wave) into the lake.

    `hold` holds the lake while the run reads and writes it: its file lock (which recovers an
    interrupted commit first), and in the flow also the Prefect limit (flows/lake_limit.py).
    """
    study = load_study()
    lake = Lake(settings)
    run_id = new_run_id()
    with hold(lake):
        steps.check_key(lake, key)
        plan = step(steps.plan_run, name="discover")(lake, study, settings.raw_dir, region, wave)
        read = step(
            steps.load_instrument_files, name="read", task_run_name="read-{instrument}",
            retries=2, retry_delay_seconds=2,
        )  # fmt: skip
        by_path: dict[str, steps.Loaded | steps.FileResult] = {}
        for name, group in _by_instrument(plan.to_load, study).items():
            read_group = read(name, group, plan.shas, study)
            by_path.update(zip((d.relpath for d in group), read_group, strict=True))
            progress("reading files", len(by_path), len(plan.to_load))
        loaded = [by_path[d.relpath] for d in plan.to_load]  # in the plan's order, as before
        readable = [item for item in loaded if isinstance(item, steps.Loaded)]
        validated, gx = (
            step(steps.validate_all, name="validate")(readable, validator or _validator(settings))
            if readable
            else ([], steps.Checked({}, []))
        )
        if readable:
            progress("validating", 1, 1)
        processed = [*(r for r in loaded if isinstance(r, steps.FileResult)), *validated]
        work = steps.changes(lake, plan, processed)
        if work is None:
            result = steps.unchanged_result(plan, processed, run_id)
        else:
            tx = lake.begin()
            try:
                step(steps.stage, name="stage")(tx, lake, plan, work)
                curate = step(steps.curate_region, name="curate", task_run_name="curate-{region}")
                curated = {}
                for n, region_code in enumerate(work.affected, start=1):
                    curated[region_code] = curate(tx, region_code, key)
                    progress("curating regions", n, len(work.affected))
                commit = step(steps.commit, name="commit")
                result = commit(tx, lake, study, plan, work, curated, key, run_id, gx)
            except BaseException:
                tx.abort()
                raise
    try:
        write_run_log(settings.runs_dir, result, provenance(key_fingerprint(key)))
    except OSError as exc:
        state = "updated" if result.changed else "unchanged"
        raise LakeWriteError(
            f"the lake was {state}, but its run log could not be written under "
            f"{settings.runs_dir} ({exc.strerror})"
        ) from None
    return result


def _by_instrument(
    deliveries: list[steps.Delivery], study: Study
) -> dict[str, list[steps.Delivery]]:
    """The files to read per instrument, in the study's order (files in the plan's order)."""
    order = {name: i for i, name in enumerate(study.instruments)}
    groups: dict[str, list[steps.Delivery]] = {}
    for d in sorted(deliveries, key=lambda d: order.get(d.instrument, len(order))):
        groups.setdefault(d.instrument, []).append(d)
    return groups


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


def _validator(settings: Settings) -> Validator:
    """The validator of an ingest: GX's project folder beside the lake's zones."""
    from dwt.validation.gxcontext import project_dir
    from dwt.validation.runner import Validator

    return Validator(project=project_dir(settings.data_dir))


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
