"""Chart kinds: what each draws from the safe tree, what it leaves out, and byte-identity.

A mark is a data artist (an interval line, a marker, a bar, a band): every one carries an id
`mark-<n>` in the SVG, so counting them counts what was drawn.
"""

from __future__ import annotations

import re

import pytest

from dwt.reports import figures, sections
from dwt.reports.html import inline_svg, render_report
from dwt.reports.model import Figure, Point, Report, Section, Values
from dwt.schema import load_study

CURVE = [
    {"days": 0.0, "survival": 1.0, "ci_low": 1.0, "ci_high": 1.0},
    {"days": 400.0, "survival": 0.8, "ci_low": 0.41, "ci_high": 0.95},
]
SHOWN = {"estimate": 0.8, "ci_low": 0.6, "ci_high": 0.9}
SUPPRESSED = {"estimate": None, "ci_low": None, "ci_high": None, "suppressed": True}


def marks(svg: str) -> list[str]:
    return re.findall(r'id="(mark-\d+)"', svg)


def test_a_dot_chart_draws_an_interval_and_a_marker_per_shown_estimate_only() -> None:
    figure = Figure(
        "t",
        chart="dots",
        values=(
            Values("R(12)", (Point("a", 0.8, 0.6, 0.9), Point("b", 0.7, 0.5, 0.8))),
            Values("R(24)", (Point("a", 0.6, 0.4, 0.7), Point("b", None))),
        ),
    )
    # three shown estimates, each an interval line and a marker; the suppressed one nothing
    assert len(marks(figures.svg(figure))) == 3 * 2


def test_a_forest_plot_draws_each_hazard_ratio_and_its_interval_on_a_log_axis() -> None:
    figure = Figure(
        "t",
        chart="forest",
        values=(Values("HR", (Point("x", 1.8, 1.1, 3.0), Point("y", 0.5, 0.25, 0.9))),),
    )
    svg = figures.svg(figure)
    assert len(marks(svg)) == 4
    assert ">0,5<" in svg and ">2<" in svg  # Dutch tick labels around the reference line 1


def test_bars_leave_out_a_wave_without_a_value_and_label_the_others_in_percent() -> None:
    figure = Figure(
        "t",
        chart="bars",
        values=(Values("w", (Point("2017", 0.6), Point("2018", None), Point("2019", 0.25))),),
    )
    svg = figures.svg(figure)
    assert len(marks(svg)) == 2
    assert ">60%<" in svg and ">25%<" in svg


def test_lines_draw_a_band_over_consecutive_waves_and_a_bar_for_a_wave_standing_alone() -> None:
    points = (
        Point("2017", 6.0, 5.0, 7.0),
        Point("2018", 6.5, 5.5, 7.5),
        Point("2019", None),
        Point("2020", 7.0, 6.0, 8.0),
    )
    figure = Figure("t", chart="lines", values=(Values("WAS", points, "WAS", (0, 10)),))
    # run 2017-2018: band + line; 2020 alone: interval bar + marker; 2019 nothing
    assert len(marks(figures.svg(figure))) == 4


@pytest.mark.parametrize(
    "figure",
    [
        sections.km_figure({"curve": CURVE, "sustained_curve": CURVE}, k=7),
        Figure("t", chart="forest", values=(Values("HR", (Point("x", 1.8, 1.1, 3.0),)),)),
        Figure("t", chart="dots", values=(Values("R", (Point("a", 0.5, 0.3, 0.7),)),)),
        Figure("t", chart="lines", values=(Values("v", (Point("2017", 3.0, 2.0, 4.0),)),)),
        Figure("t", chart="bars", values=(Values("v", (Point("2017", 0.5),)),)),
        Figure(
            "t",
            chart="diverging",
            values=(Values("+", (Point("a", 0.5),)), Values("-", (Point("a", 0.2),))),
        ),
    ],
    ids=lambda f: f.chart,
)
def test_every_chart_kind_gives_the_same_bytes_for_the_same_input(figure: Figure) -> None:
    first = figures.svg(figure)
    assert first == figures.svg(figure)
    assert marks(first)
    assert "<metadata>" not in first and "dc:date" not in first


