"""The built-in attacker: what can one learn about a hidden count from everything a release shows?

It is handed the published tree of a release (`Published`: every count as shown — a rounded
number, "<t" or hidden — every relation between counts, every curve as published) and, for each
protected count, minimises and maximises it by integer programming (scipy's HiGHS `milp`) subject
to all of it at once:

- a shown count n is any true count the rounding rule shows as n (`Rounding.interval`);
  "<t" is 1..t-1; a hidden count is any count >= 0;
- sums ("these cells add up to that total"), copies (one count shown in two places) and orders
  (a part is at most its whole) hold between the true counts;
- each published curve is read back into its rounded monthly risk table, as anyone can do from
  its steps (events from the drop, censorings from the numbers at risk); every cumulative count
  is any true count rounding to it; the table is monotone and ends at the group's count; R and E
  remove the same placements each month; a factor's levels and its missing level add up to the
  group at 12 and 24 months; the regions add up to "all".

Verdict: a protected count fails when it is pinned to one value, or to fewer than k candidate
values (fewer than the t-1 its "<t" already allows, where t-1 < k). docs/DISCLOSURE.md explains
the model and what it leaves out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dwt.release.rounding import Rounding

Path = tuple[str, ...]
Shown = int | str | None
BIG = 10**7
HORIZONS = (12, 24)  # factor levels publish R(12) and R(24)
POOLED_MONTHS = (12, 24, 36)


@dataclass(frozen=True)
class PublishedCurve:
    path: Path
    n: Path
    group: Path
    outcome: str
    level: tuple[str, str] | None
    points: tuple[Mapping[str, Any], ...]


@dataclass
class Published:
    """Everything one release shows, as an attacker reads it."""

    rounding: Rounding
    cells: dict[Path, Shown]
    sums: list[tuple[tuple[Path, ...], Path]] = field(default_factory=list)
    copies: list[tuple[Path, Path]] = field(default_factory=list)
    at_most: list[tuple[Path, Path]] = field(default_factory=list)
    curves: list[PublishedCurve] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """What the attacker learnt of one protected count: values from `low` to `high` fit
    everything the release shows. Exact extremes for a count at risk; for a count shown safe
    by the solutions found along the way, the widest range they span (`_Problem.ranges`)."""

    path: Path
    shown: Shown
    low: int
    high: int
    required: int

    @property
    def candidates(self) -> int:
        return self.high - self.low + 1

    @property
    def fails(self) -> bool:
        return self.candidates < self.required


@dataclass
class Verdict:
    findings: list[Finding]
    variables: int
    constraints: int

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.fails]

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "protected_cells": len(self.findings),
            "failures": [
                {"cell": "/".join(f.path), "shown": f.shown, "low": f.low, "high": f.high}
                for f in self.failures
            ],
            "variables": self.variables,
            "constraints": self.constraints,
        }


class _Model:
    """Integer variables with bounds, and linear rows lo <= a.x <= hi."""

    def __init__(self) -> None:
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, lo: float, hi: float) -> int:
        self.lo.append(lo)
        self.hi.append(hi)
        return len(self.lo) - 1

    def row(self, coefs: Mapping[int, float], lo: float, hi: float) -> None:
        merged: dict[int, float] = {}
        for i, a in coefs.items():
            merged[i] = merged.get(i, 0.0) + a
        merged = {i: a for i, a in merged.items() if a != 0}
        if merged:
            self.rows.append((merged, lo, hi))

    def equal(self, left: Sequence[int], right: Sequence[int]) -> None:
        coefs = {i: 1.0 for i in left}
        for i in right:
            coefs[i] = coefs.get(i, 0.0) - 1.0
        self.row(coefs, 0.0, 0.0)

    def at_most(self, a: int, b: int) -> None:
        self.row({a: 1.0, b: -1.0}, -math.inf, 0.0)


def bin_of(rounding: Rounding, value: int) -> tuple[int, int]:
    """Every true count whose rounded value (`Rounding.internal`) is `value`."""
    if rounding.rule == "nearest5":
        return (0, 2) if value == 0 else (value - 2, value + 2)
    if rounding.rule == "midpoint6":
        return (0, 0) if value == 0 else (value - 2, value + 3)
    return value, value


def read_table(
    points: Sequence[Mapping[str, Any]], month_days: float
) -> tuple[list[int], list[int | None], int]:
    """(cumulative events, cumulative censorings, N) per month as a published curve gives them
    back (`curves.risk_table`: events from each drop, censorings from the numbers at risk); the
    last month's censorings are unknown (the next number at risk is not shown)."""
    from dwt.release.curves import risk_table

    table = risk_table(points, month_days)
    censored: list[int | None] = [*table.censored[:-1], None]
    return list(table.events), censored, table.n


