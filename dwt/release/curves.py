"""Outward survival curves from a rounded risk table (docs/DISCLOSURE.md, "Safe curves").

An exact Kaplan–Meier step of 13/14 says "14 at risk, one event"; a Greenwood interval beside a
step pins the number of events. Outward curves therefore never see an exact count. Per curve:

1. the risk table by month: cumulative events E(w) and censorings C(w) with a duration of at most
   w months (w = 0 holds the durations of 0 days), read back from the exact curve's steps;
2. every cumulative count rounded with the release's rule (`Rounding.internal`, so 1..t-1 is
   computed with as the rounded value, e.g. 3 under midpoint-6, and never shown); the group's
   count N rounded on its own; the last cumulative censoring is N' - E'(last), so the table
   adds up to the N' shown beside it;
3. Kaplan–Meier on that table: at risk in month w is n'(w) = N' - E'(w-1) - C'(w-1), the events
   d'(w) = E'(w) - E'(w-1), S(w) = prod(1 - d'/n'), with Greenwood's variance on the log(-log)
   scale (the exponential Greenwood interval lifelines gives the exact curves).

Cumulative rounding keeps the table monotone and every step a difference of rounded counts, so a
step, an interval or a number at risk gives back no more than the rounded table itself (which the
attacker in `dwt.release.attack` is handed as published). A drawn curve stops before the first
month in which fewer than t placements are at risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dwt.release.rounding import Rounding

Z = 1.959963984540054  # two-sided 95%


@dataclass(frozen=True)
class RiskTable:
    """Cumulative events and censorings per month (index = month), and the group's count."""

    n: int
    events: tuple[int, ...]
    censored: tuple[int, ...]

    @property
    def months(self) -> int:
        return len(self.events) - 1


def risk_table(points: Sequence[Mapping[str, Any]], month_days: float) -> RiskTable:
    """The exact monthly risk table behind an exact step curve (`survival.curve` points)."""
    if not points:
        return RiskTable(0, (0,), (0,))
    n_total = int(points[0]["at_risk"])
    last_month = max(_month(float(p["days"]), month_days) for p in points)
    events = [0] * (last_month + 1)
    censored = [0] * (last_month + 1)
    previous = 1.0
    for i, point in enumerate(points):
        n_i, s_i = int(point["at_risk"]), float(point["survival"])
        d_i = round(n_i * (1.0 - s_i / previous)) if previous > 0 else 0
        n_next = int(points[i + 1]["at_risk"]) if i + 1 < len(points) else 0
        w = _month(float(point["days"]), month_days)
        events[w] += d_i
        censored[w] += n_i - d_i - n_next
        previous = s_i
    return RiskTable(n_total, _cumulative(events), _cumulative(censored))


def _month(days: float, month_days: float) -> int:
    """The month holding a duration: 0 for 0 days, w for (w-1) months < days <= w months."""
    return 0 if days <= 0 else math.ceil(days / month_days - 1e-9)


def _cumulative(values: Sequence[int]) -> tuple[int, ...]:
    out, running = [], 0
    for v in values:
        running += v
        out.append(running)
    return tuple(out)


def rounded_table(table: RiskTable, rounding: Rounding) -> RiskTable:
    """Every cumulative count rounded; the last censoring closes the table on the rounded N."""
    n = rounding.internal(table.n)
    events = [min(rounding.internal(e), n) for e in table.events]
    censored = [rounding.internal(c) for c in table.censored[:-1]]
    for i in range(1, len(events)):  # rounding is monotone; this only guards the clamp
        events[i] = max(events[i], events[i - 1])
    last = max(n - events[-1], censored[-1] if censored else 0)
    censored.append(last)
    for i in range(len(censored) - 1):
        censored[i] = min(censored[i], n - events[i])
    return RiskTable(n, tuple(events), tuple(censored))


def at_risk(table: RiskTable, month: int) -> int:
    """At risk at the start of `month` (still followed after month - 1 months); month 0: N."""
    if month <= 0:
        return table.n
    w = min(month - 1, table.months)
    return max(table.n - table.events[w] - table.censored[w], 0)


def km_points(table: RiskTable, month_days: float) -> list[dict[str, Any]]:
    """The Kaplan–Meier curve of a (rounded) table: one point per month, like `survival.curve`
    (days, survival, ci_low, ci_high, at_risk at the start of that month)."""
    points: list[dict[str, Any]] = []
    survival, greenwood = 1.0, 0.0
    for w in range(table.months + 1):
        n_w = at_risk(table, w)
        d_w = table.events[w] - (table.events[w - 1] if w else 0)
        d_w = min(d_w, n_w)
        if n_w > 0 and d_w > 0:
            survival *= 1.0 - d_w / n_w
            greenwood += d_w / (n_w * (n_w - d_w)) if n_w > d_w else math.inf
        low, high = _interval(survival, greenwood)
        points.append(
            {"days": w * month_days, "survival": survival, "ci_low": low, "ci_high": high,
             "at_risk": n_w}
        )  # fmt: skip
    return points


def _interval(survival: float, greenwood: float) -> tuple[float | None, float | None]:
    """Exponential Greenwood (log(-log)) 95% interval; none where S is 0 or 1."""
    if not 0.0 < survival < 1.0 or not math.isfinite(greenwood):
        return (None, None)
    se = math.sqrt(greenwood) / abs(math.log(survival))
    return survival ** math.exp(Z * se), survival ** math.exp(-Z * se)


def visible(points: Sequence[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """The curve up to (not including) the first month with fewer than t at risk."""
    out = []
    for point in points:
        if point["at_risk"] < threshold:
            break
        out.append(dict(point))
    return out


def horizon(table: RiskTable, points: Sequence[Mapping[str, Any]], months: int) -> dict[str, Any]:
    """S at `months` with its interval and the number still followed after it (rounded table)."""
    followed = at_risk(table, months + 1)
    if months > table.months or not points:
        return {"estimate": None, "ci_low": None, "ci_high": None, "at_risk": 0}
    point = points[months]
    return {
        "estimate": point["survival"],
        "ci_low": point["ci_low"],
        "ci_high": point["ci_high"],
        "at_risk": followed,
    }


def median_days(points: Sequence[Mapping[str, Any]]) -> float | None:
    """The first month at which S <= 0.5 (in days), or None when not reached."""
    for point in points:
        if point["survival"] <= 0.5:
            return float(point["days"])
    return None
