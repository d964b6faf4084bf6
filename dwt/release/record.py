"""The release record: what a second person checks and signs off before anything is sent.

A report run that renders the whole release (every region, the overview and the index) writes two
files beside the reports:
- `cijfers-veilig.json`: every figure of the release as it was published (the tree the reports
  were worded from; the same as `dwt metrics --safe --json` for this snapshot), including the
  disclosure block the attacker needs to read it back (hidden cells, relations that do not hold);
- `vrijgave.json` (the record): every outward file with its sha256, the snapshot, k, the rounding
  rule and threshold, how many counts were suppressed, hidden and rounded, and the attacker's
  verdict, with an empty sign-off for the reviewer.

`dwt release check DIR` (`check`) verifies every listed file's sha256, that no count from 1 to
k-1 appears in the published figures, and re-runs the attacker on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dwt.files import sha256_of, write_atomic

FIGURES = "cijfers-veilig.json"
RECORD = "vrijgave.json"
NOT_COUNTS = frozenset(
    {"df", "reference_wave", "employers_target", "participants_target", "disclosure", "k",
     "threshold", "days", "suppressed_terms"}
)  # fmt: skip


def figures_json(safe: Mapping[str, Any]) -> str:
    return json.dumps(safe, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_figures(out_dir: Path, safe: Mapping[str, Any]) -> Path:
    path = Path(out_dir) / FIGURES
    write_atomic(path, figures_json(safe).encode("utf-8"))
    return path


def write_record(
    out_dir: Path, safe: Mapping[str, Any], snapshot: str, files: Iterable[str]
) -> Path:
    """The record of the release whose figures are `safe`, listing `files` (and the figures)."""
    out_dir = Path(out_dir)
    disclosure = safe["disclosure"]
    listed = sorted({Path(f).name for f in files} | {FIGURES})
    record = {
        "snapshot": snapshot,
        "k": disclosure["k"],
        "rounding": disclosure["rounding"],
        "threshold": disclosure["threshold"],
        "counts": {
            "suppressed": disclosure["suppressed_counts"],
            "hidden": disclosure["hidden_counts"],
            "rounded": disclosure["rounded_counts"],
        },
        "attacker": disclosure["attacker"],
        "files": [{"file": name, "sha256": sha256_of(out_dir / name)} for name in listed],
        "sign_off": {"checked_by": None, "date": None, "verdict": None},
    }
    path = out_dir / RECORD
    write_atomic(path, (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def small_counts(tree: Any, k: int, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every integer 1..k-1 in a published tree outside the non-counts (curve days, k, ...)."""
    found: list[tuple[str, ...]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key not in NOT_COUNTS:
                found += small_counts(value, k, (*path, str(key)))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found += small_counts(value, k, (*path, str(i)))
    elif isinstance(tree, int) and not isinstance(tree, bool) and 1 <= tree < k:
        found.append(path)
    return found


def check(folder: Path) -> tuple[bool, list[str], dict[str, Any]]:
    """(passed, problems, attacker summary) of the release in `folder`."""
    from dwt.release.attack import attack
    from dwt.release.decide import published_from_tree

    folder = Path(folder)
    record_path = folder / RECORD
    if not record_path.is_file():
        return False, [f"no release record ({RECORD}) in {folder}"], {}
    record = json.loads(record_path.read_text(encoding="utf-8"))
    problems = []
    for entry in record["files"]:
        path = folder / entry["file"]
        if not path.is_file():
            problems.append(f"{entry['file']}: listed in the record but missing")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"{entry['file']}: sha256 differs from the record (changed since)")
    tree = json.loads((folder / FIGURES).read_text(encoding="utf-8"))
    for path in small_counts(tree, int(tree["disclosure"]["k"])):
        problems.append(f"{FIGURES}: a count below k at {'/'.join(path)}")
    verdict = attack(published_from_tree(tree))
    for failure in verdict.failures:
        problems.append(
            f"attacker: {'/'.join(failure.path)} shown as {failure.shown!r} is pinned to "
            f"{failure.low}..{failure.high}"
        )
    return not problems, problems, verdict.summary()
