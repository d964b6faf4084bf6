"""`dwt metrics` and `dwt query`: the analytics subcommands (wired in commands/main.py).

Exit codes follow dwt/errors.py: 0 ok, 1 the data holds nothing to compute, 2 usage error
(including SQL that is not a read-only query).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from dwt.config import settings_from_args
from dwt.errors import ConfigError, RefusedQuery
from dwt.schema import load_study

READ_ONLY_TYPES = ("SELECT",)  # DESCRIBE, SHOW, SUMMARIZE and FROM-first parse as SELECT
_EXPLAIN = re.compile(r"^\s*explain\s+(analyze\s+)?", re.IGNORECASE)


# ---------------------------------------------------------------- dwt metrics


def run_metrics(args: argparse.Namespace) -> int:
    from dwt.analytics.metrics import NoCuratedData, compute_metrics, jsonable, to_json

    settings = settings_from_args(getattr(args, "data_dir", None))
    require_data_dir(settings.data_dir)
    region = getattr(args, "region", None)
    if region is not None and region not in load_study().region_codes:
        raise ConfigError(
            f"unknown region {region!r} (known: {', '.join(load_study().region_codes)})"
        )
    zone = settings.research_zone()
    if not zone.has_data():
        return _fail(f"no curated data under {zone.root}: run dwt ingest first")
    as_of = getattr(args, "as_of", None)
    check_as_of(zone.root, as_of)
    try:
        if getattr(args, "safe", False):
            metrics = safe_metrics(zone, settings, region, as_of)
        else:
            metrics = compute_metrics(zone, region, as_of)
    except NoCuratedData as exc:
        return _fail(str(exc))
    if not getattr(args, "safe", False):
        # exact interview figures for the research team (--safe: the release's, without the
        # double coding)
        from dwt.analytics.interviews import compute_interview_metrics

        metrics["interviews"] = compute_interview_metrics(zone, region, as_of)
    if getattr(args, "json", False):
        print(to_json(metrics))
    else:
        print(summary_text(jsonable(metrics)))
    return 0


def safe_metrics(zone: Any, settings: Any, region: str | None, as_of: int | None) -> dict[str, Any]:
    """The figures as the release of this snapshot shows them (one decision with the reports:
    the whole release is decided, then `region` is picked out of it)."""
    from dwt.release import build_release, rounding_for

    release = build_release(zone, rounding_for(settings.k, settings.rounding), as_of)
    safe = dict(release.safe)
    if region is not None:
        if region not in safe["regions"]:
            from dwt.analytics.metrics import NoCuratedData

            raise NoCuratedData(f"no placements for region {region!r}")
        safe["regions"] = {region: safe["regions"][region]}
        safe.pop("all", None)
        if "interviews" in safe:
            picked = safe["interviews"]["regions"].get(region)
            safe["interviews"] = {"regions": {region: picked} if picked else {}}
        safe["tables"] = {
            name: {g: v for g, v in table.items() if g == region}
            for name, table in safe.get("tables", {}).items()
        }
    return safe


def require_data_dir(data_dir: Path) -> None:
    """A --data-dir (or DWT_DATA_DIR) that does not exist is a mistake, not an empty lake."""
    if not Path(data_dir).is_dir():
        raise ConfigError(f"no data folder at {data_dir}: check --data-dir / DWT_DATA_DIR")


def lake_waves(curated_dir: Path) -> tuple[int, int] | None:
    """(first, last) wave the curated lake holds placements for, or None when it holds none."""
    from dwt.analytics.views import connect

    con = connect(curated_dir)
    try:
        row = con.execute("SELECT min(wave), max(wave) FROM placement_history").fetchone()
    finally:
        con.close()
    if row is None or row[0] is None:
        return None
    return int(row[0]), int(row[1])


def check_as_of(curated_dir: Path, as_of: int | None) -> None:
    """--as-of must name a wave the lake holds (a report "after wave 1999" or "after 2030" of
    a 2017-2021 lake would be empty or mislabelled)."""
    if as_of is None:
        return
    waves = lake_waves(curated_dir)
    if waves is not None and not waves[0] <= as_of <= waves[1]:
        raise ConfigError(
            f"--as-of {as_of} is outside the lake's waves ({waves[0]}-{waves[1]}); "
            "pick a wave the lake holds"
        )


def _fail(message: str) -> int:
    print(f"dwt metrics: {message}", file=sys.stderr)
    return 1


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{100 * value:.1f}%" if pct else f"{value:.1f}"
    return str(value)


def _horizons_line(label: str, block: dict[str, Any]) -> str:
    parts = []
    for h, est in sorted(block.items(), key=lambda kv: int(kv[0])):
        ci = f"[{_fmt(est['ci_low'], True)}–{_fmt(est['ci_high'], True)}]"
        parts.append(f"{h}m {_fmt(est['estimate'], True)} {ci} n@risk {_fmt(est['at_risk'])}")
    return f"  {label}: " + "; ".join(parts)


def _group_text(name: str, g: dict[str, Any]) -> list[str]:
    head = f"{name}" + (f" (reference date {g['reference_date']})" if "reference_date" in g else "")
    lines = [
        head,
        f"  placements {_fmt(g['placements'])}, participants {_fmt(g['participants'])}, "
        f"employers {_fmt(g['employers'])}",
        _horizons_line("retention R(t)", g["retention"]),
        _horizons_line("sustained E(t)", g["sustained"]),
        f"  median duration (days): {_fmt(g['median_days'])}",
    ]
    for inst in ("employee_survey", "employer_survey"):
        rates = ", ".join(f"{w} {_fmt(r, True)}" for w, r in sorted(g["response"][inst].items()))
        lines.append(f"  response {inst}: {rates}")
    rec = g.get("recruitment")
    if rec:
        lines.append(
            f"  recruitment: employers {_fmt(rec['employers'])} ({rec['employers_status']} "
            f"{rec['employers_target']['min']}–{rec['employers_target']['max']}), participants "
            f"{_fmt(rec['participants'])} (target ≥ {rec['participants_target']['min']}: "
            f"{'met' if rec['participants_met'] else 'not met'})"
        )
    cox = g.get("cox", {})
    lines.append(
        "  cox: " + ("fitted" if cox.get("fitted") else f"not fitted ({cox.get('reason')})")
    )
    return lines


def summary_text(metrics: dict[str, Any]) -> str:
    """Readable summary of the main figures (the JSON holds everything)."""
    lines: list[str] = []
    for region, block in sorted(metrics["regions"].items()):
        lines += [*_group_text(region, block), ""]
    lines += _group_text("all regions", metrics["all"])
    if "interviews" in metrics:
        lines += ["", *_interview_text(metrics["interviews"])]
    if "disclosure" in metrics:
        lines.append(f"(disclosure control applied, k = {metrics['disclosure']['k']})")
    return "\n".join(lines)


def _interview_text(block: dict[str, Any]) -> list[str]:
    """One line per region (and all): documents held, coded employers, double coding (exact
    figures only: the release leaves it out)."""
    groups = sorted(block["regions"].items())
    if "all" in block:
        groups.append(("all regions", block["all"]))
    exact = any("double_coding" in g for _, g in groups)
    lines = ["interviews (exact, research team only)" if exact else "interviews"]
    for name, g in groups:
        docs = g["documents"]["total"]
        kinds = ", ".join(f"{k} {v}" for k, v in docs.items() if k != "total")
        line = (
            f"  {name}: {docs['total']} documents ({kinds}); "
            f"{g['factors']['employers']} employers with coded interviews"
        )
        if "double_coding" in g:
            line += f"; {g['double_coding']['documents']} double-coded"
        lines.append(line)
    return lines


# ---------------------------------------------------------------- dwt query


def check_read_only(sql: str) -> None:
    """Raise RefusedQuery unless `sql` is one SELECT/WITH/DESCRIBE/SHOW/SUMMARIZE/EXPLAIN."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise RefusedQuery(f"cannot parse SQL: {exc}") from exc
    if len(statements) != 1:
        raise RefusedQuery(f"expected one statement, got {len(statements)}")
    kind = statements[0].type.name
    if kind == "EXPLAIN":
        # EXPLAIN ANALYZE runs its statement, so the explained statement must be read-only too.
        check_read_only(_EXPLAIN.sub("", sql, count=1))
        return
    if kind not in READ_ONLY_TYPES:
        raise RefusedQuery(f"{kind} statements are not allowed: dwt query is read-only")


