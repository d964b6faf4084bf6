"""The ingest's steps, each a plain function the Prefect flow (flows/ingest.py) calls as a task.

plan -> load (read + parse, per file) -> validate (GX, once per instrument) -> stage ->
curate (per affected region: cross-file checks, pseudonyms, curated and restricted tables)
-> commit (atomic) -> summary.

Granularity: a file is the unit of change detection (sha256 against the manifest); a region
is the unit of curation, because cross-file checks (unknown respondents, the placement state
across snapshots) live within a region. Unchanged files are not read again: their parsed,
validated rows are kept in the restricted zone (`staged/`) and re-used.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.ingest.discover import Delivery, Discovery, discover, sha256_of
from dwt.lake import SNAPSHOT, Lake, Transaction, dumps_json
from dwt.pseudonym import key_fingerprint, pseudonymise
from dwt.schema import Instrument, Study, curated_tables, load_instrument

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from dwt.validation.runner import Validator

META = ("_region", "_wave", "_file", "_row")
STAGED = "staged"
RAW_PREFIX = "_raw__"


@dataclass
class FileResult:
    """One line of the run manifest: what happened to one file. No row values."""

    path: str
    status: str  # accepted | rejected | unchanged
    reason: str | None = None
    rows: int | None = None
    curated: int | None = None
    quarantined: int | None = None
    sha256: str | None = None
    instrument: str | None = None
    region: str | None = None
    wave: int | None = None
    unknown_columns: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        keys = ("path", "status", "reason", "rows", "curated", "quarantined", "unknown_columns")
        return {k: getattr(self, k) for k in keys}


@dataclass
class Plan:
    discovery: Discovery
    to_load: list[Delivery]
    unchanged: list[FileResult]
    rejected: list[FileResult]
    shas: dict[str, str]


@dataclass
class Loaded:
    """One delivery as read (raw text values); `typed` and `reasons` are filled in when its
    instrument's files are parsed and validated together."""

    delivery: Delivery
    sha256: str
    raw: pd.DataFrame
    unknown_columns: list[str]
    typed: pd.DataFrame | None = None
    reasons: pd.Series | None = None


class KeyMismatch(Exception):
    pass


# --------------------------------------------------------------------------------- plan
def plan_run(lake: Lake, study: Study, raw_dir: Path, region: str | None, wave: int | None) -> Plan:
    """Discover files and decide which must be (re)read: new or changed since last ingest."""
    disc = discover(raw_dir, study, region, wave)
    manifest = lake.manifest()["files"]
    to_load: list[Delivery] = []
    unchanged: list[FileResult] = []
    shas: dict[str, str] = {}
    for d in disc.deliveries:
        sha = sha256_of(d.path)
        shas[d.relpath] = sha
        prev = manifest.get(d.relpath)
        if prev and prev["sha256"] == sha:
            unchanged.append(_from_manifest(d.relpath, prev))
        else:
            to_load.append(d)
    rejected: list[FileResult] = []
    for r in disc.rejected:
        path = raw_dir / r.relpath
        file_sha = sha256_of(path) if path.is_file() else None
        rejected.append(
            FileResult(
                r.relpath,
                "rejected",
                r.reason,
                sha256=file_sha,
                instrument=r.instrument,
                region=r.region,
                wave=r.wave,
            )
        )
    return Plan(disc, to_load, unchanged, rejected, shas)


def _from_manifest(relpath: str, prev: dict[str, Any]) -> FileResult:
    # A previously rejected file that is still the same stays rejected (and says so): the
    # user must see it until it is replaced. A previously accepted one is 'unchanged'.
    status = "rejected" if prev["status"] == "rejected" else "unchanged"
    fields: dict[str, Any] = {
        k: prev.get(k) for k in FileResult.__dataclass_fields__ if k != "path"
    }
    fields["status"] = status
    fields["unknown_columns"] = prev.get("unknown_columns") or []
    return FileResult(path=relpath, **fields)