def test_every_text_of_a_chart_names_its_colour_so_the_pdf_does_not_paint_it_pale() -> None:
    figure = Figure(
        "t", chart="bars", values=(Values("v", (Point("2017", 0.5), Point("2018", 0.2))),)
    )
    texts = re.findall(r"<text[^>]*>", figures.svg(figure))
    assert texts and all("fill: #1d2329" in t for t in texts)


def test_a_chart_with_only_suppressed_points_is_not_drawn_at_all() -> None:
    figure = Figure("t", chart="dots", values=(Values("R(12)", (Point("a", None),)),))
    assert not figure.drawn
    with pytest.raises(ValueError, match="nothing to draw"):
        figures.svg(figure)


def test_factor_levels_without_a_shown_estimate_are_left_out_and_counted_in_the_caption() -> None:
    factors = {
        "job_coach": {
            "levels": {
                "geen": {"n": "<7", "retention": {"12": SUPPRESSED, "24": SUPPRESSED}},
                "intern": {"n": 15, "retention": {"12": SHOWN, "24": SUPPRESSED}},
                "extern": {"n": 0, "retention": {"12": SUPPRESSED, "24": SUPPRESSED}},
            }
        }
    }
    figure = sections.factors_figure(factors, k=7)
    r12, r24 = figure.values
    assert [p.category for p in r12.points] == ["Jobcoach: Interne jobcoach"]
    assert r12.points[0].value == 0.8 and r24.points[0].value is None
    assert figure.not_drawn == ("Jobcoach: Geen jobcoach",)  # a level without placements: no row
    assert "1 niveaus zonder getoonde schatting (minder dan 7" in figure.omitted
    assert len(marks(figures.svg(figure))) == 2


def test_the_forest_plot_holds_only_the_shown_terms_and_says_how_many_were_withheld() -> None:
    cox = {
        "fitted": True,
        "reference": {"job_coach": "geen"},
        "hazard_ratios": {"job_coach=extern": {"hr": 0.6, "ci_low": 0.3, "ci_high": 1.2}},
        "suppressed_terms": 2,
    }
    figure = sections.cox_figure(cox, k=7)
    (point,) = figure.values[0].points
    assert point.category == "Jobcoach: Externe jobcoach t.o.v. Geen jobcoach"
    assert (point.value, point.low, point.high) == (0.6, 0.3, 1.2)
    assert "Niet getekend: 2 vergelijkingen" in figure.omitted


def test_response_bars_leave_out_a_survey_not_delivered_and_a_rate_not_shown() -> None:
    detail = {
        "employee_survey": {"2018": {"delivered": True, "rate": 0.6}},
        "employer_survey": {
            "2018": {"delivered": True, "respondents": "<7", "rate": None},
            "2019": {"delivered": False, "rate": None},
        },
    }
    figure = sections.response_figure(detail, ["2018", "2019"], k=7)
    assert [p.value for v in figure.values for p in v.points] == [0.6, None, None, None]
    assert "werkgevers 2019 (niet geleverd)" in figure.omitted
    assert "werkgevers 2018 (te weinig voor een percentage)" in figure.omitted


def test_a_trajectory_mean_over_too_few_respondents_gets_no_point() -> None:
    few = {"n": "<7", "mean": None, "ci_low": None, "ci_high": None, "suppressed": True}
    enough = {"n": 9, "mean": 6.3, "ci_low": 5.5, "ci_high": 7.0}
    traj = {item: {"2018": enough, "2019": few} for item in load_study().trajectory_items}
    figure = sections.trajectories_figure(traj, ["2018", "2019"], k=7)
    assert len(figure.values) == 3
    work = figure.values[0]
    assert work.scale == (0.0, 10.0)
    assert [p.value for p in work.points] == [6.3, None]
    assert "Werkvermogen (WAS) 2019" in figure.omitted


def test_risk_bars_leave_out_a_wave_whose_share_was_suppressed() -> None:
    risk = {"2017": {"n": "<7", "high": "<7", "share": None}, "2018": {"n": 9, "share": 0.33}}
    figure = sections.risk_figure(risk, ["2017", "2018"], k=7)
    assert [p.value for p in figure.values[0].points] == [None, 0.33]
    assert figure.omitted == "Niet getekend (minder dan 7 contacten): 2017."


