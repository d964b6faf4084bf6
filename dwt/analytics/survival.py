"""Survival figures (spec: "Durability — the published figures"). Pure: frames in, dicts out.

Estimation is lifelines' throughout (KaplanMeierFitter, multivariate_logrank_test, CoxPHFitter);
this module only prepares durations/events and reads the fitted objects out.

Confidence intervals: lifelines' KaplanMeierFitter computes its default interval with the
"exponential Greenwood" formula, i.e. Greenwood's variance on the log(-log S) scale:
    S(t) ** exp(± z * sqrt(sum d / (n (n - d))) / log S(t))
which is exactly the Greenwood log(-log) interval the spec asks for (checked against a hand
formula in tests/unit/analytics/test_survival.py), so it is used as is.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from dwt.schema import load_study

if TYPE_CHECKING:
    import pandas as pd

ALPHA = 0.05
OTHER_WORK = "naar_ander_werk"
# Events per model parameter below which a Cox fit is not attempted: a relaxed form of the
# usual 10-EPV rule (Vittinghoff & McCulloch 2007 found 5-9 EPV acceptable).
MIN_EVENTS_PER_PARAMETER = 5


def durations_days(placements: pd.DataFrame, reference: pd.Series | date) -> pd.Series:
    """Days from start to end date, or to the reference date while ongoing (one value per row).

    `reference` is one date or a per-row Series (pooled regions each keep their own date).
    """
    import pandas as pd

    start = pd.to_datetime(placements["start_date"])
    end = pd.to_datetime(placements["end_date"])
    ref = pd.to_datetime(reference) if isinstance(reference, pd.Series) else pd.Timestamp(reference)
    stop = end.where(end.notna(), ref)
    return (stop - start).dt.days.astype("int64")


def retention_events(placements: pd.DataFrame) -> pd.Series:
    """R(t): an event is any end of the placement; ongoing placements are censored."""
    return placements["end_date"].notna().astype(bool)


def sustained_events(placements: pd.DataFrame) -> pd.Series:
    """E(t): an end counts unless the person moved on to other work (then censored at the end)."""
    ended = placements["end_date"].notna()
    to_other_work = placements["end_reason"].astype("string").eq(OTHER_WORK).fillna(False)
    return (ended & ~to_other_work).astype(bool)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def fit_km(durations: Sequence[float] | pd.Series, events: Sequence[bool] | pd.Series) -> Any:
    """A fitted lifelines KaplanMeierFitter (95% exponential-Greenwood interval)."""
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=ALPHA).fit(list(durations), event_observed=list(events))


def at_risk(durations: Sequence[float] | pd.Series, days: float) -> int:
    """Placements still under observation at `days` (duration >= days), lifelines' convention."""
    return int(sum(1 for d in durations if d >= days))


def estimate_at(km: Any, days: float, n_at_risk: int) -> dict[str, Any]:
    """S(days) with its 95% interval, from the step function (right-continuous).

    Beyond the last observation with S > 0 nothing is known, so the estimate is null there.
    """
    sf = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    upto = sf.index <= days
    survival = float(sf[upto].iloc[-1])
    low, high = (float(v) for v in ci[upto].iloc[-1])
    beyond_followup = n_at_risk == 0 and survival > 0 and days > float(sf.index.max())
    if beyond_followup:
        return {"estimate": None, "ci_low": None, "ci_high": None, "at_risk": 0}
    return {
        "estimate": survival,
        "ci_low": _finite(low),
        "ci_high": _finite(high),
        "at_risk": n_at_risk,
    }


def curve(km: Any) -> list[dict[str, Any]]:
    """The step curve: one point per distinct time (0 first) with S, its 95% interval (the
    exponential Greenwood one of `estimate_at`) and the number at risk."""
    sf = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    table = km.event_table
    # lifelines gives all three on the same time index; read them as columns (a `.loc` per
    # point cost more than the fit), the values and their order are the same.
    kept = sf.index.isin(table.index)
    times = sf.index[kept]
    low = ci.iloc[:, 0].reindex(times).tolist()
    high = ci.iloc[:, 1].reindex(times).tolist()
    risk = table["at_risk"].reindex(times).tolist()
    return [
        {
            "days": float(t),
            "survival": float(s),
            "ci_low": _finite(lo),
            "ci_high": _finite(hi),
            "at_risk": int(r),
        }
        for t, s, lo, hi, r in zip(times.tolist(), sf[kept].tolist(), low, high, risk, strict=True)
    ]


def km_summary(
    durations: Sequence[float] | pd.Series,
    events: Sequence[bool] | pd.Series,
    horizons_months: Sequence[int] | None = None,
    month_days: float | None = None,
    with_curve: bool = True,
) -> dict[str, Any]:
    """Estimates at the horizons, median duration (null if not reached), n, events and the curve."""
    study = load_study()
    horizons = horizons_months if horizons_months is not None else study.horizons_months
    month = month_days if month_days is not None else study.month_days
    durations = [float(d) for d in durations]
    events = [bool(e) for e in events]
    n = len(durations)
    out: dict[str, Any] = {"n": n, "events": int(sum(events))}
    if n == 0:
        out["horizons"] = {
            str(h): {"estimate": None, "ci_low": None, "ci_high": None, "at_risk": 0}
            for h in horizons
        }
        out.update(median_days=None, curve=[])
        return out
    km = fit_km(durations, events)
    out["horizons"] = {
        str(h): estimate_at(km, h * month, at_risk(durations, h * month)) for h in horizons
    }
    out["median_days"] = _finite(km.median_survival_time_)
    out["curve"] = curve(km) if with_curve else []
    return out


