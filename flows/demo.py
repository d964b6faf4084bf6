"""Prefect flow `demo`: every stage in one flow run, so Prefect starts once.

ingest -> reports -> research export -> employer summaries, each the same sequence or function
the CLI runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, runtime

from dwt.config import settings_from_args
from dwt.ingest.manifest import summary_text
from dwt.lake import Lake
from flows.ingest import ingest
from flows.lake_limit import holding_lake
from flows.report import audit, report
from flows.steps import as_task


def research_export(data_dir: str, out: Path) -> list[Path]:
    from dwt.export.research import export_research

    settings = settings_from_args(data_dir)
    written = export_research(settings.research_zone(), out, "sav")
    audit(settings, "research export (demo flow)", {"out": str(out), "format": "sav"},
          [str(p) for p in written])  # fmt: skip
    return written


def employer_summaries(data_dir: str, out: Path) -> tuple[str | None, list[Path]]:
    """Summaries for every employer the first advisor (by code) monitors: a worked example."""
    from dwt.analytics.views import connect
    from dwt.export.employer import entries_for_advisor, export_employers, file_stem
    from dwt.restricted import RestrictedZone

    settings = settings_from_args(data_dir)
    zone = settings.research_zone()
    con = connect(zone)
    try:
        row = con.execute("select min(advisor_code) from contacts").fetchone()
    finally:
        con.close()
    advisor = row[0] if row else None
    if advisor is None:
        return None, []
    lookup = RestrictedZone(settings.restricted_dir).directory_lookup()
    entries = entries_for_advisor(zone, lookup, advisor)
    out_for = {e.employer_id: out / f"{file_stem(e.employer_id)}.xlsx" for e in entries}
    written = export_employers(zone, settings.k, entries, out_for)
    parameters = {"employers": sorted(out_for), "advisor": advisor, "out": str(out)}
    audit(settings, "employer summaries (demo flow)", parameters, [str(p) for p in written])
    return advisor, written


@flow(name="demo")
def demo(data_dir: str, key_file: str | None, reports_dir: str = "reports") -> dict[str, Any]:
    settings = settings_from_args(data_dir)
    exports = Path(reports_dir) / "research-export"
    # One hold for every stage (the subflows' holds are nested in it): all outputs come from
    # the snapshot this run's ingest committed.
    with holding_lake(Lake(settings), str(runtime.flow_run.id)):
        summary = ingest(data_dir=data_dir, key_file=key_file)
        print(summary_text(summary))
        reports = report(data_dir=data_dir, out=reports_dir)
        as_task(research_export, name="research-export")(data_dir, exports)
        advisor, summaries = as_task(employer_summaries, name="employer-summaries")(
            data_dir, Path(reports_dir) / "werkgevers"
        )
    outputs: dict[str, str] = {
        "raw deliveries": str(settings.raw_dir),
        "curated lake": str(settings.curated_dir),
        "restricted zone": str(settings.restricted_dir),
        "run manifests": str(settings.runs_dir),
        "reports (index)": str(reports.get("index") or reports_dir),
        "research export": f"{exports} (SPSS .sav + codebook.md)",
        "employer summaries": f"{Path(reports_dir) / 'werkgevers'} "
        f"({len(summaries)} files, advisor {advisor})",
    }
    return {"outputs": outputs, "exit_code": summary["exit_code"]}
