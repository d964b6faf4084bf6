"""`dwt problems` (the problem list of a region, with raw values) and `dwt audit`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dwt.config import settings_from_args
from dwt.errors import ConfigError

PROBLEMS_FOLDER = "problemen"  # inside the restricted zone: the file holds raw values


def run_problems(args: argparse.Namespace) -> int:
    from dwt.lake import Lake
    from dwt.problems import problem_list, write_problem_list
    from dwt.restricted import RestrictedZone
    from dwt.schema import load_study

    study = load_study()
    if args.region not in study.region_codes:
        raise ConfigError(f"unknown region {args.region!r}; known: {', '.join(study.region_codes)}")
    if args.wave is not None and args.wave not in study.waves:
        raise ConfigError(
            f"unknown wave {args.wave}; waves are {study.first_wave}-{study.last_wave}"
        )
    settings = settings_from_args(args.data_dir)
    zone = RestrictedZone(settings.restricted_dir)
    stem = f"problemen-{args.region}" + (f"-{args.wave}" if args.wave is not None else "")
    out = Path(args.out) if args.out else zone.root / PROBLEMS_FOLDER / f"{stem}.xlsx"
    # Under the lake's lock: an ingest swapping the restricted zone meanwhile would drop a
    # file written into the zone it is replacing.
    with Lake(settings).locked(owner="dwt problems"):
        problems = problem_list(zone, args.region, args.wave)
        write_problem_list(problems, out)
        zone.audit_log().record(
            "dwt problems", {"region": args.region, "wave": args.wave, "out": str(out)},
            settings.research_zone().snapshot_id(), [out],
        )  # fmt: skip
    print(out)
    print(
        f"{len(problems.rejected_files)} rejected files, {problems.row_count} quarantined rows. "
        "This file holds the raw values as delivered (personal data), the one dwt output that "
        "does: send it only to the intermediary that delivered them, through a secure channel.",
        file=sys.stderr,
    )
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from dwt.restricted import RestrictedZone

    log = RestrictedZone(settings_from_args(args.data_dir).restricted_dir).audit_log()
    lines = log.lines()
    if args.json:
        print(json.dumps(lines, indent=2, ensure_ascii=False))
        return 0
    for line in lines:
        files = ", ".join(Path(f["path"]).name for f in line["files"][:4])
        more = f" (+{len(line['files']) - 4})" if len(line["files"]) > 4 else ""
        print(
            f"{line['at']}  {line['user']}@{line['host']}  {line['command']}  "
            f"snapshot {line['snapshot']}  {len(line['files'])} files: {files}{more}"
        )
    if not lines:
        print(f"no audit entries in {log.path}")
    return 0
