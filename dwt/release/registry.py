"""The typed contract of what one release publishes: cells, and the relations between them.

A release (docs/DISCLOSURE.md) is every outward output of one snapshot. Its numbers are read from
one tree: the figures of `analytics.metrics` (per region and "all") plus the report's side tables
(`tables`: gender counts, the data-quality appendix). This module names every count of that tree
once — what it counts (its unit), its group, its kind — and every relation that holds between
counts, so that suppression, rounding, the attacker, the reports and the employer summaries read
one list. A new figure is added here (and `tests/unit/release/test_registry.py` fails until it is:
every integer of the metrics is either a registered count or a declared non-count).

Relations are candidates checked against the exact values: a relation that does not hold on this
data (say gender with missing values beside the placements) is dropped, since the attacker must
start from a feasible point. Kinds: `count` (an integer that is suppressed/rounded), `estimate`
(a survival, mean or share), `interval` (its 95% bounds), `p-value`. Estimates are registered with
the count that decides whether they may be shown (`basis`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str, ...]

# Integers in the metrics that are not counts of people, placements, contacts or rows.
NOT_COUNTS = frozenset({"df", "reference_wave", "employers_target", "participants_target"})
# Counts that the outward figures derive from a rounded risk table (never shown exactly).
DERIVED = frozenset({"at_risk"})


@dataclass(frozen=True)
class Cell:
    """One published count."""

    path: Path
    unit: str  # placements, persons, employers, contacts, signals, respondents, events, rows
    what: str
    group: str  # region code, or "all"
    kind: str = "count"


@dataclass(frozen=True)
class Estimate:
    """One published estimate block (estimate + interval) and the count deciding it is shown."""

    path: Path
    kind: str  # survival, mean, share, p-value, hazard-ratio
    basis: Path | None


@dataclass(frozen=True)
class Curve:
    """A published survival curve: its exact monthly risk table comes from `points`."""

    path: Path  # where its points are in the tree
    n: Path  # the count cell of its group (placements, or a factor level's n)
    group: Path  # ("regions", r) or ("all",)
    outcome: str  # "retention" or "sustained"
    level: tuple[str, str] | None = None  # (factor, level) for a factor level's curve


@dataclass
class Registry:
    cells: dict[Path, Cell] = field(default_factory=dict)
    values: dict[Path, Any] = field(default_factory=dict)  # exact ints (or shown values)
    sums: list[tuple[tuple[Path, ...], Path]] = field(default_factory=list)
    copies: list[tuple[Path, Path]] = field(default_factory=list)
    at_most: list[tuple[Path, Path]] = field(default_factory=list)  # value(a) <= value(b)
    estimates: list[Estimate] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # candidate relations that did not hold
    # Structural mode (`dwt release check`): the tree holds shown values, not exact ones; a
    # relation is taken unless the release listed it as not holding, a null is a cell only when
    # the release listed it as hidden (else it is "not delivered").
    exact: bool = True
    hidden: frozenset[Path] = frozenset()
    not_holding: frozenset[str] = frozenset()

    def add(self, path: Path, value: Any, unit: str, what: str) -> None:
        if isinstance(value, bool):
            return
        if self.exact and not isinstance(value, int):
            return  # not delivered (None), nothing to publish
        if not self.exact and not (
            isinstance(value, int | str) or (value is None and path in self.hidden)
        ):
            return
        self.cells[path] = Cell(path, unit, what, _group_of(path))
        self.values[path] = value

    def _holds(self, total: Any, parts: Sequence[Any], name: str) -> bool:
        if not self.exact:
            return name not in self.not_holding
        if sum(parts) != total:
            self.dropped.append(name)
            return False
        return True

    def relate_sum(self, parts: Sequence[Path], total: Path, name: str) -> None:
        parts = [p for p in parts if p in self.values]
        if total not in self.values or not parts:
            return
        if not self._holds(self.values[total], [self.values[p] for p in parts], name):
            return
        if len(parts) == 1:
            self.copies.append((parts[0], total))
        else:
            self.sums.append((tuple(parts), total))

    def relate_copy(self, a: Path, b: Path, name: str) -> None:
        both = a in self.values and b in self.values
        if both and self._holds(self.values[a], [self.values[b]], name):
            self.copies.append((a, b))

    def relate_at_most(self, a: Path, b: Path) -> None:
        if a not in self.values or b not in self.values:
            return
        if not self.exact or self.values[a] <= self.values[b]:
            self.at_most.append((a, b))


def _group_of(path: Path) -> str:
    if path[0] == "interviews":
        path = path[1:]
    if path[0] == "regions":
        return path[1]
    if path[0] == "tables":
        return path[2]
    return "all"


def groups(metrics: Mapping[str, Any]) -> list[Path]:
    return [("regions", r) for r in metrics.get("regions", {})] + (
        [("all",)] if "all" in metrics else []
    )


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


# ---------------------------------------------------------------- the metrics' cells


def _group_cells(reg: Registry, metrics: Mapping[str, Any], g: Path) -> None:
    group = _get(metrics, g)
    reg.add((*g, "placements"), group.get("placements"), "placements", "placements")
    reg.add((*g, "participants"), group.get("participants"), "persons", "participants")
    reg.add((*g, "employers"), group.get("employers"), "employers", "employers")
    for outcome in ("retention", "sustained"):
        reg.add((*g, "events", outcome), group["events"][outcome], "events", f"{outcome} events")
    for key in ("retention", "sustained"):
        curve_key = "curve" if key == "retention" else "sustained_curve"
        reg.curves.append(Curve((*g, curve_key), (*g, "placements"), g, key))
        for h in group.get(key, {}):
            reg.estimates.append(Estimate((*g, key, h), "survival", (*g, "placements")))
    _factor_cells(reg, group, g)
    cox = group.get("cox") or {}
    reg.add((*g, "cox", "n"), cox.get("n"), "placements", "Cox model complete cases")
    reg.add((*g, "cox", "events"), cox.get("events"), "events", "Cox model events")
    reg.relate_at_most((*g, "cox", "n"), (*g, "placements"))
    reg.relate_at_most((*g, "cox", "events"), (*g, "events", "retention"))
    for term in cox.get("hazard_ratios") or {}:
        reg.estimates.append(Estimate((*g, "cox", "hazard_ratios", term), "hazard-ratio", None))
    for item, waves in (group.get("trajectories") or {}).items():
        for w, row in waves.items():
            path = (*g, "trajectories", item, w, "n")
            reg.add(path, row.get("n"), "respondents", f"{item} answers, wave {w}")
            reg.estimates.append(Estimate((*g, "trajectories", item, w), "mean", path))
    _monitoring_cells(reg, group, g)
    _measure_cells(reg, group, g)
    _response_cells(reg, group, g)
    rec = group.get("recruitment") or {}
    for key in ("employers", "participants"):
        if key in rec:
            unit = "employers" if key == "employers" else "persons"
            reg.add((*g, "recruitment", key), rec[key], unit, f"recruitment {key}")
            reg.relate_copy((*g, "recruitment", key), (*g, key), f"recruitment {key}")


def _factor_cells(reg: Registry, group: Mapping[str, Any], g: Path) -> None:
    for f, factor in (group.get("factors") or {}).items():
        base = (*g, "factors", f)
        for lv, level in factor["levels"].items():
            n = (*base, "levels", lv, "n")
            reg.add(n, level["n"], "placements", f"placements with {f} = {lv}")
            reg.curves.append(Curve((*base, "levels", lv, "curve"), n, g, "retention", (f, lv)))
            for h in level.get("retention", {}):
                reg.estimates.append(Estimate((*base, "levels", lv, "retention", h), "survival", n))
        reg.add((*base, "n_missing"), factor["n_missing"], "placements", f"{f} not filled in")
        levels = [(*base, "levels", lv, "n") for lv in factor["levels"]]
        reg.relate_sum([*levels, (*base, "n_missing")], (*g, "placements"), f"levels of {f}")
        reg.estimates.append(Estimate((*base, "logrank"), "p-value", None))


def _monitoring_cells(reg: Registry, group: Mapping[str, Any], g: Path) -> None:
    mon = group.get("monitoring") or {}
    base = (*g, "monitoring")
    for w, row in (mon.get("contacts") or {}).items():
        for t, n in row.items():
            reg.add((*base, "contacts", w, t), n, "contacts", f"contacts {t}, wave {w}")
        parts = [(*base, "contacts", w, t) for t in row if t != "total"]
        reg.relate_sum(parts, (*base, "contacts", w, "total"), f"contact types {w}")
    for w, row in (mon.get("risk_oranje_rood") or {}).items():
        reg.add((*base, "risk_oranje_rood", w, "n"), row["n"], "contacts", f"contacts {w}")
        reg.add((*base, "risk_oranje_rood", w, "high"), row["high"], "contacts", f"risk {w}")
        reg.relate_copy((*base, "risk_oranje_rood", w, "n"), (*base, "contacts", w, "total"),
                        f"risk n {w}")  # fmt: skip
        reg.relate_at_most(
            (*base, "risk_oranje_rood", w, "high"), (*base, "risk_oranje_rood", w, "n")
        )
        reg.estimates.append(
            Estimate((*base, "risk_oranje_rood", w), "share", (*base, "risk_oranje_rood", w, "n"))
        )
    signals = mon.get("signals") or {}
    for w, row in (signals.get("by_wave") or {}).items():
        for s, n in row.items():
            reg.add((*base, "signals", "by_wave", w, s), n, "signals", f"signal {s}, wave {w}")
    for s, n in (signals.get("total") or {}).items():
        reg.add((*base, "signals", "total", s), n, "signals", f"signal {s}")
        parts = [(*base, "signals", "by_wave", w, s) for w in signals.get("by_wave", {})]
        reg.relate_sum(parts, (*base, "signals", "total", s), f"signal {s} over waves")


def _measure_cells(reg: Registry, group: Mapping[str, Any], g: Path) -> None:
    for w, row in (group.get("measures") or {}).items():
        base = (*g, "measures", w)
        reg.add((*base, "respondents"), row.get("respondents"), "employers", f"employers {w}")
        for m, cell in row.items():
            if isinstance(cell, dict):
                reg.add((*base, m, "n"), cell["n"], "employers", f"{m} answered, {w}")
                reg.add((*base, m, "yes"), cell["yes"], "employers", f"{m} yes, {w}")
                reg.relate_at_most((*base, m, "yes"), (*base, m, "n"))
                reg.relate_at_most((*base, m, "n"), (*base, "respondents"))
                reg.estimates.append(Estimate((*base, m), "share", (*base, m, "n")))


def _response_cells(reg: Registry, group: Mapping[str, Any], g: Path) -> None:
    detail = (group.get("response") or {}).get("detail") or {}
    for inst, rows in detail.items():
        unit = "persons" if inst == "employee_survey" else "employers"
        for w, row in rows.items():
            base = (*g, "response", "detail", inst, w)
            reg.add((*base, "respondents"), row.get("respondents"), unit, f"{inst} respondents {w}")
            reg.add((*base, "eligible"), row.get("eligible"), unit, f"{inst} eligible {w}")
            reg.relate_at_most((*base, "eligible"), (*g, "participants" if unit == "persons"
                               else "employers"))  # fmt: skip
            reg.estimates.append(Estimate(base, "share", (*base, "eligible")))
        if inst == "employer_survey":
            for w in rows:
                reg.relate_copy((*g, "measures", w, "respondents"),
                                (*g, "response", "detail", inst, w, "respondents"),
                                f"employer respondents {w}")  # fmt: skip


def _pooled(reg: Registry, metrics: Mapping[str, Any], prefix: Path = ()) -> None:
    """'all' is the sum of the regions, for every count where that holds (checked)."""
    regions = list(metrics.get("regions", {}))
    n = len(prefix)
    for path in [p for p in reg.values if p[:n] == prefix and p[n : n + 1] == ("all",)]:
        parts = [(*prefix, "regions", r, *path[n + 1 :]) for r in regions]
        reg.relate_sum([p for p in parts if p in reg.values], path, "pooled " + "/".join(path))


# ---------------------------------------------------------------- the interview figures


def _interview_cells(reg: Registry, block: Mapping[str, Any]) -> None:
    """The interview figures of one group (`dwt.analytics.interviews`; the double-coding block
    is the research team's and never in a release)."""
    for g in groups(block):
        ig: Path = ("interviews", *g)
        group = _get(block, g)
        docs = group["documents"]
        types = [t for t in docs["total"] if t != "total"]
        for w, row in docs["by_wave"].items():
            base = (*ig, "documents", "by_wave", w)
            for t in [*types, "total"]:
                reg.add((*base, t), row[t], "documents", f"{t} documents, wave {w}")
            reg.relate_sum([(*base, t) for t in types], (*base, "total"), f"documents {w}")
        for t in [*types, "total"]:
            path = (*ig, "documents", "total", t)
            reg.add(path, docs["total"][t], "documents", f"{t} documents")
            waves = [(*ig, "documents", "by_wave", w, t) for w in docs["by_wave"]]
            reg.relate_sum(waves, path, f"{t} documents over waves")
        reg.relate_sum([(*ig, "documents", "total", t) for t in types],
                       (*ig, "documents", "total", "total"), "documents of every type")  # fmt: skip
        reg.add((*ig, "documents", "employers"), docs["employers"], "employers",
                "employers with a document")  # fmt: skip
        coded = (*ig, "factors", "employers")
        reg.add(coded, group["factors"]["employers"], "employers", "employers with coded documents")
        reg.relate_at_most(coded, (*ig, "documents", "employers"))
        for f, row in group["factors"]["by_factor"].items():
            base = (*ig, "factors", "by_factor", f)
            for v in ("bevorderend", "belemmerend", "both"):
                reg.add((*base, v), row[v], "employers", f"employers naming {f} {v}")
            for v in ("bevorderend", "belemmerend"):
                reg.relate_at_most((*base, "both"), (*base, v))
                reg.relate_at_most((*base, v), coded)
                reg.estimates.append(Estimate((*base, f"share_{v}"), "share", coded))
        placements = (*ig, "coded_placements")
        reg.add(
            placements, group["coded_placements"], "placements", "placements at coded employers"
        )
        reg.relate_at_most(placements, (*g, "placements"))
        for f, row in group["durability"].items():
            base = (*ig, "durability", f)
            ns = []
            for name in ("named", "not_named"):
                n = (*base, name, "placements")
                ns.append(n)
                reg.add(n, row[name]["placements"], "placements", f"placements, {f} {name}")
                reg.add((*base, name, "events"), row[name]["events"], "events",
                        f"events, {f} {name}")  # fmt: skip
                reg.relate_at_most((*base, name, "events"), n)
                reg.curves.append(Curve((*base, name, "curve"), n, (*base, name), "retention"))
                for h in row[name]["retention"]:
                    reg.estimates.append(Estimate((*base, name, "retention", h), "survival", n))
            reg.relate_sum(ns, placements, f"placements named or not, {f}")
            reg.estimates.append(Estimate((*base, "logrank"), "p-value", None))


# ---------------------------------------------------------------- the side tables


def _table_cells(reg: Registry, tables: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
    gender = tables.get("gender") or {}
    for grp, counts in gender.items():
        for code, n in counts.items():
            reg.add(("tables", "gender", grp, code), n, "placements", f"gender {code}")
        total = ("regions", grp, "placements") if grp != "all" else ("all", "placements")
        parts = [("tables", "gender", grp, c) for c in counts]
        reg.relate_sum(parts, total, f"gender of {grp}")
    regions = [g for g in gender if g != "all"]
    for code in gender.get("all", {}):
        parts = [("tables", "gender", r, code) for r in regions]
        reg.relate_sum(parts, ("tables", "gender", "all", code), f"gender {code} pooled")
    quality = tables.get("quality") or {}
    for grp, q in quality.items():
        for slot, row in (q.get("files") or {}).items():
            base = ("tables", "quality", grp, "files", slot)
            reg.add((*base, "delivered"), row.get("delivered"), "rows", f"rows delivered {slot}")
            reg.add((*base, "quarantined"), row.get("quarantined"), "rows", f"quarantined {slot}")
            reg.relate_at_most((*base, "quarantined"), (*base, "delivered"))
            _curated_relation(reg, metrics, grp, slot, base)
        for reason, n in (q.get("reasons") or {}).items():
            reg.add(("tables", "quality", grp, "reasons", reason), n, "rows", f"rows: {reason}")
    for path in [p for p in reg.values if p[:3] == ("tables", "quality", "all")]:
        parts = [("tables", "quality", r, *path[3:]) for r in quality if r != "all"]
        reg.relate_sum([p for p in parts if p in reg.values], path, "pooled quality")


def _curated_relation(
    reg: Registry, metrics: Mapping[str, Any], grp: str, slot: str, base: Path
) -> None:
    """Route 4 of the issue: delivered - quarantined = curated rows, and a survey's curated rows
    are the response table's respondents of that wave (checked on the data)."""
    wave, _, inst = slot.partition(" ")
    if inst not in ("employee_survey", "employer_survey"):
        return
    g: Path = ("all",) if grp == "all" else ("regions", grp)
    respondents = (*g, "response", "detail", inst, wave, "respondents")
    reg.relate_sum([(*base, "quarantined"), respondents], (*base, "delivered"),
                   f"curated rows {grp} {slot}")  # fmt: skip


def build(
    metrics: Mapping[str, Any],
    tables: Mapping[str, Any] | None = None,
    shown: Mapping[str, Any] | None = None,
) -> Registry:
    """Every published count of a release, with its relations (checked on the exact values).

    `shown`: build from a published tree instead (`dwt release check`), with the release's
    `disclosure` block telling the hidden cells and the relations that did not hold.
    """
    if shown is None:
        reg = Registry()
    else:
        reg = Registry(
            exact=False,
            hidden=frozenset(tuple(p) for p in shown.get("hidden", [])),
            not_holding=frozenset(shown.get("relations_not_holding", [])),
        )
    for g in groups(metrics):
        _group_cells(reg, metrics, g)
    _pooled(reg, metrics)
    if metrics.get("interviews"):
        _interview_cells(reg, metrics["interviews"])
        _pooled(reg, metrics["interviews"], ("interviews",))
    if tables:
        _table_cells(reg, tables, metrics)
    return reg


def integer_leaves(tree: Any, path: Path = ()) -> Iterator[tuple[Path, int]]:
    """Every integer of a tree outside NOT_COUNTS, curves and derived numbers at risk (the
    completeness check: each must be a registered cell)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in NOT_COUNTS or key in DERIVED or key in ("curve", "sustained_curve",
                                                              "double_coding"):  # fmt: skip
                continue
            yield from integer_leaves(value, (*path, str(key)))
    elif isinstance(tree, int) and not isinstance(tree, bool):
        yield path, tree
