"""The ingest's sequence, written once and free of Prefect: `flows.ingest` runs it as a flow
with every step a Prefect task; tests, `make bench` and the plain driver run it with plain steps
and so never import Prefect (its import is ~0.8 s of a plain scale-10 ingest's ~10 s).

discover -> read (per instrument, retried on IO errors) -> validate (GX, once per instrument)
-> stage -> curate (per region) -> commit (atomic) -> run log.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from dwt.audit import provenance
from dwt.config import Settings
from dwt.errors import LakeWriteError
from dwt.ingest import steps
from dwt.ingest.manifest import RunResult, new_run_id, write_run_log
from dwt.lake import Lake
from dwt.pseudonym import key_fingerprint
from dwt.schema import Study, load_study
from flows.progress import Progress, no_progress
from flows.steps import Step, plain

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


def _validator(settings: Settings) -> Validator:
    """The validator of an ingest: GX's project folder beside the lake's zones."""
    from dwt.validation.gxcontext import project_dir
    from dwt.validation.runner import Validator

    return Validator(project=project_dir(settings.data_dir))
