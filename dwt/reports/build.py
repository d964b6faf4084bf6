"""The report model: one metrics computation for all regions, through disclosure control.

`build_reports(zone, k, as_of)` reads the research zone only (it is handed a `ResearchZone`,
never the restricted zone): the curated frames once (`analytics.frames.read_frames`), the
figures once for every region (`metrics_from_frames`), then `disclosure.apply_safe` before
anything is worded.
Two small tables the metrics do not carry (gender counts, the data-quality appendix) are built
here and pass the same disclosure functions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dwt.reports import sections as s
from dwt.reports import text as t
from dwt.reports.model import Report, ReportSet
from dwt.schema import load_instrument, load_study
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import pandas as pd


ALL = "all"


def report_stem(region: str | None, as_of: int) -> str:
    """File name without extension: the region code (or "overzicht") and the as-of wave."""
    return f"duurzaamheid-{region or 'overzicht'}-{as_of}"


# ---------------------------------------------------------------- safe side tables


def gender_tables(safe: Mapping[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """Gender counts per region and over all regions, as the release decided them.

    One table for all outputs (`dwt.release.tables.gender_counts`), decided with the figures, so
    the region reports and the overview show the same cells.
    """
    codes = list(load_instrument("placements").column("gender").codes)
    gender = (safe.get("tables") or {}).get("gender") or {}
    return {grp: [(c, counts.get(c)) for c in codes] for grp, counts in gender.items()}


def quality_tables(
    quality: pd.DataFrame, safe: Mapping[str, Any]
) -> dict[str, dict[str, list[tuple[str, ...]]]]:
    """Per region (and all): file outcomes per wave and instrument, reasons with row counts.

    The counts are the release's (`dwt.release.tables.quality_counts`, decided with the figures:
    rows delivered minus rows quarantined is a survey's respondents, a relation the attacker
    knows). Curated rows are not shown. The delivery status is worded from the quality table.
    """
    decided = (safe.get("tables") or {}).get("quality") or {}
    out = {}
    regions = sorted(str(r) for r in quality["region"].dropna().unique())
    for region in regions:
        out[region] = _quality_of(quality[quality["region"] == region], decided.get(region, {}),
                                  with_region=False)  # fmt: skip
    out[ALL] = _quality_of(quality, decided.get(ALL, {}), with_region=True)
    return out


def _instrument_title(name: str) -> str:
    try:
        return str(load_instrument(name).title.get("nl", name))
    except (FileNotFoundError, KeyError):
        return name


def _wave_of(record: dict[str, Any]) -> int:
    """A rejected file in an unknown wave folder has no wave: it sorts first."""
    import pandas as pd

    wave = record["wave"]
    return -1 if wave is None or pd.isna(wave) else int(wave)


def _instrument_of(record: dict[str, Any]) -> str:
    import pandas as pd

    inst = record["instrument"]
    return "" if inst is None or pd.isna(inst) else str(inst)


def _quality_of(
    q: pd.DataFrame, decided: Mapping[str, Any], with_region: bool
) -> dict[str, list[tuple[str, ...]]]:
    from dwt.release.tables import reason_key, slot_key

    records: list[dict[str, Any]] = [
        {str(key): v for key, v in r.items()}
        for r in q[["wave", "instrument", "outcome", "reason", "rows"]].to_dict("records")
    ]
    order = {name: i for i, name in enumerate(load_study().instruments)}
    keys = {(_wave_of(r), _instrument_of(r)) for r in records}
    files: list[tuple[str, ...]] = []
    for wave, inst in sorted(keys, key=lambda x: (x[0], order.get(x[1], 99), x[1])):
        part = [r for r in records if _wave_of(r) == wave and _instrument_of(r) == inst]
        shown_wave = str(wave) if wave >= 0 else "onbekend"
        title = _instrument_title(inst) if inst else "onbekend instrument"
        counts = (decided.get("files") or {}).get(slot_key(wave, inst), {})
        files.append((shown_wave, title, *_file_cells(part, counts, with_region)))
    keys_seen = sorted(
        {(_instrument_of(r), str(r["outcome"]), str(r["reason"])) for r in records
         if r["outcome"] in ("quarantined", "flagged")}
    )  # fmt: skip
    reasons: list[tuple[str, ...]] = []
    for inst, outcome, reason in keys_seen:
        prefix = "gemarkeerd: " if outcome == "flagged" else ""
        shown = t.count((decided.get("reasons") or {}).get(reason_key(inst, outcome, reason)))
        reasons.append((_instrument_title(inst), prefix + reason, shown))
    return {"files": files, "reasons": reasons}


def _file_cells(
    part: list[dict[str, Any]], counts: Mapping[str, Any], summed: bool
) -> tuple[str, str, str]:
    """(delivery status, rows delivered, rows quarantined) of one wave x instrument.

    `summed`: the records come from several regions (the overview), so outcomes are counted.
    `counts`: the release's decided counts of this slot.
    """

    def of(outcome: str) -> list[dict[str, Any]]:
        return [r for r in part if r["outcome"] == outcome]

    status = []
    for outcome, label in (("accepted", "geleverd"), ("rejected", "afgewezen"),
                           ("missing", "niet geleverd")):  # fmt: skip
        n = len(of(outcome))
        if n:
            status.append(f"{label} ({n}×)" if summed and n > 1 else label)
        if outcome == "rejected" and n and not summed:
            status[-1] += ": " + "; ".join(sorted({str(r["reason"]) for r in of(outcome)}))
    if not of("accepted"):
        return (", ".join(status), "", "")
    return (
        ", ".join(status),
        t.count(counts.get("delivered")),
        t.count(counts.get("quarantined")),
    )


# ---------------------------------------------------------------- the reports


def _cover(
    region: str | None,
    group: Mapping[str, Any],
    snapshot: str,
    group_disclosure: Mapping[str, Any],
    as_of: int,
) -> tuple[tuple[str, str], ...]:
    first = load_study().first_wave
    if region is None:
        last = as_of
        where = "Alle regio's"
        ref = f"{last}-12-31 (laatste meting per regio verschilt mogelijk)"
    else:
        last = int(group["reference_wave"])
        where = t.region_name(region)
        ref = str(group["reference_date"])
    return (
        ("Regio", where),
        ("Periode", f"{first}–{last} (stand na meting {as_of})"),
        ("Peildatum", ref),
        ("Gegevensbestand (snapshot)", snapshot),
        ("Afscherming", t.disclosure_cover(group_disclosure)),
    )


def region_report(safe: Mapping[str, Any], region: str, extras: Mapping[str, Any]) -> Report:
    group = safe["regions"][region]
    return Report(
        stem=report_stem(region, extras["as_of"]),
        title=f"Duurzaam Werk(t) — {t.region_name(region)}",
        subtitle="Duurzaamheid van plaatsingen van werknemers met een arbeidshandicap",
        cover=_cover(region, group, extras["snapshot"], safe["disclosure"], extras["as_of"]),
        sections=s.region_sections(
            safe,
            region,
            extras["k"],
            extras["gender"].get(region),
            extras["quality"].get(region, {"files": [], "reasons": []}),
        ),
        region=region,
    )


def overview_report(safe: Mapping[str, Any], extras: Mapping[str, Any]) -> Report:
    return Report(
        stem=report_stem(None, extras["as_of"]),
        title="Duurzaam Werk(t) — overzicht van alle regio's",
        subtitle="Duurzaamheid van plaatsingen van werknemers met een arbeidshandicap",
        cover=_cover(None, safe[ALL], extras["snapshot"], safe["disclosure"], extras["as_of"]),
        sections=s.overview_sections(
            safe,
            extras["k"],
            extras["gender"].get(ALL),
            extras["quality"].get(ALL, {"files": [], "reasons": []}),
        ),
    )


def build_reports(
    zone: ResearchZone,
    k: int,
    as_of: int | None = None,
    region: str | None = None,
    rounding: str | None = None,
) -> ReportSet:
    """All region reports (or only `region`'s) and the overview, from one metrics computation.

    Raises `metrics.NoCuratedData` when the lake (up to `as_of`) holds no placements, and
    KeyError for a region without placements.
    """
    from dwt.analytics.frames import read_frames
    from dwt.analytics.metrics import NoCuratedData
    from dwt.release import decided_once, release_from_frames, rounding_for

    started = time.perf_counter()
    frames = read_frames(zone, as_of)
    if not frames.reference_waves:
        raise NoCuratedData(f"no curated data under {zone.root}")
    read_done = time.perf_counter()
    from dwt.analytics.interviews import read_interview_frames

    interviews = read_interview_frames(zone, as_of)
    decision = rounding_for(k, rounding)
    release = decided_once(
        zone, decision, as_of, lambda: release_from_frames(frames, decision, interviews)
    )
    safe = release.safe
    metrics_done = time.perf_counter()
    wave = as_of if as_of is not None else max(frames.reference_waves.values())
    extras: dict[str, Any] = {
        "as_of": wave,
        "snapshot": zone.snapshot_id(),
        "k": k,
        "gender": gender_tables(safe),
        "quality": quality_tables(frames.quality, safe),
    }
    regions = [region] if region is not None else sorted(safe["regions"])
    unknown = [r for r in regions if r not in safe["regions"]]
    if unknown:
        raise KeyError(unknown[0])
    reports = {r: region_report(safe, r, extras) for r in regions}
    overview = overview_report(safe, extras) if region is None else None
    timings = {
        "read_s": read_done - started,
        "metrics_s": metrics_done - read_done,
        "model_s": time.perf_counter() - metrics_done,
    }
    return ReportSet(wave, extras["snapshot"], k, reports, overview, timings, release)
