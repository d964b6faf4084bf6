"""Generate a whole synthetic study into a folder (the IO edge of `dwt generate`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from dwt.generate import faults as fl
from dwt.generate.deliveries import Delivery, Key, not_delivered, region_deliveries
from dwt.generate.ids import kvk_numbers, valid_bsns
from dwt.generate.interviews import interview_deliveries
from dwt.generate.simulate import RegionTruth, region_sizes, simulate_region
from dwt.generate.styles import REGION_STYLES, Style, style_for
from dwt.generate.write import csv_bytes, render, xlsx_bytes
from dwt.schema import Study, load_instrument, load_study

MANIFEST = "_manifest.json"
FAULTS = "_faults.json"
RESERVED_IDS = 64  # fresh BSNs / KvK numbers for fault rows: nobody in the study has them
UNDECODABLE_MARK = "@@undecodable@@"
UNDECODABLE_BYTES = b"Ren\x81\x8d\x8f\x90\x9de"  # invalid UTF-8 and undefined in cp1252


def generate_study(
    out: Path, seed: int = 2017, scale: float = 1.0, faults: bool = False
) -> dict[str, Any]:
    """Write `<out>/<region>/<wave>/<instrument>.<ext>` and `_manifest.json`; return the manifest.

    With `faults`, also inject every row and file fault and write `_faults.json`.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    study = load_study()
    truths = _simulate(study, seed, scale)
    skip = not_delivered(study)
    deliveries: dict[Key, Delivery] = {}
    for truth in truths:
        rng = np.random.default_rng([seed, truth.index, 1])
        deliveries.update(region_deliveries(study, truth, rng, skip))
        qda_rng = np.random.default_rng([seed, truth.index, 2])
        deliveries.update(interview_deliveries(study, truth, qda_rng, skip))
    file_faults: dict[Key, str] = {}
    flags: list[dict[str, Any]] = []
    if faults:
        file_faults, flags = _inject(study, seed, deliveries, skip)
    _remove_previous(out)
    written = _write_deliveries(out, deliveries, file_faults, seed)
    if faults:
        written += _write_rejected_paths(out, study, deliveries)
    manifest = _manifest(study, seed, scale, truths, written, skip)
    _write_json(out / MANIFEST, manifest)
    if faults:
        _write_json(out / FAULTS, _faults_report(study, seed, scale, written, flags, skip))
    return manifest


# ------------------------------------------------------------------------------ simulate
def _simulate(study: Study, seed: int, scale: float) -> list[RegionTruth]:
    """Region truths; identifiers come from one pool so they are unique across regions."""
    rngs = [np.random.default_rng([seed, i]) for i in range(len(study.regions))]
    sizes = [region_sizes(rng, scale) for rng in rngs]
    id_rng = np.random.default_rng([seed, 10**6])
    bsns = valid_bsns(id_rng, sum(p for _, p in sizes))
    kvks = kvk_numbers(id_rng, sum(e for e, _ in sizes))
    block = 999 // len(study.regions)  # advisor codes AD-001..AD-999 shared out by region
    truths: list[RegionTruth] = []
    b = k = 0
    for i, (region, rng, (n_emp, n_per)) in enumerate(zip(study.regions, rngs, sizes, strict=True)):
        n_adv = int(np.clip(round(n_emp / 8), 3, block))
        advisors = [f"AD-{i * block + a + 1:03d}" for a in range(n_adv)]
        truth = simulate_region(
            study, i, region.code, rng, bsns[b : b + n_per], kvks[k : k + n_emp], advisors
        )
        truths.append(truth)
        b, k = b + n_per, k + n_emp
    return truths


def _fresh_ids(seed: int, used: set[str], kind: str) -> list[str]:
    rng = np.random.default_rng([seed, 10**6 + 1])
    pool = (
        valid_bsns(rng, RESERVED_IDS * 4) if kind == "bsn" else kvk_numbers(rng, RESERVED_IDS * 4)
    )
    return [x for x in pool if x not in used][:RESERVED_IDS]


