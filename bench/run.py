"""`make bench`: wall time and peak memory of each stage on generated studies.

    make bench                                  # scales 1, 10, 100
    BENCH_SCALES=1,10 make bench                # a quicker run
    BENCH_REUSE=1 make bench                    # keep already generated studies (no generate row)

Environment: BENCH_SCALES (comma list, default 1,10,100), BENCH_SEED (default 2017),
BENCH_WORK (default bench/work, git-ignored), BENCH_REUSE (1: do not regenerate a study
that is already there), BENCH_BIG_MIB (default 200), BENCH_OUT (default bench/: where
results.md/json are written).

Every stage runs in its own process; its wall time is measured around the process and its
peak memory is the process's max RSS from `os.wait4` (the kernel's rusage of that one child,
including any children it waited for). Stages, per scale:

    generate     dwt generate --out <work>/s<scale>/data/raw --scale <scale>
    ingest       the flow's sequence with plain steps (tests/helpers/ingest_driver.py), fresh lake
    re-ingest    the same again: nothing changed, nothing written
    ingest-cli   (scales <= 10) `dwt ingest` as a user runs it on a fresh Prefect home: it
                 starts the local Prefect server (commands/local_api.py) and runs the flow
    re-ingest-cli  the same again, nothing new, the local server now running (median of 3)
    metrics      dwt metrics --json
    report       every region's report (html + pdf) in one process; the per-report render
                 time is what the "a region's report under 2 s" target looks at
    report-cli   (one region) dwt report --region R as a user runs it
    floor        DuckDB COPY (SELECT * FROM read_csv(...)) TO parquet of the same rows as csv
    peer         pandas read + stack of every raw file (csv, xlsx, sav), to parquet, no checks
and once: `dwt --help` (5 runs), and the ingest of one large delivery (BENCH_BIG_MIB, default
200 MiB; 0 skips it) for the "peak memory at most 5x the largest delivery" target.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_KEY = "dwt-bench-key-not-secret"
GIB = 1024**3


# ------------------------------------------------------------------------------ measuring
def measure(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one process; its wall time, CPU time, max RSS, exit code and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env or _env(), cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    result: dict[str, Any] = {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is KiB on Linux
        "exit_code": proc.returncode,
    }
    if proc.returncode != 0:  # a generated study without faults has no rejected file either
        result["error"] = stderr[-2000:]
    result["_stdout"] = stdout
    return result


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env["DWT_PSEUDONYM_KEY"] = BENCH_KEY
    env.pop("DWT_CRASH_AT", None)
    env.update(extra)
    return env


def _stage(results: dict[str, Any], name: str, argv: list[str], **kw: Any) -> dict[str, Any]:
    print(f"  {name:<12}", end=" ", flush=True)
    r = measure(argv, **kw)
    stdout = r.pop("_stdout")
    print(f"{r['wall_s']:8.2f} s  {r['max_rss_mib']:8.1f} MiB  exit {r['exit_code']}", flush=True)
    if "error" in r:
        print(r["error"], file=sys.stderr)
    results[name] = r
    r["_stdout"] = stdout
    return r


def _stage_median(
    results: dict[str, Any], name: str, argv: list[str], runs: int, **kw: Any
) -> dict[str, Any]:
    """A short stage run `runs` times: the median wall time, the largest peak memory (one run
    of ~2 s is at the mercy of whatever else the machine does in that second)."""
    print(f"  {name:<12}", end=" ", flush=True)
    measured = [measure(argv, **kw) for _ in range(runs)]
    failed = [m for m in measured if m["exit_code"] != 0]
    r = dict(failed[0] if failed else measured[0])
    r.pop("_stdout", None)
    r["runs_s"] = [m["wall_s"] for m in measured]
    r["wall_s"] = statistics.median(r["runs_s"])
    r["max_rss_mib"] = max(m["max_rss_mib"] for m in measured)
    print(
        f"{r['wall_s']:8.2f} s  {r['max_rss_mib']:8.1f} MiB  exit {r['exit_code']} "
        f"(median of {r['runs_s']})",
        flush=True,
    )
    results[name] = r
    return r


def bench_big_delivery(seed: int, work: Path, mib: float) -> dict[str, Any]:
    """The peak memory of an ingest whose largest delivery is a ~`mib` MiB placements csv
    (bench/bigdelivery.py: the scale-1 study, one region's 2021 placements made large)."""
    base = work / "big"
    raw = base / "data" / "raw"
    print(f"big delivery ({mib:g} MiB placements csv)", flush=True)
    shutil.rmtree(base, ignore_errors=True)
    measure([str(BIN / "dwt"), "generate", "--out", str(raw), "--seed", str(seed)])
    made = measure([sys.executable, "-m", "bench.bigdelivery", str(raw), f"{mib:g}"])
    delivery = json.loads(made["_stdout"])
    stages: dict[str, Any] = {}
    driver = str(REPO / "tests" / "helpers" / "ingest_driver.py")
    r = _stage(stages, "ingest", [sys.executable, driver, str(base / "data")])
    r.pop("_stdout", None)
    shutil.rmtree(base, ignore_errors=True)
    return {
        "delivery_mib": round(delivery["bytes"] / 2**20, 1),
        "delivery_rows": delivery["rows"],
        "ingest": r,
    }


def _fresh_lake(data: Path) -> None:
    for name in (
        "curated",
        "restricted",
        "runs",
        "curated.new",
        "restricted.new",
        "curated.old",
        "restricted.old",
    ):
        shutil.rmtree(data / name, ignore_errors=True)
    for name in (".dwt.lock", ".commit"):
        (data / name).unlink(missing_ok=True)


def _stop_local_api(home: Path) -> None:
    state = home / "dwt-api.json"
    if state.exists():
        import signal

        os.kill(int(json.loads(state.read_text())["pid"]), signal.SIGTERM)


# ------------------------------------------------------------------------------- one scale
def bench_scale(scale: float, seed: int, work: Path, reuse: bool) -> dict[str, Any]:
    py = sys.executable
    dwt = str(BIN / "dwt")
    base = work / f"s{scale:g}"
    data = base / "data"
    raw = data / "raw"
    stages: dict[str, Any] = {}
    print(f"scale {scale:g}", flush=True)
    if not (reuse and (raw / "_manifest.json").exists()):
        shutil.rmtree(base, ignore_errors=True)
        gen = [dwt, "generate", "--out", str(raw), "--scale", f"{scale:g}", "--seed", str(seed)]
        _stage(stages, "generate", gen)
    manifest = json.loads((raw / "_manifest.json").read_text())
    rows = sum(f["rows"] or 0 for f in manifest["files"])
    raw_bytes = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())

    _fresh_lake(data)
    driver = str(REPO / "tests" / "helpers" / "ingest_driver.py")
    _stage(stages, "ingest", [py, driver, str(data)])
    _stage(stages, "re-ingest", [py, driver, str(data)])
    if scale <= 10:
        cli = base / "cli"
        shutil.rmtree(cli, ignore_errors=True)
        shutil.copytree(raw, cli / "raw")
        with tempfile.TemporaryDirectory(prefix="dwt-bench-prefect-") as home:
            # A fresh Prefect home, as on a new machine: the first command starts the local
            # server, the second finds it running.
            env = _env(PREFECT_HOME=home)
            env.pop("PREFECT_API_URL", None)
            ingest = [dwt, "ingest", "--data-dir", str(cli)]
            _stage(stages, "ingest-cli", ingest, env=env)
            _stage_median(stages, "re-ingest-cli", ingest, runs=3, env=env)
            _stop_local_api(Path(home))
    _stage(stages, "metrics", [dwt, "metrics", "--data-dir", str(data), "--json"])
    d = _stage(stages, "disclosure", [py, "-m", "bench.stages", "disclosure", str(data)])
    if d["exit_code"] == 0:
        inner = json.loads(d["_stdout"])
        d["disclosure_s"] = round(inner["disclosure_s"], 3)
        d["protected"] = inner["protected"]
        d["attacker_passed"] = inner["passed"]
    reports = base / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    r = _stage(stages, "report", [py, "-m", "bench.stages", "report", str(data), str(reports)])
    if r["exit_code"] == 0:
        inner = json.loads(r["_stdout"])
        r["per_report_s"] = inner["per_report_s"]
        regions = {k: v for k, v in inner["per_report_s"].items() if k != "overzicht"}
        r["region_report_max_s"] = max(regions.values()) if regions else None
        r["read_metrics_s"] = round(inner["read_metrics_s"], 3)
        r["first_run_s"] = round(inner["setup_s"], 3)
    first = sorted(manifest["regions"])[0]
    one = [
        dwt,
        "report",
        "--data-dir",
        str(data),
        "--region",
        first,
        "--out",
        str(base / "reports-one"),
    ]
    _stage(stages, "report-cli", one)
    csv_dir = base / "csv"
    shutil.rmtree(csv_dir, ignore_errors=True)
    measure([py, "-m", "bench.stages", "csvcopy", str(raw), str(csv_dir)])  # preparation only
    _stage(stages, "floor", [py, "-m", "bench.stages", "floor", str(csv_dir), str(base / "floor")])
    _stage(stages, "peer", [py, "-m", "bench.stages", "peer", str(raw), str(base / "peer")])
    for r in stages.values():
        r.pop("_stdout", None)
    return {
        "rows": rows,
        "raw_mib": round(raw_bytes / 2**20, 2),
        "files": len(manifest["files"]),
        "stages": stages,
    }


