"""Interview figures for the research team (exact): `dwt metrics` shows them as the block
`interviews`, beside the durability figures. Pure: frames in, a JSON-able dict out;
`compute_interview_metrics` adds the lake read.

Outward only through the release (`dwt.release`: registry cells and relations, rounding, the
attacker; docs/DISCLOSURE.md), without the double-coding block, which is for the research team
alone (its 2x2 cells are counts of a handful of documents).

Definitions (per region, and pooled over the regions as "all"; waves up to the as-of wave):
- documents held: distinct documents (interview_ref) per wave and type; a focus group of
  several employers is one document. `total` = interview + focusgroep + werkplekobservatie.
- factors: a segment is attributed to an employer only from a document with that one employer
  (an interview or observation; a focus group's segments cannot be told apart by employer).
  The denominator `employers` counts the employers with at least one coded segment in such
  documents; per factor (the code's parent) the employers with a segment of that factor coded
  `bevorderend`, `belemmerend`, and both. Segments of every coder count (a factor named by
  either coder of a double-coded document is named). Shares are over `employers`.
- durability: among placements at those coded employers, R(24) (Kaplan-Meier, as the other
  durability figures) of placements at employers naming the factor as `bevorderend` against
  the others, with a log-rank test.
- double coding: documents coded by exactly two coders. Per code applied in any of them, the
  2x2 table of "coder 1 applied the code to the document" against coder 2 (coder 1 is the
  first of the two staff codes in sort order) and Cohen's kappa over those documents
  (scikit-learn's `cohen_kappa_score`); kappa is null when both coders applied the code to
  every document (or to none), where it is undefined. Disagreements are data, not errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dwt.analytics import survival
from dwt.schema import load_code_system, load_instrument, load_study
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import pandas as pd

    from dwt.analytics.frames import LakeFrames

ALL = "all"
HORIZON_MONTHS = 24
DOCUMENT_KEY = ["region", "wave", "interview_ref"]
NAMED, NOT_NAMED = "named", "not_named"


def _document_types() -> list[str]:
    return list(load_instrument("interviews").column("interview_type").codes)


def _code_system() -> Any:
    system = load_instrument("interview_codes").column("code").code_system
    return load_code_system(system or "code_system")


# ------------------------------------------------------------------------- documents held


def documents_block(
    interviews: pd.DataFrame, waves: Sequence[int], delivered: set[int]
) -> dict[str, Any]:
    """Per wave: documents per type and their total, and whether the wave was delivered."""
    docs = interviews.drop_duplicates(DOCUMENT_KEY)
    types = _document_types()
    by_wave: dict[str, Any] = {}
    for w in waves:
        part = docs[docs["wave"] == w]
        counts = {t: int((part["interview_type"] == t).sum()) for t in types}
        by_wave[str(w)] = {**counts, "total": len(part), "delivered": w in delivered}
    total = {t: sum(by_wave[str(w)][t] for w in waves) for t in types}
    return {
        "by_wave": by_wave,
        "total": {**total, "total": sum(total.values())},
        "employers": int(interviews[["region", "employer_id"]].drop_duplicates().shape[0]),
    }


# ------------------------------------------------------------------------------- factors


def employer_segments(interviews: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Segments of single-employer documents with their (region, employer_id)."""
    employers = interviews.groupby(DOCUMENT_KEY, sort=True)["employer_id"].agg(["nunique", "first"])
    single = employers[employers["nunique"] == 1]["first"].rename("employer_id").reset_index()
    return segments.merge(single, on=DOCUMENT_KEY, how="inner")


def factors_block(attributed: pd.DataFrame) -> dict[str, Any]:
    """Employers naming each factor as bevorderend / belemmerend, over the coded employers."""
    unit = ["region", "employer_id"]
    coded = attributed[unit].drop_duplicates()
    n = len(coded)
    by_factor: dict[str, Any] = {}
    for factor in _code_system().factors:
        part = attributed[attributed["factor"] == factor]
        named = {
            v: set(map(tuple, part.loc[part["valence"] == v, unit].drop_duplicates().to_numpy()))
            for v in ("bevorderend", "belemmerend")
        }
        both = named["bevorderend"] & named["belemmerend"]
        by_factor[factor] = {
            "bevorderend": len(named["bevorderend"]),
            "belemmerend": len(named["belemmerend"]),
            "both": len(both),
            "share_bevorderend": len(named["bevorderend"]) / n if n else None,
            "share_belemmerend": len(named["belemmerend"]) / n if n else None,
        }
    return {"employers": n, "by_factor": by_factor}


def durability_block(placements: pd.DataFrame, attributed: pd.DataFrame) -> dict[str, Any]:
    """Per factor: R(24) at coded employers naming it bevorderend against the other coded
    employers, and the log-rank test. `placements` is `metrics.prepare_placements` output."""
    import pandas as pd

    unit = ["region", "employer_id"]
    coded = attributed[unit].drop_duplicates()
    frame = placements.merge(coded, on=unit, how="inner").reset_index(drop=True)
    out: dict[str, Any] = {}
    for factor in _code_system().factors:
        part = attributed[
            (attributed["factor"] == factor) & (attributed["valence"] == "bevorderend")
        ]
        named = part[unit].drop_duplicates().assign(_named=True)
        flag = frame.merge(named, on=unit, how="left")["_named"].eq(True).to_numpy()
        groups = pd.Series([NAMED if f else NOT_NAMED for f in flag], index=frame.index)
        block: dict[str, Any] = {}
        for name in (NAMED, NOT_NAMED):
            rows = frame[groups == name]
            summary = survival.km_summary(rows["duration"], rows["event_r"], (HORIZON_MONTHS,))
            block[name] = {
                "placements": summary["n"],
                "events": summary["events"],
                "retention": dict(summary["horizons"]),
                "curve": summary["curve"],  # outward only from its rounded risk table
            }
        block["logrank"] = survival.logrank(frame["duration"], frame["event_r"], groups)
        out[factor] = block
    return out


