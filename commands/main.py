"""`dwt` command line. Heavy libraries are imported inside handlers so `dwt --help` stays fast.

Each subcommand names the module function that runs it (`module:function`, called with the
parsed arguments, returning an exit code). Exit codes (`dwt.errors`): 0 ok, 1 some input
rejected or the command found a problem in the data, 2 usage or configuration error, 3 the lake
is busy (another writer holds it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from dwt import __version__

Handler = Callable[[argparse.Namespace], int]


def _data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        default=None,
        help="folder holding raw/, curated/ and restricted/ (default ./data, env DWT_DATA_DIR)",
    )


def _region_wave(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", default=None, help="only this region code")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dwt",
        description="Duurzaam Werk(t) study pipeline: synthetic data, ingest, figures, reports.",
    )
    parser.add_argument("--version", action="version", version=f"dwt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="generate a study if data/raw is empty, then run every stage")
    _data_dir(p)
    p.add_argument("--out", default="reports", help="report folder (default reports/)")
    p.set_defaults(handler="commands.demo:run_cli")

    p = sub.add_parser("generate", help="write a synthetic study following the contract")
    p.add_argument(
        "--out", required=True, help="folder to write <region>/<wave>/<instrument>.<ext>"
    )
    p.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
    p.add_argument("--scale", type=float, default=1.0, help="study size multiplier (default 1)")
    p.add_argument("--faults", action="store_true", help="inject every kind of bad row and file")
    p.set_defaults(handler="dwt.generate:run_cli")

    p = sub.add_parser("codebook", help="render the codebook from schemas/ (Markdown or HTML)")
    p.add_argument("--out", required=True, help="output file; .html gives HTML, else Markdown")
    p.set_defaults(handler="dwt.codebook:run_cli")

    p = sub.add_parser("ingest", help="validate, pseudonymise and curate raw deliveries")
    _data_dir(p)
    _region_wave(p)
    p.add_argument("--wave", type=int, default=None, help="only this wave (year)")
    p.add_argument("--key-file", default=None, help="file holding the pseudonym key")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(handler="commands.ingest:run_cli")

    p = sub.add_parser("metrics", help="durability figures over the curated lake")
    _data_dir(p)
    _region_wave(p)
    p.add_argument("--as-of", type=int, default=None, help="figures as they stood after wave Y")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--safe", action="store_true", help="apply disclosure control")
    p.set_defaults(handler="commands.analytics:run_metrics")

    p = sub.add_parser("query", help="read-only SQL over the curated views (DuckDB)")
    _data_dir(p)
    p.add_argument("sql", help="SQL; tables: placements, placement_history, employee_survey, ...")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(handler="commands.analytics:run_query")

    p = sub.add_parser("report", help="durability reports per region (HTML, PDF)")
    _data_dir(p)
    _region_wave(p)
    p.add_argument("--out", default="reports", help="output folder (default reports/)")
    p.add_argument("--as-of", type=int, default=None, help="the report as it stood after wave Y")
    p.add_argument("--format", default="html,pdf", help="comma list of html, pdf")
    p.set_defaults(handler="commands.report:run_cli")

    p = sub.add_parser("export", help="employer summaries and research exports")
    ex = p.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    e = ex.add_parser("employer", help="summary for one employer (xlsx + pdf)")
    _data_dir(e)
    who = e.add_mutually_exclusive_group(required=True)
    who.add_argument("--employer", help="employer KvK number")
    who.add_argument("--advisor", help="every employer this advisor code monitors, e.g. AD-014")
    e.add_argument("--out", default=None, help="output .xlsx (or folder with --advisor)")
    e.set_defaults(handler="commands.export:run_employer")
    r = ex.add_parser("research", help="research-zone tables as sav, csv or parquet + codebook")
    _data_dir(r)
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--format", choices=["sav", "dta", "csv", "parquet"], default="sav")
    r.set_defaults(handler="commands.export:run_research")

    p = sub.add_parser(
        "problems",
        help="a region's rejected files and quarantined rows WITH raw values (xlsx, restricted)",
    )
    _data_dir(p)
    p.add_argument("--region", required=True, help="region code")
    p.add_argument("--wave", type=int, default=None, help="only this wave (year)")
    p.add_argument("--out", default=None, help="output .xlsx (default: restricted/problemen/)")
    p.set_defaults(handler="commands.problems:run_problems")

    p = sub.add_parser("audit", help="who exported, reported or listed what, from which snapshot")
    _data_dir(p)
    p.add_argument("--json", action="store_true", help="print the audit log as JSON")
    p.set_defaults(handler="commands.problems:run_audit")

    p = sub.add_parser("release", help="check a release (a folder of outward outputs)")
    rel = p.add_subparsers(dest="release_command", required=True, metavar="COMMAND")
    c = rel.add_parser("check", help="re-run the attacker and the file hashes on a folder")
    c.add_argument("folder", help="the folder `dwt report` wrote (holds vrijgave.json)")
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    c.set_defaults(handler="commands.release:run_check")

    p = sub.add_parser("serve", help="serve the yearly deployments (flow.serve) on this machine")
    _data_dir(p)
    p.add_argument("--list", action="store_true", help="print the deployments and exit")
    p.add_argument("--prefect-file", default=None, help="deployments file (default prefect.yaml)")
    p.set_defaults(handler="commands.serve:run_cli")
    return parser


def _resolve(handler: str) -> Handler:
    module_name, func = handler.split(":")
    fn: Handler = getattr(importlib.import_module(module_name), func)
    return fn


# Defaults for the libraries, unless the user set them: no phoning home from a study machine,
# and time enough for the ephemeral Prefect server to start on a busy 2-core machine (Prefect's
# own 20 s default was seen to time out there).
DEFAULT_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def main(argv: Sequence[str] | None = None) -> int:
    for name, value in DEFAULT_ENV.items():
        os.environ.setdefault(name, value)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from dwt.errors import DwtError

    try:
        return _resolve(args.handler)(args)
    except DwtError as exc:  # the one map from an error to a message and an exit code
        print(f"dwt {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
