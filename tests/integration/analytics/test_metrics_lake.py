"""Figures over a tiny curated lake written in tmp_path (layout of dwt.analytics.views)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers.analytics_lake import contact, d, lake_of_size, placement, write_history, write_table

from dwt.analytics.metrics import compute_metrics
from dwt.zones import ResearchZone

A, B = "haaglanden", "west-brabant"


def lake_two_regions(curated: Path) -> None:
    """A delivered 2017-2019, B 2017-2018. A's pl-x ends in 2019: only wave 2019 says so."""
    rows = []
    for wave in (2017, 2018, 2019):
        end = "2019-06-30" if wave == 2019 else None
        rows.append(placement("x", A, wave, "2017-02-01", end=end, reason="gezondheid"))
        rows.append(placement("y", A, wave, "2017-03-01"))
    for wave in (2017, 2018):
        rows.append(placement("z", B, wave, "2017-04-01"))
    write_history(curated, rows)


def test_reference_date_is_the_latest_wave_ingested_per_region(tmp_path: Path) -> None:
    lake_two_regions(tmp_path)
    m = compute_metrics(ResearchZone(tmp_path))
    assert m["regions"][A]["reference_date"] == "2019-12-31"
    assert m["regions"][B]["reference_date"] == "2018-12-31"
    # pl-z is censored at B's own reference date, not at A's: 2017-04-01 -> 2018-12-31.
    assert m["regions"][B]["curve"][-1]["days"] == (d("2018-12-31") - d("2017-04-01")).days
    assert m["all"]["reference_dates"] == {A: "2019-12-31", B: "2018-12-31"}


def test_as_of_uses_only_waves_up_to_that_year(tmp_path: Path) -> None:
    lake_two_regions(tmp_path)
    now = compute_metrics(ResearchZone(tmp_path))
    then = compute_metrics(ResearchZone(tmp_path), as_of=2018)
    assert now["regions"][A]["events"]["retention"] == 1
    # As of 2018 the end date delivered in 2019 is unknown: pl-x is still ongoing.
    assert then["regions"][A]["reference_date"] == "2018-12-31"
    assert then["regions"][A]["events"]["retention"] == 0
    assert then["regions"][A]["curve"][-1]["days"] == (d("2018-12-31") - d("2017-02-01")).days


def test_as_of_before_a_region_started_leaves_it_out(tmp_path: Path) -> None:
    rows = [placement("a", A, 2017, "2017-02-01"), placement("b", B, 2018, "2018-02-01")]
    write_history(tmp_path, rows)
    assert list(compute_metrics(ResearchZone(tmp_path), as_of=2017)["regions"]) == [A]


def test_placement_missing_from_a_later_snapshot_keeps_its_last_state(tmp_path: Path) -> None:
    rows = [
        placement("a", A, 2017, "2017-02-01"),
        placement("a", A, 2018, "2017-02-01", end="2018-03-01"),
        placement("b", A, 2019, "2019-02-01"),  # 2019 snapshot no longer has pl-a
    ]
    write_history(tmp_path, rows)
    m = compute_metrics(ResearchZone(tmp_path))
    assert m["regions"][A]["placements"] == 2
    assert m["regions"][A]["events"]["retention"] == 1


def test_other_work_counts_for_retention_but_not_for_sustained_employment(tmp_path: Path) -> None:
    rows = [
        placement("a", A, 2018, "2017-02-01", end="2017-12-01", reason="naar_ander_werk"),
        placement("b", A, 2018, "2017-02-01", end="2017-12-01", reason="ontslag"),
        placement("c", A, 2018, "2017-02-01"),
    ]
    write_history(tmp_path, rows)
    m = compute_metrics(ResearchZone(tmp_path))["regions"][A]
    assert m["events"] == {"retention": 2, "sustained": 1}
    # Both ends fall at day 303 < 12 months: R(12) = 1 - 2/3; for E(12) only "ontslag" is an
    # event (1 of 3 at risk) and "naar_ander_werk" is censored at its end date.
    assert m["retention"]["12"]["estimate"] == pytest.approx(1 / 3)
    assert m["sustained"]["12"]["estimate"] == pytest.approx(2 / 3)
    assert m["sustained"]["12"]["at_risk"] == 1


def lake_for_response(curated: Path, with_quality: bool) -> None:
    rows = [
        placement("1", A, 2019, "2017-03-01", end="2017-12-31"),  # not active in 2018
        placement("2", A, 2019, "2017-03-01", end="2018-01-01"),  # active in 2018 (boundary)
        placement("3", A, 2019, "2018-12-31", employer="E2"),  # active in 2018 (boundary)
        placement("4", A, 2019, "2019-01-01", employer="E3"),  # not active in 2018
        placement("5", A, 2019, "2017-05-01", employer="E2"),
    ]
    write_history(curated, rows)
    survey = [
        {"region": A, "wave": 2018, "participant_id": p, "work_ability": 7} for p in ("P2", "P5")
    ]
    survey.append({"region": A, "wave": 2017, "participant_id": "P1", "work_ability": 6})
    write_table(curated, "employee_survey", survey)
    write_table(curated, "employer_survey", [{"region": A, "wave": 2018, "employer_id": "E1"}])
    if with_quality:
        quality = [
            {"wave": 2017, "instrument": "employee_survey", "outcome": "rejected", "rows": 0},
            {"wave": 2018, "instrument": "employee_survey", "outcome": "accepted", "rows": 2},
            {"wave": 2018, "instrument": "employer_survey", "outcome": "accepted", "rows": 1},
            {"wave": 2019, "instrument": "placements", "outcome": "accepted", "rows": 5},
        ]
        write_table(curated, "quality", [{"region": A, "reason": "", **q} for q in quality])