def bench_help(runs: int = 5) -> dict[str, Any]:
    walls = []
    last: dict[str, Any] = {}
    for _ in range(runs):
        last = measure([str(BIN / "dwt"), "--help"])
        walls.append(last["wall_s"])
    return {
        "runs": runs,
        "median_s": statistics.median(walls),
        "max_s": max(walls),
        "max_rss_mib": last["max_rss_mib"],
    }


# ------------------------------------------------------------------------------- targets
def targets(
    scales: dict[str, Any], help_: dict[str, Any], big: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, unit: str) -> None:
        ok = value is not None and value <= limit
        out.append({"target": name, "value": value, "limit": limit, "unit": unit, "met": ok})

    def wall(scale: str, stage: str) -> float | None:
        s = scales.get(scale, {}).get("stages", {}).get(stage)
        return s["wall_s"] if s and s["exit_code"] == 0 else None

    for sc in ("10", "100"):
        ingest, peer = wall(sc, "ingest"), wall(sc, "peer")
        if ingest is not None and peer:
            add(f"ingest ≤ 2× hand-written peer, scale {sc}", round(ingest / peer, 2), 2, "×")
    cli, peer = wall("10", "ingest-cli"), wall("10", "peer")
    if cli is not None and peer:
        add(
            "dwt ingest (user, fresh Prefect home) ≤ 3× peer, scale 10",
            round(cli / peer, 2),
            3,
            "×",
        )
    for sc in sorted(scales, key=float):
        noop = wall(sc, "re-ingest-cli")
        if noop is not None:
            add(f"dwt ingest with nothing new, scale {sc}", noop, 2.0, "s")
    for stage in ("generate", "ingest", "metrics", "report"):  # ours; floor and peer are yardsticks
        a, b = wall("10", stage), wall("100", stage)
        if a and b:
            add(f"{stage}: scale 100 ≤ 12× scale 10 (linear)", round(b / a, 2), 12, "×")
    if "100" in scales:
        peak = max(s["max_rss_mib"] for s in scales["100"]["stages"].values())
        add("peak memory of any stage at scale 100", peak, 2048, "MiB")
    add("dwt --help (median of 5)", help_["median_s"], 1.0, "s")
    for sc, s in sorted(scales.items(), key=lambda kv: float(kv[0])):
        rep = s["stages"].get("report", {}).get("region_report_max_s")
        if rep is not None:
            add(f"slowest region report render (html+pdf), scale {sc}", rep, 2.0, "s")
    if big and big["ingest"]["exit_code"] == 0:
        ratio = round(big["ingest"]["max_rss_mib"] / big["delivery_mib"], 1)
        add(f"ingest peak memory / largest delivery ({big['delivery_mib']} MiB csv)", ratio, 5, "×")
    return out


