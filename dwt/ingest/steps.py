"""The ingest's steps, each a plain function; `flows/ingest.py` runs them in order, as Prefect
tasks or as plain calls (tests, benchmarks).

plan -> load (read, per file) -> validate (parse + GX, once per instrument) -> stage ->
curate (per affected region) -> commit (atomic) -> summary.

Granularity: a file is the unit of change detection (sha256 against the manifest); a region
is the unit of curation, because cross-file checks (unknown respondents, the placement state
across snapshots) live within a region. Unchanged files are not read again: their parsed,
validated rows are kept in the restricted zone (`staged/`) and re-used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.audit import AUDIT_FILE
from dwt.errors import FileRejected, KeyMismatch
from dwt.files import sha256_of
from dwt.ingest.discover import Delivery, Discovery, discover
from dwt.ingest.manifest import (
    FileResult,
    RunResult,
    from_manifest,
    manifest_entry,
    removed,
    run_summary,
    slot,
    write_manifest,
    write_snapshot,
)
from dwt.ingest.staging import STAGED, read_staged, stage_rows, unstage
from dwt.lake import Lake, Transaction, dumps_json
from dwt.pseudonym import key_fingerprint
from dwt.schema import Instrument, Study, curated_tables, load_instrument, restricted_tables

if TYPE_CHECKING:
    import pandas as pd

    from dwt.ingest.curate import RegionOutput
    from dwt.validation.runner import RowValidation, Validator


@dataclass
class Plan:
    discovery: Discovery
    to_load: list[Delivery]
    unchanged: list[FileResult]
    rejected: list[FileResult]
    shas: dict[str, str]
    missing: list[str]  # not-delivered instruments over the whole study (the quality table's)
    removed: list[FileResult]  # in the manifest, in scope, but no longer under raw/


@dataclass
class Loaded:
    """One delivery as read (raw text values, Arrow-backed: `RawTable.cells`); `typed` and
    `reasons` are filled in when its instrument's files are parsed and validated together."""

    delivery: Delivery
    sha256: str
    raw: pd.DataFrame
    unknown_columns: list[str]
    typed: pd.DataFrame | None = None
    reasons: pd.Series | None = None

    def drop_rows(self) -> None:
        """Forget the rows once they are staged: curation reads them back from the staged
        copy, and holding them too doubled a large delivery's peak memory."""
        import pandas as pd

        self.raw = pd.DataFrame(columns=self.raw.columns)
        self.typed = None
        self.reasons = None


@dataclass
class Checked:
    """What GX said of one ingest: count summaries per instrument (stored as JSON) and the
    validation results per instrument and wave, (batch id, result), that its Data Docs show."""

    summaries: dict[str, Any]
    pages: list[tuple[str, Any]]


@dataclass
class Changes:
    """What a run must write: the files it read, the ones newly rejected, the regions to
    re-curate (a region is re-curated whole when any of its files changed)."""

    loaded: list[Loaded]
    rejected: list[FileResult]
    affected: list[str]


# --------------------------------------------------------------------------------- plan
def check_key(lake: Lake, key: bytes) -> None:
    recorded = lake.snapshot().get("key_fingerprint")
    if recorded and recorded != key_fingerprint(key):
        raise KeyMismatch(
            "this lake was built with a different pseudonym key (fingerprint "
            f"{recorded}); ingesting with another key would silently break linkage "
            "across years. Use the study's key, or start a new data dir."
        )


def plan_run(lake: Lake, study: Study, raw_dir: Path, region: str | None, wave: int | None) -> Plan:
    """Discover files and decide which must be (re)read: new or changed since last ingest."""
    disc = discover(raw_dir, study, region, wave)
    # The quality table covers every region and wave: a narrowed run looks at the whole study
    # for what is missing (a second walk only then).
    missing = disc.missing if region is None and wave is None else discover(raw_dir, study).missing
    manifest = lake.manifest()["files"]
    owners = _slot_owners(manifest)
    to_load: list[Delivery] = []
    unchanged: list[FileResult] = []
    shas: dict[str, str] = {}
    for d in disc.deliveries:
        sha = sha256_of(d.path)
        shas[d.relpath] = sha
        prev = manifest.get(d.relpath)
        # Unchanged only if the bytes are the same and the lake holds this file's rows for its
        # slot: a csv restored after an xlsx replaced it must be read again.
        owned = prev is not None and (
            prev["status"] == "rejected" or owners.get(slot(prev)) == d.relpath
        )
        if prev and prev["sha256"] == sha and owned:
            unchanged.append(from_manifest(d.relpath, prev))
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
    seen = {d.relpath for d in disc.deliveries} | {r.relpath for r in disc.rejected}
    gone = [
        removed(path, prev)
        for path, prev in sorted(manifest.items())
        if path not in seen and _in_scope(prev, region, wave)
    ]
    return Plan(disc, to_load, unchanged, rejected, shas, missing, gone)


