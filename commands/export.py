"""`dwt export employer` and `dwt export research`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dwt.config import settings_from_args
from dwt.errors import ConfigError

EMPLOYER_FOLDER = Path("reports") / "werkgevers"


def run_employer(args: argparse.Namespace) -> int:
    """Summaries (xlsx + pdf) for one employer (--employer KVK) or an advisor's employers."""
    from dwt.export.employer import entries_for_advisor, entry_for_kvk, export_employers, file_stem
    from dwt.restricted import RestrictedZone

    settings = settings_from_args(args.data_dir)
    zone = settings.research_zone()
    lookup = RestrictedZone(settings.restricted_dir).directory_lookup()
    if args.employer is not None:
        entry = entry_for_kvk(lookup, args.employer)
        default = EMPLOYER_FOLDER / f"{file_stem(entry.employer_id)}.xlsx"
        target = Path(args.out) if args.out else default
        out_for = {entry.employer_id: target}
        entries = [entry]
    else:
        entries = entries_for_advisor(zone, lookup, args.advisor)
        folder = Path(args.out) if args.out else EMPLOYER_FOLDER
        out_for = {e.employer_id: folder / f"{file_stem(e.employer_id)}.xlsx" for e in entries}
    for path in export_employers(zone, settings.k, entries, out_for):
        print(path)
    return 0


def run_research(args: argparse.Namespace) -> int:
    """`dwt export research [--data-dir] --out DIR --format sav|csv|parquet`."""
    from dwt.export.research import export_research

    zone = settings_from_args(args.data_dir).research_zone()
    if not zone.root.is_dir():
        raise ConfigError(f"no curated lake at {zone.root}; run `dwt ingest` first")
    for path in export_research(zone, Path(args.out), args.format):
        print(path)
    return 0