# --------------------------------------------------------------------------------- load
def load_delivery(d: Delivery, sha: str, study: Study) -> Loaded | FileResult:
    """Read one file (the IO step); a file that cannot be read is rejected with its reason."""
    from dwt.ingest.read import FileRejected, read_raw

    instrument = load_instrument(d.instrument)
    try:
        raw = read_raw(d.path, instrument)
    except FileRejected as exc:
        return FileResult(
            d.relpath, "rejected", exc.reason, sha256=sha, instrument=d.instrument,
            region=d.region, wave=d.wave,
        )  # fmt: skip
    return Loaded(d, sha, raw.frame, list(raw.unknown_columns))


# ----------------------------------------------------------------------------- validate
def validate_instrument(
    loaded: list[Loaded], instrument: Instrument, validator: Validator
) -> tuple[list[Loaded | FileResult], dict[str, Any]]:
    """Parse and validate every loaded file of one instrument together.

    One GX run judges the files (required columns, at least one row), one parse and one GX
    run cover all their rows, then key rules apply per file. Batching matters: GX and
    pandas cost a fixed overhead per call, and a study has ~100 small files.
    """
    import pandas as pd

    from dwt.ingest.keys import key_reasons
    from dwt.ingest.parse import parse_table

    out: list[Loaded | FileResult] = []
    kept: list[Loaded] = []
    for item, file_reasons in zip(
        loaded, validator.validate_files([i.raw for i in loaded], instrument), strict=True
    ):
        if file_reasons:
            d = item.delivery
            out.append(
                FileResult(
                    d.relpath,
                    "rejected",
                    "; ".join(file_reasons),
                    sha256=item.sha256,
                    instrument=d.instrument,
                    region=d.region,
                    wave=d.wave,
                )
            )
        else:
            kept.append(item)
    if not kept:
        return out, {}
    raw = pd.concat([k.raw for k in kept], ignore_index=True)
    typed, parse_reasons = parse_table(raw, instrument, validator.study)
    parse_reasons = parse_reasons.apply(list)
    typed = typed.copy()
    typed["_region"] = [k.delivery.region for k in kept for _ in range(len(k.raw))]
    typed["_wave"] = [k.delivery.wave for k in kept for _ in range(len(k.raw))]
    typed["_file"] = [k.delivery.relpath for k in kept for _ in range(len(k.raw))]
    typed["_row"] = [int(i) for k in kept for i in k.raw.index]
    # A column that already failed parsing gets no second reason from GX for that row.
    validation = validator.validate_rows(typed, instrument, parse_reasons=parse_reasons)
    compare = [c for c in instrument.column_names if c in typed.columns]
    keys = key_reasons(typed, _key_columns(instrument), compare)
    merged = [
        _merge(a, b, c)
        for a, b, c in zip(
            parse_reasons.to_list(), validation.reasons.to_list(), keys.to_list(), strict=True
        )
    ]
    offset = 0
    for item in kept:
        n = len(item.raw)
        item.typed = typed.iloc[offset : offset + n]
        item.reasons = pd.Series(merged[offset : offset + n], index=item.typed.index, dtype=object)
        offset += n
        out.append(item)
    return out, validation.summary


def _key_columns(instrument: Instrument) -> list[str]:
    # 'wave' in a survey key is the file's wave: one file per wave, so the key is per file.
    return [c for c in instrument.key if c != "wave"]


