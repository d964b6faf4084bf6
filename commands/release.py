"""`dwt release check DIR`: re-check a folder of outward outputs before it is sent.

Exit codes: 0 the release passes (every file as recorded, no count below k, the attacker pins no
protected count), 1 it does not (each problem on its own line), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dwt.errors import ConfigError


def run_check(args: argparse.Namespace) -> int:
    from dwt.release.record import check

    folder = Path(args.folder)
    if not folder.is_dir():
        raise ConfigError(f"no folder at {folder}: give the folder the reports were written to")
    passed, problems, summary = check(folder)
    if getattr(args, "json", False):
        print(json.dumps({"passed": passed, "problems": problems, "attacker": summary}, indent=2))
    else:
        for line in problems:
            print(f"dwt release check: {line}", file=sys.stderr)
        cells = summary.get("protected_cells", 0)
        verdict = "passes" if passed else "does NOT pass"
        print(f"release in {folder} {verdict}: {cells} protected counts bounded by the attacker, "
              f"{len(problems)} problem(s)")  # fmt: skip
    return 0 if passed else 1
