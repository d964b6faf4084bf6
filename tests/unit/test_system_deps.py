"""The very first `make test` on a bare machine: system tools are installed before pytest runs,
and no test needs them to be *collected* (a tool probed at import time would fail collection,
or skip silently, on the run that installs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "install-system-deps.sh"


def test_make_test_installs_the_system_tools_before_pytest_starts() -> None:
    dry = subprocess.run(
        ["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    install = next(i for i, line in enumerate(dry) if "install-system-deps.sh" in line)
    pytest = next(i for i, line in enumerate(dry) if "-m pytest" in line)
    assert install < pytest


def test_the_install_script_is_valid_bash_and_checks_every_tool() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    text = SCRIPT.read_text(encoding="utf-8")
    for package, program in [("chromium", "chromium"), ("poppler-utils", "pdftoppm"),
                             ("pspp", "pspp"), ("postgresql", "initdb")]:  # fmt: skip
        assert f"{package}:{program}" in text
    assert "DPkg::Lock::Timeout" in text  # a fresh machine's boot-time apt holds the lock


def test_collecting_the_tests_needs_none_of_the_system_tools() -> None:
    # only the venv on PATH: no chromium, pdftoppm or pspp can be found
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/e2e", "tests/integration/export"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "skipped" not in proc.stdout
