"""The attacker's short cuts (`_Problem.ranges`: witnesses; `attack(cache=...)`: components
already attacked) give the verdict the exact attacker gives, and never a range wider than the
exact one."""

from __future__ import annotations

from typing import Any

import pytest

from dwt.release import curves as cv
from dwt.release.attack import Published, PublishedCurve, attack
from dwt.release.rounding import Rounding

MONTH = 30.4375
NONE, MID6 = Rounding("none", 5), Rounding("midpoint6", 5)


def _levels(r: Rounding, counts: list[int], hidden: frozenset[int] = frozenset()) -> Published:
    """Levels a..: counts, and their total, in one sum; `hidden` levels shown as hidden."""
    cells: dict[tuple[str, ...], Any] = {}
    for i, v in enumerate(counts):
        cells[(f"l{i:02d}",)] = None if i in hidden else r.shown(v)
    cells[("total",)] = r.shown(sum(counts))
    parts = tuple((f"l{i:02d}",) for i in range(len(counts)))
    return Published(r, cells, sums=[(parts, ("total",))])


def _curve(n: int, ended_first_month: int) -> PublishedCurve:
    from dwt.analytics.survival import curve, fit_km

    durations = [20.0] * ended_first_month + [400.0] * (n - ended_first_month)
    events = [True] * ended_first_month + [False] * (n - ended_first_month)
    exact = cv.risk_table(curve(fit_km(durations, events)), MONTH)
    points = cv.km_points(cv.rounded_table(exact, MID6), MONTH)
    return PublishedCurve(("g", "curve"), ("g", "placements"), ("g",), "retention", None,
                          tuple(points))  # fmt: skip


CASES = {
    "small levels under an exact total": _levels(NONE, [4, 4, 2, 30, 1, 3]),
    "rounded levels, two small": _levels(MID6, [1, 1, 8, 40, 17, 2, 3]),
    "rounded levels, one hidden": _levels(MID6, [1, 1, 8, 40, 17, 2, 3], hidden=frozenset({2})),
    "many small regions": _levels(MID6, [1] * 9 + [60]),
    "a rounded curve": Published(
        MID6,
        {("g", "placements"): None, ("g", "events", "retention"): None},
        curves=[_curve(14, 1)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_witnesses_give_the_exact_attackers_verdict_within_its_bounds(name: str) -> None:
    pub = CASES[name]
    fast, exact = attack(pub), attack(pub, exact=True)
    assert fast.passed == exact.passed
    assert fast.summary() == exact.summary()  # failures with their exact bounds
    for f, e in zip(fast.findings, exact.findings, strict=True):
        assert f.path == e.path and e.low <= f.low <= f.high <= e.high
        assert f.fails == e.fails


def test_the_cache_attacks_a_component_again_only_when_it_changed() -> None:
    left = _levels(MID6, [1, 1, 8, 40, 17, 2, 3])
    right = _levels(MID6, [2, 9, 30])
    # two unrelated sums in one release: two components
    cells = {("a", *p): v for p, v in left.cells.items()}
    cells |= {("b", *p): v for p, v in right.cells.items()}
    sums = [(tuple(("a", *x) for x in parts), ("a", *total)) for parts, total in left.sums]
    sums += [(tuple(("b", *x) for x in parts), ("b", *total)) for parts, total in right.sums]
    cache: dict[Any, Any] = {}
    first = attack(Published(MID6, cells, sums=sums), cache=cache)
    assert len(cache) == 2
    again = attack(Published(MID6, dict(cells), sums=sums), cache=cache)
    assert len(cache) == 2 and again.summary() == first.summary()
    changed = dict(cells) | {("a", "l02"): None}  # secondary suppression in one component
    after = attack(Published(MID6, changed, sums=sums), cache=cache)
    assert len(cache) == 3
    assert after.summary() == attack(Published(MID6, changed, sums=sums), exact=True).summary()
