"""Prefect flow `ingest`: raw deliveries -> validated, pseudonymised, curated Parquet.

discover -> read (per file, retried on IO errors) -> validate (GX, once per instrument)
-> curate and commit (atomic) -> summarise (markdown artifact, no identifiers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from dwt.config import settings_from_args
from dwt.ingest import pipeline
from dwt.lake import Lake
from dwt.pseudonym import load_key
from dwt.schema import load_study

# Rows carry identifiers between tasks: no task result is ever cached or persisted
# (cache_policy=NO_CACHE, persist_result=False on every task below).


@task(name="discover", cache_policy=NO_CACHE, persist_result=False)
def discover_files(
    lake: Lake, raw_dir: Path, region: str | None, wave: int | None
) -> pipeline.Plan:
    return pipeline.plan_run(lake, load_study(), raw_dir, region, wave)


@task(name="read", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE, persist_result=False)
def read_file(delivery: Any, sha: str) -> pipeline.Loaded | pipeline.FileResult:
    return pipeline.load_delivery(delivery, sha, load_study())


@task(name="validate", cache_policy=NO_CACHE, persist_result=False)
def validate(loaded: list[pipeline.Loaded]) -> tuple[list[Any], dict[str, Any]]:
    from dwt.validation.runner import Validator

    return pipeline.validate_all(loaded, Validator())


@task(name="curate-and-commit", cache_policy=NO_CACHE, persist_result=False)
def curate_and_commit(
    lake: Lake, plan: pipeline.Plan, processed: list[Any], key: bytes, run_id: str,
    all_missing: list[str], gx: dict[str, Any],
) -> pipeline.RunResult:  # fmt: skip
    return pipeline.commit_run(lake, load_study(), plan, processed, key, run_id, all_missing, gx)


@flow(name="ingest", log_prints=False)
def ingest(
    data_dir: str | None = None,
    region: str | None = None,
    wave: int | None = None,
    key_file: str | None = None,
) -> dict[str, Any]:
    """Ingest the raw deliveries under `<data_dir>/raw` (optionally one region and/or wave)."""
    logger = get_run_logger()
    settings = settings_from_args(data_dir)
    key = load_key(key_file)
    lake = Lake(settings)
    run_id = pipeline.new_run_id()
    with lake.locked():
        pipeline.check_key(lake, key)
        plan = discover_files(lake, settings.raw_dir, region, wave)
        all_missing = pipeline.plan_missing(settings.raw_dir)
        read = [read_file(d, plan.shas[d.relpath]) for d in plan.to_load]
        loaded = [r for r in read if isinstance(r, pipeline.Loaded)]
        validated, gx = validate(loaded) if loaded else ([], {})
        rejected_on_read = [r for r in read if isinstance(r, pipeline.FileResult)]
        result = curate_and_commit(
            lake, plan, [*rejected_on_read, *validated], key, run_id, all_missing, gx
        )
    pipeline.write_run_log(settings.runs_dir, result)
    create_markdown_artifact(
        key="ingest-summary",
        markdown=pipeline.summary_markdown(result.summary),
        description="Files ingested, rejected and missing (counts only)",
    )
    n = {
        s: sum(f["status"] == s for f in result.summary["files"])
        for s in ("accepted", "unchanged", "rejected")
    }
    logger.info(
        "ingest %s: %d accepted, %d unchanged, %d rejected, %d not delivered; lake %s",
        run_id, n["accepted"], n["unchanged"], n["rejected"], len(result.summary["missing"]),
        "updated" if result.changed else "unchanged",
    )  # fmt: skip
    return {**result.summary, "changed": result.changed, "exit_code": result.exit_code}