class _Builder:
    def __init__(self, pub: Published) -> None:
        from dwt.schema import load_study

        self.pub = pub
        self.month_days = load_study().month_days
        self.m = _Model()
        self.x: dict[Path, int] = {}
        r = pub.rounding
        for path, shown in sorted(pub.cells.items()):
            lo, hi = (0, BIG) if shown is None else r.interval(shown)
            self.x[path] = self.m.var(lo, hi)
        for a, b in pub.copies:
            if a in self.x and b in self.x:
                self.m.equal([self.x[a]], [self.x[b]])
        for parts, total in pub.sums:
            if total in self.x and all(p in self.x for p in parts):
                self.m.equal([self.x[p] for p in parts], [self.x[total]])
        for a, b in pub.at_most:
            if a in self.x and b in self.x:
                self.m.at_most(self.x[a], self.x[b])
        self.removed: dict[tuple[Path, int], list[int]] = {}
        self.ends: dict[Path, tuple[int, int]] = {}
        for curve in pub.curves:
            self._curve(curve)
        self._identities()

    def _curve(self, curve: PublishedCurve) -> None:
        if not curve.points or curve.n not in self.x:
            return
        events, censored, n_shown = read_table(curve.points, self.month_days)
        r = self.pub.rounding
        lo, hi = bin_of(r, n_shown)
        self.m.row({self.x[curve.n]: 1.0}, lo, hi)  # the first number at risk is the rounded n
        last = len(events) - 1
        months = (range(last + 1) if curve.level is None
                  else sorted({h for h in HORIZONS if h <= last} | {last}))  # fmt: skip
        prev_e = prev_c = None
        for w in months:
            e = self.m.var(*bin_of(r, events[w]))
            c_val = censored[w]
            c = self.m.var(0, BIG) if c_val is None else self.m.var(*bin_of(r, c_val))
            if prev_e is not None and prev_c is not None:
                self.m.at_most(prev_e, e)
                self.m.at_most(prev_c, c)
            prev_e, prev_c = e, c
            self.removed[(curve.path, w)] = [e, c]
        assert prev_e is not None and prev_c is not None
        end_e, end_c = self.m.var(0, BIG), self.m.var(0, BIG)
        self.m.at_most(prev_e, end_e)
        self.m.at_most(prev_c, end_c)
        self.m.equal([end_e, end_c], [self.x[curve.n]])
        self.ends[curve.path] = (end_e, end_c)
        if curve.level is None:  # the group's events: (*group, events, outcome) or (*group, events)
            for events_cell in ((*curve.group, "events", curve.outcome), (*curve.group, "events")):
                if events_cell in self.x:
                    self.m.equal([end_e], [self.x[events_cell]])

    def _removed_or_free(self, curve_path: Path, n: Path, w: int) -> list[int]:
        """E(w) + C(w) of a curve when published at month w, else a free count <= its n."""
        if (curve_path, w) in self.removed:
            return self.removed[(curve_path, w)]
        if n not in self.x:
            return [self.m.var(0, BIG)]
        free = self.m.var(0, BIG)
        self.m.at_most(free, self.x[n])
        return [free]

    def _identities(self) -> None:
        by_group: dict[Path, dict[str, PublishedCurve]] = {}
        levels: dict[tuple[Path, str], list[PublishedCurve]] = {}
        for c in self.pub.curves:
            if c.level is None:
                by_group.setdefault(c.group, {})[c.outcome] = c
            else:
                levels.setdefault((c.group, c.level[0]), []).append(c)
        for curves in by_group.values():
            r, e = curves.get("retention"), curves.get("sustained")
            if r is None or e is None:
                continue
            for w in range(max(len(r.points), len(e.points))):
                if (r.path, w) in self.removed and (e.path, w) in self.removed:
                    self.m.equal(self.removed[(r.path, w)], self.removed[(e.path, w)])
        for g, factor in levels:
            group_curve = by_group.get(g, {}).get("retention")
            if group_curve is None:
                continue
            # every level of the factor, published or not (an unpublished one is a free count)
            prefix = (*g, "factors", factor, "levels")
            level_ns = sorted(p for p in self.x if len(p) == len(prefix) + 2
                              and p[: len(prefix)] == prefix and p[-1] == "n")  # fmt: skip
            for h in HORIZONS:
                if (group_curve.path, h) not in self.removed:
                    continue
                terms: list[int] = []
                for n_path in level_ns:
                    terms += self._removed_or_free((*n_path[:-1], "curve"), n_path, h)
                missing = (*g, "factors", factor, "n_missing")
                terms += self._removed_or_free((*g, "factors", factor, "missing"), missing, h)
                self.m.equal(terms, self.removed[(group_curve.path, h)])
        pooled = by_group.get(("all",), {}).get("retention")
        regions = sorted(p for p in self.x if len(p) == 3 and p[0] == "regions"
                         and p[2] == "placements")  # fmt: skip
        if pooled is None or not regions:
            return
        for w in POOLED_MONTHS:
            if (pooled.path, w) not in self.removed:
                continue
            terms = []
            for n_path in regions:
                terms += self._removed_or_free((*n_path[:2], "curve"), n_path, w)
            self.m.equal(terms, self.removed[(pooled.path, w)])


