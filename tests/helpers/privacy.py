"""Byte scans for identifiers: what was delivered (every value of every identifier or
restricted column of the raw deliveries) and where it appears."""

from __future__ import annotations

import zipfile
from pathlib import Path

from dwt.ingest.discover import discover
from dwt.ingest.read import FileRejected, read_raw
from dwt.schema import load_instrument, load_study

SENSITIVE = ("bsn", "name", "employer_kvk", "employer_name", "notes", "segment_text",
             "document_name", "interview_id")  # fmt: skip


def identifiers_of(raw: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {c: set() for c in SENSITIVE}
    for d in discover(raw, load_study()).deliveries:
        try:
            frame = read_raw(d.path, load_instrument(d.instrument)).frame
        except FileRejected:
            continue
        for col in SENSITIVE:
            if col in frame.columns:
                found[col].update(str(v) for v in frame[col].dropna())
    # a BSN may be delivered without its leading zero; scan both spellings, and KvK padded
    found["bsn"] |= {b.zfill(9) for b in found["bsn"] if b.isdigit()}
    found["employer_kvk"] |= {k.zfill(8) for k in found["employer_kvk"] if k.isdigit()}
    # short fragments would match by chance; every real identifier here is longer
    return {c: {v for v in vals if len(v) >= 7} for c, vals in found.items()}


def blobs(folder: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if zipfile.is_zipfile(p):  # xlsx: scan the XML inside, not the compressed bytes
            with zipfile.ZipFile(p) as z:
                data += b"".join(z.read(n) for n in z.namelist())
        out[str(p)] = data
    return out


def decoded_parquet(folder: Path) -> dict[str, bytes]:
    import pyarrow.parquet as pq

    return {
        str(p): str(pq.read_table(p).to_pylist()).encode()
        for p in sorted(folder.rglob("*.parquet"))
    }


def leaks(blobs: dict[str, bytes], identifiers: dict[str, set[str]]) -> list[str]:
    leaks = []
    for kind, values in identifiers.items():
        for value in values:
            needle = value.encode("utf-8")
            leaks += [f"{kind} in {path}" for path, blob in blobs.items() if needle in blob]
    return leaks
