"""The process's one Great Expectations context (lazy; GX costs seconds to import).

Everything GX-related asks `gx_context()`: the import, the ephemeral context and its pandas
data source are paid for once per process, with progress bars and usage statistics off.
"""

from __future__ import annotations

import os
import threading
from typing import Any

DATASOURCE = "dwt"

_lock = threading.Lock()
_context: Any = None
contexts_created = 0  # how often this process paid for a GX context (tests check it is 1)


def import_gx() -> Any:
    """Import great_expectations with usage statistics off (set before GX reads it)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations

    return great_expectations


def gx_context() -> Any:
    """The single ephemeral GX context (an `EphemeralDataContext`), created on first use."""
    global _context, contexts_created
    with _lock:
        if _context is None:
            gx = import_gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            # tqdm bars on stderr would clutter non-interactive runs and their logs
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.data_sources.add_pandas(DATASOURCE)
            _context = context
            contexts_created += 1
        return _context