def _required(shown: Shown, rounding: Rounding) -> int:
    if isinstance(shown, str):
        return min(rounding.k, rounding.threshold - 1)
    if shown is None:
        return rounding.k
    return 2  # a rounded count must not be recovered exactly


def _components(n_vars: int, rows: Sequence[tuple[dict[int, float], float, float]]) -> list[int]:
    """The connected component of every variable (variables joined by a row)."""
    parent = list(range(n_vars))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coefs, _, _ in rows:
        members = list(coefs)
        first = root(members[0])
        for j in members[1:]:
            other = root(j)
            if other != first:
                parent[other] = first
    return [root(i) for i in range(n_vars)]


class _Problem:
    """One connected component as a milp problem (variables renumbered)."""

    def __init__(self, model: _Model, members: list[int], rows: list[int]) -> None:
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint
        from scipy.sparse import csr_array

        self.model, self.members, self.rows = model, members, rows
        self.index = {j: i for i, j in enumerate(members)}
        data, ri, ci = [], [], []
        for r, row in enumerate(rows):
            for j, a in model.rows[row][0].items():
                data.append(a)
                ri.append(r)
                ci.append(self.index[j])
        self.constraints = []
        if rows:
            matrix = csr_array((data, (ri, ci)), shape=(len(rows), len(members)))
            lo = [model.rows[r][1] for r in rows]
            hi = [model.rows[r][2] for r in rows]
            self.constraints.append(LinearConstraint(matrix, lo, hi))
        self.bounds = Bounds(
            np.array([model.lo[j] for j in members], dtype=float),
            np.array([model.hi[j] for j in members], dtype=float),
        )
        self.integrality = np.ones(len(members))

    def signature(self, targets: Sequence[tuple[int, Path]]) -> tuple[Any, ...]:
        """The component as data (rows, bounds, targets in local numbering): equal signatures
        are the same problem, whatever else changed in the release (`attack`'s cache)."""
        m = self.model
        rows = tuple(
            (tuple(sorted((self.index[j], a) for j, a in m.rows[r][0].items())),
             m.rows[r][1], m.rows[r][2])
            for r in self.rows
        )  # fmt: skip
        bounds = tuple((m.lo[j], m.hi[j]) for j in self.members)
        return rows, bounds, tuple((self.index[j], path) for j, path in targets)

    def solve(self, var: int | Sequence[int], sign: float) -> Any:
        """A solution minimising (sign 1) or maximising (sign -1) one variable (or a sum)."""
        import numpy as np
        from scipy.optimize import milp

        c = np.zeros(len(self.index))
        for j in [var] if isinstance(var, int) else var:
            c[self.index[j]] = sign
        res = milp(c, constraints=self.constraints, bounds=self.bounds,
                   integrality=self.integrality)  # fmt: skip
        if res.status != 0 or res.x is None:
            raise RuntimeError(
                f"attacker: the release's own figures are infeasible ({res.message})"
            )
        return np.rint(res.x)

    def ranges(self, targets: Sequence[tuple[int, int]], exact: bool) -> dict[int, tuple[int, int]]:
        """(low, high) of every target variable (with the number of values it must keep).

        Every solution found is a witness: a release whose figures match everything shown.
        A target whose witnesses already span its required number of values is safe (its true
        range is at least that wide) and needs no solve of its own; the others are minimised
        and maximised exactly, so a failing cell is always reported with its exact bounds.
        `exact` solves every target.
        """
        local = [(self.index[j], need) for j, need in targets]
        seen_lo: dict[int, int] = {}
        seen_hi: dict[int, int] = {}
        out: dict[int, tuple[int, int]] = {}

        def witness(x: Any) -> None:
            for t, _ in local:
                v = int(x[t])
                seen_lo[t] = min(seen_lo.get(t, v), v)
                seen_hi[t] = max(seen_hi.get(t, v), v)

        def proven(i: int, need: int) -> bool:
            return i in seen_lo and seen_hi[i] - seen_lo[i] + 1 >= need

        # Two solves that move every target not yet proven at once, while that proves some.
        needs = dict(local)
        open_ = [(j, i) for (j, _), (i, _) in zip(targets, local, strict=True)]
        while not exact and len(open_) > 2:
            every = [j for j, _ in open_]
            witness(self.solve(every, 1.0))
            witness(self.solve(every, -1.0))
            left = [(j, i) for j, i in open_ if not proven(i, needs[i])]
            if len(left) == len(open_):
                break
            open_ = left
        for (i, need), (j, _) in zip(local, targets, strict=True):
            if not exact and proven(i, need):
                out[j] = (seen_lo[i], seen_hi[i])
                continue
            low, high = self.solve(j, 1.0), self.solve(j, -1.0)
            witness(low)
            witness(high)
            out[j] = (int(low[i]), int(high[i]))
        return out


