"""Report sections from (safe) metrics: pure, tiny inline inputs."""

from __future__ import annotations

import pytest

from dwt.analytics import survival
from dwt.config import ConfigError
from dwt.reports import sections, text
from dwt.reports.model import Table
from dwt.reports.write import parse_formats
from dwt.schema import load_study

CURVE = [
    {"days": 0.0, "survival": 1.0, "ci_low": 1.0, "ci_high": 1.0, "at_risk": 10},
    {"days": 100.0, "survival": 0.9, "ci_low": 0.47, "ci_high": 0.99, "at_risk": 10},
    {"days": 400.0, "survival": 0.8, "ci_low": 0.41, "ci_high": 0.95, "at_risk": 8},
]


def test_the_band_of_a_drawn_curve_is_the_interval_the_metrics_give_per_point() -> None:
    figure = sections.km_figure({"curve": CURVE, "sustained_curve": CURVE}, k=5)
    drawn = figure.series[0]
    assert drawn.low == (1.0, 0.47, 0.41) and drawn.high == (1.0, 0.99, 0.95)


def test_the_band_comes_from_the_metrics_curve_of_a_real_fit() -> None:
    durations = [30, 90, 200, 200, 340, 400, 500, 600, 700, 800, 900, 1000]
    events = [True, False, True, True, False, True, False, True, False, False, True, False]
    points = survival.curve(survival.fit_km(durations, events))
    drawn = sections.series("R", points)
    assert drawn.low == tuple(p["ci_low"] for p in points)
    assert drawn.high == tuple(p["ci_high"] for p in points)
    bands = zip(drawn.low, drawn.survival, drawn.high, strict=True)
    assert all(lo <= s <= hi for lo, s, hi in bands)


def test_a_point_without_an_interval_gets_no_band_there_and_needs_no_at_risk() -> None:
    # Under disclosure control the number at risk may be hidden (null): the band never needs it.
    point = {"days": 30.0, "survival": 0.0, "ci_low": None, "ci_high": None, "at_risk": None}
    drawn = sections.series("R", [CURVE[0], point])
    assert drawn.low == (1.0, 0.0) and drawn.high == (1.0, 0.0)


def test_a_group_whose_curves_were_suppressed_gets_no_curve_and_is_named_as_not_drawn() -> None:
    group = {"curve": [], "sustained_curve": [], "curves_suppressed": True}
    figure = sections.km_figure(group, k=5)
    assert figure.series == ()
    assert figure.not_drawn == (text.R_LABEL, text.E_LABEL)


def test_a_group_with_curves_gets_both_r_and_e_drawn_in_months() -> None:
    figure = sections.km_figure({"curve": CURVE, "sustained_curve": CURVE}, k=5)
    assert [s.label for s in figure.series] == [text.R_LABEL, text.E_LABEL]
    assert figure.series[0].months[1] == pytest.approx(100 / load_study().month_days)


def test_the_regions_figure_leaves_out_a_region_below_k() -> None:
    metrics = {
        "regions": {
            "haaglanden": {"curve": CURVE},
            "west-brabant": {"curve": [], "curves_suppressed": True},
        }
    }
    figure = sections.regions_figure(metrics, k=5)
    assert [s.label for s in figure.series] == ["Haaglanden"]
    assert figure.not_drawn == ("West-Brabant",)


def test_numbers_at_risk_show_small_counts_as_they_came_from_disclosure_control() -> None:
    group = {"placements": 30, "retention": {"12": {"at_risk": 25}, "24": {"at_risk": "<5"},
                                            "36": {"at_risk": 0}}}  # fmt: skip
    table = sections.at_risk_table(group)
    assert table.rows == (("Aantal plaatsingen nog gevolgd", "30", "25", "<5", "0"),)


def test_a_survey_that_was_not_delivered_reads_niet_geleverd() -> None:
    group = {"response": {"detail": {
        "employee_survey": {"2019": {"delivered": True, "respondents": 7, "eligible": 23,
                                     "rate": 7 / 23}},
        "employer_survey": {"2019": {"delivered": False, "respondents": None, "eligible": 9,
                                     "rate": None}},
    }}}  # fmt: skip
    table = next(b for b in sections.response_section(group, k=5).blocks if isinstance(b, Table))
    assert isinstance(table, Table)
    assert table.rows == (("2019", "7", "23", "30%", "niet geleverd", "", ""),)


def test_a_trajectory_over_too_few_respondents_says_so_instead_of_a_mean() -> None:
    few = {"n": "<5", "mean": None, "ci_low": None, "ci_high": None, "suppressed": True}
    enough = {"n": 8, "mean": 6.26, "ci_low": 5.5, "ci_high": 7.0}
    group = {"trajectories": {item: {"2018": enough, "2019": few}
                              for item in load_study().trajectory_items}}  # fmt: skip
    table = next(
        b for b in sections.trajectories_section(group, k=5).blocks if isinstance(b, Table)
    )
    assert isinstance(table, Table)
    assert table.rows[0][:3] == ("2018", "8", "6,3 (5,5–7,0)")
    assert table.rows[1] == ("2019", "<5", *([text.TOO_FEW] * 3))


@pytest.mark.parametrize(("value", "shown"), [(None, "×"), ("<5", "<5"), (0, "0"), (1234, "1.234")])
def test_counts_are_shown_the_dutch_way_with_hidden_and_small_marks(
    value: object, shown: str
) -> None:
    assert text.count(value) == shown


def test_estimates_are_percentages_with_a_dutch_interval() -> None:
    block = {"estimate": 0.8333, "ci_low": 0.64, "ci_high": 0.93}
    assert text.estimate_with_ci(block) == "83% (64–93)"
    assert text.estimate_with_ci({"estimate": None}) == "–"


def test_format_list_accepts_html_and_pdf_and_refuses_anything_else() -> None:
    assert parse_formats("pdf, html") == ("html", "pdf")
    with pytest.raises(ConfigError):
        parse_formats("html,docx")