def _slot_owners(manifest: dict[str, Any]) -> dict[tuple[Any, Any, Any], str | None]:
    """The accepted file whose rows the lake holds, per slot (None when the manifest, as an
    older version could leave it, names two: then neither counts as unchanged)."""
    owners: dict[tuple[Any, Any, Any], str | None] = {}
    for path, entry in manifest.items():
        if entry["status"] == "accepted":
            key = slot(entry)
            owners[key] = None if key in owners else path
    return owners


def _in_scope(entry: dict[str, Any], region: str | None, wave: int | None) -> bool:
    return (region is None or entry.get("region") == region) and (
        wave is None or entry.get("wave") == wave
    )


# --------------------------------------------------------------------------------- load
def load_delivery(d: Delivery, sha: str, study: Study) -> Loaded | FileResult:
    """Read one file (the IO step); a file that cannot be read is rejected with its reason."""
    from dwt.ingest.read import read_raw

    instrument = load_instrument(d.instrument)
    try:
        raw = read_raw(d.path, instrument)
    except FileRejected as exc:
        return _rejected(d, sha, exc.reason)
    return Loaded(d, sha, raw.cells, list(raw.unknown_columns))


def load_instrument_files(
    instrument: str, deliveries: list[Delivery], shas: dict[str, str], study: Study
) -> list[Loaded | FileResult]:
    """Read the files of `instrument` (one step, so that a run pays a step's fixed cost per
    instrument, not per file); each file read or rejected on its own, in order."""
    return [load_delivery(d, shas[d.relpath], study) for d in deliveries]


def _rejected(d: Delivery, sha: str, reason: str) -> FileResult:
    return FileResult(
        d.relpath, "rejected", reason, sha256=sha, instrument=d.instrument, region=d.region,
        wave=d.wave,
    )  # fmt: skip


# ----------------------------------------------------------------------------- validate
def validate_all(loaded: list[Loaded], validator: Validator) -> tuple[list[Any], Checked]:
    """Validate every loaded file, one GX run per instrument and wave (dependency order of the
    study)."""
    out: list[Any] = []
    checked = Checked({}, [])
    for name in validator.study.instruments:
        group = [item for item in loaded if item.delivery.instrument == name]
        if group:
            items, validation = validate_instrument(group, load_instrument(name), validator)
            out.extend(items)
            if validation is not None:
                checked.summaries[name] = validation.summary
                checked.pages.extend(validation.results)
    return out, checked