def read_only_connection(curated_dir: Path) -> Any:
    """The views, with DuckDB itself refusing file access outside the curated lake."""
    from dwt.analytics.views import connect, glob_literal

    resolved = curated_dir.resolve()
    con = connect(resolved)
    # DuckDB checks the file patterns the views hold: the lake's folder as itself and as the
    # escaped pattern the views use for it (a folder named "st[1]")
    allowed = {f"{resolved}/", f"{glob_literal(resolved)}/"}
    listed = ", ".join("'" + a.replace("'", "''") + "'" for a in sorted(allowed))
    con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_query(args: argparse.Namespace) -> int:
    import duckdb

    settings = settings_from_args(getattr(args, "data_dir", None))
    require_data_dir(settings.data_dir)
    if not settings.curated_dir.is_dir():
        # a mistyped --data-dir must not answer "0 rows"
        raise ConfigError(
            f"no curated lake under {settings.data_dir}: check --data-dir, or run dwt ingest"
        )
    try:
        check_read_only(args.sql)
    except RefusedQuery as exc:
        print(f"dwt query: refused: {exc}", file=sys.stderr)
        return 2
    con = read_only_connection(settings.curated_dir)
    try:
        frame = con.execute(args.sql).df()
    except duckdb.Error as exc:
        print(f"dwt query: error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    if getattr(args, "csv", False):
        frame.to_csv(sys.stdout, index=False)
    else:
        print(frame.to_string(index=False))
    return 0