def attack(
    pub: Published,
    targets: Sequence[Path] | None = None,
    exact: bool = False,
    cache: dict[Any, dict[Path, tuple[int, int]]] | None = None,
) -> Verdict:
    """Bound every protected count (suppressed or hidden; or `targets`) over the whole release.

    `exact`: minimise and maximise every target (else a target its witnesses already prove safe
    is not solved again: `_Problem.ranges`). `cache`: kept between calls (`decide`'s rounds), a
    component that did not change is not attacked again.
    """
    b = _Builder(pub)
    n_vars, rows = len(b.m.lo), b.m.rows
    if targets is None:
        targets = [p for p, s in sorted(pub.cells.items()) if s is None or isinstance(s, str)]
    component = _components(n_vars, rows)
    members: dict[int, list[int]] = {}
    for i in range(n_vars):
        members.setdefault(component[i], []).append(i)
    in_rows: dict[int, list[int]] = {}
    for r, (coefs, _, _) in enumerate(rows):
        in_rows.setdefault(component[next(iter(coefs))], []).append(r)
    grouped: dict[int, list[Path]] = {}
    for path in targets:
        grouped.setdefault(component[b.x[path]], []).append(path)
    ranges: dict[Path, tuple[int, int]] = {}
    for root, paths in grouped.items():
        problem = _Problem(b.m, members[root], in_rows.get(root, []))
        key = problem.signature([(b.x[p], p) for p in paths]) if cache is not None else None
        if cache is not None and key in cache:
            ranges.update(cache[key])
            continue
        need = [(b.x[p], _required(pub.cells[p], pub.rounding)) for p in paths]
        found = problem.ranges(need, exact)
        solved = {p: found[b.x[p]] for p in paths}
        ranges.update(solved)
        if cache is not None:
            cache[key] = solved
    findings = [
        Finding(p, pub.cells[p], *ranges[p], _required(pub.cells[p], pub.rounding)) for p in targets
    ]
    return Verdict(findings, n_vars, len(rows))
