"""Prefect flow `demo`: every stage in one flow run, so Prefect starts once.

ingest -> metrics -> reports -> exports, each the same flow or function the CLI runs.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.ingest import ingest


@flow(name="demo")
def demo(data_dir: str, key_file: str | None, reports_dir: str = "reports") -> dict[str, Any]:
    from dwt.config import settings_from_args
    from dwt.ingest.cli import print_summary

    settings = settings_from_args(data_dir)
    summary = ingest(data_dir=data_dir, key_file=key_file)
    print_summary(summary, as_json=False)
    outputs: dict[str, str] = {
        "raw deliveries": str(settings.raw_dir),
        "curated lake": str(settings.curated_dir),
        "restricted zone": str(settings.restricted_dir),
        "run manifests": str(settings.runs_dir),
    }
    return {"outputs": outputs, "exit_code": summary["exit_code"]}
