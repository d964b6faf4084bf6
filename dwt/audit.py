"""Who ran what, on which code and which snapshot: the study's audit trail.

- Every ingest's run manifest (`data/runs/<run_id>.json`) carries `provenance()`: the package
  version, a hash of requirements.lock (the exact dependency set), the git commit when there is
  one, the user and host, and the pseudonym key's fingerprint.
- Every report, export, employer summary and problem list appends one JSON line to
  `data/restricted/audit.jsonl` (`AuditLog.record`): who, when, which command with which
  parameters, which snapshot, and every file written with its sha256. `dwt audit` prints it.

No line holds a delivered value: paths, hashes, parameters (a KvK number given on the command
line is recorded as the employer's pseudonym instead) and counts only.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dwt import __version__
from dwt.files import sha256_of

REPO = Path(__file__).resolve().parent.parent
LOCK_FILE = REPO / "requirements.lock"
AUDIT_FILE = "audit.jsonl"


def who() -> dict[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname()}


def code_version() -> dict[str, str | None]:
    lock = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:16] if LOCK_FILE.is_file() else None
    return {"package": __version__, "lock_sha256": lock, "git_commit": _git_commit()}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance(key_fingerprint: str | None = None) -> dict[str, Any]:
    """What a run manifest records about the run itself."""
    return {**who(), "code": code_version(), "key_fingerprint": key_fingerprint}


@dataclass(frozen=True)
class AuditLog:
    """The append-only audit log of one restricted zone."""

    path: Path

    def record(
        self,
        command: str,
        parameters: dict[str, Any],
        snapshot: str | None,
        files: Iterable[Path | str],
    ) -> dict[str, Any]:
        """Append one line: who, when, what, from which snapshot, which files (with sha256)."""
        written = sorted({str(f) for f in files})
        line = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            **who(),
            "command": command,
            "parameters": parameters,
            "snapshot": snapshot,
            "code": code_version(),
            "files": [{"path": f, "sha256": sha256_of(Path(f))} for f in written],
        }
        data = (json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: each line lands whole at the end, also when two commands append at once.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return line

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        text = self.path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]
