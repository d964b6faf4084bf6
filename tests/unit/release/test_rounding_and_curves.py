"""Rounding rules, the threshold they imply, and curves from a rounded risk table."""

from __future__ import annotations

import math

import pytest

from dwt.release import curves as cv
from dwt.release.attack import bin_of, read_table
from dwt.release.rounding import Rounding

MONTH = 30.4375


def test_midpoint6_is_the_middle_of_six_wide_bins_and_zero_stays_zero() -> None:
    r = Rounding("midpoint6", 5)
    assert [r.round(n) for n in (0, 1, 6, 7, 12, 13, 18, 19)] == [0, 3, 3, 9, 9, 15, 15, 21]


def test_nearest5_rounds_halves_up() -> None:
    r = Rounding("nearest5", 5)
    assert [r.round(n) for n in (0, 2, 3, 7, 8, 12, 13)] == [0, 0, 5, 5, 10, 10, 15]


@pytest.mark.parametrize(("rule", "k", "threshold"), [
    ("none", 5, 5), ("nearest5", 5, 5), ("midpoint6", 5, 7), ("nearest5", 7, 8),
    ("midpoint6", 10, 13),
])  # fmt: skip
def test_the_threshold_is_the_first_count_whose_rounded_value_is_at_least_k(
    rule: str, k: int, threshold: int
) -> None:
    r = Rounding(rule, k)
    assert r.threshold == threshold
    shown = [r.shown(n) for n in range(0, 200)]
    assert not any(isinstance(v, int) and 1 <= v < k for v in shown)  # never a small number


@pytest.mark.parametrize("rule", ["none", "nearest5", "midpoint6"])
def test_every_count_lies_in_the_interval_its_shown_value_stands_for(rule: str) -> None:
    r = Rounding(rule, 5)
    for n in range(0, 300):
        lo, hi = r.interval(r.shown(n))
        assert lo <= n <= hi
        b_lo, b_hi = bin_of(r, r.internal(n))
        assert b_lo <= n <= b_hi


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown rounding rule"):
        Rounding("nearest10", 5)


def _exact_curve(durations: list[float], events: list[bool]) -> list[dict]:
    from dwt.analytics.survival import curve, fit_km

    return curve(fit_km(durations, events))


DURATIONS = [0, 15, 40, 40, 95, 200, 200, 380, 400, 700, 720, 800, 1000, 1100, 1200] * 3
EVENTS = [True, False, True, True, False, True, False, True, False, True, True, False, True,
          False, False] * 3  # fmt: skip


def test_the_risk_table_read_from_an_exact_curve_counts_events_and_censorings_per_month() -> None:
    table = cv.risk_table(_exact_curve(DURATIONS, EVENTS), MONTH)
    assert table.n == len(DURATIONS)
    for w in range(table.months + 1):
        upto = [(d, e) for d, e in zip(DURATIONS, EVENTS, strict=True)
                if (0 if d <= 0 else math.ceil(d / MONTH - 1e-9)) <= w]  # fmt: skip
        assert table.events[w] == sum(1 for _, e in upto if e)
        assert table.censored[w] == sum(1 for _, e in upto if not e)


def test_kaplan_meier_of_an_unrounded_table_is_lifelines_on_the_monthly_durations() -> None:
    """The hand-written KM + exponential Greenwood equals lifelines on month-end durations."""
    from dwt.analytics.survival import fit_km

    table = cv.risk_table(_exact_curve(DURATIONS, EVENTS), MONTH)
    points = cv.km_points(table, MONTH)
    months = [0 if d <= 0 else math.ceil(d / MONTH - 1e-9) for d in DURATIONS]
    # lifelines counts a censoring at t as at risk at t: the same as "censored at month end"
    km = fit_km([m * MONTH for m in months], EVENTS)
    sf = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    for p in points:
        upto = sf.index <= p["days"] + 1e-9
        assert p["survival"] == pytest.approx(float(sf[upto].iloc[-1]), abs=1e-12)
        if p["ci_low"] is not None:
            assert p["ci_low"] == pytest.approx(float(ci[upto].iloc[-1, 0]), abs=1e-9)
            assert p["ci_high"] == pytest.approx(float(ci[upto].iloc[-1, 1]), abs=1e-9)


def test_a_rounded_table_gives_no_exact_count_back_through_its_steps() -> None:
    r = Rounding("midpoint6", 5)
    exact = cv.risk_table(_exact_curve(DURATIONS, EVENTS), MONTH)
    table = cv.rounded_table(exact, r)
    points = cv.km_points(table, MONTH)
    events, censored, n = read_table(points, MONTH)
    assert n == r.round(exact.n)  # the curve starts at the rounded count
    for w, e in enumerate(events):  # every step read back is a rounded cumulative count
        assert e == r.round(exact.events[w])
    for w, c in enumerate(censored[:-1]):
        assert c == r.round(exact.censored[w])
    assert cv.visible(points, r.threshold)[-1]["at_risk"] >= r.threshold
