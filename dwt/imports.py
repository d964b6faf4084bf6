"""Heavy third-party imports, paid once per process and as cheaply as Python allows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def imports_without_gc() -> Iterator[None]:
    """Heavy imports (Prefect's ~450 pydantic models, GX's expectations and metrics) with
    Python's cyclic garbage collector paused: what they create lives for the whole process,
    and the collector's passes over it cost 15-20% of the import time (0.15 s of a no-op
    `dwt ingest`, ~0.35 s of importing GX). Afterwards `gc.freeze()` keeps those objects out
    of later passes too (refcounting still frees them; only cycles among them stay)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