def logrank(durations: pd.Series, events: pd.Series, groups: pd.Series) -> dict[str, Any]:
    """lifelines' multivariate log-rank test across the levels present in `groups`."""
    from lifelines.statistics import multivariate_logrank_test

    present = groups.notna()
    levels = groups[present].unique()
    if len(levels) < 2:
        return {"statistic": None, "df": None, "p": None, "reason": "fewer than two levels"}
    if int(events[present].sum()) == 0:
        return {"statistic": None, "df": None, "p": None, "reason": "no events"}
    res = multivariate_logrank_test(
        durations[present], groups[present], event_observed=events[present]
    )
    return {
        "statistic": _finite(res.test_statistic),
        "df": int(res.degrees_of_freedom),
        "p": _finite(res.p_value),
    }


def _reference_level(values: pd.Series, order: Sequence[str]) -> str:
    """The most frequent level (ties: schema order), so the baseline is well estimated."""
    counts = values.value_counts()
    rank = {code: i for i, code in enumerate(order)}
    return str(sorted(counts.index, key=lambda c: (-counts[c], rank.get(str(c), len(rank))))[0])


def cox_model(
    frame: pd.DataFrame,
    factors: Sequence[str],
    levels: Mapping[str, Sequence[str]],
    min_events_per_parameter: int = MIN_EVENTS_PER_PARAMETER,
) -> dict[str, Any]:
    """Cox proportional hazards of ending (R) on dummy-coded factors, or why it was not fitted.

    `frame` has `duration`, `event` and the factor columns. Complete cases only. Levels absent
    from the data are left out (listed); a present level without events makes the fit
    degenerate, so the model is refused rather than reporting an infinite hazard ratio.
    """
    import pandas as pd

    data = frame.dropna(subset=list(factors))
    n, n_events = len(data), int(data["event"].sum())
    base: dict[str, Any] = {"fitted": False, "n": n, "events": n_events}
    if n == 0:
        return {**base, "reason": "no complete cases"}
    design = pd.DataFrame({"duration": data["duration"], "event": data["event"].astype(int)})
    reference: dict[str, str] = {}
    absent: dict[str, list[str]] = {}
    for factor in factors:
        values = data[factor].astype(str)
        present = [lv for lv in levels[factor] if (values == lv).any()]
        present += sorted(set(values) - set(present))
        absent[factor] = [lv for lv in levels[factor] if lv not in present]
        if len(present) < 2:
            return {**base, "reason": f"{factor}: fewer than two levels in the data"}
        reference[factor] = _reference_level(values, levels[factor])
        for lv in present:
            no_events = not data.loc[values == lv, "event"].any()
            if no_events:
                return {**base, "reason": f"{factor}={lv}: no events"}
            if lv != reference[factor]:
                design[f"{factor}={lv}"] = (values == lv).astype(int)
    n_params = design.shape[1] - 2
    if n_events < min_events_per_parameter * n_params:
        return {
            **base,
            "reason": f"{n_events} events for {n_params} parameters "
            f"(needs {min_events_per_parameter} per parameter)",
        }
    return _fit_cox(design, base, reference, absent)


def _fit_cox(
    design: pd.DataFrame,
    base: dict[str, Any],
    reference: dict[str, str],
    absent: dict[str, list[str]],
) -> dict[str, Any]:
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    with warnings.catch_warnings():
        # A convergence warning means separation or collinearity: the HRs would be unreliable.
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            cph = CoxPHFitter(alpha=ALPHA).fit(design, "duration", event_col="event")
        except (ConvergenceError, ConvergenceWarning, ValueError, ZeroDivisionError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return {**base, "reason": f"did not converge: {type(exc).__name__} {first_line}"}
    summary = cph.summary
    hrs: dict[str, Any] = {}
    for term, row in summary.iterrows():
        values = [row["exp(coef)"], row["exp(coef) lower 95%"], row["exp(coef) upper 95%"]]
        if not all(math.isfinite(float(v)) for v in values):
            return {**base, "reason": f"{term}: hazard ratio not finite"}
        hrs[str(term)] = {
            "hr": float(values[0]),
            "ci_low": float(values[1]),
            "ci_high": float(values[2]),
            "p": _finite(row["p"]),
        }
    return {
        **base,
        "fitted": True,
        "outcome": "retention (event = placement ended)",
        "reference": reference,
        "absent_levels": {f: lv for f, lv in absent.items() if lv},
        "hazard_ratios": hrs,
        "concordance": _finite(cph.concordance_index_),
    }
