"""`dwt report`: the reports, rendered in this process without Prefect.

Why not the flow: `dwt report` is a quick, local, read-only step; starting Prefect (import plus
an ephemeral API server) would cost seconds more than the reports themselves. The flow
(`flows/report.py`) runs the same functions task by task for `dwt demo` and deployments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_cli(args: argparse.Namespace) -> int:
    from dwt.analytics.cli import check_as_of, require_data_dir
    from dwt.analytics.metrics import NoCuratedData
    from dwt.config import settings_from_args
    from dwt.reports.write import parse_formats, write_all

    settings = settings_from_args(args.data_dir)
    require_data_dir(settings.data_dir)
    formats = parse_formats(args.format)
    if settings.curated_dir.is_dir():
        check_as_of(settings.curated_dir, args.as_of)
    try:
        summary = write_all(
            settings.curated_dir, Path(args.out), settings.k, args.region, args.as_of, formats
        )
    except NoCuratedData as exc:
        print(f"dwt report: {exc}; run `dwt ingest` first", file=sys.stderr)
        return 1
    t = summary["timings"]
    print(
        f"reports after wave {summary['as_of']} from snapshot {summary['snapshot'][:12]} "
        f"(figures computed once in {t['read_s'] + t['metrics_s']:.1f} s)"
    )
    for name, item in summary["reports"].items():
        print(f"  {name:<28} {item['seconds']:.2f} s  {', '.join(item['files'])}")
    if summary["index"]:
        print(f"  index: {summary['index']}")
    return 0
