"""`dwt ingest`: checks what it can before Prefect starts, then runs the `ingest` flow."""

from __future__ import annotations

import argparse
import os
import sys

from dwt.config import settings_from_args
from dwt.errors import ConfigError
from dwt.ingest.manifest import summary_text
from dwt.schema import load_study


def check_scope(region: str | None, wave: int | None) -> None:
    study = load_study()
    if region is not None and region not in study.region_codes:
        raise ConfigError(f"unknown region {region!r}; known: {', '.join(study.region_codes)}")
    if wave is not None and wave not in study.waves:
        raise ConfigError(f"unknown wave {wave}; waves are {study.first_wave}-{study.last_wave}")


def preflight(data_dir: str | None, key_file: str | None) -> None:
    """Fail fast (exit 2) on a missing or wrong key, before paying Prefect's start-up."""
    from dwt.ingest.steps import check_key
    from dwt.lake import Lake
    from dwt.pseudonym import load_key

    settings = settings_from_args(data_dir)
    if not settings.raw_dir.is_dir():
        raise ConfigError(f"no raw deliveries folder at {settings.raw_dir}")
    check_key(Lake(settings), load_key(key_file))


def _import_ingest() -> None:
    """What an ingest with files to read imports (pandas, pyarrow, GX: about 4 s), done while
    the local Prefect server starts rather than after."""
    from dwt.ingest import curate, read  # noqa: F401
    from dwt.validation.gxcontext import import_gx

    import_gx()


def run_cli(args: argparse.Namespace) -> int:
    check_scope(args.region, args.wave)
    preflight(args.data_dir, args.key_file)
    from commands.local_api import prefect_api
    from dwt.imports import imports_without_gc
    from flows.progress import QUIET_ENV

    if args.json:
        os.environ[QUIET_ENV] = "1"  # the JSON on stdout stays alone: no progress lines

    with prefect_api(meanwhile=_import_ingest):
        with imports_without_gc():
            from flows.ingest import ingest

        result = ingest(
            data_dir=args.data_dir, region=args.region, wave=args.wave, key_file=args.key_file
        )
    print(summary_text(result, args.json))
    if result["exit_code"]:
        print("some files were rejected; the others were ingested", file=sys.stderr)
    return int(result["exit_code"])
