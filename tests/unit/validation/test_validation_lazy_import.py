"""Importing the validation modules must not pay for great_expectations (seconds)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_validation_does_not_import_great_expectations() -> None:
    code = (
        "import sys, dwt.validation.runner, dwt.validation.crosscheck, dwt.ingest.keys; "
        "print('great_expectations' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
