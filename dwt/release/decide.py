"""One release, one decision: every outward count and estimate of a snapshot, decided together.

`decide(metrics, tables, rounding)` takes the exact figures (`analytics.metrics`) and the reports'
exact side tables and returns the `Release`: the tree every outward output reads (`safe`, the
shape of the metrics with a `tables` branch and a `disclosure` block), the attacker's view of it
(`published`) and its verdict. The rules (docs/DISCLOSURE.md):

1. every count of the registry is shown as "<t" when it is 1..t-1, else rounded on its own (a
   total is never summed from rounded cells);
2. a group's (or factor level's) curves and survival estimates come from its rounded risk table
   (`curves`) and are shown only when the group holds at least t placements; a curve stops before
   the first month with fewer than t at risk; an estimate at a horizon beyond it is not shown;
3. a share (response, measures, risk) is computed from the rounded numerator and denominator and
   shown when the denominator is at least t (under rounding `none`, also not when the numerator or
   its complement is 1..t-1); a mean over fewer than t answers is not shown, others are shown to
   one decimal (a mean to six decimals is a fraction that gives its count back);
4. a log-rank p is shown when every level with placements has at least t placements and t
   events; a Cox hazard ratio when its level and the reference level both have; p-values to three
   decimals, hazard ratios to two;
5. the attacker (`attack`) bounds every suppressed count over the whole release; while one is
   pinned to fewer than k values, the smallest shown count of a relation holding it is hidden
   too (secondary suppression), and the attack runs again.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dwt.release import curves as cv
from dwt.release.attack import Published, PublishedCurve, Verdict, attack
from dwt.release.registry import Path, Registry, build, groups
from dwt.release.rounding import Rounding

Shown = int | str | None
MAX_ROUNDS = 30
ESTIMATE_KEYS = ("estimate", "ci_low", "ci_high", "mean", "share", "rate", "survival", "at_risk")


@dataclass
class Release:
    rounding: Rounding
    registry: Registry
    shown: dict[Path, Shown]
    safe: dict[str, Any]
    published: Published
    verdict: Verdict | None

    @property
    def primary(self) -> int:
        return sum(1 for v in self.shown.values() if isinstance(v, str))

    @property
    def secondary(self) -> int:
        return sum(1 for v in self.shown.values() if v is None)

    @property
    def rounded(self) -> int:
        return sum(1 for v in self.shown.values() if isinstance(v, int))


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: Any, path: Path, value: Any) -> None:
    _get(tree, path[:-1])[path[-1]] = value


def nulled(block: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: (None if key in ESTIMATE_KEYS else value) for key, value in block.items()}
    out["suppressed"] = True
    return out


def decide(
    metrics: Mapping[str, Any],
    tables: Mapping[str, Any] | None,
    rounding: Rounding,
    run_attacker: bool = True,
) -> Release:
    """The release of these figures: decided, then attacked until no suppressed count falls."""
    from dwt.analytics.metrics import jsonable
    from dwt.schema import load_study

    exact: dict[str, Any] = jsonable(dict(metrics))
    for g in groups(exact.get("interviews") or {}):  # double coding: the research team's only
        _get(exact["interviews"], g).pop("double_coding", None)
    side = jsonable(dict(tables or {}))
    reg = build(exact, side)
    month = load_study().month_days
    shown: dict[Path, Shown] = {p: rounding.shown(v) for p, v in reg.values.items()}
    withheld: set[Path] = set()  # factor levels whose count (and so curve) had to be hidden
    safe, published_curves = _estimates(exact, reg, rounding, month, withheld)
    copies = _copy_classes(reg)
    verdict = None
    attacked: dict[Any, Any] = {}  # components already attacked, by their problem (attack's cache)
    for _ in range(MAX_ROUNDS):
        published = _published(reg, shown, rounding, published_curves)
        if not run_attacker:
            break
        verdict = attack(published, cache=attacked)
        if verdict.passed:
            break
        changed = False
        withheld_before = len(withheld)
        curve_counts = {c.n for c in published_curves}
        level_counts = {c.n for c in published_curves if c.level is not None}
        for finding in verdict.failures:
            cell = _complement(reg, shown, finding.path, curve_counts, level_counts)
            if cell is not None:
                for member in copies.get(cell, {cell}):
                    shown[member] = None
                    if member in level_counts:
                        withheld.add(member)
                changed = True
        if not changed:
            break
        if len(withheld) > withheld_before:  # a level lost its curve: rebuild the estimates
            safe, published_curves = _estimates(exact, reg, rounding, month, withheld)
    release = Release(rounding, reg, shown, _apply(safe, side, shown), published, verdict)
    release.safe["disclosure"] = {
        "k": rounding.k,
        "rounding": rounding.rule,
        "threshold": rounding.threshold,
        "suppressed_counts": release.primary,
        "hidden_counts": release.secondary,
        "rounded_counts": release.rounded,
        "attacker": verdict.summary() if verdict is not None else None,
        # what `dwt release check` needs to read the published tree back as the attacker does
        "hidden": sorted(list(p) for p, v in shown.items() if v is None),
        "relations_not_holding": sorted(reg.dropped),
    }
    return release


# ---------------------------------------------------------------- estimates and curves


def _estimates(
    exact: dict[str, Any], reg: Registry, r: Rounding, month: float, withheld: set[Path]
) -> tuple[dict[str, Any], list[PublishedCurve]]:
    """The tree with every estimate decided and every curve rebuilt from its rounded table.
    A factor level in `withheld` (its count hidden to protect another) shows no curve either:
    the curve's first number at risk would give the count back."""
    safe = copy.deepcopy(exact)
    t = r.threshold
    published: list[PublishedCurve] = []
    for curve in reg.curves:
        n = reg.values.get(curve.n, 0)
        points = _get(exact, curve.path) if _has(exact, curve.path) else []
        owner = _get(safe, curve.path[:-1])
        horizons_key = curve.outcome if curve.level is None else "retention"
        if n < t or not points or curve.n in withheld:
            owner[curve.path[-1]] = []
            for h, est in (owner.get(horizons_key) or {}).items():
                owner[horizons_key][h] = nulled(est)
            if curve.level is None:
                median = "median_days" if curve.outcome == "retention" else "sustained_median_days"
                owner[median] = None
                owner["curves_suppressed"] = True
            continue
        table = cv.rounded_table(cv.risk_table(points, month), r)
        full = cv.km_points(table, month)
        shown = cv.visible(full, t)
        owner[curve.path[-1]] = shown
        for h in owner.get(horizons_key) or {}:
            block = cv.horizon(table, full, int(h))
            if int(h) >= len(shown):
                block = {**nulled(block), "at_risk": block["at_risk"]}
            block["at_risk"] = _derived(block["at_risk"], r)
            owner[horizons_key][h] = block
        if curve.level is None:
            median = "median_days" if curve.outcome == "retention" else "sustained_median_days"
            owner[median] = cv.median_days(shown)
        published.append(PublishedCurve(curve.path, curve.n, curve.group, curve.outcome,
                                        curve.level, tuple(shown)))  # fmt: skip
    for g in groups(exact):
        _tests(exact, safe, g, reg, r, month)
        _means_and_shares(exact, safe, g, reg, r)
    for g in groups(exact.get("interviews") or {}):
        _interview_estimates(_get(exact["interviews"], g), _get(safe["interviews"], g), r, month)
    return safe, published