# -------------------------------------------------------------------------- double coding


def kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Cohen's kappa of two coders' yes/no per document; None where it is undefined (both
    coders gave one and the same answer everywhere: agreement expected by chance is 1)."""
    from sklearn.metrics import cohen_kappa_score

    if len(set(first) | set(second)) < 2:
        return None
    return float(cohen_kappa_score(list(first), list(second), labels=[False, True]))


def double_coding_block(segments: pd.DataFrame) -> dict[str, Any]:
    """Agreement per code between the two coders of every document coded by exactly two."""
    coders = segments.groupby(DOCUMENT_KEY, sort=True)["coder"].agg(lambda c: sorted(set(c)))
    pairs = coders[coders.map(len) == 2]
    applied = segments.groupby([*DOCUMENT_KEY, "coder"], sort=True)["code"].agg(set)
    order = {c.code: i for i, c in enumerate(_code_system().codes)}
    docs: list[tuple[tuple[Any, ...], list[str]]] = [
        (tuple(doc), list(pair))
        for doc, pair in zip(pairs.index.to_list(), pairs.to_list(), strict=True)
    ]
    used = sorted(
        {code for doc, pair in docs for coder in pair for code in applied[(*doc, coder)]},
        key=lambda c: order.get(c, len(order)),
    )
    codes: dict[str, Any] = {}
    for code in used:
        first = [code in applied[(*doc, pair[0])] for doc, pair in docs]
        second = [code in applied[(*doc, pair[1])] for doc, pair in docs]
        cells = list(zip(first, second, strict=True))
        codes[code] = {
            "both": cells.count((True, True)),
            "first_only": cells.count((True, False)),
            "second_only": cells.count((False, True)),
            "neither": cells.count((False, False)),
            "kappa": kappa(first, second),
        }
    return {
        "documents": len(pairs),
        "more_than_two_coders": int((coders.map(len) > 2).sum()),
        "codes": codes,
    }


# --------------------------------------------------------------------------------- groups


def group_block(
    interviews: pd.DataFrame,
    segments: pd.DataFrame,
    placements: pd.DataFrame,
    waves: Sequence[int],
    delivered: set[int],
) -> dict[str, Any]:
    attributed = employer_segments(interviews, segments)
    coded = attributed[["region", "employer_id"]].drop_duplicates()
    return {
        "documents": documents_block(interviews, waves, delivered),
        "factors": factors_block(attributed),
        # placements at the coded employers: named + not_named of every factor
        "coded_placements": len(placements.merge(coded, on=["region", "employer_id"])),
        "durability": durability_block(placements, attributed),
        "double_coding": double_coding_block(segments),
    }


def _delivered(quality: pd.DataFrame, interviews: pd.DataFrame, region: str) -> set[int]:
    """Waves whose interviews file reached the lake (the quality table; tiny test lakes without
    one: the waves that have documents)."""
    q = quality[quality["region"] == region]
    if len(q):
        ok = q[(q["instrument"] == "interviews") & (q["outcome"] == "accepted")]
        return {int(w) for w in ok["wave"]}
    return {int(w) for w in interviews.loc[interviews["region"] == region, "wave"]}


def interview_metrics(
    frames: LakeFrames,
    interviews: pd.DataFrame,
    segments: pd.DataFrame,
    region: str | None = None,
) -> dict[str, Any]:
    """The interview figures of every region with placements (or only `region`), and 'all'."""
    from dwt.analytics.metrics import prepare_placements

    waves_by_region = dict(frames.reference_waves)
    if region is not None:
        waves_by_region = {r: w for r, w in waves_by_region.items() if r == region}
    first = load_study().first_wave
    placements = prepare_placements(frames.placements, waves_by_region)
    regions: dict[str, Any] = {}
    delivered_all: dict[str, set[int]] = {}
    for r, last in sorted(waves_by_region.items()):
        waves = list(range(first, last + 1))
        delivered_all[r] = _delivered(frames.quality, interviews, r)
        regions[r] = group_block(
            interviews[interviews["region"] == r],
            segments[segments["region"] == r],
            placements[placements["region"] == r],
            waves,
            delivered_all[r],
        )
    keep = list(waves_by_region)
    waves = list(range(first, max(waves_by_region.values(), default=first - 1) + 1))
    pooled = group_block(
        interviews[interviews["region"].isin(keep)],
        segments[segments["region"].isin(keep)],
        placements,
        waves,
        {w for got in delivered_all.values() for w in got},  # delivered by any region
    )
    return {"regions": regions, ALL: pooled}


def read_interview_frames(
    zone: ResearchZone, as_of: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curated interviews and interview_segments (waves <= as_of)."""
    from dwt.analytics.views import connect

    where = "" if as_of is None else f"WHERE wave <= {int(as_of)}"
    con = connect(zone)
    try:
        interviews = con.execute(
            f"SELECT * FROM interviews {where} ORDER BY region, wave, interview_ref, employer_id"
        ).df()
        segments = con.execute(
            f"SELECT * FROM interview_segments {where} ORDER BY region, wave, segment_id"
        ).df()
    finally:
        con.close()
    return interviews, segments


def compute_interview_metrics(
    zone: ResearchZone, region: str | None = None, as_of: int | None = None
) -> dict[str, Any]:
    """Read the lake (waves <= as_of) and compute the interview figures."""
    from dwt.analytics.frames import read_frames

    frames = read_frames(zone, as_of)
    interviews, segments = read_interview_frames(zone, as_of)
    return interview_metrics(frames, interviews, segments, region)
