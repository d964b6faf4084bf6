"""Disclosure control: the one gate every outward figure passes (spec: "Disclosure control").

Rules, with threshold k (default `Settings.k`, from schemas/study.yaml):
- primary: a count from 1 to k-1 is shown as "<k";
- an estimate (mean, proportion, survival) over fewer than k units is not shown (null, with
  "suppressed": true); a curve for fewer than k placements is not drawn, and a drawn curve stops
  where fewer than k placements remain at risk;
- complementary: no suppressed count may be recoverable from totals shown beside it. Counts and
  the additive relations between them ("these cells sum to that total") form a system of
  equations; whenever an equation has exactly one unknown the unknown is recoverable, so while a
  suppressed count can be solved for, the smallest non-zero visible count of the equation that
  reveals it is suppressed too (secondary suppression, shown as null, never as a fake "<k").

Complementary suppression hides counts, not estimates: whether a group's estimates and curves are
shown depends on its actual number of units (>= k), never on whether its count had to be hidden
to protect another cell. When a group's count (or a factor level's n) is hidden but its estimates
are shown, every count of that group equal to the hidden one is hidden with it: above all the
number at risk at the start of its curves, which is the group's count (`ties`). Such a hidden
count, and each count hidden with it, is then kept unsolvable like a small one.

One logical count shown in two places (a group's participants and its recruitment participants,
R(t) and E(t) numbers at risk, contacts total and the risk table's n, ...) is one cell with one
decision (`copies`), so it is never hidden in one place and shown in the other.

A proportion is hidden as well when its numerator or denominator is suppressed, since the pair
(proportion, visible count) would give the hidden count back.

Not covered: a survival estimate over a few units is a ratio of small integers (5/6 = 0.833333),
so an estimate shown for a group whose count is hidden can hint at that count.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

PRIMARY = "primary"
SECONDARY = "secondary"
ESTIMATE_KEYS = ("estimate", "ci_low", "ci_high", "mean", "share", "rate", "survival")
# Integers in the metrics that are not counts of people, placements or contacts.
NOT_COUNTS = frozenset(
    {"df", "reference_wave", "employers_target", "participants_target", "disclosure"}
)

Path = tuple[Hashable, ...]
Relation = tuple[Sequence[Hashable], Hashable]  # (cells, total): sum(cells) == total


def default_k() -> int:
    from dwt.config import Settings

    return Settings().k


def is_small(n: Any, k: int) -> bool:
    """True for a count that must not be shown: 1 .. k-1."""
    return isinstance(n, int) and not isinstance(n, bool) and 1 <= n < k


def safe_count(n: int | None, k: int | None = None) -> int | str | None:
    """The count as shown outside the team: "<k" for 1..k-1, else unchanged."""
    k = default_k() if k is None else k
    return f"<{k}" if n is not None and is_small(n, k) else n


def suppress_estimate(block: dict[str, Any], n: int | None, k: int | None = None) -> dict[str, Any]:
    """`block` with its estimate keys nulled (and "suppressed": true) when n < k units."""
    k = default_k() if k is None else k
    if n is not None and n >= k:
        return dict(block)
    return _nulled(block)


def _nulled(block: dict[str, Any]) -> dict[str, Any]:
    out = {key: (None if key in ESTIMATE_KEYS else value) for key, value in block.items()}
    out["suppressed"] = True
    return out


# ---------------------------------------------------------------- complementary suppression


def protect_cells(
    values: Mapping[Hashable, int],
    relations: Iterable[Relation],
    k: int,
    copies: Iterable[tuple[Hashable, Hashable]] = (),
    ties: Mapping[Hashable, Iterable[Hashable]] | None = None,
) -> dict[Hashable, str]:
    """Which cells to suppress: {cell: "primary" | "secondary"}.

    `relations` are additive equations between cells (totals are cells too). Iterates until no
    guarded cell can be solved from the visible cells by chaining single-unknown equations.
    Guarded: the small (primary) cells, every hidden cell that has `ties`, and its tied cells of
    the same value.
    `copies`: pairs of cells holding one logical count (equal values); they get one decision.
    `ties`: {cell: cells hidden whenever it is} (counts that equal it and would give it back).
    """
    canon = _canonical(values, copies)
    cvalues = {canon[c]: v for c, v in values.items()}
    equations = []
    for cells, total in relations:
        eq = [canon[c] for c in cells] + [canon[total]]
        if len(set(eq)) > 1:  # a copy equal to itself says nothing
            equations.append(eq)
    ctied: dict[Hashable, set[Hashable]] = {}
    for cell, tied in (ties or {}).items():
        ctied.setdefault(canon[cell], set()).update(canon[t] for t in tied if t in canon)
    status: dict[Hashable, str] = {c: PRIMARY for c, v in cvalues.items() if is_small(v, k)}
    guarded = set(status)
    while True:
        _spread_ties(cvalues, ctied, status, guarded)
        exposed = _first_exposed(cvalues, equations, status, guarded)
        if exposed is None:
            return {c: status[canon[c]] for c in values if canon[c] in status}
        cell, solved_by = exposed
        status[_complement(cvalues, cell, solved_by, status)] = SECONDARY


def _canonical(
    values: Mapping[Hashable, int], copies: Iterable[tuple[Hashable, Hashable]]
) -> dict[Hashable, Hashable]:
    """{cell: the one cell standing for its logical count} (union of the copy pairs)."""
    parent: dict[Hashable, Hashable] = {c: c for c in values}

    def root(c: Hashable) -> Hashable:
        while parent[c] != c:
            c = parent[c]
        return c

    for a, b in copies:
        if a not in values or b not in values:
            continue
        if values[a] != values[b]:
            raise ValueError(f"copies {a!r} and {b!r} hold different counts")
        ra, rb = root(a), root(b)
        if ra != rb:
            keep, drop = sorted((ra, rb), key=lambda c: (len(str(c)), str(c)))
            parent[drop] = keep
    return {c: root(c) for c in values}


def _spread_ties(
    values: Mapping[Hashable, int],
    ties: Mapping[Hashable, set[Hashable]],
    status: dict[Hashable, str],
    guarded: set[Hashable],
) -> None:
    """Hide the cells tied to a hidden cell (and theirs). Guard the hidden cell, and the tied ones
    equal to it: solving any of them would give the hidden count back."""
    queue = [c for c in status if c in ties]
    while queue:
        cell = queue.pop()
        guarded.add(cell)
        for tied in ties[cell]:
            if values[tied] == values[cell]:
                guarded.add(tied)
            if tied not in status:
                status[tied] = SECONDARY
                if tied in ties:
                    queue.append(tied)


Equation = list[Hashable]  # members; the last one is the total


def _first_exposed(
    values: Mapping[Hashable, int],
    equations: list[Equation],
    status: Mapping[Hashable, str],
    guarded: set[Hashable] | None = None,
) -> tuple[Hashable, dict[Hashable, Equation]] | None:
    """A guarded cell solvable from the visible cells, with the equation that solved each cell."""
    guarded = {c for c, how in status.items() if how == PRIMARY} if guarded is None else guarded
    solved_by: dict[Hashable, Equation] = {}
    known = {c for c in values if c not in status}
    progress = True
    while progress:
        progress = False
        for eq in equations:
            unknown = {c for c in eq if c not in known}
            if len(unknown) == 1:
                (cell,) = unknown
                known.add(cell)
                solved_by[cell] = eq
                progress = True
                if cell in guarded:
                    return cell, solved_by
    return None


def _complement(
    values: Mapping[Hashable, int],
    exposed: Hashable,
    solved_by: Mapping[Hashable, Equation],
    status: Mapping[Hashable, str],
) -> Hashable:
    """The visible cell to hide next, found by walking back the chain that solved `exposed`.

    In the nearest equation of the chain holding a visible cell, the smallest non-zero inner
    cell is chosen (then the total, then zeros): hiding it breaks that step of the attack.
    """
    queue, seen = [exposed], {exposed}
    while queue:
        eq = solved_by[queue.pop(0)]
        visible = [c for c in eq if c not in status]
        if visible:
            return min(visible, key=lambda c: (values[c] == 0, c == eq[-1], values[c], str(c)))
        for member in eq:
            if member in solved_by and member not in seen:
                seen.add(member)
                queue.append(member)
    raise ValueError(f"cannot protect {exposed!r}: no visible cell left to suppress")


def suppress_table(
    counts: pd.DataFrame | Mapping[Hashable, Mapping[Hashable, int]],
    k: int | None = None,
    totals: Literal["rows", "columns", "both"] | None = "rows",
) -> pd.DataFrame:
    """A count table as shown outside the team, with its totals and complementary suppression.

    `counts` is a DataFrame or {row: {column: count}}. `totals` says which totals are shown
    beside the cells ("rows": a "total" column per row; "columns": a "total" row; "both").
    The result holds ints, "<k" for primary and None for complementary suppressions, plus the
    total column/row that was shown.
    """
    import pandas as pd

    k = default_k() if k is None else k
    table = counts.copy() if isinstance(counts, pd.DataFrame) else pd.DataFrame(dict(counts)).T
    table = table.fillna(0).astype("int64")
    values: dict[Hashable, int] = {
        (r, c): int(v) for r, row in table.to_dict(orient="index").items() for c, v in row.items()
    }
    relations: list[Relation] = []
    out = table.copy()
    if totals in ("rows", "both"):
        for r in table.index:
            values[(r, "total")] = int(table.loc[r].sum())
            relations.append(([(r, c) for c in table.columns], (r, "total")))
        out["total"] = table.sum(axis=1)
    if totals in ("columns", "both"):
        cols = list(out.columns)
        for c in cols:
            values[("total", c)] = int(out[c].sum())
            relations.append(([(r, c) for r in table.index], ("total", c)))
        out.loc["total"] = [values[("total", c)] for c in cols]
    out = out.astype(object)
    status = protect_cells(values, relations, k)
    for (r, c), how in status.items():  # type: ignore[misc]
        out.loc[r, c] = f"<{k}" if how == PRIMARY else None
    return out


# ---------------------------------------------------------------- the --safe view of metrics


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: Any, path: Path, value: Any) -> None:
    _get(tree, path[:-1])[path[-1]] = value


def count_cells(tree: Any, path: Path = ()) -> Iterator[tuple[Path, int]]:
    """Every count in the metrics: each int leaf outside NOT_COUNTS (and no bools)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key not in NOT_COUNTS:
                yield from count_cells(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from count_cells(value, (*path, i))
    elif isinstance(tree, int) and not isinstance(tree, bool):
        yield path, tree


def _groups(metrics: dict[str, Any]) -> list[Path]:
    return [("regions", r) for r in metrics.get("regions", {})] + (
        [("all",)] if "all" in metrics else []
    )


def _group_relations(metrics: dict[str, Any], g: Path) -> list[Relation]:
    """Equations inside one group: totals shown beside their cells, and repeated counts."""
    group = _get(metrics, g)
    rel: list[Relation] = []
    for f, factor in group.get("factors", {}).items():
        cells = [(*g, "factors", f, "levels", lv, "n") for lv in factor["levels"]]
        rel.append(([*cells, (*g, "factors", f, "n_missing")], (*g, "placements")))
    contacts = group.get("monitoring", {}).get("contacts", {})
    for w, row in contacts.items():
        cells = [(*g, "monitoring", "contacts", w, t) for t in row if t != "total"]
        rel.append((cells, (*g, "monitoring", "contacts", w, "total")))
    signals = group.get("monitoring", {}).get("signals", {})
    for s in signals.get("total", {}):
        cells = [(*g, "monitoring", "signals", "by_wave", w, s) for w in signals["by_wave"]]
        rel.append((cells, (*g, "monitoring", "signals", "total", s)))
    for key in ("employers", "participants"):
        if key in group.get("recruitment", {}):
            rel.append(([(*g, "recruitment", key)], (*g, key)))
    employer_resp = group.get("response", {}).get("detail", {}).get("employer_survey", {})
    for w, row in employer_resp.items():
        if isinstance(row.get("respondents"), int) and w in group.get("measures", {}):
            rel.append(([(*g, "measures", w, "respondents")], (*g, "response", "detail",
                        "employer_survey", w, "respondents")))  # fmt: skip
    return rel


def _pooled_relations(metrics: dict[str, Any], values: Mapping[Hashable, int]) -> list[Relation]:
    """'all' is the sum of the regions for every count (conservative where only roughly so)."""
    if "all" not in metrics:
        return []
    rel: list[Relation] = []
    regions = list(metrics.get("regions", {}))
    for cell in values:
        path: Path = tuple(cell)  # type: ignore[arg-type]
        if path[0] != "all" or any(isinstance(p, int) for p in path):  # curves are not aligned
            continue
        parts = [("regions", r, *path[1:]) for r in regions]
        parts = [p for p in parts if p in values]
        if parts:
            rel.append((parts, path))
    return rel


# Counts of other units than placements and persons: never tied to a group's placement count.
OTHER_UNITS = frozenset({"employers", "monitoring", "measures", "employer_survey"})
CURVES = {"retention": "curve", "sustained": "sustained_curve"}


def _group_copies(metrics: dict[str, Any], g: Path, month_days: float) -> list[tuple[Path, Path]]:
    """Pairs of cells inside one group that show the same logical count."""
    group = _get(metrics, g)
    pairs: list[tuple[Path, Path]] = []
    for w in group.get("monitoring", {}).get("risk_oranje_rood", {}):
        base = (*g, "monitoring")
        pairs.append(((*base, "contacts", w, "total"), (*base, "risk_oranje_rood", w, "n")))
    curve, sustained = group.get("curve", []), group.get("sustained_curve", [])
    for i, (p, q) in enumerate(zip(curve, sustained, strict=False)):
        if p["days"] == q["days"]:  # same durations: the same placements at risk
            pairs.append(((*g, "curve", i, "at_risk"), (*g, "sustained_curve", i, "at_risk")))
    for h in group.get("retention", {}):
        pairs.append(((*g, "retention", h, "at_risk"), (*g, "sustained", h, "at_risk")))
    for key, curve_key in CURVES.items():
        pairs += _horizon_copies(group.get(key, {}), group.get(curve_key, []), (*g, key),
                                 (*g, curve_key), month_days)  # fmt: skip
    for f, factor in group.get("factors", {}).items():
        for lv, level in factor["levels"].items():
            base = (*g, "factors", f, "levels", lv)
            horizons, points = level.get("retention", {}), level.get("curve", [])
            pairs += _horizon_copies(horizons, points, (*base, "retention"), (*base, "curve"),
                                     month_days)  # fmt: skip
    return pairs


def _horizon_copies(
    horizons: dict[str, Any], points: list[dict[str, Any]], hpath: Path, cpath: Path, month: float
) -> list[tuple[Path, Path]]:
    """The number at risk at a horizon is the one of the first curve point at or after it."""
    pairs: list[tuple[Path, Path]] = []
    for h, est in horizons.items():
        at = next((i for i, p in enumerate(points) if p["days"] >= int(h) * month), None)
        if at is not None and points[at]["at_risk"] == est.get("at_risk"):
            pairs.append(((*hpath, h, "at_risk"), (*cpath, at, "at_risk")))
    return pairs


def _ties(values: Mapping[Hashable, int]) -> dict[Hashable, list[Hashable]]:
    """Counts that give a group's placement count (or a factor level's n) back: the placement and
    person counts of the group (or level) equal to it, and every number at risk on its curves
    (the first is the count itself; the later ones with the steps would bound it)."""
    by_value: dict[int, list[Hashable]] = {}
    for cell, v in values.items():
        by_value.setdefault(v, []).append(cell)
    ties: dict[Hashable, list[Hashable]] = {}
    for cell, n in values.items():
        path: Path = tuple(cell)  # type: ignore[arg-type]
        is_level = len(path) >= 5 and path[-1] == "n" and path[-3] == "levels"
        if path[-1] != "placements" and not is_level:
            continue
        scope = path[:-1]
        equal = [c for c in by_value[n] if c != cell and _within(tuple(c), scope)]  # type: ignore[arg-type]
        curves = [(*scope, key) for key in ("curve", "sustained_curve")]
        at_risk = [c for c in values if tuple(c)[: len(scope) + 1] in curves]  # type: ignore[arg-type]
        ties[cell] = equal + [c for c in at_risk if c not in equal]
    return ties


def _within(path: Path, scope: Path) -> bool:
    inner = path[len(scope) :]
    return path[: len(scope)] == scope and not OTHER_UNITS.intersection(
        p for p in inner if isinstance(p, str)
    )


def apply_safe(metrics: dict[str, Any], k: int | None = None) -> dict[str, Any]:
    """The metrics as they may leave the research team (`dwt metrics --safe`)."""
    from dwt.analytics.metrics import jsonable
    from dwt.schema import load_study

    k = default_k() if k is None else k
    original: dict[str, Any] = jsonable(metrics)
    safe = copy.deepcopy(original)
    values: dict[Hashable, int] = dict(count_cells(original))
    relations = [rel for g in _groups(original) for rel in _group_relations(original, g)]
    relations += _pooled_relations(original, values)
    month = load_study().month_days
    copies: list[tuple[Hashable, Hashable]] = [
        c for g in _groups(original) for c in _group_copies(original, g, month)
    ]
    # A relation "this one cell is that total" (recruitment, a single region) is a copy too.
    copies += [(cells[0], total) for cells, total in relations if len(cells) == 1]
    copies = [(a, b) for a, b in copies if a in values and values.get(b) == values[a]]
    status = protect_cells(values, relations, k, copies, _ties(values))
    for g in _groups(original):
        _suppress_group_estimates(original, safe, g, status, k)
    for cell, how in status.items():
        path: Path = tuple(cell)  # type: ignore[arg-type]
        # Curves were already cut where fewer than k remain at risk (list indices moved).
        if not any(isinstance(p, int) for p in path):
            _set(safe, path, f"<{k}" if how == PRIMARY else None)
    for path, value in list(count_cells(safe)):  # belt and braces: nothing small survives
        if is_small(value, k):
            _set(safe, path, f"<{k}")
    safe["disclosure"] = {"k": k, "suppressed_counts": len(status)}
    return safe


def _hidden(status: Mapping[Hashable, str], path: Path) -> bool:
    return path in status


def _safe_curve(
    points: list[dict[str, Any]], base: Path, status: Mapping[Hashable, str], k: int
) -> list[dict[str, Any]]:
    """The curve up to where fewer than k remain at risk; a hidden number at risk is null."""
    out = []
    for i, point in enumerate(points):
        if point["at_risk"] < k:
            break
        shown = dict(point)
        if _hidden(status, (*base, i, "at_risk")):
            shown["at_risk"] = None
        out.append(shown)
    return out


def _suppress_group_estimates(
    original: dict[str, Any],
    safe: dict[str, Any],
    g: Path,
    status: Mapping[Hashable, str],
    k: int,
) -> None:
    """Estimates and curves by the actual number of units (never by a hidden count's status)."""
    group, out = _get(original, g), _get(safe, g)
    small_group = group.get("placements", 0) < k
    for key in ("retention", "sustained"):
        for h, est in group.get(key, {}).items():
            out[key][h] = _nulled(est) if small_group else dict(est)
    for key in ("curve", "sustained_curve"):
        points = group.get(key, [])
        out[key] = [] if small_group else _safe_curve(points, (*g, key), status, k)
    if small_group:
        out["median_days"] = out["sustained_median_days"] = None
        out["curves_suppressed"] = True
    for f, factor in group.get("factors", {}).items():
        for lv, level in factor["levels"].items():
            target = out["factors"][f]["levels"][lv]
            if level["n"] < k:
                target["retention"] = {h: _nulled(e) for h, e in level["retention"].items()}
                if "curve" in level:
                    target["curve"] = []
            elif "curve" in level:
                base = (*g, "factors", f, "levels", lv, "curve")
                target["curve"] = _safe_curve(level["curve"], base, status, k)
        if small_group:
            out["factors"][f]["logrank"] = _nulled_test(factor["logrank"])
    if small_group and "cox" in group:
        out["cox"] = {"fitted": False, "reason": f"fewer than {k} placements"}
    _suppress_shares(group, out, g, status, k)


def _nulled_test(test: dict[str, Any]) -> dict[str, Any]:
    return {"statistic": None, "df": None, "p": None, "suppressed": True}


def _share_hidden(
    status: Mapping[Hashable, str], num: Path, den: Path, den_value: Any, k: int
) -> bool:
    small = not isinstance(den_value, int) or den_value < k
    return small or _hidden(status, num) or _hidden(status, den)


def _suppress_shares(
    group: dict[str, Any], out: dict[str, Any], g: Path, status: Mapping[Hashable, str], k: int
) -> None:
    """Means over < k respondents; proportions whose numerator or denominator is hidden."""
    for item, waves in group.get("trajectories", {}).items():
        for w, row in waves.items():
            if row["n"] < k:
                out["trajectories"][item][w] = _nulled(row)
    risk = group.get("monitoring", {}).get("risk_oranje_rood", {})
    for w, row in risk.items():
        base = (*g, "monitoring", "risk_oranje_rood", w)
        if _share_hidden(status, (*base, "high"), (*base, "n"), row["n"], k):
            out["monitoring"]["risk_oranje_rood"][w] = _nulled(row)
    for w, row in group.get("measures", {}).items():
        for m, cell in row.items():
            if isinstance(cell, dict):
                base = (*g, "measures", w, m)
                if _share_hidden(status, (*base, "yes"), (*base, "n"), cell["n"], k):
                    out["measures"][w][m] = _nulled(cell)
    for inst, rows in group.get("response", {}).get("detail", {}).items():
        for w, row in rows.items():
            base = (*g, "response", "detail", inst, w)
            if row["rate"] is not None and _share_hidden(
                status, (*base, "respondents"), (*base, "eligible"), row["eligible"], k
            ):
                out["response"]["detail"][inst][w] = _nulled(row)
                out["response"][inst][w] = None