def _interview_estimates(exact: Mapping[str, Any], safe: dict[str, Any], r: Rounding,
                         month: float) -> None:  # fmt: skip
    """Shares from rounded counts; a factor's log-rank test only where both of its groups have
    at least t placements and t events (the rule of the factor levels' tests)."""
    employers = exact["factors"]["employers"]
    for f, row in exact["factors"]["by_factor"].items():
        for v in ("bevorderend", "belemmerend"):
            safe["factors"]["by_factor"][f][f"share_{v}"] = _share(row[v], employers, r)
    for f, block in exact["durability"].items():
        ok = all(
            block[name]["placements"] >= r.threshold
            and bool(block[name]["curve"])
            and cv.risk_table(block[name]["curve"], month).events[-1] >= r.threshold
            for name in ("named", "not_named")
        )
        safe["durability"][f]["logrank"] = _shown_test(block["logrank"], ok)


def _shown_test(test: Mapping[str, Any], allowed: bool) -> dict[str, Any]:
    """A log-rank test as published: p to 3 decimals and the statistic to 2 where the group
    sizes allow it (`allowed`) and a p exists, else suppressed."""
    if not allowed or test.get("p") is None:
        return {"statistic": None, "df": None, "p": None, "suppressed": True}
    shown = dict(test)
    shown["p"] = round(float(test["p"]), 3)
    if test.get("statistic") is not None:
        shown["statistic"] = round(float(test["statistic"]), 2)
    return shown


