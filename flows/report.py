"""Prefect flow `report`: durability reports per region, the overview and the index.

build (figures computed once for every region, through disclosure control) -> render one
task per region -> overview and index. Tasks run one after another: matplotlib's style
settings are process-global, so rendering in threads could mix them up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from dwt.config import settings_from_args
from dwt.reports.model import ReportSet
from dwt.reports.write import build, parse_formats, summarise, write_report

# Report models are cheap to rebuild and large to store: every task has
# cache_policy=NO_CACHE and persist_result=False.


@task(name="build-report-model", cache_policy=NO_CACHE, persist_result=False)
def build_model(curated_dir: Path, k: int, as_of: int | None, region: str | None) -> ReportSet:
    return build(curated_dir, k, as_of, region)


@task(
    name="render-region",
    task_run_name="render-{region}",
    cache_policy=NO_CACHE,
    persist_result=False,
)
def render_region(
    report_set: ReportSet, region: str, out_dir: Path, formats: tuple[str, ...]
) -> dict[str, Any]:
    return write_report(report_set.regions[region], report_set, out_dir, formats)


@task(name="render-overview-and-index", cache_policy=NO_CACHE, persist_result=False)
def render_overview(
    report_set: ReportSet, rendered: dict[str, Any], out_dir: Path, formats: tuple[str, ...]
) -> dict[str, Any]:
    return summarise(report_set, rendered, out_dir, formats)


@flow(name="report", log_prints=False)
def report(
    data_dir: str | None = None,
    out: str = "reports",
    region: str | None = None,
    as_of: int | None = None,
    formats: str = "html,pdf",
) -> dict[str, Any]:
    """Reports from the curated lake under `<data_dir>/curated` into `out`."""
    logger = get_run_logger()
    settings = settings_from_args(data_dir)
    wanted = parse_formats(formats)
    out_dir = Path(out)
    report_set = build_model(settings.curated_dir, settings.k, as_of, region)
    rendered = {
        code: render_region(report_set, code, out_dir, wanted)
        for code in sorted(report_set.regions)
    }
    summary = render_overview(report_set, rendered, out_dir, wanted)
    logger.info(
        "reports after wave %s: %d regions, index %s",
        summary["as_of"], len(rendered), summary["index"] or "not written (one region)",
    )  # fmt: skip
    return summary
