"""The curated lake published to object storage and read back through DuckDB (issue 16).

Real components: moto's S3 server (ThreadedMotoServer on 127.0.0.1, a free port), s3fs, DuckDB
reading through `register_filesystem` (httpfs cannot be downloaded here). A generated region
is ingested in-process into a temp lake, published with `dwt.publish.publish_snapshot`, and
read from the bucket by a second s3fs client, as a reader on another machine would.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.lake_runs import TEST_KEY, copy_waves, generated_region

from dwt.analytics.views import connect
from dwt.config import Settings
from dwt.publish import (
    POINTER,
    PublishConflict,
    PublishError,
    commit_pointer,
    connect_published,
    publish_snapshot,
    read_published,
)
from dwt.schema import curated_tables
from dwt.zones import SNAPSHOT, ResearchZone
from flows.ingest_sequence import run_ingest

s3fs = pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

KEY = TEST_KEY.encode()
BUCKET = "dwt-curated"
PREFIX = f"{BUCKET}/dwt"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on a free port of 127.0.0.1, with dummy credentials in the env."""
    mp = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        mp.setenv(name, value)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        s3(url).mkdir(BUCKET)
        yield url
    finally:
        server.stop()
        mp.undo()


def s3(endpoint: str) -> Any:
    """A fresh client (no shared instance or listing cache), as on another machine."""
    return s3fs.S3FileSystem(
        endpoint_url=endpoint, skip_instance_cache=True, use_listings_cache=False
    )


def counts(con: Any) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in curated_tables()}


def bucket_objects(fs: Any) -> dict[str, bytes]:
    return {path: fs.cat_file(path) for path in fs.find(BUCKET)}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data dir, the generated region's deliveries); the lake holds the first wave."""
    root = tmp_path_factory.mktemp("s3lake")
    study = generated_region(root / "study", scale=0.2)
    data = root / "data"
    copy_waves(study, data / "raw", range(2017, 2018))
    run_ingest(Settings(data_dir=data), KEY)
    return data, study


def test_a_published_snapshot_reads_back_like_the_local_lake_and_a_second_leaves_it_intact(
    endpoint: str, lake: tuple[Path, Path]
) -> None:
    data, study = lake
    writer = s3(endpoint)
    zone = ResearchZone(data / "curated")
    local_counts = counts(connect(zone))
    assert local_counts["placements"] > 0

    first = publish_snapshot(zone, writer, PREFIX)
    assert first == zone.snapshot_id()

    reader = s3(endpoint)
    pointer = read_published(reader, PREFIX)
    assert pointer["snapshot"] == first
    assert counts(connect_published(reader, PREFIX)) == local_counts

    # Only the research zone went up: its Parquet and _snapshot.json, nothing else.
    objects = bucket_objects(reader)
    base = f"{PREFIX}/snapshots/{first}/"
    local = {p.relative_to(zone.root).as_posix() for p in zone.root.rglob("*") if p.is_file()}
    assert set(objects) == {f"{PREFIX}/{POINTER}"} | {base + rel for rel in local}
    assert set(pointer["files"]) == local
    restricted = {
        hashlib.sha256(p.read_bytes()).digest()
        for p in (data / "restricted").rglob("*")
        if p.is_file()
    }
    assert restricted, "the restricted zone should hold files"
    for path, body in objects.items():
        name = path.rsplit("/", 1)[1]
        assert name in (POINTER, SNAPSHOT) or name.endswith(".parquet"), path
        assert hashlib.sha256(body).digest() not in restricted, path
        assert KEY not in body, path
    first_objects = {p: b for p, b in objects.items() if p.startswith(base)}

    # A reader of the first snapshot opened before the next publish.
    old_reader = connect_published(reader, PREFIX)

    copy_waves(study, data / "raw", range(2018, 2019))
    run_ingest(Settings(data_dir=data), KEY)
    changed_counts = counts(connect(zone))
    assert changed_counts != local_counts
    second = publish_snapshot(zone, writer, PREFIX)
    assert second == zone.snapshot_id() != first

    after = bucket_objects(reader)
    assert read_published(reader, PREFIX)["snapshot"] == second
    assert {p: b for p, b in after.items() if p.startswith(base)} == first_objects
    assert counts(connect_published(reader, PREFIX)) == changed_counts
    assert counts(old_reader) == local_counts  # still reads the first snapshot, whole

    # Publishing the same snapshot again uploads nothing and moves nothing.
    etag = reader.info(f"{PREFIX}/{POINTER}")["ETag"]
    assert publish_snapshot(zone, writer, PREFIX) == second
    assert bucket_objects(reader) == after
    assert reader.info(f"{PREFIX}/{POINTER}")["ETag"] == etag

    # A publisher that read CURRENT before another one committed is refused (If-Match).
    stale = {"snapshot": first, "files": pointer["files"]}
    with pytest.raises(PublishConflict):
        commit_pointer(writer, PREFIX, stale, '"0123456789abcdef0123456789abcdef"')
    assert read_published(reader, PREFIX)["snapshot"] == second


def test_a_zone_holding_anything_but_curated_files_is_not_published(
    endpoint: str, lake: tuple[Path, Path], tmp_path: Path
) -> None:
    data, _ = lake
    fs = s3(endpoint)
    prefix = f"{BUCKET}/refused"
    zone = tmp_path / "curated"
    shutil.copytree(data / "curated", zone)
    shutil.copy(data / "restricted" / "manifest.json", zone / "manifest.json")
    with pytest.raises(PublishError, match=r"manifest\.json is not a curated table file"):
        publish_snapshot(zone, fs, prefix)
    (zone / "manifest.json").unlink()
    (zone / SNAPSHOT).unlink()
    with pytest.raises(PublishError, match="no committed research zone"):
        publish_snapshot(zone, fs, prefix)
    assert not fs.exists(prefix)
