"""Disclosure control for everything that leaves the research team (docs/DISCLOSURE.md).

`release_from_frames` is the one entry: exact figures and side tables of one snapshot in, the
decided `Release` out (`decide`), which every outward output reads: the reports, the overview,
the employer summaries' regional shares and `dwt metrics --safe`. The research team's own views
(`dwt metrics` without --safe, `dwt query`, the research export) never pass through here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dwt.release.rounding import Rounding

if TYPE_CHECKING:
    import pandas as pd

    from dwt.analytics.frames import LakeFrames
    from dwt.release.decide import Release
    from dwt.zones import ResearchZone

__all__ = ["Rounding", "build_release", "decided_once", "release_from_frames", "rounding_for"]


def rounding_for(k: int, rule: str | None = None) -> Rounding:
    """The rounding of a release with threshold k; the rule defaults to the study's."""
    from dwt.schema import load_study

    return Rounding(rule or load_study().rounding, k)


def release_from_frames(
    frames: LakeFrames,
    rounding: Rounding,
    interviews: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> Release:
    """The decided release of the lake's figures (all regions and pooled), the interview
    figures (`interviews`: the curated interviews and segments) and the side tables."""
    from dwt.analytics.metrics import metrics_from_frames, prepare_placements
    from dwt.release.decide import decide
    from dwt.release.tables import exact_tables

    metrics = metrics_from_frames(frames)
    if interviews is not None:
        from dwt.analytics.interviews import interview_metrics

        metrics["interviews"] = interview_metrics(frames, *interviews)
    placements = prepare_placements(frames.placements, frames.reference_waves)
    return decide(metrics, exact_tables(placements, frames.quality), rounding)


def build_release(zone: ResearchZone, rounding: Rounding, as_of: int | None = None) -> Release:
    """Read the lake (waves <= as_of) and decide its release; NoCuratedData when empty."""
    from dwt.analytics.frames import read_frames
    from dwt.analytics.interviews import read_interview_frames
    from dwt.errors import NoCuratedData

    def decide() -> Release:
        frames = read_frames(zone, as_of)
        if not frames.reference_waves:
            raise NoCuratedData(f"no curated data under {zone.root}")
        return release_from_frames(frames, rounding, read_interview_frames(zone, as_of))

    return decided_once(zone, rounding, as_of, decide)


# The releases decided in this process: the demo flow's reports and employer summaries (and
# any two outputs of one process) read one decision instead of two (the decision of a scale-1
# study costs seconds). Keyed by the zone's snapshot id (its content hash) and, in case a zone
# is changed without a new snapshot record, by every Parquet file's size and mtime.
_DECIDED: dict[tuple[object, ...], Release] = {}
_KEEP = 4


def decided_once(
    zone: ResearchZone, rounding: Rounding, as_of: int | None, decide: Callable[[], Release]
) -> Release:
    """`decide()`, or a copy of the release this process decided for the same snapshot,
    rounding and as-of wave. Callers get their own copy: none can change another's figures."""
    root = Path(zone.root).resolve()
    files = sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*.parquet")
    )
    key = (str(root), zone.snapshot_id(), tuple(files), rounding, as_of)
    if key not in _DECIDED:
        release = decide()
        while len(_DECIDED) >= _KEEP:
            _DECIDED.pop(next(iter(_DECIDED)))
        _DECIDED[key] = copy.deepcopy(release)
        return release
    return copy.deepcopy(_DECIDED[key])
