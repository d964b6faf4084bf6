"""Synthetic Duurzaam Werk(t) study: `dwt generate --out DIR [--seed N] [--scale F] [--faults]`.

Writes `DIR/<region>/<wave>/<instrument>.<csv|xlsx|sav>` for every region of
`schemas/study.yaml`, waves first..last, instruments placements, employee_survey,
employer_survey and contacts, following /work/shared/study-spec.md, and the interview waves
(interviews, interview_codes: QDA exports in csv or xlsx, `interviews`). Scale 1 gives 32-42
employers and 48-58 participants per region; `--scale F` multiplies both. The same seed
gives byte-identical files (csv, sav and xlsx).

Modules: `simulate` (truth and what each wave shows), `deliveries` (cells per file, what is
not delivered), `styles` (each region's encodings: the table of which region delivers how is
in its docstring), `write` (csv/xlsx/sav bytes), `faults` (`--faults`), `interviews` (the
QDA exports), `study` (the edge).

Not delivered, even without faults: the employer_survey of the 2nd region in the first wave,
the contacts of the 4th region in the third wave, and both interview exports of the 3rd region
in the first wave (`deliveries.not_delivered`).

Folders and files at DIR's root whose names start with '_' are not deliveries:

`DIR/_manifest.json` (always):
    {"generator": "dwt generate", "seed": int, "scale": float,
     "regions": {"<region>": {"employers", "participants", "placements", "advisors",
                              "placements_dropped_from_later_snapshot"}},
     "files": [{"path": "<region>/<wave>/<file>", "format": "csv|xlsx|sav", "rows": int|null,
                "region", "wave", "instrument"}],      # every file written, faulty ones too
     "not_delivered": ["<region>/<wave>/<instrument>", ...]}

`DIR/_faults.json` (with --faults), to reconcile an ingest exactly:
    {"seed": int, "scale": float,
     "files": {"<region>/<wave>/<file name>":
                 {"expect": "rejected", "reason": "<file reason>"}
               | {"expect": "accepted", "rows": <data rows>,
                  "quarantined": {"<1-based data row number>": ["<reason>", ...]}}},
     "rejected_paths": {"<path outside the layout>": {"expect": "rejected", "reason": ...}},
     "flags": [{"kind": "birth_year_changed" | "gender_changed", "region": str, "wave": int}],
     "missing": ["<region>/<wave>/<instrument>", ...]}
`files` lists EVERY file inside the layout (clean ones with an empty `quarantined` map), so
for each accepted file: rows = curated rows + len(quarantined). Reasons use the vocabulary of
docs/ARCHITECTURE.md; the order of a row's reasons is not significant. For an unreadable file
the reason is "unreadable file", for undecodable text "undecodable text" (compare the part
before the ':' an ingest adds, e.g. "undecodable text: invalid UTF-8 bytes ..."). Both files
of a "two files for one instrument/region/wave" pair are listed. `missing` holds only what
was not delivered; a rejected file is not missing. A flag is one person whose value changes
from `wave` on (the change is seen between wave-1 and wave; those rows are not quarantined).
Placements dropped from a later snapshot happen without --faults too (counted per region in
the manifest); the pipeline keeps and flags them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

__all__ = ["generate_study", "run_cli"]


def generate_study(
    out: Path, seed: int = 2017, scale: float = 1.0, faults: bool = False
) -> dict[str, Any]:
    """Write a synthetic study to `out`; return the manifest (also in `out/_manifest.json`)."""
    from dwt.generate.study import generate_study as _generate

    return _generate(Path(out), seed=seed, scale=scale, faults=faults)


def check_arguments(seed: int, scale: float) -> None:
    """Refuse a scale that is not a positive, finite number and a negative seed (exit 2)."""
    from dwt.config import ConfigError

    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ConfigError(f"--scale must be a positive number (got {scale!r})")
    if seed < 0:
        raise ConfigError(f"--seed must be 0 or more (got {seed})")


def run_cli(args: argparse.Namespace) -> int:
    """`dwt generate`: write the study, print where and a one-line count summary."""
    check_arguments(args.seed, args.scale)
    out = Path(args.out)
    manifest = generate_study(out, seed=args.seed, scale=args.scale, faults=args.faults)
    regions = manifest["regions"].values()
    files = manifest["files"]
    print(f"dwt generate: wrote {out}")
    print(
        f"{len(manifest['regions'])} regions, "
        f"{sum(r['employers'] for r in regions)} employers, "
        f"{sum(r['participants'] for r in regions)} participants, "
        f"{sum(r['placements'] for r in regions)} placements; "
        f"{len(files)} files, {sum(f['rows'] or 0 for f in files)} data rows"
        + (" (with faults, see _faults.json)" if args.faults else "")
    )
    return 0