def validate_instrument(
    loaded: list[Loaded], instrument: Instrument, validator: Validator
) -> tuple[list[Loaded | FileResult], RowValidation | None]:
    """Parse and validate every loaded file of one instrument together.

    One GX run judges the files (required columns, at least one row), one parse and one GX
    run cover all their rows, then key rules and document rules (the rows of one focus group
    agree) apply per file. Batching matters: GX and
    pandas cost a fixed overhead per call, and a study has ~100 small files.
    """
    import pandas as pd

    from dwt.ingest.keys import key_reasons
    from dwt.ingest.parse import parse_table
    from dwt.validation.crosscheck import document_reasons

    out: list[Loaded | FileResult] = []
    kept: list[Loaded] = []
    for item, file_reasons in zip(
        loaded, validator.validate_files([i.raw for i in loaded], instrument), strict=True
    ):
        if file_reasons:
            out.append(_rejected(item.delivery, item.sha256, "; ".join(file_reasons)))
        else:
            kept.append(item)
    if not kept:
        return out, None
    raw = pd.concat([k.raw for k in kept], ignore_index=True)
    typed, parse_reasons = parse_table(raw, instrument, validator.study)
    typed = typed.copy()
    typed[STAGED.region] = [k.delivery.region for k in kept for _ in range(len(k.raw))]
    typed[STAGED.wave] = [k.delivery.wave for k in kept for _ in range(len(k.raw))]
    typed[STAGED.file] = [k.delivery.relpath for k in kept for _ in range(len(k.raw))]
    typed[STAGED.row] = [int(i) for k in kept for i in k.raw.index]
    # A column that already failed parsing gets no second reason from GX for that row.
    validation = validator.validate_rows(typed, instrument, parse_reasons=parse_reasons)
    compare = [c for c in instrument.column_names if c in typed.columns]
    keys = key_reasons(typed, _key_columns(instrument), compare)
    documents = document_reasons(typed, instrument)
    none: list[str] = []  # shared by every row without a reason (most rows: read, not changed)
    merged = [
        _merge(*reasons) if any(reasons) else none
        for reasons in zip(
            parse_reasons.to_list(), validation.reasons.to_list(), keys.to_list(),
            documents.to_list(), strict=True,
        )
    ]  # fmt: skip
    offset = 0
    for item in kept:
        n = len(item.raw)
        item.typed = typed.iloc[offset : offset + n]
        item.reasons = pd.Series(merged[offset : offset + n], index=item.typed.index, dtype=object)
        offset += n
        out.append(item)
    return out, validation


def _key_columns(instrument: Instrument) -> list[str]:
    # 'wave' in a survey key is the file's wave: one file per wave, so the key is per file.
    return [c for c in instrument.key if c != "wave"]


