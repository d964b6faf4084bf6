"""Publish the committed research zone to object storage, and read it back through DuckDB.

For readers on other machines (docs/SCHEDULING.md, "The curated lake on object storage"). The
ingest commits the lake on its POSIX data folder as always; `publish_snapshot` then copies the
committed curated zone, and nothing else, to an fsspec filesystem (s3fs in production and in
tests/integration/lake/test_object_storage.py):

    <prefix>/snapshots/<snapshot id>/<table>/region=<r>/…/*.parquet    immutable, write-once
    <prefix>/snapshots/<snapshot id>/_snapshot.json                   uploaded last of them
    <prefix>/CURRENT        {"snapshot": id, "files": {path: size}}   the commit, written last

Readers (`connect_published`) resolve CURRENT and hand DuckDB exactly the listed files, never a
listing, so a reader sees one whole snapshot: the one before a publish or the one after it.
Objects of an older snapshot are never overwritten or removed here, so a report still reading
one is not disturbed. CURRENT is replaced with a conditional put on S3 (If-Match on the ETag
read at the start, If-None-Match for the first publish): a second publisher that raced this one
is refused (`PublishConflict`) instead of silently overwritten.

Only a `ResearchZone` can be published: this module may not import the restricted zone, the
lake or the key (import-linter contract in pyproject.toml), and it uploads `*.parquet` and
`_snapshot.json` only, refusing a zone that holds anything else.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.analytics.views import files_view_sql, glob_literal
from dwt.errors import DwtError
from dwt.schema import curated_tables
from dwt.zones import SNAPSHOT, ResearchZone

if TYPE_CHECKING:
    import duckdb
    from fsspec import AbstractFileSystem

POINTER = "CURRENT"
SNAPSHOTS = "snapshots"


class PublishError(DwtError):
    """The research zone cannot be published as it is (not committed, or unexpected files)."""


class PublishConflict(PublishError):
    """CURRENT changed while this publish ran: another publisher committed first."""


def _zone_files(zone: ResearchZone) -> dict[str, int]:
    """The zone's files to publish (relative POSIX path -> size), refusing anything else."""
    root = zone.root
    if root.name.endswith((".new", ".old")):
        raise PublishError(f"{root} is a staging copy, not a committed research zone")
    if not (root / SNAPSHOT).is_file():
        raise PublishError(f"{root} has no {SNAPSHOT}: no committed research zone to publish")
    real_root = root.resolve()
    tables = set(curated_tables())
    files: dict[str, int] = {}
    for path in sorted(p for p in root.rglob("*") if not p.is_dir()):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink() or not path.resolve().is_relative_to(real_root):
            raise PublishError(f"{rel} in the research zone is a link; nothing was published")
        if rel != SNAPSHOT and not (path.suffix == ".parquet" and rel.split("/")[0] in tables):
            raise PublishError(
                f"{rel} is not a curated table file or {SNAPSHOT}; only the research zone is "
                "published, nothing was"
            )
        files[rel] = path.stat().st_size
    return files


def _read_pointer(fs: AbstractFileSystem, prefix: str) -> tuple[dict[str, Any], str | None]:
    """CURRENT's content and ETag ({} and None when nothing was published yet)."""
    path = posixpath.join(prefix, POINTER)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        return {}, None
    data: dict[str, Any] = json.loads(fs.cat_file(path))
    return data, info.get("ETag")


def commit_pointer(
    fs: AbstractFileSystem, prefix: str, pointer: dict[str, Any], etag: str | None
) -> None:
    """Replace CURRENT in one PUT; on S3 only if it is still the object whose ETag was read."""
    path = posixpath.join(prefix, POINTER)
    body = (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode()
    if "s3" not in _protocols(fs):
        fs.pipe_file(path, body)
        return
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    try:
        fs.pipe_file(path, body, **condition)
    except OSError as exc:
        if _precondition_failed(exc):
            raise PublishConflict(
                f"{path} changed while publishing snapshot {pointer['snapshot']}; another "
                "publisher committed first. Its files are kept; publish again."
            ) from None
        raise


def _precondition_failed(exc: BaseException | None) -> bool:
    """Whether S3 answered 412 (s3fs wraps botocore's ClientError in an OSError)."""
    while exc is not None:
        error = getattr(exc, "response", {}).get("Error", {})
        if error.get("Code") == "PreconditionFailed":
            return True
        exc = exc.__cause__
    return False


def _protocols(fs: AbstractFileSystem) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def publish_snapshot(zone: ResearchZone | Path, fs: AbstractFileSystem, prefix: str) -> str:
    """Upload the committed research zone under `<prefix>/snapshots/<id>/`, then commit by
    replacing `<prefix>/CURRENT`. Returns the snapshot id.

    Call it where the zone cannot change underneath (the ingest, holding the lake, right after
    its commit); a zone whose snapshot changed during the upload is refused all the same. A
    snapshot already published is not uploaded again (its files are checked against the zone):
    its prefix is write-once. A crash before CURRENT leaves unreferenced files only.
    """
    zone = zone if isinstance(zone, ResearchZone) else ResearchZone(Path(zone))
    snapshot = zone.snapshot_id()
    files = _zone_files(zone)
    pointer, etag = _read_pointer(fs, prefix)
    base = posixpath.join(prefix, SNAPSHOTS, snapshot)
    published = posixpath.join(base, SNAPSHOT)
    if fs.exists(published):  # complete: _snapshot.json goes last
        there = {
            posixpath.relpath(p, base): int(info["size"])
            for p, info in fs.find(base, detail=True).items()
        }
        if there != files:
            raise PublishError(
                f"snapshot {snapshot} is already published with other files; its prefix is "
                "write-once (the same deliveries built by other code?). Nothing was changed."
            )
    else:  # new, or the leftovers of a publish that crashed before its CURRENT
        for rel in sorted(files, key=lambda r: r == SNAPSHOT):
            fs.put_file(str(zone.root / rel), posixpath.join(base, rel))
    if zone.snapshot_id() != snapshot or _zone_files(zone) != files:
        raise PublishError(
            f"the research zone changed while snapshot {snapshot} was published; CURRENT was "
            "not moved. Publish under the lake's lock."
        )
    if pointer.get("snapshot") != snapshot:
        commit_pointer(fs, prefix, {"snapshot": snapshot, "files": files}, etag)
    return snapshot


def read_published(fs: AbstractFileSystem, prefix: str) -> dict[str, Any]:
    """CURRENT: the published snapshot id and its files (relative path -> size)."""
    pointer, _ = _read_pointer(fs, prefix)
    if not pointer:
        raise PublishError(f"nothing is published under {prefix}: no {POINTER}")
    return pointer


def connect_published(fs: AbstractFileSystem, prefix: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the published snapshot's views, the same views
    `dwt.analytics.views.connect` makes locally, reading through `fs` (registered with
    DuckDB, so httpfs is not needed) exactly the files CURRENT lists."""
    import duckdb

    pointer = read_published(fs, prefix)
    base = posixpath.join(prefix, SNAPSHOTS, pointer["snapshot"])
    scheme = _protocols(fs)[0]
    by_table: dict[str, list[str]] = {t: [] for t in curated_tables()}
    for rel in sorted(pointer["files"]):
        table = rel.split("/")[0]
        if table in by_table:
            by_table[table].append(glob_literal(f"{scheme}://{posixpath.join(base, rel)}"))
    con = duckdb.connect(":memory:")
    con.register_filesystem(fs)
    for table, files in by_table.items():
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {files_view_sql(table, files)}")
    return con
