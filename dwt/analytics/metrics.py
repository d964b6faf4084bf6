"""The published figures per region and over all regions ("all"), as one JSON-able dict.

Definitions: ../shared/study-spec.md, "Durability — the published figures". The unit is a
placement in its state as of the region's reference date (see `frames.placements_as_of`).
`metrics_from_frames` is pure; `compute_metrics` adds the lake read. Disclosure control is a
separate, later step (`disclosure.apply_safe`) so the research team sees exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence, Sized
from datetime import date
from typing import TYPE_CHECKING, Any

from dwt import schema
from dwt.analytics import survival
from dwt.errors import NoCuratedData
from dwt.schema import load_instrument, load_study
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import pandas as pd

    from dwt.analytics.frames import LakeFrames

ALL = "all"
FACTOR_HORIZONS = (12, 24)
DIGITS = 6
SURVEY_UNITS = {"employee_survey": "participant_id", "employer_survey": "employer_id"}


# ---------------------------------------------------------------- placements and durations


def band_of(value: float | None, levels: Sequence[dict[str, Any]]) -> str | None:
    """The band code (schemas/study.yaml `bands`) holding `value`; None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    for level in levels:
        if "min" in level and value < level["min"]:
            continue
        if "max_exclusive" in level and value >= level["max_exclusive"]:
            continue
        return str(level["code"])
    return None


def factor_levels() -> dict[str, list[str]]:
    """Every factor's levels in schema order (codes, or band codes)."""
    study = load_study()
    placements = load_instrument("placements")
    levels: dict[str, list[str]] = {}
    for factor in study.factors:
        if factor in study.bands:
            levels[factor] = [str(lv["code"]) for lv in study.bands[factor]["levels"]]
        else:
            levels[factor] = list(placements.column(factor).codes)
    return levels


def prepare_placements(placements: pd.DataFrame, reference_waves: dict[str, int]) -> pd.DataFrame:
    """Placements started by their region's reference date, with duration, events and bands."""
    import pandas as pd

    study = load_study()
    frame = placements[placements["region"].isin(list(reference_waves))].copy()
    frame["reference_date"] = pd.to_datetime(
        frame["region"].map(lambda r: study.reference_date(reference_waves[r]))
    )
    frame = frame[pd.to_datetime(frame["start_date"]) <= frame["reference_date"]].copy()
    frame["duration"] = survival.durations_days(frame, frame["reference_date"])
    frame["event_r"] = survival.retention_events(frame)
    frame["event_e"] = survival.sustained_events(frame)
    for band, spec in study.bands.items():
        frame[band] = [band_of(_num(v), spec["levels"]) for v in frame[spec["source"]]]
    return frame.reset_index(drop=True)


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


# ---------------------------------------------------------------- survival blocks


def _horizon_block(summary: dict[str, Any]) -> dict[str, Any]:
    # The group's n sits beside the block (placements, or a factor level's n), not repeated here,
    # so disclosure control has one cell per count.
    return dict(summary["horizons"])


def survival_block(frame: pd.DataFrame) -> dict[str, Any]:
    """R(t) and E(t) at the horizons, median durations and both step curves."""
    r = survival.km_summary(frame["duration"], frame["event_r"])
    e = survival.km_summary(frame["duration"], frame["event_e"])
    return {
        "retention": _horizon_block(r),
        "sustained": _horizon_block(e),
        "median_days": r["median_days"],
        "sustained_median_days": e["median_days"],
        "events": {"retention": r["events"], "sustained": e["events"]},
        "curve": r["curve"],
        "sustained_curve": e["curve"],
    }


def factor_block(frame: pd.DataFrame) -> dict[str, Any]:
    """Per factor: n, R(12), R(24) and the R(t) curve per level, the missing count and a
    log-rank test."""
    out: dict[str, Any] = {}
    for factor, levels in factor_levels().items():
        values = frame[factor].astype("object")
        level_rows: dict[str, Any] = {}
        for level in levels:
            part = frame[values == level]
            summary = survival.km_summary(part["duration"], part["event_r"], FACTOR_HORIZONS)
            level_rows[level] = {
                "n": len(part),
                "retention": _horizon_block(summary),
                "curve": summary["curve"],
            }
        out[factor] = {
            "levels": level_rows,
            "n_missing": int(values.isna().sum()),
            "logrank": survival.logrank(frame["duration"], frame["event_r"], values),
        }
    return out


def cox_block(frame: pd.DataFrame) -> dict[str, Any]:
    factors = list(load_study().cox_factors)
    design = frame[["duration", "event_r", *factors]].rename(columns={"event_r": "event"})
    return survival.cox_model(design, factors, factor_levels())


# ---------------------------------------------------------------- surveys, contacts


