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

A proportion is hidden as well when its numerator or denominator is suppressed, since the pair
(proportion, visible count) would give the hidden count back.
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
    values: Mapping[Hashable, int], relations: Iterable[Relation], k: int
) -> dict[Hashable, str]:
    """Which cells to suppress: {cell: "primary" | "secondary"}.

    `relations` are additive equations between cells (totals are cells too). Iterates until no
    primary cell can be solved from the visible cells by chaining single-unknown equations.
    """
    equations = [[*cells, total] for cells, total in relations]
    status: dict[Hashable, str] = {c: PRIMARY for c, v in values.items() if is_small(v, k)}
    while True:
        exposed = _first_exposed(values, equations, status)
        if exposed is None:
            return status
        cell, solved_by = exposed
        status[_complement(values, cell, solved_by, status)] = SECONDARY


Equation = list[Hashable]  # members; the last one is the total


def _first_exposed(
    values: Mapping[Hashable, int], equations: list[Equation], status: Mapping[Hashable, str]
) -> tuple[Hashable, dict[Hashable, Equation]] | None:
    """A primary cell solvable from the visible cells, with the equation that solved each cell."""
    solved_by: dict[Hashable, Equation] = {}
    known = {c for c in values if c not in status}
    progress = True
    while progress:
        progress = False
        for eq in equations:
            unknown = [c for c in eq if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                solved_by[unknown[0]] = eq
                progress = True
                if status.get(unknown[0]) == PRIMARY:
                    return unknown[0], solved_by
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


def apply_safe(metrics: dict[str, Any], k: int | None = None) -> dict[str, Any]:
    """The metrics as they may leave the research team (`dwt metrics --safe`)."""
    from dwt.analytics.metrics import jsonable

    k = default_k() if k is None else k
    original: dict[str, Any] = jsonable(metrics)
    safe = copy.deepcopy(original)
    values: dict[Hashable, int] = dict(count_cells(original))
    relations = [rel for g in _groups(original) for rel in _group_relations(original, g)]
    relations += _pooled_relations(original, values)
    status = protect_cells(values, relations, k)
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


def _suppress_group_estimates(
    original: dict[str, Any],
    safe: dict[str, Any],
    g: Path,
    status: Mapping[Hashable, str],
    k: int,
) -> None:
    group, out = _get(original, g), _get(safe, g)
    n = group.get("placements", 0)
    small_group = n < k or _hidden(status, (*g, "placements"))
    for key in ("retention", "sustained"):
        for h, est in group.get(key, {}).items():
            out[key][h] = _nulled(est) if small_group else dict(est)
    for key in ("curve", "sustained_curve"):
        out[key] = [] if small_group else [p for p in group.get(key, []) if p["at_risk"] >= k]
    if small_group:
        out["median_days"] = out["sustained_median_days"] = None
        out["curves_suppressed"] = True
    for f, factor in group.get("factors", {}).items():
        for lv, level in factor["levels"].items():
            path = (*g, "factors", f, "levels", lv, "n")
            if level["n"] < k or _hidden(status, path) or small_group:
                target = out["factors"][f]["levels"][lv]["retention"]
                for h, est in level["retention"].items():
                    target[h] = _nulled(est)
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
