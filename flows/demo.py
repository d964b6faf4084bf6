"""Prefect flow `demo`: every stage in one flow run, so Prefect starts once.

ingest -> reports -> exports, each the same flow or function the CLI runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import ingest
from flows.report import report


@task(name="research-export", cache_policy=NO_CACHE, persist_result=False)
def research_export(curated_dir: Path, out: Path) -> list[Path]:
    from dwt.export.research import export_research

    return export_research(curated_dir, out, "sav")


@task(name="employer-summaries", cache_policy=NO_CACHE, persist_result=False)
def employer_summaries(data_dir: str, out: Path) -> tuple[str | None, list[Path]]:
    """Summaries for every employer the first advisor (by code) monitors: a worked example."""
    from dwt.analytics.views import connect
    from dwt.config import settings_from_args
    from dwt.export.employer import entries_for_advisor, export_employers, file_stem

    settings = settings_from_args(data_dir)
    con = connect(settings.curated_dir)
    try:
        row = con.execute("select min(advisor_code) from contacts").fetchone()
    finally:
        con.close()
    advisor = row[0] if row else None
    if advisor is None:
        return None, []
    entries = entries_for_advisor(settings, advisor)
    out_for = {e.employer_id: out / f"{file_stem(e.employer_id)}.xlsx" for e in entries}
    return advisor, export_employers(settings, entries, out_for)


@flow(name="demo")
def demo(data_dir: str, key_file: str | None, reports_dir: str = "reports") -> dict[str, Any]:
    from dwt.config import settings_from_args
    from dwt.ingest.cli import print_summary

    settings = settings_from_args(data_dir)
    summary = ingest(data_dir=data_dir, key_file=key_file)
    print_summary(summary, as_json=False)
    reports = report(data_dir=data_dir, out=reports_dir)
    exports = Path(reports_dir) / "research-export"
    research_export(settings.curated_dir, exports)
    advisor, summaries = employer_summaries(data_dir, Path(reports_dir) / "werkgevers")
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