def test_response_denominator_is_persons_active_in_the_wave_year(tmp_path: Path) -> None:
    lake_for_response(tmp_path, with_quality=False)
    detail = compute_metrics(ResearchZone(tmp_path))["regions"][A]["response"]["detail"]
    # 2018: P2 (ends 2018-01-01), P3 (starts 2018-12-31), P5 -> 3 persons; E1 and E2 employers.
    assert detail["employee_survey"]["2018"] == {
        "delivered": True, "respondents": 2, "eligible": 3, "rate": pytest.approx(2 / 3),
    }  # fmt: skip
    assert detail["employer_survey"]["2018"]["eligible"] == 2
    assert detail["employer_survey"]["2018"]["rate"] == pytest.approx(1 / 2)
    # 2019: P3, P4, P5 active
    assert detail["employee_survey"]["2019"]["eligible"] == 3


def test_survey_not_delivered_has_a_null_rate_not_zero(tmp_path: Path) -> None:
    lake_for_response(tmp_path, with_quality=False)
    response = compute_metrics(ResearchZone(tmp_path))["regions"][A]["response"]
    assert response["employee_survey"]["2019"] is None
    assert response["employer_survey"]["2017"] is None
    assert response["employee_survey"]["2017"] == pytest.approx(1 / 3)  # rows -> delivered


def test_delivery_is_read_from_the_quality_table_when_present(tmp_path: Path) -> None:
    lake_for_response(tmp_path, with_quality=True)
    response = compute_metrics(ResearchZone(tmp_path))["regions"][A]["response"]
    # 2017 was rejected per the quality table, whatever rows the survey table holds.
    assert response["employee_survey"]["2017"] is None
    assert response["employee_survey"]["2018"] == pytest.approx(2 / 3)


def product_limit(durations: pd.Series, events: pd.Series, t: float) -> float:
    """Plain product-limit arithmetic: prod over event times <= t of (1 - d_j / n_j)."""
    s = 1.0
    for time in sorted(set(durations[events])):
        if time > t:
            break
        n_j = int((durations >= time).sum())
        d_j = int(((durations == time) & events).sum())
        s *= 1 - d_j / n_j
    return s


def test_retention_at_12_months_matches_an_independent_calculation(tmp_path: Path) -> None:
    rows = lake_of_size(A, 30)
    write_history(tmp_path, rows)
    frame = pd.DataFrame(rows)
    ref = pd.Timestamp("2020-12-31")
    stop = pd.to_datetime(frame["end_date"]).fillna(ref)
    durations = (stop - pd.to_datetime(frame["start_date"])).dt.days
    events = frame["end_date"].notna()
    expected = product_limit(durations, events, 12 * 30.4375)
    got = compute_metrics(ResearchZone(tmp_path))["regions"][A]["retention"]["12"]["estimate"]
    assert expected < 1
    assert got == pytest.approx(expected, abs=1e-12)


def test_factor_levels_and_bands_partition_the_placements(tmp_path: Path) -> None:
    write_history(tmp_path, lake_of_size(A, 30))
    factors = compute_metrics(ResearchZone(tmp_path))["regions"][A]["factors"]
    for name, factor in factors.items():
        total = sum(level["n"] for level in factor["levels"].values()) + factor["n_missing"]
        assert total == 30, name
    assert factors["job_coach"]["levels"]["geen"]["n"] == 10
    assert factors["job_coach_level"]["n_missing"] == 10
    # hours 12 + 5i mod 28 for i < 30: <20 when the value is 12..19
    hours = [12 + (i * 5) % 28 for i in range(30)]
    assert factors["hours_band"]["levels"]["<20"]["n"] == sum(h < 20 for h in hours)
    assert factors["job_coach"]["logrank"]["df"] == 2


def test_a_contact_with_an_empty_signals_cell_counts_as_a_contact_without_signals(
    tmp_path: Path,
) -> None:
    # The ingest stores an empty signals cell as a NULL list; DuckDB gives it back as pd.NA.
    write_history(tmp_path, [placement("a", A, 2018, "2017-02-01")])
    write_table(tmp_path, "contacts", [
        contact("c1", A, 2018, None, risk_level="rood"),
        contact("c2", A, 2018, ["werkdruk", "conflict"]),
        contact("c3", A, 2018, []),
    ])  # fmt: skip
    monitoring = compute_metrics(ResearchZone(tmp_path))["regions"][A]["monitoring"]
    assert monitoring["contacts"]["2018"]["total"] == 3
    assert monitoring["risk_oranje_rood"]["2018"]["high"] == 1
    by_wave = monitoring["signals"]["by_wave"]["2018"]
    assert by_wave["werkdruk"] == 1 and by_wave["conflict"] == 1
    assert sum(by_wave.values()) == 2
