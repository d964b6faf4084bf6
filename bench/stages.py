"""Benchmark stages that have no `dwt` command of their own, run as `python -m bench.stages ...`.

Each stage is its own process so `bench.run` can read its peak memory (max RSS) alone. A stage
prints one JSON object on stdout (its own inner timings, if any).

    report DATA OUT          every region's report (html+pdf) in one process, per-report seconds
    csvcopy RAW CSVDIR       (untimed preparation) every raw file re-written as UTF-8 ',' csv
    floor CSVDIR OUT         DuckDB: COPY (SELECT * FROM read_csv(...)) TO parquet, per instrument
    peer RAW OUT             what a researcher writes by hand: pandas read + stack of every raw
                             file (csv, xlsx, sav), one parquet per instrument, no validation
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any

INSTRUMENT_FILES = "*/*/{instrument}.*"


def _instruments() -> list[str]:
    from dwt.schema import load_study

    return list(load_study().instruments)


def _deliveries(raw: Path, instrument: str) -> list[Path]:
    return sorted(
        p
        for p in raw.glob(INSTRUMENT_FILES.format(instrument=instrument))
        if p.suffix in (".csv", ".xlsx", ".sav") and not p.name.startswith(("_", "."))
    )


def read_by_hand(path: Path) -> Any:
    """A delivery as a pandas frame, the way one would in a notebook: no checks at all."""
    import pandas as pd

    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype=str)
    if path.suffix == ".sav":
        return pd.read_spss(path, convert_categoricals=True)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str)


def peer(raw: Path, out: Path) -> dict[str, Any]:
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for instrument in _instruments():
        frames = []
        for path in _deliveries(raw, instrument):
            frame = read_by_hand(path)
            frame.columns = [str(c).strip().lower() for c in frame.columns]
            frame["_file"] = str(path.relative_to(raw))
            frames.append(frame.astype(str))
        if frames:
            stacked = pd.concat(frames, ignore_index=True)
            stacked.to_parquet(out / f"{instrument}.parquet", index=False)
            rows += len(stacked)
    return {"rows": rows}


def csvcopy(raw: Path, csv_dir: Path) -> dict[str, Any]:
    rows = 0
    for instrument in _instruments():
        for i, path in enumerate(_deliveries(raw, instrument)):
            frame = read_by_hand(path)
            frame.columns = [str(c).strip().lower() for c in frame.columns]
            target = csv_dir / instrument / f"part-{i:04d}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(target, index=False)
            rows += len(frame)
    return {"rows": rows}


def floor(csv_dir: Path, out: Path) -> dict[str, Any]:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    rows = 0
    for instrument in _instruments():
        files = sorted(str(p) for p in (csv_dir / instrument).glob("*.csv"))
        if not files:
            continue
        target = out / f"{instrument}.parquet"
        source = f"read_csv({files!r}, all_varchar=true, union_by_name=true, header=true)"
        con.execute(f"COPY (SELECT * FROM {source}) TO '{target}' (FORMAT parquet)")
        rows += con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]  # type: ignore[index]
    return {"rows": rows}


def report(data_dir: Path, out: Path) -> dict[str, Any]:
    from dwt.config import settings_from_args
    from flows.report import run_reports

    settings = settings_from_args(data_dir)
    zone = settings.research_zone()
    # One-time costs of a report process (matplotlib, fpdf2, font loading, the first figure)
    # are measured apart: "a region's report under 2 s" is the steady-state rendering time.
    started = time.perf_counter()
    run_reports(zone, out / "_warm-up", settings.k)
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = run_reports(zone, out, settings.k)
    return {
        "setup_s": setup_s,
        "total_s": time.perf_counter() - started,
        "read_metrics_s": summary["timings"]["read_s"] + summary["timings"]["metrics_s"],
        "per_report_s": {name: item["seconds"] for name, item in summary["reports"].items()},
    }


def disclosure(data_dir: Path) -> dict[str, Any]:
    """The disclosure step of a whole release alone: decide + attacker on the exact figures."""
    from dwt.analytics.frames import read_frames
    from dwt.analytics.metrics import metrics_from_frames, prepare_placements
    from dwt.config import settings_from_args
    from dwt.release import rounding_for
    from dwt.release.decide import decide
    from dwt.release.tables import exact_tables

    settings = settings_from_args(data_dir)
    frames = read_frames(settings.research_zone(), None)
    metrics = metrics_from_frames(frames)
    tables = exact_tables(prepare_placements(frames.placements, frames.reference_waves),
                          frames.quality)  # fmt: skip
    started = time.perf_counter()
    release = decide(metrics, tables, rounding_for(settings.k, settings.rounding))
    return {
        "disclosure_s": time.perf_counter() - started,
        "protected": len(release.verdict.findings) if release.verdict else 0,
        "passed": bool(release.verdict and release.verdict.passed),
    }


STAGES = {
    "peer": peer,
    "csvcopy": csvcopy,
    "floor": floor,
    "report": report,
    "disclosure": disclosure,
}


def main(argv: list[str]) -> int:
    stage, *paths = argv
    print(json.dumps(STAGES[stage](*(Path(p) for p in paths))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
