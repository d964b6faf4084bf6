"""Layouts and file systems the commit cannot make atomic, refused clearly and before any work;
a disk that fills up or turns read-only mid-run leaves the lake as it was, nothing staged.

Real file systems: a small tmpfs mounted for the test (mounting needs root, as CI runs).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.deliveries import employee_answer, placement, write_csv
from helpers.lake_runs import lake_digest, leftovers

from dwt.config import Settings
from dwt.errors import ConfigError, LakeWriteError
from flows.ingest_sequence import run_ingest

KEY = b"layout-test-key"
REGION = "haaglanden"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs needs root (CI and the dev machines run as root)"
)


def _deliver(raw: Path, wave: int, people: range) -> None:
    folder = raw / REGION / str(wave)
    write_csv(folder / "placements.csv", "placements", [placement(n) for n in people])
    write_csv(folder / "employee_survey.csv", "employee_survey",
              [employee_answer(n, wave) for n in people])  # fmt: skip


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[list[Path]]:
    """Mount points made by the test (each a tmpfs); unmounted afterwards."""
    mounted: list[Path] = []
    yield mounted
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def _tmpfs(mounted: list[Path], point: Path, size: str) -> Path:
    point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
    mounted.append(point)
    return point


@needs_root
def test_a_restricted_zone_on_its_own_mount_is_refused_before_any_work(
    tmp_path: Path, mount: list[Path]
) -> None:
    data = tmp_path / "data"
    _deliver(data / "raw", 2019, range(1, 6))
    _tmpfs(mount, data / "restricted", "8m")
    with pytest.raises(ConfigError, match="mount point or on another file system"):
        run_ingest(Settings(data_dir=data), KEY)
    assert not (data / "curated").exists()
    assert list((data / "restricted").iterdir()) == []
    assert leftovers(data) == []


def test_a_zone_that_is_a_symbolic_link_is_refused_before_any_work(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _deliver(data / "raw", 2019, range(1, 6))
    (tmp_path / "elsewhere").mkdir()
    (data / "restricted").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="symbolic link"):
        run_ingest(Settings(data_dir=data), KEY)
    assert not (data / "curated").exists()
    assert list((tmp_path / "elsewhere").iterdir()) == []


@needs_root
def test_a_full_disk_mid_run_leaves_the_lake_as_it_was_and_nothing_staged(
    tmp_path: Path, mount: list[Path]
) -> None:
    data = _tmpfs(mount, tmp_path / "data", "6m")
    _deliver(data / "raw", 2018, range(1, 6))
    settings = Settings(data_dir=data)
    run_ingest(settings, KEY)
    before = lake_digest(data)
    _deliver(data / "raw", 2019, range(1, 40))
    # fill the disk: the staged copy of the next run cannot be written
    with open(data / "ballast", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    with pytest.raises(LakeWriteError, match="No space left on device") as raised:
        run_ingest(settings, KEY)
    assert raised.value.exit_code == 4
    assert lake_digest(data) == before
    assert leftovers(data) == []


@needs_root
def test_a_read_only_lake_is_refused_in_one_line_and_left_as_it_was(
    tmp_path: Path, mount: list[Path]
) -> None:
    data = _tmpfs(mount, tmp_path / "data", "16m")
    _deliver(data / "raw", 2018, range(1, 6))
    settings = Settings(data_dir=data)
    run_ingest(settings, KEY)
    before = lake_digest(data)
    _deliver(data / "raw", 2019, range(1, 6))
    subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
    with pytest.raises(LakeWriteError, match="Read-only file system") as raised:
        run_ingest(settings, KEY)
    assert "\n" not in str(raised.value) and raised.value.exit_code == 4
    assert lake_digest(data) == before
    assert leftovers(data) == []
