"""The plain ingest (tests, `make bench`, the plain driver) must not pay for Prefect's import."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_ingest_sequence_does_not_import_prefect() -> None:
    code = (
        "import sys, flows.ingest_sequence; "
        "print(sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_flow_module_runs_the_same_sequence() -> None:
    import flows.ingest
    import flows.ingest_sequence

    assert flows.ingest.run_ingest is flows.ingest_sequence.run_ingest
