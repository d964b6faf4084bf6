"""The ingest without Prefect: plan -> load -> validate -> commit_run, as `flows/ingest.py` runs it.

Run as a script (a subprocess of a test or of `make bench`):

    python tests/ingest_driver.py DATA_DIR [--region R] [--wave Y]

The key comes from DWT_PSEUDONYM_KEY (or --key-file). It takes the lake's lock and runs
`recover()` first, exactly as the flow does, prints the run summary as JSON on stdout and exits
with the run's exit code (0 ok, 1 some files rejected). Tests use it to kill an ingest at a
chosen point (DWT_CRASH_AT, see dwt/lake.py) and to start two ingests at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def run_ingest(
    data_dir: Path,
    region: str | None = None,
    wave: int | None = None,
    key_file: str | None = None,
) -> dict[str, Any]:
    """One ingest of `data_dir/raw` through the pipeline functions; the run summary."""
    from dwt.config import settings_from_args
    from dwt.ingest import pipeline
    from dwt.lake import Lake
    from dwt.pseudonym import load_key
    from dwt.schema import load_instrument, load_study

    settings = settings_from_args(data_dir)
    study = load_study()
    key = load_key(key_file)
    lake = Lake(settings)
    run_id = pipeline.new_run_id()
    with lake.locked():
        pipeline.check_key(lake, key)
        plan = pipeline.plan_run(lake, study, settings.raw_dir, region, wave)
        all_missing = pipeline.plan_missing(settings.raw_dir)
        read = [pipeline.load_delivery(d, plan.shas[d.relpath], study) for d in plan.to_load]
        loaded = [r for r in read if isinstance(r, pipeline.Loaded)]
        validated: list[Any] = []
        gx: dict[str, Any] = {}
        if loaded:
            from dwt.validation.runner import Validator

            validator = Validator()
            for name in study.instruments:
                group = [item for item in loaded if item.delivery.instrument == name]
                if group:
                    items, summary = pipeline.validate_instrument(
                        group, load_instrument(name), validator
                    )
                    validated.extend(items)
                    gx[name] = summary
        rejected_on_read = [r for r in read if isinstance(r, pipeline.FileResult)]
        result = pipeline.commit_run(
            lake, study, plan, [*rejected_on_read, *validated], key, run_id, all_missing, gx
        )
    pipeline.write_run_log(settings.runs_dir, result)
    return {**result.summary, "changed": result.changed, "exit_code": result.exit_code}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--region", default=None)
    parser.add_argument("--wave", type=int, default=None)
    parser.add_argument("--key-file", default=None)
    args = parser.parse_args(argv)
    summary = run_ingest(args.data_dir, args.region, args.wave, args.key_file)
    print(json.dumps(summary, ensure_ascii=False))
    return int(summary["exit_code"])


if __name__ == "__main__":
    sys.exit(main())
