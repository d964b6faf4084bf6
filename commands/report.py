"""`dwt report`: the report sequence of `flows/report.py`, run in this process with plain steps.

Why not the Prefect flow: `dwt report` is a quick, local, read-only job; starting a Prefect API
server would cost seconds more than the reports themselves. `dwt demo` and the deployments run
the same sequence as a flow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_cli(args: argparse.Namespace) -> int:
    from commands.analytics import check_as_of, require_data_dir
    from dwt.config import settings_from_args
    from dwt.errors import NoCuratedData
    from dwt.reports.write import parse_formats
    from flows.progress import TerminalProgress, no_progress
    from flows.report import audit, run_reports, written_files

    settings = settings_from_args(args.data_dir)
    require_data_dir(settings.data_dir)
    formats = parse_formats(args.format)
    if settings.curated_dir.is_dir():
        check_as_of(settings.curated_dir, args.as_of)
    try:
        progress = TerminalProgress() if sys.stderr.isatty() else no_progress
        summary = run_reports(
            settings.research_zone(), Path(args.out), settings.k, args.region, args.as_of, formats,
            progress=progress, rounding=settings.rounding,
        )  # fmt: skip
    except NoCuratedData as exc:
        print(f"dwt report: {exc}; run `dwt ingest` first", file=sys.stderr)
        return 1
    parameters = {
        "out": args.out,
        "region": args.region,
        "as_of": args.as_of,
        "formats": args.format,
    }
    audit(settings, "dwt report", parameters, written_files(summary))
    t = summary["timings"]
    print(
        f"reports after wave {summary['as_of']} from snapshot {summary['snapshot'][:12]} "
        f"(figures computed once in {t['read_s'] + t['metrics_s']:.1f} s)"
    )
    for name, item in summary["reports"].items():
        print(f"  {name:<28} {item['seconds']:.2f} s  {', '.join(item['files'])}")
    if summary["index"]:
        print(f"  index: {summary['index']}")
    release = summary.get("release")
    if release:
        verdict = "passed" if release["passed"] else "FAILED: do not send (see the record)"
        print(f"  release record: {release['record']} (attacker {verdict}); "
              f"check it with `dwt release check {args.out}`")  # fmt: skip
    return 0