def _inject(
    study: Study, seed: int, deliveries: dict[Key, Delivery], skip: set[Key]
) -> tuple[dict[Key, str], list[dict[str, Any]]]:
    used_bsn = {b for d in deliveries.values() for b in d.cells.get("bsn", []) if b}
    used_kvk = {k for d in deliveries.values() for k in d.cells.get("employer_kvk", []) if k}
    ctx = fl.Context(
        study,
        np.random.default_rng([seed, 99]),
        iter(_fresh_ids(seed, used_bsn, "bsn")),
        iter(_fresh_ids(seed, used_kvk, "kvk")),
    )
    file_faults = fl.file_fault_targets(study, skip)
    sav_regions = {r.code for i, r in enumerate(study.regions) if style_for(i).ext == "sav"}
    fl.inject_row_faults(ctx, deliveries, set(file_faults), sav_regions)
    flags = fl.inject_flags(ctx, deliveries)
    # interview-wave faults last, from their own stream: the faults above stay where they were
    qda = fl.Context(study, np.random.default_rng([seed, 98]), ctx.fresh_bsns, ctx.fresh_kvks)
    fl.inject_interview_faults(qda, deliveries, set(file_faults))
    return file_faults, flags


# --------------------------------------------------------------------------------- write
def _remove_previous(out: Path) -> None:
    """Remove the files a previous run listed, so no stale delivery survives a new seed."""
    old = out / MANIFEST
    if not old.exists():
        return
    for entry in json.loads(old.read_text(encoding="utf-8")).get("files", []):
        path = out / entry["path"]
        if path.is_file():
            path.unlink()
        # an emptied folder of an unknown region or wave would still look like a delivery
        for folder in (path.parent, path.parent.parent):
            if folder != out and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    (out / FAULTS).unlink(missing_ok=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write(out: Path, rel: str, data: bytes) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _entry(rel: str, rows: int | None, fmt: str, expect: dict[str, Any]) -> dict[str, Any]:
    region, wave, name = [*rel.split("/"), "", "", ""][:3]
    return {"path": rel, "format": fmt, "rows": rows, "_expect": expect,
            "region": region, "wave": int(wave) if wave.isdigit() else wave,
            "instrument": name.rsplit(".", 1)[0]}  # fmt: skip


def _write_deliveries(
    out: Path, deliveries: dict[Key, Delivery], file_faults: dict[Key, str], seed: int
) -> list[dict[str, Any]]:
    """Write every delivery; a file fault spoils its file."""
    written: list[dict[str, Any]] = []
    for key in sorted(deliveries):
        d = deliveries[key]
        style = style_for(d.region_index, d.instrument)
        kind = file_faults.get(key)
        columns = list(load_instrument(d.instrument).columns)
        if kind is None:
            rel = f"{d.region}/{d.wave}/{d.instrument}.{style.ext}"
            _write(out, rel, render(d.cells, columns, style, d.instrument))
            expect = {"expect": "accepted", "rows": len(d.cells), "quarantined": d.quarantined()}
            written.append(_entry(rel, len(d.cells), style.ext, expect))
        else:
            written += _write_file_fault(out, d, style, kind, seed)
    return written


def _rejected(reason: str) -> dict[str, Any]:
    return {"expect": "rejected", "reason": reason}


def _write_file_fault(
    out: Path, d: Delivery, style: Style, kind: str, seed: int
) -> list[dict[str, Any]]:
    columns = list(load_instrument(d.instrument).columns)
    base = f"{d.region}/{d.wave}/{d.instrument}"
    n = len(d.cells)
    if kind == "corrupt_xlsx":
        rng = np.random.default_rng([seed, 77])
        _write(out, f"{base}.xlsx", rng.integers(0, 256, 2048, dtype=np.uint8).tobytes())
        return [_entry(f"{base}.xlsx", None, "xlsx", _rejected("unreadable file"))]
    if kind == "truncated_sav":
        sav_style = next(s for s in REGION_STYLES if s.ext == "sav")
        data = render(d.cells, columns, sav_style, d.instrument)
        _write(out, f"{base}.sav", data[: len(data) // 2])
        return [_entry(f"{base}.sav", None, "sav", _rejected("unreadable file"))]
    csv_style = style if style.ext == "csv" else REGION_STYLES[0]
    if kind == "undecodable":
        cells = d.cells.copy()
        text_col = next(c.name for c in columns if c.type == "text")
        cells.at[0, text_col] = f"{cells.at[0, text_col]!s} {UNDECODABLE_MARK}"
        data = csv_bytes(cells, columns, csv_style, d.instrument)
        data = data.replace(UNDECODABLE_MARK.encode(), UNDECODABLE_BYTES)
        _write(out, f"{base}.csv", data)
        return [_entry(f"{base}.csv", n, "csv", _rejected("undecodable text"))]
    if kind == "missing_column":
        drop = next(c for c in columns if c.required and not c.is_identifier)
        kept = [c for c in columns if c is not drop]
        _write(out, f"{base}.csv", csv_bytes(d.cells, kept, csv_style, d.instrument))
        reason = f"missing required column: {drop.name}"
        return [_entry(f"{base}.csv", n, "csv", _rejected(reason))]
    if kind == "header_only":
        _write(out, f"{base}.csv", csv_bytes(d.cells.iloc[:0], columns, csv_style, d.instrument))
        return [_entry(f"{base}.csv", 0, "csv", _rejected("no data rows"))]
    if kind == "two_files":
        reason = "two files for one instrument/region/wave"
        _write(out, f"{base}.csv", csv_bytes(d.cells, columns, csv_style, d.instrument))
        xlsx_style = next(s for s in REGION_STYLES if s.ext == "xlsx")
        _write(out, f"{base}.xlsx", xlsx_bytes(d.cells, columns, xlsx_style, d.instrument))
        return [
            _entry(f"{base}.csv", n, "csv", _rejected(reason)),
            _entry(f"{base}.xlsx", n, "xlsx", _rejected(reason)),
        ]
    raise ValueError(f"unknown file fault {kind!r}")


def _write_rejected_paths(
    out: Path, study: Study, deliveries: dict[Key, Delivery]
) -> list[dict[str, Any]]:
    """Files outside the layout (unknown region, wave, instrument): a copy of some contacts."""
    regions = study.region_codes
    wave = study.first_wave + 1 if study.last_wave > study.first_wave else study.first_wave
    source = deliveries[next(k for k in sorted(deliveries) if k[2] == "contacts")]
    columns = list(load_instrument("contacts").columns)
    data = csv_bytes(source.cells, columns, REGION_STYLES[0], "contacts")
    unknown_region = fl.UNKNOWN_REGION
    while unknown_region in regions:
        unknown_region += "-x"
    paths = {
        f"{unknown_region}/{wave}/contacts.csv": "unknown region",
        f"{regions[0]}/{study.first_wave - 1}/contacts.csv": "unknown wave",
        f"{regions[2 % len(regions)]}/{wave}/{fl.UNKNOWN_INSTRUMENT}.csv": "unknown instrument",
    }
    written: list[dict[str, Any]] = []
    for rel, reason in paths.items():
        _write(out, rel, data)
        entry = _entry(rel, len(source.cells), "csv", _rejected(reason))
        entry["outside_layout"] = True
        written.append(entry)
    return written


# ------------------------------------------------------------------------------ reports
def _manifest(
    study: Study, seed: int, scale: float, truths: list[RegionTruth],
    written: list[dict[str, Any]], skip: set[Key],
) -> dict[str, Any]:  # fmt: skip
    regions = {}
    for t in truths:
        pl = t.placements
        regions[t.code] = {
            "employers": len(t.employers),
            "participants": len(t.persons),
            "placements": len(pl),
            "advisors": int(t.employers["advisor_code"].nunique()),
            "placements_dropped_from_later_snapshot": int((pl["_gone"] < 9999).sum()),
        }
    return {
        "generator": "dwt generate",
        "seed": seed,
        "scale": scale,
        "regions": regions,
        "files": [{k: v for k, v in e.items() if not k.startswith("_")} for e in written],
        "not_delivered": sorted(f"{r}/{w}/{i}" for r, w, i in skip),
    }


def _faults_report(
    study: Study, seed: int, scale: float, written: list[dict[str, Any]],
    flags: list[dict[str, Any]], skip: set[Key],
) -> dict[str, Any]:  # fmt: skip
    files = {e["path"]: e["_expect"] for e in written if not e.get("outside_layout")}
    rejected = {e["path"]: e["_expect"] for e in written if e.get("outside_layout")}
    return {
        "seed": seed,
        "scale": scale,
        "files": files,
        "rejected_paths": rejected,
        "flags": flags,
        "missing": sorted(f"{r}/{w}/{i}" for r, w, i in skip),
    }
