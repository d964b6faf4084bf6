"""What an ingest records about files, never about rows' values: file results, the lake's file
manifest (restricted zone), the snapshot (research zone), run summaries and the run log."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dwt.files import write_atomic
from dwt.lake import SNAPSHOT, Transaction, dumps_json
from dwt.pseudonym import key_fingerprint

MANIFEST = "manifest.json"


@dataclass
class FileResult:
    """One line of the run manifest: what happened to one file. No row values."""

    path: str
    status: str  # accepted | rejected | unchanged | removed
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


def from_manifest(relpath: str, prev: dict[str, Any]) -> FileResult:
    """The result of a file whose bytes are as the manifest recorded them.

    A previously rejected file that is still the same stays rejected (and says so): the user
    must see it until it is replaced. A previously accepted one is 'unchanged'.
    """
    status = "rejected" if prev["status"] == "rejected" else "unchanged"
    fields: dict[str, Any] = {
        k: prev.get(k) for k in FileResult.__dataclass_fields__ if k != "path"
    }
    fields["status"] = status
    fields["unknown_columns"] = prev.get("unknown_columns") or []
    return FileResult(path=relpath, **fields)


REMOVED = "no longer under raw/: what it delivered was removed from the lake"


def removed(relpath: str, prev: dict[str, Any]) -> FileResult:
    """A file the manifest knows that is no longer delivered: the lake follows raw/."""
    return FileResult(
        relpath, "removed", REMOVED, sha256=prev.get("sha256"), instrument=prev.get("instrument"),
        region=prev.get("region"), wave=prev.get("wave"),
    )  # fmt: skip


def slot(entry: dict[str, Any] | FileResult) -> tuple[Any, Any, Any]:
    """The (region, wave, instrument) a file delivers: the lake holds one file's rows per slot."""
    if isinstance(entry, FileResult):
        return entry.region, entry.wave, entry.instrument
    return entry.get("region"), entry.get("wave"), entry.get("instrument")


def manifest_entry(r: FileResult, run_id: str) -> dict[str, Any]:
    entry = asdict(r)
    entry.pop("path")
    entry["run_id"] = run_id
    return entry


def write_manifest(tx: Transaction, files: dict[str, Any]) -> None:
    tx.write_bytes("restricted", MANIFEST, dumps_json({"files": files}))


def snapshot_id(manifest_files: dict[str, Any]) -> str:
    """A content hash of what the lake was built from: accepted files and their sha256."""
    h = hashlib.sha256()
    for path in sorted(manifest_files):
        entry = manifest_files[path]
        h.update(f"{path}\0{entry.get('sha256')}\0{entry['status']}\n".encode())
    return h.hexdigest()[:16]


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


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@dataclass
class RunResult:
    summary: dict[str, Any]
    changed: bool

    @property
    def exit_code(self) -> int:
        return 1 if any(f["status"] == "rejected" for f in self.summary["files"]) else 0

    def public(self) -> dict[str, Any]:
        """The summary as the CLI and the flow return it (paths, statuses, counts)."""
        return {**self.summary, "changed": self.changed, "exit_code": self.exit_code}


def run_summary(
    run_id: str, results: list[FileResult], missing: list[str], data_docs: str | None = None
) -> dict[str, Any]:
    """`data_docs`: the run's GX Data Docs index, as a path under the data dir (restricted)."""
    files = sorted(results, key=lambda r: r.path)
    return {
        "run_id": run_id,
        "files": [r.public() for r in files],
        "missing": sorted(missing),
        "data_docs": data_docs,
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
    if summary.get("data_docs"):
        lines += [
            "",
            f"Validation results (GX Data Docs, restricted zone): `{summary['data_docs']}`",
        ]
    return "\n".join(lines) + "\n"


def _n(v: int | None) -> str:
    return "" if v is None else str(v)


def summary_text(summary: dict[str, Any], as_json: bool = False) -> str:
    """The run summary as `dwt ingest` prints it: a line per file (or JSON)."""
    if as_json:
        public = {k: summary[k] for k in ("run_id", "files", "missing")}
        return json.dumps(public, indent=2, ensure_ascii=False)
    lines = []
    for f in summary["files"]:
        counts = ""
        if f["rows"] is not None:
            counts = f" rows={f['rows']} curated={f['curated']} quarantined={f['quarantined']}"
        reason = f"  ({f['reason']})" if f["reason"] else ""
        lines.append(f"{f['status']:>10}  {f['path']}{counts}{reason}")
    lines += [f"{'missing':>10}  {m}" for m in summary["missing"]]
    state = "updated" if summary.get("changed") else "unchanged (nothing new)"
    lines.append(f"run {summary['run_id']}: lake {state}")
    return "\n".join(lines)


def write_run_log(runs_dir: Path, result: RunResult, provenance: dict[str, Any]) -> Path:
    """One JSON per run outside both zones: paths, statuses, counts, and who ran which code
    with which key (`dwt.audit.provenance`); never row values."""
    path = Path(runs_dir) / f"{result.summary['run_id']}.json"
    log = {**result.summary, "changed": result.changed, "provenance": provenance}
    return write_atomic(path, dumps_json(log), durable=True)