def _merge(*lists: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for lst in lists:
        for r in lst or []:
            seen.setdefault(r, None)
    return list(seen)


# ------------------------------------------------------------------------------ changes
def changes(lake: Lake, plan: Plan, processed: list[Loaded | FileResult]) -> Changes | None:
    """What this run must write, or None when nothing changed (then nothing is written: a
    re-ingest leaves every byte of the lake as it is)."""
    files = lake.manifest()["files"]
    loaded = [p for p in processed if isinstance(p, Loaded)]
    newly_rejected = [p for p in processed if isinstance(p, FileResult)]
    affected: set[str] = {item.delivery.region for item in loaded}
    for r in [*newly_rejected, *plan.rejected, *plan.removed]:
        prev = files.get(r.path)
        if prev and prev["status"] != "rejected" and r.region:
            affected.add(r.region)  # a file that delivered before is now rejected, or gone
    manifest_changed = any(
        files.get(r.path, {}).get("sha256") != r.sha256
        or files.get(r.path, {}).get("status") != "rejected"
        for r in [*newly_rejected, *plan.rejected]
        if r.sha256 is not None
    )
    if not loaded and not affected and not manifest_changed and not plan.removed:
        return None
    return Changes(loaded, newly_rejected, sorted(affected))


def unchanged_result(plan: Plan, processed: list[Loaded | FileResult], run_id: str) -> RunResult:
    results = [*plan.unchanged, *plan.rejected, *plan.removed]
    results += [p for p in processed if isinstance(p, FileResult)]
    return RunResult(run_summary(run_id, results, plan.discovery.missing), changed=False)


# -------------------------------------------------------------------------------- stage
def stage(tx: Transaction, lake: Lake, plan: Plan, work: Changes) -> None:
    """Keep the rows of every file read; drop the staged rows of a file now rejected or gone
    (unless another file now delivers its slot)."""
    for item in work.loaded:
        d = item.delivery
        assert item.typed is not None and item.reasons is not None, "stage after validation"
        stage_rows(tx, d.region, d.wave, d.instrument, item.typed, item.reasons, item.raw)
        item.drop_rows()
    files = lake.manifest()["files"]
    restaged = {(i.delivery.region, i.delivery.wave, i.delivery.instrument) for i in work.loaded}
    for r in [*work.rejected, *plan.rejected, *plan.removed]:
        if r.region and r.wave is not None and r.instrument and slot(r) not in restaged:
            prev = files.get(r.path)
            if prev and prev["status"] != "rejected":
                unstage(tx, r.region, r.wave, r.instrument)


# ------------------------------------------------------------------------------- curate
def curate_region(tx: Transaction, region: str, key: bytes) -> RegionOutput:
    """Re-curate one region from its staged rows and write its tables into the staged zones."""
    from dwt.ingest import curate  # pandas and friends: only a run with work to do pays them

    for table in curated_tables().values():
        tx.remove_tree("curated", table.partition_dir(region=region))
    for table in restricted_tables().values():
        if "region" in table.partition:
            tx.remove_tree("restricted", table.partition_dir(region=region))
    # Each table is written as soon as it is built and then let go, and the commit gets the
    # counts alone: holding the tables (of a region, then of every region until the commit)
    # grew the run's memory with the lake.
    return curate.build_region(
        region,
        read_staged(tx, region),
        key,
        write_research=lambda rel, arrow: tx.write_parquet("curated", rel, arrow),
        write_restricted=lambda rel, arrow: tx.write_parquet("restricted", rel, arrow),
    )


# ------------------------------------------------------------------------------- commit
def commit(
    tx: Transaction,
    lake: Lake,
    study: Study,
    plan: Plan,
    work: Changes,
    curated: dict[str, RegionOutput],
    key: bytes,
    run_id: str,
    checked: Checked,
) -> RunResult:
    """Record every file's outcome and counts, the quality table and the snapshot; then commit
    both zones at once."""
    files: dict[str, Any] = dict(lake.manifest()["files"])
    results: list[FileResult] = [*plan.unchanged, *plan.rejected, *work.rejected, *plan.removed]
    for gone in plan.removed:
        files.pop(gone.path, None)
    counts: dict[str, tuple[int, int, int]] = {}
    for out in curated.values():
        counts.update(out.counts)
    for item in work.loaded:
        n, good, bad = counts[item.delivery.relpath]
        d = item.delivery
        results.append(
            FileResult(
                d.relpath, "accepted", None, n, good, bad, item.sha256, d.instrument, d.region,
                d.wave, item.unknown_columns,
            )
        )  # fmt: skip
    for r in results:
        if r.status in ("accepted", "rejected") and r.sha256 is not None:
            files[r.path] = manifest_entry(r, run_id)
    # One accepted file per slot: a file re-sent in another format replaces the earlier one.
    accepted_now = {slot(r): r.path for r in results if r.status == "accepted"}
    for path, entry in list(files.items()):
        owner = accepted_now.get(slot(entry))
        if entry["status"] == "accepted" and owner is not None and owner != path:
            del files[path]
    # Files of a re-curated region that were unchanged keep their counts unless the
    # cross-file checks moved rows (e.g. a corrected placements file): refresh them.
    for path, (n, good, bad) in counts.items():
        if path in files:
            files[path].update(rows=n, curated=good, quarantined=bad)
    for r in results:
        if r.status == "unchanged" and r.path in counts:
            r.rows, r.curated, r.quarantined = counts[r.path]
    from dwt.ingest.quality import write_quality

    write_manifest(tx, files)
    for instrument, summary in checked.summaries.items():
        tx.write_bytes("restricted", f"gx/{instrument}.json", dumps_json(summary))
    docs = data_docs(tx, checked, run_id)
    quality = {region: out.quality for region, out in curated.items()}
    write_quality(tx, study, files, quality, plan.missing)
    write_snapshot(tx, files, key)
    if not tx.path("restricted", AUDIT_FILE).exists():
        # Created by the commit, so that a command appending to it while a later ingest stages
        # the zone writes into the inode both copies share (the copy is hard-linked).
        tx.write_bytes("restricted", AUDIT_FILE, b"")
    tx.commit()
    summary = run_summary(run_id, results, plan.discovery.missing, docs)
    return RunResult(summary, changed=True)


DATA_DOCS = Path("gx") / "docs"  # in the restricted zone: one GX Data Docs site per ingest


def data_docs(tx: Transaction, checked: Checked, run_id: str) -> str | None:
    """Build this ingest's GX Data Docs into the staged restricted zone (`gx/docs/<run id>/`);
    the site's index as a path under the data dir, or None when nothing was validated.
    Sites of earlier ingests stay: each run log links to its own."""
    if not checked.pages:
        return None
    from dwt.validation.datadocs import build_data_docs

    site = DATA_DOCS / run_id
    tx.remove_tree("restricted", site)  # never write into an inode the live zone shares
    index = build_data_docs(checked.pages, tx.path("restricted", site), run_id)
    assert index is not None
    return f"restricted/{(site / index.name).as_posix()}"
