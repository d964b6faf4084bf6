"""`dwt demo` (what `make demo` runs): the main job on the embedded default.

Local files under ./data, the local Prefect server (commands/local_api.py) for the whole run, no
configuration: if data/raw holds no delivery yet, a synthetic study is generated into it;
a local pseudonym key is created once in the restricted zone (real ingests refuse to run
without the study's key); then every stage runs as one Prefect flow with subflows.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dwt.config import ENV_KEY, settings_from_args


def raw_is_empty(raw_dir: Path) -> bool:
    if not raw_dir.is_dir():
        return True
    return not any(p.is_file() and not p.name.startswith((".", "_")) for p in raw_dir.rglob("*"))


def run_cli(args: argparse.Namespace) -> int:
    from dwt.pseudonym import ensure_demo_key

    settings = settings_from_args(args.data_dir)
    if raw_is_empty(settings.raw_dir):
        from dwt.generate import generate_study

        print(f"generating a synthetic study into {settings.raw_dir} (seed 2017, scale 1)")
        generate_study(settings.raw_dir, seed=2017, scale=1.0, faults=False)
    key_file: str | None = None
    if not os.environ.get(ENV_KEY):
        key_path = settings.demo_key_file
        ensure_demo_key(key_path)
        key_file = str(key_path)
        print(f"using the local demo key {key_path} (a real study sets {ENV_KEY})")

    from commands.local_api import configured_api, prefect_api
    from flows.demo import demo

    local = configured_api() is None
    with prefect_api() as api:
        outputs = demo(data_dir=str(settings.data_dir), key_file=key_file, reports_dir=args.out)
    print()
    print("outputs:")
    for label, where in outputs["outputs"].items():
        print(f"  {label:<22} {where}")
    if local:
        print(f"  {'Prefect UI':<22} {api.removesuffix('/api')} (local server, stops when unused)")
    return int(outputs["exit_code"])
