"""Prefect flow `report`: durability reports per region, the overview and the index.

`run_reports` is the sequence, written once: build (figures computed once for every region,
through disclosure control) -> render one step per region -> overview and index. The flow runs
it with Prefect tasks; `dwt report` and the bench run it with plain steps (a quick, local,
read-only job that need not pay for a Prefect server). Steps run one after another:
matplotlib's style settings are process-global, so rendering in threads could mix them up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import create_link_artifact

from dwt.config import Settings, settings_from_args
from dwt.lake import Lake
from dwt.reports.write import build, parse_formats, summarise, write_report
from dwt.restricted import RestrictedZone
from dwt.zones import ResearchZone
from flows.lake_limit import holding_lake
from flows.progress import Progress, flow_progress, no_progress
from flows.steps import Step, as_task, plain


def run_reports(
    zone: ResearchZone,
    out_dir: Path,
    k: int,
    region: str | None = None,
    as_of: int | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    step: Step = plain,
    progress: Progress = no_progress,
    rounding: str | None = None,
) -> dict[str, Any]:
    """Every report (or `region`'s), the overview and the index; what was written."""
    report_set = step(build, name="build-report-model")(zone, k, as_of, region, rounding)
    render = step(write_report, name="render-region", task_run_name="render-{report.region}")
    rendered = {}
    for n, code in enumerate(sorted(report_set.regions), start=1):
        rendered[code] = render(report_set.regions[code], report_set, out_dir, formats)
        progress("rendering reports", n, len(report_set.regions))
    overview = step(summarise, name="render-overview-and-index")
    return overview(report_set, rendered, out_dir, formats)


def written_files(summary: dict[str, Any]) -> list[str]:
    """Every file a report run wrote (reports, overview, index)."""
    files = [f for item in summary["reports"].values() for f in item["files"]]
    release = summary.get("release") or {}
    extra = [release[key] for key in ("figures", "record") if release.get(key)]
    return files + ([summary["index"]] if summary["index"] else []) + extra


def audit(settings: Settings, command: str, parameters: dict[str, Any], files: list[str]) -> None:
    """One line in the restricted zone's audit log for an outward output (dwt.audit)."""
    RestrictedZone(settings.restricted_dir).audit_log().record(
        command, parameters, settings.research_zone().snapshot_id(), files
    )


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
    parameters = {"out": out, "region": region, "as_of": as_of, "formats": formats}
    # While an ingest holds the lake the report waits for it, then reads one committed snapshot
    # and writes its audit line into the restricted zone before another ingest can swap it.
    with holding_lake(Lake(settings), str(runtime.flow_run.id)):
        summary = run_reports(
            settings.research_zone(), Path(out), settings.k, region, as_of,
            parse_formats(formats), as_task, flow_progress("report"), settings.rounding,
        )  # fmt: skip
        audit(settings, "report (flow)", parameters, written_files(summary))
    if summary["index"]:
        create_link_artifact(
            key="reports-index",
            link=Path(summary["index"]).resolve().as_uri(),
            link_text="Rapporten: index",
            description=f"Reports after wave {summary['as_of']}, snapshot {summary['snapshot']}",
        )
    logger.info(
        "reports after wave %s: %d regions, index %s",
        summary["as_of"], len(summary["reports"]) - (summary["index"] is not None),
        summary["index"] or "not written (one region)",
    )  # fmt: skip
    return summary
