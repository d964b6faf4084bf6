"""The five routes of issue 11, each by hand: the attacker pins the count when the release shows
exact counts beside "<k" (rule none, as the pipeline did before), and does not once every count
is rounded and curves come from a rounded risk table (midpoint-6, the study's default)."""

from __future__ import annotations

from typing import Any

from dwt.release import curves as cv
from dwt.release.attack import Published, PublishedCurve, attack
from dwt.release.rounding import Rounding

MONTH = 30.4375
NONE, MID6 = Rounding("none", 5), Rounding("midpoint6", 5)


def shown(r: Rounding, values: dict[tuple[str, ...], int], hidden: set | None = None) -> dict:
    out: dict[tuple[str, ...], Any] = {p: r.shown(v) for p, v in values.items()}
    for p in hidden or ():
        out[p] = None
    return out


def bounds(verdict: Any, path: tuple[str, ...]) -> tuple[int, int]:
    (finding,) = [f for f in verdict.findings if f.path == path]
    return finding.low, finding.high


# Route 1: a total minus the visible levels leaves 8 for two "<5" cells: both are 4.
LEVELS = {("a",): 4, ("b",): 4, ("c",): 2, ("total",): 10}
SUM = [((("a",), ("b",), ("c",)), ("total",))]


def test_route_1_the_bound_itself_pins_two_small_cells_under_exact_counts() -> None:
    values = {("a",): 4, ("b",): 4, ("c",): 12, ("total",): 20}
    verdict = attack(Published(NONE, shown(NONE, values), sums=SUM), exact=True)
    assert bounds(verdict, ("a",)) == (4, 4) and not verdict.passed


def test_route_1_gender_two_hidden_cells_that_leave_2_are_one_person_each() -> None:
    values = {("a",): 1, ("b",): 1, ("c",): 8, ("total",): 10}
    verdict = attack(Published(NONE, shown(NONE, values), sums=SUM), exact=True)
    assert bounds(verdict, ("a",)) == (1, 1) and bounds(verdict, ("b",)) == (1, 1)


def test_route_1_is_closed_by_rounding_every_count_and_the_total_on_its_own() -> None:
    values = {("a",): 4, ("b",): 4, ("c",): 12, ("total",): 20}
    verdict = attack(Published(MID6, shown(MID6, values), sums=SUM), exact=True)
    assert verdict.passed, verdict.summary()
    assert all(f.candidates >= 5 for f in verdict.findings)


def test_route_1_where_rounding_alone_narrows_secondary_suppression_frees_the_cells() -> None:
    # 1 + 1 + 8 = 10: rounded, 9 - 9 leaves the two small cells 1..4 together at most 5, so
    # each is 1..4 (fewer than k values). `decide` then hides the shown cell beside them.
    values = {("a",): 1, ("b",): 1, ("c",): 8, ("total",): 10}
    verdict = attack(Published(MID6, shown(MID6, values), sums=SUM), exact=True)
    assert bounds(verdict, ("a",)) == (1, 4) and not verdict.passed
    verdict = attack(Published(MID6, shown(MID6, values, hidden={("c",)}), sums=SUM), exact=True)
    assert verdict.passed, verdict.summary()


# Route 3: a curve's first drop to 13/14 gives n = 14, whatever the count cell shows.
def _exact_points(n: int, ended_first_month: int) -> list[dict[str, Any]]:
    from dwt.analytics.survival import curve, fit_km

    durations = [20.0] * ended_first_month + [400.0] * (n - ended_first_month)
    events = [True] * ended_first_month + [False] * (n - ended_first_month)
    return curve(fit_km(durations, events))


def test_route_3_curve_steps_give_a_hidden_count_back_from_an_exact_curve() -> None:
    points = _exact_points(14, 1)
    assert round(points[1]["survival"], 6) == 0.928571  # 13/14
    cells = {("g", "placements"): None, ("g", "events", "retention"): None}
    curve = PublishedCurve(("g", "curve"), ("g", "placements"), ("g",), "retention", None,
                           tuple(points))  # fmt: skip
    verdict = attack(Published(NONE, cells, curves=[curve]), exact=True)
    assert bounds(verdict, ("g", "placements")) == (14, 14)


def test_route_3_is_closed_by_a_curve_from_the_rounded_risk_table() -> None:
    exact = cv.risk_table(_exact_points(14, 1), MONTH)
    points = cv.km_points(cv.rounded_table(exact, MID6), MONTH)
    cells = {("g", "placements"): None, ("g", "events", "retention"): None}
    curve = PublishedCurve(("g", "curve"), ("g", "placements"), ("g",), "retention", None,
                           tuple(points))  # fmt: skip
    verdict = attack(Published(MID6, cells, curves=[curve]), exact=True)
    low, high = bounds(verdict, ("g", "placements"))
    assert (low, high) == (13, 18)  # the bin of 15: nothing beyond the rounded count
    low, high = bounds(verdict, ("g", "events", "retention"))
    assert high - low + 1 >= 5


# Route 4: rows delivered beside "quarantined <5", and the curated count elsewhere in the report.
QUALITY = [((("q", "quarantined"), ("response", "respondents")), ("q", "delivered"))]


def test_route_4_the_quality_appendix_gives_the_quarantine_count_back() -> None:
    values = {("q", "delivered"): 40, ("q", "quarantined"): 2, ("response", "respondents"): 38}
    verdict = attack(Published(NONE, shown(NONE, values), sums=QUALITY), exact=True)
    assert bounds(verdict, ("q", "quarantined")) == (2, 2)


def test_route_4_is_closed_by_rounding_delivered_and_curated_counts_on_their_own() -> None:
    values = {("q", "delivered"): 40, ("q", "quarantined"): 2, ("response", "respondents"): 38}
    verdict = attack(Published(MID6, shown(MID6, values), sums=QUALITY), exact=True)
    assert verdict.passed, verdict.summary()


# Route 5: the region report shows "<5", the overview the pooled total and the other regions.
POOLED = [((("r1",), ("r2",), ("r3",)), ("all",))]


def test_route_5_copies_across_outputs_pool_into_a_pin() -> None:
    values = {("r1",): 3, ("r2",): 30, ("r3",): 17, ("all",): 50}
    verdict = attack(Published(NONE, shown(NONE, values), sums=POOLED), exact=True)
    assert bounds(verdict, ("r1",)) == (3, 3)


def test_route_5_is_closed_when_the_release_is_decided_as_a_whole() -> None:
    values = {("r1",): 3, ("r2",): 30, ("r3",): 17, ("all",): 50}
    verdict = attack(Published(MID6, shown(MID6, values), sums=POOLED), exact=True)
    assert verdict.passed, verdict.summary()


def test_five_small_regions_under_a_small_total_are_pinned_until_the_total_is_hidden() -> None:
    """Seen on the demo study: one quarantine reason, 1 row in each of five regions, "<7" in
    each region report and "<7" in the overview: 1 or 2 each. Hiding the pooled total frees
    them (what `decide` does as secondary suppression)."""
    regions = [(f"r{i}",) for i in range(5)]
    values = {**{r: 1 for r in regions}, ("all",): 5}
    sums = [(tuple(regions), ("all",))]
    verdict = attack(Published(MID6, shown(MID6, values), sums=sums), exact=True)
    assert bounds(verdict, ("r0",)) == (1, 2) and not verdict.passed
    verdict = attack(Published(MID6, shown(MID6, values, hidden={("all",)}), sums=sums), exact=True)
    assert verdict.passed, verdict.summary()
