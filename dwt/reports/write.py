"""The IO edge of the reports: render each document and write it under the output folder.

The steps `flows/report.py` runs (as Prefect tasks, or as plain calls for `dwt report`).
Writes go through `dwt.files.write_atomic`, so a reader (or a browser) never sees half a report.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dwt.errors import ConfigError
from dwt.files import write_atomic
from dwt.reports.build import build_reports
from dwt.reports.model import Report, ReportSet
from dwt.zones import ResearchZone

FORMATS = ("html", "pdf")
INDEX = "index.html"


def parse_formats(text: str) -> tuple[str, ...]:
    """ "html,pdf" -> ("html", "pdf"); ConfigError for anything else."""
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown or not wanted:
        raise ConfigError(f"--format takes a comma list of {', '.join(FORMATS)} (got {text!r})")
    return tuple(f for f in FORMATS if f in wanted)


def write_report(
    report: Report, report_set: ReportSet, out_dir: Path, formats: Iterable[str]
) -> dict[str, Any]:
    """Render one report in each format; returns its files and the seconds it took."""
    from dwt.reports.figures import svgs
    from dwt.reports.html import render_report
    from dwt.reports.pdf import render_pdf

    started = time.perf_counter()
    files: list[str] = []
    # Each chart drawn once, shown by both formats (and by every report of the run showing it).
    drawings = svgs(report, report_set.drawings)
    snapshot, threshold = report_set.snapshot, report_set.threshold
    for fmt in formats:
        path = Path(out_dir) / f"{report.stem}.{fmt}"
        if fmt == "html":
            data = render_report(report, snapshot, threshold, drawings).encode("utf-8")
        else:
            data = render_pdf(report, snapshot, threshold, report_set.as_of, drawings)
        write_atomic(path, data)
        files.append(str(path))
    return {"files": files, "seconds": round(time.perf_counter() - started, 3)}


def write_index(report_set: ReportSet, out_dir: Path, formats: Iterable[str]) -> str:
    """index.html linking the overview and every region's report (relative links)."""
    from dwt.reports.html import render_index
    from dwt.reports.text import region_name

    formats = tuple(formats)
    reports = [report_set.overview] if report_set.overview else []
    reports += [report_set.regions[r] for r in sorted(report_set.regions)]
    rows = []
    for report in reports:
        title = region_name(report.region) if report.region else "Overzicht van alle regio's"
        rows.append(
            {
                "title": title,
                "html": f"{report.stem}.html" if "html" in formats else None,
                "pdf": f"{report.stem}.pdf" if "pdf" in formats else None,
            }
        )
    html = render_index(rows, report_set.as_of, report_set.snapshot)
    path = Path(out_dir) / INDEX
    write_atomic(path, html.encode("utf-8"))
    return str(path)


def build(
    zone: ResearchZone,
    k: int,
    as_of: int | None,
    region: str | None,
    rounding: str | None = None,
) -> ReportSet:
    """`build_reports` with the CLI's error wording (unknown region -> ConfigError)."""
    try:
        return build_reports(zone, k, as_of, region, rounding)
    except KeyError as exc:
        raise ConfigError(f"no placements for region {exc.args[0]!r} in the lake") from None


def summarise(
    report_set: ReportSet, rendered: dict[str, Any], out_dir: Path, formats: tuple[str, ...]
) -> dict[str, Any]:
    """Write the overview and index (when all regions were rendered) and describe the run."""
    record = None
    if report_set.overview is not None:
        rendered["overzicht"] = write_report(report_set.overview, report_set, out_dir, formats)
        index = write_index(report_set, out_dir, formats)
        if report_set.release is not None:
            record = write_release_record(report_set, rendered, index, out_dir)
    else:
        index = None
    return {
        "as_of": report_set.as_of,
        "snapshot": report_set.snapshot,
        "reports": rendered,
        "index": index,
        "release": record,
        "timings": report_set.timings,
    }


def write_release_record(
    report_set: ReportSet, rendered: dict[str, Any], index: str, out_dir: Path
) -> dict[str, Any]:
    """The release's published figures and its record beside the reports (dwt.release.record)."""
    from dwt.release.record import write_figures, write_record

    files = [f for item in rendered.values() for f in item["files"]] + [index]
    figures = write_figures(out_dir, report_set.release.safe)
    record = write_record(out_dir, report_set.release.safe, report_set.snapshot, files)
    verdict = report_set.release.safe["disclosure"]["attacker"] or {}
    return {"figures": str(figures), "record": str(record), "passed": verdict.get("passed")}
