"""A plain ingest: `flows.ingest_sequence.run_ingest` (the flow's own sequence), no Prefect.

Run as a script (a subprocess of a test or of `make bench`):

    python tests/helpers/ingest_driver.py DATA_DIR [--region R] [--wave Y]

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
    """One ingest of `data_dir/raw` through `flows.ingest_sequence.run_ingest`; the summary."""
    from dwt.config import settings_from_args
    from dwt.pseudonym import load_key
    from flows.ingest_sequence import run_ingest as run

    return run(settings_from_args(data_dir), load_key(key_file), region, wave).public()


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