def _has(tree: Any, path: Path) -> bool:
    try:
        _get(tree, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _derived(value: int, r: Rounding) -> int | str:
    """A number at risk computed from rounded counts: shown unless it is 1..t-1."""
    return f"<{r.threshold}" if 1 <= value < r.threshold else value


def _level_ok(exact_group: Mapping[str, Any], factor: str, level: str, r: Rounding,
              month: float) -> bool:  # fmt: skip
    """At least t placements and t events in this level (the rule for tests and models)."""
    lv = exact_group["factors"][factor]["levels"].get(level)
    if lv is None or lv["n"] < r.threshold or not lv.get("curve"):
        return False
    return cv.risk_table(lv["curve"], month).events[-1] >= r.threshold


def _tests(exact: dict[str, Any], safe: dict[str, Any], g: Path, reg: Registry, r: Rounding,
           month: float) -> None:  # fmt: skip
    group, out = _get(exact, g), _get(safe, g)
    for f, factor in (group.get("factors") or {}).items():
        present = [lv for lv, level in factor["levels"].items() if level["n"] > 0]
        allowed = bool(present) and all(_level_ok(group, f, lv, r, month) for lv in present)
        out["factors"][f]["logrank"] = _shown_test(factor["logrank"], allowed)
    cox = group.get("cox") or {}
    if not cox.get("fitted"):
        return
    if group["placements"] < r.threshold:
        out["cox"] = {"fitted": False, "n": cox.get("n"), "events": cox.get("events"),
                      "reason": "too few placements"}  # fmt: skip
        return
    terms = {}
    hidden = 0
    for term, hr in cox["hazard_ratios"].items():
        factor, _, level = term.partition("=")
        ref = cox["reference"].get(factor, "")
        if _level_ok(group, factor, level, r, month) and _level_ok(group, factor, ref, r, month):
            terms[term] = {
                "hr": round(hr["hr"], 2),
                "ci_low": round(hr["ci_low"], 2),
                "ci_high": round(hr["ci_high"], 2),
                "p": None if hr.get("p") is None else round(hr["p"], 3),
            }
        else:
            hidden += 1
    out["cox"]["hazard_ratios"] = terms
    out["cox"]["suppressed_terms"] = hidden
    if out["cox"].get("concordance") is not None:
        out["cox"]["concordance"] = round(out["cox"]["concordance"], 2)


def _share(num: int | None, den: int | None, r: Rounding) -> float | None:
    """A proportion from the rounded counts, or None when it may not be shown."""
    if num is None or den is None or den < r.threshold:
        return None
    if r.rule == "none" and (r.is_small(num) or r.is_small(den - num)):
        return None
    rd = r.internal(den)
    return round(r.internal(num) / rd, 6) if rd else None


def _means_and_shares(exact: dict[str, Any], safe: dict[str, Any], g: Path, reg: Registry,
                      r: Rounding) -> None:  # fmt: skip
    group, out = _get(exact, g), _get(safe, g)
    for item, waves in (group.get("trajectories") or {}).items():
        for w, row in waves.items():
            if row["n"] < r.threshold:
                out["trajectories"][item][w] = nulled(row)
            else:
                out["trajectories"][item][w] = {
                    key: (round(v, 1) if key in ("mean", "ci_low", "ci_high") and v is not None
                          else v)
                    for key, v in row.items()
                }  # fmt: skip
    mon = group.get("monitoring") or {}
    for w, row in (mon.get("risk_oranje_rood") or {}).items():
        share = _share(row["high"], row["n"], r)
        target = out["monitoring"]["risk_oranje_rood"][w]
        target["share"] = share
        if share is None:
            target["suppressed"] = True
    for w, row in (group.get("measures") or {}).items():
        for m, cell in row.items():
            if isinstance(cell, dict):
                share = _share(cell["yes"], cell["n"], r)
                out["measures"][w][m]["share"] = share
                if share is None:
                    out["measures"][w][m]["suppressed"] = True
    response = group.get("response") or {}
    for inst, rows in (response.get("detail") or {}).items():
        for w, row in rows.items():
            rate = (
                _share(row.get("respondents"), row.get("eligible"), r) if row["delivered"] else None
            )
            out["response"]["detail"][inst][w]["rate"] = rate
            out["response"][inst][w] = rate


# ---------------------------------------------------------------- counts and the attacker


def _copy_classes(reg: Registry) -> dict[Path, set[Path]]:
    """Cells holding one logical count: one decision for all of them."""
    classes: dict[Path, set[Path]] = {}
    for a, b in reg.copies:
        merged = classes.get(a, {a}) | classes.get(b, {b})
        for member in merged:
            classes[member] = merged
    return classes


def _complement(reg: Registry, shown: Mapping[Path, Shown], cell: Path, curve_counts: set[Path],
                level_counts: set[Path]) -> Path | None:  # fmt: skip
    """The count to hide so that `cell` is no longer pinned: the smallest non-zero shown count of
    a relation holding it; when all of them are "<t" already, the relation's total (a total of
    small cells pins them: five regions "<7" under an "all" of "<7" are 1 or 2 each). A curve's
    own count stays: its curve shows it anyway."""
    members: list[Path] = []
    totals: list[Path] = []
    for parts, total in reg.sums:
        if cell in (*parts, total):
            members += [*parts, total]
            totals.append(total)
    for a, b in reg.at_most:
        if cell in (a, b):
            members += [a, b]
    members = [m for m in members if m not in curve_counts and m != cell]
    shown_counts = [m for m in members if isinstance(shown.get(m), int) and shown[m] != 0]
    if shown_counts:
        return min(shown_counts, key=lambda c: (reg.values[c], c in totals, "/".join(c)))
    small_totals = [m for m in totals if isinstance(shown.get(m), str) and m not in curve_counts]
    if small_totals:
        return min(small_totals, key=lambda c: "/".join(c))
    # Last resort: a factor level's count with its curve and estimates (pooled levels first).
    levels: list[Path] = []
    for parts, total in reg.sums:
        if cell in (*parts, total):
            levels += [m for m in (*parts, total) if m in level_counts and m != cell
                       and isinstance(shown.get(m), int)]  # fmt: skip
    if levels:
        return min(levels, key=lambda c: (c[0] != "all", reg.values[c], "/".join(c)))
    return None


def published_from_tree(tree: Mapping[str, Any]) -> Published:
    """A published release tree (the safe JSON) read back as the attacker reads it."""
    disclosure = tree["disclosure"]
    r = Rounding(str(disclosure["rounding"]), int(disclosure["k"]))
    reg = build(tree, tree.get("tables"), shown=disclosure)
    curves = []
    for curve in reg.curves:
        points = _get(tree, curve.path) if _has(tree, curve.path) else []
        if points:
            curves.append(PublishedCurve(curve.path, curve.n, curve.group, curve.outcome,
                                         curve.level, tuple(points)))  # fmt: skip
    return _published(reg, dict(reg.values), r, curves)


def _published(reg: Registry, shown: Mapping[Path, Shown], r: Rounding,
               published_curves: list[PublishedCurve]) -> Published:  # fmt: skip
    return Published(
        rounding=r,
        cells=dict(shown),
        sums=list(reg.sums),
        copies=list(reg.copies),
        at_most=list(reg.at_most),
        curves=list(published_curves),
    )


def _apply(
    safe: dict[str, Any], side: Mapping[str, Any], shown: Mapping[Path, Shown]
) -> dict[str, Any]:
    tree = safe
    tree["tables"] = copy.deepcopy(dict(side))
    for path, value in shown.items():
        _set(tree, path, value)
    return tree
