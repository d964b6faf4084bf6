"""Progress of the long stages (reading files, validating, curating regions, rendering reports):
a Prefect progress artifact per stage that moves while the stage runs, and on a terminal a line
per step. Quiet when output is not a terminal, or with `--json` (DWT_QUIET=1).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Protocol

QUIET_ENV = "DWT_QUIET"


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None: ...


def no_progress(stage: str, done: int, total: int) -> None:
    """Plain runs (tests, benchmarks) report nothing."""


class TerminalProgress:
    """`reading files 12/98` on stderr, at most a few lines a second, the last step always."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s = every_s
        self._last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last.get(stage, 0.0) < self.every_s:
            return
        self._last[stage] = now
        print(f"  {stage} {done}/{total}", file=sys.stderr, flush=True)


class PrefectProgress:
    """One progress artifact per stage of the current flow run, updated as the stage moves."""

    def __init__(self, flow: str) -> None:
        self.flow = flow
        self._artifacts: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from prefect.artifacts import create_progress_artifact, update_progress_artifact

        percent = 100.0 * done / total if total else 100.0
        if stage not in self._artifacts:
            self._artifacts[stage] = create_progress_artifact(
                progress=percent,
                key=f"{self.flow}-{stage.replace(' ', '-')}",
                description=f"{self.flow}: {stage}",
            )
        else:
            update_progress_artifact(self._artifacts[stage], progress=percent)


def flow_progress(flow: str) -> Progress:
    """The progress a flow reports: its artifacts, and a terminal's lines where there is one."""
    sinks: list[Progress] = [PrefectProgress(flow)]
    if sys.stderr.isatty() and not os.environ.get(QUIET_ENV):
        sinks.append(TerminalProgress())

    def report(stage: str, done: int, total: int) -> None:
        for sink in sinks:
            sink(stage, done, total)

    return report