def mean_ci(values: Iterable[float]) -> dict[str, Any]:
    """Mean with a 95% t-interval (null interval for fewer than two values)."""
    from scipy import stats

    data = [float(v) for v in values if _num(v) is not None]
    n = len(data)
    if n == 0:
        return {"n": 0, "mean": None, "ci_low": None, "ci_high": None}
    mean = sum(data) / n
    if n < 2:
        return {"n": n, "mean": mean, "ci_low": None, "ci_high": None}
    sd = math.sqrt(sum((x - mean) ** 2 for x in data) / (n - 1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def trajectory_block(survey: pd.DataFrame, waves: Sequence[int]) -> dict[str, Any]:
    return {
        item: {str(w): mean_ci(survey.loc[survey["wave"] == w, item]) for w in waves}
        for item in load_study().trajectory_items
    }


def active_in_year(frame: pd.DataFrame, wave: int) -> pd.Series:
    """start_date <= Y-12-31 and (no end_date or end_date >= Y-01-01)."""
    import pandas as pd

    first, last = load_study().wave_window(wave)
    start = pd.to_datetime(frame["start_date"])
    end = pd.to_datetime(frame["end_date"])
    return (start <= pd.Timestamp(last)) & (end.isna() | (end >= pd.Timestamp(first)))


def delivered(
    quality: pd.DataFrame, survey: pd.DataFrame, region: str, instrument: str
) -> set[int]:
    """Waves whose survey reached the lake for `region`.

    The quality table says it (an accepted file); a lake without quality rows for the region
    (tiny test lakes) falls back to "the survey table has rows for that wave".
    """
    q = quality[quality["region"] == region]
    if len(q):
        ok = q[(q["instrument"] == instrument) & (q["outcome"] == "accepted")]
        return {int(w) for w in ok["wave"]}
    return {int(w) for w in survey.loc[survey["region"] == region, "wave"]}


def response_detail(
    frame: pd.DataFrame,
    surveys: dict[str, pd.DataFrame],
    waves_delivered: dict[str, set[int]],
    waves: Sequence[int],
) -> dict[str, Any]:
    """Per wave and instrument: delivered, respondents, eligible, rate (null if not delivered)."""
    out: dict[str, Any] = {}
    for instrument, unit in (
        ("employee_survey", "participant_id"),
        ("employer_survey", "employer_id"),
    ):
        rows: dict[str, Any] = {}
        table = surveys[instrument]
        for w in waves:
            eligible = int(frame.loc[active_in_year(frame, w), unit].nunique())
            respondents = int(table.loc[table["wave"] == w, unit].nunique())
            is_delivered = w in waves_delivered[instrument]
            rows[str(w)] = _response_row(is_delivered, respondents, eligible)
        out[instrument] = rows
    return out


def _response_row(is_delivered: bool, respondents: int, eligible: int) -> dict[str, Any]:
    rate = respondents / eligible if is_delivered and eligible > 0 else None
    return {
        "delivered": is_delivered,
        "respondents": respondents if is_delivered else None,
        "eligible": eligible,
        "rate": rate,
    }


def pool_response(details: Sequence[dict[str, Any]], waves: Sequence[int]) -> dict[str, Any]:
    """'all': sums over the regions whose survey was delivered that wave."""
    out: dict[str, Any] = {}
    for instrument in ("employee_survey", "employer_survey"):
        rows: dict[str, Any] = {}
        for w in waves:
            parts = [d[instrument].get(str(w)) for d in details]
            parts = [p for p in parts if p and p["delivered"]]
            respondents = sum(p["respondents"] for p in parts)
            eligible = sum(p["eligible"] for p in parts)
            rows[str(w)] = _response_row(bool(parts), respondents, eligible)
        out[instrument] = rows
    return out


def response_block(detail: dict[str, Any]) -> dict[str, Any]:
    rates = {inst: {w: row["rate"] for w, row in rows.items()} for inst, rows in detail.items()}
    return {**rates, "detail": detail}


def monitoring_block(contacts: pd.DataFrame, waves: Sequence[int]) -> dict[str, Any]:
    """Contacts per type per wave (with totals), high-risk share and signal counts."""
    inst = load_instrument("contacts")
    types = list(inst.column("contact_type").codes)
    signals = list(inst.column("signals").codes)
    by_type: dict[str, Any] = {}
    risk: dict[str, Any] = {}
    by_signal: dict[str, Any] = {}
    for w in waves:
        part = contacts[contacts["wave"] == w]
        counts = {t: int((part["contact_type"] == t).sum()) for t in types}
        by_type[str(w)] = {**counts, "total": len(part)}
        high = int(part["risk_level"].isin(load_study().high_risk_levels).sum())
        risk[str(w)] = {
            "n": len(part),
            "high": high,
            "share": high / len(part) if len(part) else None,
        }
        exploded = [s for lst in part["signals"] if _is_list(lst) for s in lst]
        by_signal[str(w)] = {s: exploded.count(s) for s in signals}
    signal_total = {s: sum(by_signal[str(w)][s] for w in waves) for s in signals}
    return {
        "contacts": by_type,
        "risk_oranje_rood": risk,
        "signals": {"by_wave": by_signal, "total": signal_total},
    }


def _is_list(value: Any) -> bool:
    """A non-empty list cell. The lake stores an empty cell as NULL, read back as pd.NA (no len)."""
    return isinstance(value, Sized) and not isinstance(value, str) and len(value) > 0


def measure_columns() -> list[str]:
    """The measure items (study.yaml `figures.measures`); never their `__missing` companions."""
    return schema.measure_columns()


def measures_block(survey: pd.DataFrame, waves: Sequence[int]) -> dict[str, Any]:
    """Share of responding employers answering yes, per measure per wave (over those answering)."""
    out: dict[str, Any] = {}
    for w in waves:
        part = survey[survey["wave"] == w]
        row: dict[str, Any] = {"respondents": len(part)}
        for col in measure_columns():
            answered = part[col].dropna()
            yes = int(answered.astype(bool).sum())
            n = len(answered)
            row[col] = {"n": n, "yes": yes, "share": yes / n if n else None}
        out[str(w)] = row
    return out


def recruitment_block(participants: int, employers: int) -> dict[str, Any]:
    """Against study.yaml recruitment_targets: employers within a range, participants a minimum."""
    t = load_study().targets
    lo, hi = t["employers_min"], t["employers_max"]
    status = "below" if employers < lo else "above" if employers > hi else "within"
    return {
        "employers": employers,
        "participants": participants,
        "employers_target": {"min": lo, "max": hi},
        "participants_target": {"min": t["participants_min"]},
        "employers_status": status,
        "employers_met": status == "within",
        "participants_met": participants >= t["participants_min"],
    }


# ---------------------------------------------------------------- groups


def _waves_upto(last: int) -> list[int]:
    return list(range(load_study().first_wave, last + 1))


def group_block(
    frame: pd.DataFrame,
    employee: pd.DataFrame,
    employer: pd.DataFrame,
    contacts: pd.DataFrame,
    waves: Sequence[int],
) -> dict[str, Any]:
    """Every figure of one group of placements (a region, or all regions pooled)."""
    return {
        "placements": len(frame),
        "participants": int(frame["participant_id"].nunique()),
        "employers": int(frame["employer_id"].nunique()),
        **survival_block(frame),
        "factors": factor_block(frame),
        "cox": cox_block(frame),
        "trajectories": trajectory_block(employee, waves),
        "monitoring": monitoring_block(contacts, waves),
        "measures": measures_block(employer, waves),
    }


def metrics_from_frames(frames: LakeFrames, region: str | None = None) -> dict[str, Any]:
    """The figures for every region with placements (or only `region`) and pooled as 'all'."""
    waves_by_region = dict(frames.reference_waves)
    if region is not None:
        waves_by_region = {r: w for r, w in waves_by_region.items() if r == region}
    frame = prepare_placements(frames.placements, waves_by_region)
    if frame.empty:
        raise NoCuratedData("no placements")

    def of(table: pd.DataFrame, r: str) -> pd.DataFrame:
        return table[table["region"] == r]

    surveys = {"employee_survey": frames.employee_survey, "employer_survey": frames.employer_survey}
    regions: dict[str, Any] = {}
    details: list[dict[str, Any]] = []
    for r, last in sorted(waves_by_region.items()):
        part = frame[frame["region"] == r]
        waves = _waves_upto(last)
        got = {i: delivered(frames.quality, t, r, i) for i, t in surveys.items()}
        detail = response_detail(part, {i: of(t, r) for i, t in surveys.items()}, got, waves)
        details.append(detail)
        block = group_block(
            part, of(frames.employee_survey, r), of(frames.employer_survey, r),
            of(frames.contacts, r), waves,
        )  # fmt: skip
        regions[r] = {
            "reference_date": frames.reference_date(r).isoformat(),
            "reference_wave": last,
            **block,
            "response": response_block(detail),
            "recruitment": recruitment_block(block["participants"], block["employers"]),
        }
    all_waves = _waves_upto(max(waves_by_region.values()))
    keep = list(waves_by_region)
    pooled = group_block(
        frame,
        frames.employee_survey[frames.employee_survey["region"].isin(keep)],
        frames.employer_survey[frames.employer_survey["region"].isin(keep)],
        frames.contacts[frames.contacts["region"].isin(keep)],
        all_waves,
    )
    pooled["response"] = response_block(pool_response(details, all_waves))
    pooled["reference_dates"] = {r: regions[r]["reference_date"] for r in regions}
    return {"regions": regions, ALL: pooled}


def compute_metrics(
    zone: ResearchZone, region: str | None = None, as_of: int | None = None
) -> dict[str, Any]:
    """Read the lake (waves <= as_of) and compute every figure; raises NoCuratedData if empty."""
    from dwt.analytics.frames import read_frames

    frames = read_frames(zone, as_of)
    if not frames.reference_waves:
        raise NoCuratedData(f"no curated data under {zone.root}")
    return metrics_from_frames(frames, region)


# ---------------------------------------------------------------- JSON


def jsonable(value: Any, digits: int = DIGITS) -> Any:
    """Plain JSON types: floats rounded, NaN/inf -> None, numpy scalars and dates converted."""
    if isinstance(value, dict):
        return {str(k): jsonable(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, digits) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    return str(value)


def to_json(metrics: dict[str, Any]) -> str:
    """Deterministic JSON text (sorted keys, rounded floats)."""
    import json

    return json.dumps(jsonable(metrics), sort_keys=True, indent=2, ensure_ascii=False)
