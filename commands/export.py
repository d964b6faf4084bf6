"""`dwt export employer` and `dwt export research`."""

from __future__ import annotations

import argparse
from pathlib import Path

from dwt.config import settings_from_args
from dwt.errors import ConfigError
from flows.report import audit

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
    written = export_employers(zone, settings.k, entries, out_for)
    # the employers by pseudonym: a KvK number typed on the command line stays out of the log
    parameters = {"employers": sorted(out_for), "advisor": args.advisor, "out": args.out}
    audit(settings, "dwt export employer", parameters, [str(p) for p in written])
    for path in written:
        print(path)
    return 0


def run_research(args: argparse.Namespace) -> int:
    """`dwt export research [--data-dir] --out DIR --format sav|csv|parquet`."""
    from dwt.export.research import export_research

    settings = settings_from_args(args.data_dir)
    zone = settings.research_zone()
    if not zone.root.is_dir():
        raise ConfigError(f"no curated lake at {zone.root}; run `dwt ingest` first")
    written = export_research(zone, Path(args.out), args.format)
    audit(settings, "dwt export research", {"out": args.out, "format": args.format},
          [str(p) for p in written])  # fmt: skip
    for path in written:
        print(path)
    return 0