def _merge(*lists: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for lst in lists:
        for r in lst or []:
            seen.setdefault(r, None)
    return list(seen)


# -------------------------------------------------------------------------------- stage
def staged_path(region: str, wave: int, instrument: str) -> str:
    return f"{STAGED}/{region}/{wave}/{instrument}.parquet"


def stage_loaded(tx: Transaction, item: Loaded) -> None:
    """Keep the parsed, validated rows of one file (with identifiers) in the restricted zone."""
    import pyarrow as pa

    d = item.delivery
    assert item.typed is not None and item.reasons is not None, "stage after validation"
    frame = item.typed.reset_index(drop=True).copy()
    frame["_reasons"] = item.reasons.to_list()
    # Raw text values ride along as columns; only quarantined rows are turned into JSON later.
    for column in item.raw.columns:
        frame[RAW_PREFIX + column] = item.raw[column].to_numpy(dtype=object)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tx.write_parquet("restricted", staged_path(d.region, d.wave, d.instrument), table)


def read_staged(tx: Transaction, region: str) -> dict[str, pd.DataFrame]:
    """All staged rows of a region, one frame per instrument (waves stacked)."""
    import pandas as pd

    folder = tx.path("restricted", f"{STAGED}/{region}")
    frames: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(folder.glob("*/*.parquet")):
        frames.setdefault(path.stem, []).append(pd.read_parquet(path))
    return {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}


# ------------------------------------------------------------------------------- curate
@dataclass
class RegionOutput:
    research: dict[str, pa.Table]  # relative path under curated/ -> table
    restricted: dict[str, pa.Table]  # relative path under restricted/ -> table
    counts: dict[str, tuple[int, int, int]]  # relpath -> (rows, curated, quarantined)
    quality: list[dict[str, Any]]


def curate_region(region: str, staged: dict[str, pd.DataFrame], key: bytes) -> RegionOutput:
    """Cross-file checks, pseudonyms and every curated table of one region (pure)."""
    from dwt.ingest import curate

    return curate.build_region(region, staged, key)


# ------------------------------------------------------------------------------- commit
def write_region(tx: Transaction, region: str, out: RegionOutput) -> None:
    for table in curated_tables():
        tx.remove_tree("curated", f"{table}/region={region}")
    for sub in ("directory", "contact_notes", "quarantine", "flags"):
        tx.remove_tree("restricted", f"{sub}/region={region}")
    for rel, table in out.research.items():
        tx.write_parquet("curated", rel, table)
    for rel, table in out.restricted.items():
        tx.write_parquet("restricted", rel, table)


def snapshot_id(manifest_files: dict[str, Any]) -> str:
    """A content hash of what the lake was built from: accepted files and their sha256."""
    h = hashlib.sha256()
    for path in sorted(manifest_files):
        entry = manifest_files[path]
        h.update(f"{path}\0{entry.get('sha256')}\0{entry['status']}\n".encode())
    return h.hexdigest()[:16]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def check_key(lake: Lake, key: bytes) -> None:
    recorded = lake.snapshot().get("key_fingerprint")
    if recorded and recorded != key_fingerprint(key):
        raise KeyMismatch(
            "this lake was built with a different pseudonym key (fingerprint "
            f"{recorded}); ingesting with another key would silently break linkage "
            "across years. Use the study's key, or start a new data dir."
        )


def run_summary(run_id: str, results: list[FileResult], missing: list[str]) -> dict[str, Any]:
    files = sorted(results, key=lambda r: r.path)
    return {
        "run_id": run_id,
        "files": [r.public() for r in files],
        "missing": sorted(missing),
    }


def summary_markdown(summary: dict[str, Any]) -> str:
    """Run summary for the Prefect artifact: paths, statuses and counts, no values."""
    lines = [
        f"# Ingest run {summary['run_id']}",
        "",
        "| file | status | rows | curated | quarantined | reason |",
        "|---|---|---:|---:|---:|---|",
    ]
    for f in summary["files"]:
        lines.append(
            f"| {f['path']} | {f['status']} | {_n(f['rows'])} | {_n(f['curated'])} | "
            f"{_n(f['quarantined'])} | {f['reason'] or ''} |"
        )
    lines += ["", f"Not delivered ({len(summary['missing'])}):", ""]
    lines += [f"- {m}" for m in summary["missing"]] or ["- none"]
    return "\n".join(lines) + "\n"


def _n(v: int | None) -> str:
    return "" if v is None else str(v)


def manifest_entry(r: FileResult, run_id: str) -> dict[str, Any]:
    entry = asdict(r)
    entry.pop("path")
    entry["run_id"] = run_id
    return entry


def write_snapshot(tx: Transaction, manifest_files: dict[str, Any], key: bytes) -> None:
    """What the research zone was built from. No run id or time: the curated zone is a pure
    function of raw + code + key, byte for byte, whichever run built it."""
    accepted = {p: e for p, e in manifest_files.items() if e["status"] != "rejected"}
    waves: dict[str, list[int]] = {}
    for e in accepted.values():
        if e.get("region") and e.get("wave") is not None:
            waves.setdefault(e["region"], []).append(int(e["wave"]))
    snap = {
        "snapshot": snapshot_id(manifest_files),
        "key_fingerprint": key_fingerprint(key),
        "waves": {r: sorted(set(w)) for r, w in sorted(waves.items())},
    }
    tx.write_bytes("curated", SNAPSHOT, dumps_json(snap))


def pseudonym_column(key: bytes, prefix: str, values: Any) -> list[str | None]:
    return pseudonymise(key, prefix, values)


# ------------------------------------------------------------------------- whole commit
CURATION_OUTCOMES = ("accepted", "curated", "quarantined", "flagged")


@dataclass
class RunResult:
    summary: dict[str, Any]
    changed: bool
    gx_summaries: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if any(f["status"] == "rejected" for f in self.summary["files"]) else 0


def commit_run(
    lake: Lake,
    study: Study,
    plan: Plan,
    processed: list[Loaded | FileResult],
    key: bytes,
    run_id: str,
    all_missing: list[str],
    gx_summaries: dict[str, Any] | None = None,
) -> RunResult:
    """Stage what was read, re-curate every affected region, and commit both zones at once.

    When nothing changed, nothing is written: a re-ingest leaves every byte of the lake as is.
    """
    manifest = lake.manifest()
    files: dict[str, Any] = dict(manifest["files"])
    results: list[FileResult] = [*plan.unchanged, *plan.rejected]
    loaded = [p for p in processed if isinstance(p, Loaded)]
    newly_rejected = [p for p in processed if isinstance(p, FileResult)]
    results.extend(newly_rejected)

    affected: set[str] = {item.delivery.region for item in loaded}
    for r in [*newly_rejected, *plan.rejected]:
        prev = files.get(r.path)
        if prev and prev["status"] != "rejected" and r.region:
            affected.add(r.region)  # a file that delivered before is now rejected
    manifest_changed = any(
        files.get(r.path, {}).get("sha256") != r.sha256
        or files.get(r.path, {}).get("status") != "rejected"
        for r in [*newly_rejected, *plan.rejected]
        if r.sha256 is not None
    )
    if not loaded and not affected and not manifest_changed:
        return RunResult(run_summary(run_id, results, plan.discovery.missing), changed=False)

    tx = lake.begin()
    try:
        for item in loaded:
            stage_loaded(tx, item)
        for r in [*newly_rejected, *plan.rejected]:
            if r.region and r.wave is not None and r.instrument:
                prev = files.get(r.path)
                if prev and prev["status"] != "rejected":
                    tx.remove_tree("restricted", staged_path(r.region, r.wave, r.instrument))
        counts: dict[str, tuple[int, int, int]] = {}
        region_quality: dict[str, list[dict[str, Any]]] = {}
        for region in sorted(affected):
            out = curate_region(region, read_staged(tx, region), key)
            write_region(tx, region, out)
            counts.update(out.counts)
            region_quality[region] = out.quality
        for item in loaded:
            n, good, bad = counts[item.delivery.relpath]
            d = item.delivery
            results.append(
                FileResult(
                    d.relpath,
                    "accepted",
                    None,
                    n,
                    good,
                    bad,
                    item.sha256,
                    d.instrument,
                    d.region,
                    d.wave,
                    item.unknown_columns,
                )
            )
        for r in results:
            if r.status in ("accepted", "rejected") and r.sha256 is not None:
                files[r.path] = manifest_entry(r, run_id)
        # Files of a re-curated region that were unchanged keep their counts unless the
        # cross-file checks moved rows (e.g. a corrected placements file): refresh them.
        for path, (n, good, bad) in counts.items():
            if path in files:
                files[path].update(rows=n, curated=good, quarantined=bad)
        for r in results:
            if r.status == "unchanged" and r.path in counts:
                r.rows, r.curated, r.quarantined = counts[r.path]
        tx.write_bytes("restricted", "manifest.json", dumps_json({"files": files}))
        if gx_summaries:
            for instrument, summ in gx_summaries.items():
                tx.write_bytes("restricted", f"gx/{instrument}.json", dumps_json(summ))
        _write_quality(tx, study, files, region_quality, all_missing)
        write_snapshot(tx, files, key)
        tx.commit()
    except BaseException:
        tx.abort()
        raise
    return RunResult(run_summary(run_id, results, plan.discovery.missing), changed=True)


def _write_quality(
    tx: Transaction,
    study: Study,
    files: dict[str, Any],
    region_quality: dict[str, list[dict[str, Any]]],
    all_missing: list[str],
) -> None:
    """Rewrite the value-free data-quality table (research zone) for every region."""
    import pandas as pd
    import pyarrow as pa

    for region in study.region_codes:
        rows = region_quality.get(region)
        if rows is None:
            rows = _existing_curation_quality(tx, region)
        rows = list(rows)
        for _path, e in sorted(files.items()):
            if e["status"] == "rejected" and e.get("region") == region:
                rows.append(
                    {
                        "region": region,
                        "wave": e.get("wave"),
                        "instrument": e.get("instrument"),
                        "outcome": "rejected",
                        "reason": e.get("reason") or "",
                        "rows": 0,
                    }
                )
        for m in all_missing:
            reg, wave, instrument = m.split("/")
            if reg == region:
                rows.append(
                    {
                        "region": region,
                        "wave": int(wave),
                        "instrument": instrument,
                        "outcome": "missing",
                        "reason": "not delivered",
                        "rows": 0,
                    }
                )
        frame = pd.DataFrame(
            rows, columns=["region", "wave", "instrument", "outcome", "reason", "rows"]
        )
        frame = frame.sort_values(["wave", "instrument", "outcome", "reason"], kind="stable")
        waves = [None if pd.isna(w) else int(w) for w in frame["wave"]]
        table = pa.table(
            {
                "wave": pa.array(waves, pa.int64()),
                "instrument": pa.array(frame["instrument"].to_list(), pa.string()),
                "outcome": pa.array(frame["outcome"].to_list(), pa.string()),
                "reason": pa.array(frame["reason"].to_list(), pa.string()),
                "rows": pa.array(frame["rows"].astype("int64").to_list(), pa.int64()),
            }
        )
        tx.write_parquet("curated", f"quality/region={region}/part-0.parquet", table)


def _existing_curation_quality(tx: Transaction, region: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    path = tx.path("curated", f"quality/region={region}/part-0.parquet")
    if not path.exists():
        return []
    rows = pq.read_table(path).to_pylist()
    return [{**r, "region": region} for r in rows if r["outcome"] in CURATION_OUTCOMES]


def plan_missing(raw_dir: Path) -> list[str]:
    """Not-delivered instruments over the whole study (the quality table covers all regions)."""
    from dwt.schema import load_study

    return discover(raw_dir, load_study()).missing


def write_run_log(runs_dir: Path, result: RunResult) -> Path:
    """One JSON per run outside both zones: paths, statuses, counts; never row values."""
    from dwt.lake import write_bytes_atomic

    path = Path(runs_dir) / f"{result.summary['run_id']}.json"
    write_bytes_atomic(path, dumps_json({**result.summary, "changed": result.changed}))
    return path


def validate_all(loaded: list[Loaded], validator: Validator) -> tuple[list[Any], dict[str, Any]]:
    """Validate every loaded file, one GX run per instrument (dependency order of the study)."""
    from dwt.schema import load_study

    out: list[Any] = []
    summaries: dict[str, Any] = {}
    for name in load_study().instruments:
        group = [item for item in loaded if item.delivery.instrument == name]
        if group:
            items, summary = validate_instrument(group, load_instrument(name), validator)
            out.extend(items)
            summaries[name] = summary
    return out, summaries


def run_ingest(
    settings: Any,
    key: bytes,
    region: str | None = None,
    wave: int | None = None,
    validator: Validator | None = None,
) -> RunResult:
    """The whole ingest without Prefect (tests, benchmarks); the flow runs the same steps."""
    from dwt.schema import load_study
    from dwt.validation.runner import Validator

    study = load_study()
    lake = Lake(settings)
    run_id = new_run_id()
    with lake.locked():
        check_key(lake, key)
        plan = plan_run(lake, study, settings.raw_dir, region, wave)
        read = [load_delivery(d, plan.shas[d.relpath], study) for d in plan.to_load]
        loaded = [r for r in read if isinstance(r, Loaded)]
        validated, gx = validate_all(loaded, validator or Validator()) if loaded else ([], {})
        rejected = [r for r in read if isinstance(r, FileResult)]
        missing = plan_missing(settings.raw_dir)
        result = commit_run(lake, study, plan, [*rejected, *validated], key, run_id, missing, gx)
    write_run_log(settings.runs_dir, result)
    return result