# ------------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m_at_start": load,
    }


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (+ uncommitted changes in the working tree)" if dirty else "")


# ------------------------------------------------------------------------------- writing
STAGE_ORDER = (
    "generate",
    "ingest",
    "re-ingest",
    "ingest-cli",
    "re-ingest-cli",
    "metrics",
    "disclosure",
    "report",
    "report-cli",
    "floor",
    "peer",
)


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    scales = result["scales"]
    cols = sorted(scales, key=float)
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` on {result['date']} at commit {result['commit']}.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']} "
        f"({m['platform']}); 1-minute load average at start {m['load_avg_1m_at_start']:.2f}.",
        f"Whole run: {result['total_s']:.0f} s. Raw data per scale: "
        + ", ".join(
            f"scale {c}: {scales[c]['files']} files, {scales[c]['rows']} rows, "
            f"{scales[c]['raw_mib']} MiB"
            for c in cols
        )
        + ".",
        "",
        "Wall time in seconds / peak memory (max RSS) in MiB, each stage in its own process "
        "(so every figure includes interpreter start-up and imports).",
        "",
        "| stage | " + " | ".join(f"scale {c}" for c in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for stage in STAGE_ORDER:
        cells = []
        for c in cols:
            s = scales[c]["stages"].get(stage)
            if s is None:
                cells.append("")
            elif s["exit_code"] != 0:
                cells.append(f"failed (exit {s['exit_code']})")
            else:
                cells.append(f"{s['wall_s']:.2f} s / {s['max_rss_mib']:.0f} MiB")
        if any(cells):
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    h = result["help"]
    lines += [
        f"| `dwt --help` | median {h['median_s']:.3f} s, max {h['max_s']:.3f} s "
        f"/ {h['max_rss_mib']:.0f} MiB |" + " |" * (len(cols) - 1),
        "",
        "Rendering time per report (html + pdf, seconds, inside one `report` process, after a "
        "first full run that pays imports and font loading — its time is given in brackets):",
        "",
    ]
    for c in cols:
        per = scales[c]["stages"].get("report", {}).get("per_report_s")
        if per:
            first_run = scales[c]["stages"]["report"].get("first_run_s")
            lines.append(
                f"- scale {c}: "
                + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per.items()))
                + (f" (first run of all reports: {first_run:.1f} s)" if first_run else "")
            )
    lines += ["", "Disclosure step of a whole release (decide + attacker, inside its process):", ""]
    for c in cols:
        d = scales[c]["stages"].get("disclosure", {})
        if d.get("disclosure_s") is not None:
            lines.append(
                f"- scale {c}: {d['disclosure_s']:.1f} s, {d['protected']} protected counts, "
                f"attacker {'passed' if d['attacker_passed'] else 'FAILED'}"
            )
    big = result.get("big")
    if big:
        i = big["ingest"]
        lines += [
            "",
            f"One large delivery (a {big['delivery_mib']} MiB placements csv of "
            f"{big['delivery_rows']} rows in the scale-1 study, `bench/bigdelivery.py`): "
            + (
                f"ingest {i['wall_s']:.1f} s, peak memory {i['max_rss_mib']:.0f} MiB."
                if i["exit_code"] == 0
                else f"ingest failed (exit {i['exit_code']})."
            ),
        ]
    lines += ["", "## Targets", "", "| target | measured | limit | met |", "|---|---:|---:|---|"]
    for t in result["targets"]:
        value = "n/a" if t["value"] is None else f"{t['value']}"
        lines.append(
            f"| {t['target']} | {value} {t['unit']} | {t['limit']} {t['unit']} | "
            f"{'yes' if t['met'] else '**no**'} |"
        )
    lines += [
        "",
        "Profiles, before/after figures and the explanation of any missed target: "
        "[NOTES.md](NOTES.md).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    scales_arg = os.environ.get("BENCH_SCALES", "1,10,100")
    scales = [float(s) for s in scales_arg.split(",") if s.strip()]
    seed = int(os.environ.get("BENCH_SEED", "2017"))
    work = Path(os.environ.get("BENCH_WORK", REPO / "bench" / "work")).resolve()
    out = Path(os.environ.get("BENCH_OUT", REPO / "bench"))
    reuse = os.environ.get("BENCH_REUSE", "") == "1"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": machine(),
        "seed": seed,
        "scales": {},
    }
    print("dwt --help", flush=True)
    result["help"] = bench_help()
    for scale in scales:
        result["scales"][f"{scale:g}"] = bench_scale(scale, seed, work, reuse)
    big_mib = float(os.environ.get("BENCH_BIG_MIB", "200"))
    if big_mib > 0:
        result["big"] = bench_big_delivery(seed, work, big_mib)
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["targets"] = targets(result["scales"], result["help"], result.get("big"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(markdown(result))
    print(markdown(result))
    failed = [
        s for sc in result["scales"].values() for s in sc["stages"].values() if s["exit_code"] != 0
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
