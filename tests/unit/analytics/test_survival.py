"""Kaplan–Meier, Greenwood log(-log) intervals, censoring rules, log-rank and Cox (lifelines)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from dwt.analytics import survival

# Five placements (days, event): 2 ended, 3 censored, 5 ended, 5 ended, 8 censored.
# By hand: t=2: 5 at risk, 1 event -> S = 4/5 = 0.8
#          t=3: censored, 4 -> 3 at risk
#          t=5: 3 at risk, 2 events -> S = 0.8 * 1/3 = 0.266667
#          t=8: censored; S stays 0.266667. Median: first t with S <= 0.5 -> 5.
TINY_DAYS = [2, 3, 5, 5, 8]
TINY_EVENTS = [True, False, True, True, False]


def tiny_summary(horizons: list[int]) -> dict:
    # month_days=1 makes a "month" one day, so horizons are read directly in days.
    return survival.km_summary(TINY_DAYS, TINY_EVENTS, horizons, month_days=1)


def test_km_matches_hand_computed_product_limit() -> None:
    s = tiny_summary([1, 2, 4, 5, 7])
    est = {h: v["estimate"] for h, v in s["horizons"].items()}
    assert est["1"] == pytest.approx(1.0)
    assert est["2"] == pytest.approx(0.8)
    assert est["4"] == pytest.approx(0.8)
    assert est["5"] == pytest.approx(0.8 / 3)
    assert est["7"] == pytest.approx(0.8 / 3)
    assert s["median_days"] == pytest.approx(5)
    assert s["events"] == 3


def test_at_risk_counts_placements_still_observed_at_the_horizon() -> None:
    s = tiny_summary([2, 4, 6])
    # at day 2 all five (durations >= 2); at day 4: 5, 5, 8; at day 6: only 8.
    assert [s["horizons"][h]["at_risk"] for h in ("2", "4", "6")] == [5, 3, 1]


def test_greenwood_loglog_interval_matches_hand_formula() -> None:
    # Greenwood sum at t=5: 1/(5*4) + 2/(3*1); interval on log(-log S) with z = 1.959964.
    s_hat = 0.8 / 3
    var_sum = 1 / (5 * 4) + 2 / (3 * 1)
    theta = math.log(-math.log(s_hat))
    se = math.sqrt(var_sum) / abs(math.log(s_hat))
    z = 1.959963984540054
    low, high = math.exp(-math.exp(theta + z * se)), math.exp(-math.exp(theta - z * se))
    got = tiny_summary([5])["horizons"]["5"]
    assert got["ci_low"] == pytest.approx(low, rel=1e-9)
    assert got["ci_high"] == pytest.approx(high, rel=1e-9)
    assert got["ci_low"] < s_hat < got["ci_high"]


def test_curve_points_carry_the_same_greenwood_loglog_interval_as_the_horizons() -> None:
    s = tiny_summary([2, 5])
    points = {p["days"]: p for p in s["curve"]}
    assert set(points) == {0.0, 2.0, 3.0, 5.0, 8.0}
    # Before the first event S = 1 and the interval is the point itself.
    assert (points[0.0]["ci_low"], points[0.0]["ci_high"]) == (1.0, 1.0)
    for day, horizon in ((2.0, "2"), (3.0, "2"), (5.0, "5"), (8.0, "5")):
        expected = s["horizons"][horizon]
        assert points[day]["survival"] == pytest.approx(expected["estimate"])
        assert points[day]["ci_low"] == pytest.approx(expected["ci_low"], rel=1e-12)
        assert points[day]["ci_high"] == pytest.approx(expected["ci_high"], rel=1e-12)
    assert [points[t]["at_risk"] for t in sorted(points)] == [5, 5, 4, 3, 1]


def test_median_is_null_when_survival_never_reaches_half() -> None:
    s = survival.km_summary([10, 20, 30, 40], [True, False, False, False], [1], month_days=1)
    assert s["median_days"] is None


def test_estimate_beyond_follow_up_is_null_not_the_last_value() -> None:
    s = tiny_summary([9])
    assert s["horizons"]["9"]["estimate"] is None
    assert s["horizons"]["9"]["at_risk"] == 0


# Freireich et al. (1963), 6-MP arm, weeks of remission; * = censored.
FREIREICH_6MP = "6 6 6 6* 7 9* 10 10* 11* 13 16 17* 19* 20* 22 23 25* 32* 32* 34* 35*"
# Published Kaplan–Meier estimates (e.g. Kleinbaum & Klein, Survival Analysis, table 2.x).
PUBLISHED = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}


def test_reproduces_the_published_freireich_6mp_survival_table() -> None:
    tokens = FREIREICH_6MP.split()
    days = [int(t.rstrip("*")) for t in tokens]
    events = [not t.endswith("*") for t in tokens]
    s = survival.km_summary(days, events, list(PUBLISHED), month_days=1)
    for week, published in PUBLISHED.items():
        assert s["horizons"][str(week)]["estimate"] == pytest.approx(published, abs=5e-4)
    assert s["median_days"] == pytest.approx(23)
    steps = {p["days"]: p["survival"] for p in s["curve"]}
    assert steps[0.0] == 1.0 and steps[23.0] == pytest.approx(0.448, abs=5e-4)


def frame(rows: list[tuple[str, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start_date": [pd.Timestamp(r[0]) for r in rows],
            "end_date": [pd.Timestamp(r[1]) if r[1] else pd.NaT for r in rows],
            "end_reason": pd.array([r[2] for r in rows], dtype="string"),
        }
    )


def test_ongoing_placement_is_censored_at_the_reference_date() -> None:
    f = frame([("2018-01-01", None, None)])
    assert survival.durations_days(f, dt.date(2018, 12, 31)).tolist() == [364]
    assert not survival.retention_events(f).iloc[0]
    assert not survival.sustained_events(f).iloc[0]


def test_other_work_is_an_event_for_retention_and_censored_for_sustained_employment() -> None:
    f = frame(
        [("2018-01-01", "2018-03-02", "naar_ander_werk"), ("2018-01-01", "2018-03-02", "ontslag")]
    )
    assert survival.durations_days(f, dt.date(2019, 12, 31)).tolist() == [60, 60]
    assert survival.retention_events(f).tolist() == [True, True]
    assert survival.sustained_events(f).tolist() == [False, True]


def test_logrank_reports_statistic_df_and_p_over_present_levels() -> None:
    durations = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10] * 2)
    events = pd.Series([True] * 20)
    groups = pd.Series(["a"] * 10 + ["b"] * 5 + ["c"] * 5)
    res = survival.logrank(durations, events, groups)
    assert res["df"] == 2
    assert 0 <= res["p"] <= 1 and res["statistic"] >= 0


def test_logrank_with_one_level_gives_no_test() -> None:
    res = survival.logrank(pd.Series([1, 2]), pd.Series([True, True]), pd.Series(["a", "a"]))
    assert res["p"] is None and res["reason"] == "fewer than two levels"


def cox_data(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    coach = rng.choice(["geen", "intern"], size=n, p=[0.6, 0.4])
    contract = rng.choice(["vast", "tijdelijk"], size=n)
    # "intern" triples the hazard; censoring at 900 days.
    rate = np.where(coach == "intern", 3.0, 1.0) / 400
    t = rng.exponential(1 / rate)
    return pd.DataFrame(
        {
            "duration": np.minimum(t, 900),
            "event": t < 900,
            "job_coach": coach,
            "contract_type": contract,
        }
    )


LEVELS = {"job_coach": ["geen", "intern", "extern"], "contract_type": ["vast", "tijdelijk"]}


def test_cox_model_recovers_a_raised_hazard_with_stated_reference_levels() -> None:
    res = survival.cox_model(cox_data(), ["job_coach", "contract_type"], LEVELS)
    assert res["fitted"] is True
    # the reference is the most frequent level: "geen" was drawn with p = 0.6
    assert res["reference"]["job_coach"] == "geen"
    assert "job_coach=geen" not in res["hazard_ratios"]
    hr = res["hazard_ratios"]["job_coach=intern"]
    assert hr["ci_low"] < 3.0 < hr["ci_high"] and hr["hr"] > 2
    assert res["absent_levels"] == {"job_coach": ["extern"]}


def test_cox_model_is_refused_with_too_few_events() -> None:
    data = cox_data(n=20)
    factors = ["job_coach", "contract_type"]
    res = survival.cox_model(data, factors, LEVELS, min_events_per_parameter=50)
    assert res["fitted"] is False and "events" in res["reason"]


def test_cox_model_is_refused_when_a_level_has_no_events() -> None:
    data = cox_data()
    data.loc[data["job_coach"] == "intern", "event"] = False
    res = survival.cox_model(data, ["job_coach", "contract_type"], LEVELS)
    assert res == {**res, "fitted": False, "reason": "job_coach=intern: no events"}