def test_the_regions_chart_has_a_row_per_region_with_estimates_and_all_regions() -> None:
    metrics = {
        "regions": {
            "haaglanden": {"retention": {"12": SHOWN, "24": SHOWN}},
            "west-brabant": {"retention": {"12": SUPPRESSED, "24": SUPPRESSED}},
        },
        "all": {"retention": {"12": SHOWN, "24": SUPPRESSED}},
    }
    figure = sections.regions_retention_figure(metrics, k=7)
    assert [p.category for p in figure.values[0].points] == ["Haaglanden", "Alle regio's"]
    assert figure.not_drawn == ("West-Brabant",)


def test_inline_svg_is_an_image_with_alt_text_and_ids_of_its_own() -> None:
    figure = Figure("Titel", chart="bars", values=(Values("v", (Point("2017", 0.5),)),), alt="Één")
    svg = inline_svg(figure, 3)
    assert svg.startswith("<svg ") and 'role="img"' in svg and 'aria-label="Één"' in svg
    assert "<title>Één</title>" in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("fig3-") for i in ids)
    refs = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg)
    assert all((a or b).startswith("fig3-") for a, b in refs)


def test_a_page_with_several_charts_has_no_duplicate_ids() -> None:
    blocks = (
        Figure("a", chart="bars", values=(Values("v", (Point("2017", 0.5),)),)),
        Figure("b", chart="bars", values=(Values("v", (Point("2017", 0.4),)),)),
    )
    report = Report("s", "T", "S", (), (Section("Sectie", blocks, "sectie"),))
    page = render_report(report, "snap", 7)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert page.count("<svg") == 2 and len(ids) == len(set(ids))


def test_diverging_bars_draw_each_shown_share_on_its_side_and_nothing_for_a_hidden_one() -> None:
    block = {
        "factors": {
            "employers": 39,
            "by_factor": {
                "begeleiding": {
                    "bevorderend": 21,
                    "belemmerend": 9,
                    "both": "<7",
                    "share_bevorderend": 0.538462,
                    "share_belemmerend": 0.230769,
                },
                "werk": {
                    "bevorderend": "<7",
                    "belemmerend": None,
                    "both": None,
                    "share_bevorderend": None,
                    "share_belemmerend": None,
                },
            },
        }
    }
    figure = sections.interview_factors_figure(block, 7)
    svg = figures.svg(figure)
    assert len(marks(svg)) == 2  # begeleiding: one bar to each side; werk: none
    assert figure.not_drawn == ("Werk",) and "Niet getekend: Werk" in figure.omitted
    assert ">bevorderend<" in svg and ">belemmerend<" in svg  # the legend
    assert ">50%<" in svg  # both sides of zero read as positive percentages


def test_the_interview_chapter_shows_release_counts_and_no_text() -> None:
    block = {
        "documents": {"by_wave": {"2017": {"interview": 0, "focusgroep": 0,
                                           "werkplekobservatie": 0, "total": 0,
                                           "delivered": False},
                                  "2018": {"interview": 15, "focusgroep": "<7",
                                           "werkplekobservatie": None, "total": 21,
                                           "delivered": True}}},
        "factors": {"employers": 39, "by_factor": {}},
        "durability": {
            "begeleiding": {"named": {"placements": 27, "retention": {"24": SHOWN}},
                            "not_named": {"placements": "<7", "retention": {"24": SUPPRESSED}},
                            "logrank": {"p": None, "suppressed": True}},
        },
    }  # fmt: skip
    section = sections.interviews_section(block, 7)
    assert section.title == "Wat werkgevers en werknemers noemen"
    held, link = section.blocks[1], section.blocks[4]
    assert held.rows[0][1:] == ("niet geleverd",) * 4
    assert held.rows[1] == ("2018", "15", "<7", "×", "21")
    assert link.rows[0] == ("Begeleiding", "80% (60–90)", "27", "–", "<7", "–")
    assert sections.interviews_section(None, 7).blocks[0].text.startswith("Er zijn (nog) geen")
