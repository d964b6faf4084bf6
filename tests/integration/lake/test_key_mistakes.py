"""`dwt ingest` with a key mistake stops before touching anything: exit 2 and a clear message.

Runs `dwt ingest` as a user does (subprocess, the session's Prefect API through `cli_env`).
Covered: no key at all, a different key than the lake was built with, a key file that cannot
be read (a directory, a path that does not exist, an empty file), and a key that is blank
(only newlines or spaces) or shorter than `dwt.pseudonym.MIN_KEY_BYTES`. Every byte under the
data dir (raw, both zones, run logs) is the same afterwards, and no new file appears. We run
as root, so chmod 000 would not stop a read: a directory or a missing path stands in for it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.lake_runs import TEST_KEY, copy_waves, generated_region, ingest, tree_digest


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose lake was built with the test key, and a new wave delivered since."""
    root = tmp_path_factory.mktemp("keys")
    study = generated_region(root / "study", scale=0.2)
    data = root / "data"
    copy_waves(study, data / "raw", range(2017, 2018))
    ingest(data)
    copy_waves(study, data / "raw", range(2018, 2019))
    return data


def dwt_ingest(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "commands", "ingest", "--data-dir", str(data), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def refused(data: Path, env: dict[str, str], *args: str) -> str:
    """Run the ingest; assert it exits 2 and changed nothing; return its error message."""
    before = tree_digest(data)
    proc = dwt_ingest(data, env, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert tree_digest(data) == before
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_a_missing_key_stops_the_ingest(built_lake: Path, cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "DWT_PSEUDONYM_KEY"}
    message = refused(built_lake, env)
    assert "no pseudonym key" in message
    assert "DWT_PSEUDONYM_KEY" in message and "--key-file" in message


def test_a_missing_key_stops_the_ingest_of_a_new_lake_too(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    env = {k: v for k, v in cli_env.items() if k != "DWT_PSEUDONYM_KEY"}
    assert "no pseudonym key" in refused(data, env)


def test_a_different_key_for_an_existing_lake_is_refused(
    built_lake: Path, cli_env: dict[str, str]
) -> None:
    other = "a-different-key-than-the-lake-was-built-with"
    message = refused(built_lake, {**cli_env, "DWT_PSEUDONYM_KEY": other})
    assert "different pseudonym key" in message
    assert other not in message and TEST_KEY not in message  # a key is never printed


def test_a_different_key_in_a_key_file_is_refused(
    built_lake: Path, cli_env: dict[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "other.key"
    key_file.write_text("another-study-key\n")
    message = refused(built_lake, cli_env, "--key-file", str(key_file))
    assert "different pseudonym key" in message


@pytest.mark.parametrize("kind", ["directory", "missing", "empty", "newlines", "short"])
def test_an_unreadable_or_unusable_key_file_stops_the_ingest(
    built_lake: Path, cli_env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    key_file = tmp_path / "study.key"
    if kind == "directory":
        key_file.mkdir()
    elif kind == "empty":
        key_file.write_bytes(b"")
    elif kind == "newlines":  # an editor's empty file: the lake would be keyed by "\n\n"
        key_file.write_bytes(b"\n\n\n")
    elif kind == "short":
        key_file.write_bytes(b"geheim\n")
    message = refused(built_lake, cli_env, "--key-file", str(key_file))
    assert "key file" in message and str(key_file) in message
    expected = {
        "directory": "cannot read",
        "missing": "cannot read",
        "empty": "is empty",
        "newlines": "holds only whitespace",
        "short": "holds a key of 6 bytes; at least 16",
    }[kind]
    assert expected in message
    assert "geheim" not in message  # a key is never printed


@pytest.mark.parametrize("value", [" ", "kort"])
def test_a_blank_or_short_environment_key_stops_the_ingest(
    built_lake: Path, cli_env: dict[str, str], value: str
) -> None:
    message = refused(built_lake, {**cli_env, "DWT_PSEUDONYM_KEY": value})
    assert "DWT_PSEUDONYM_KEY holds" in message


def test_the_right_key_ingests_the_new_wave(built_lake: Path, cli_env: dict[str, str]) -> None:
    # The refusals above are about the key, not the data: with the study's key it runs.
    # Runs last (file order) because it changes the lake the other tests share.
    proc = dwt_ingest(built_lake, cli_env, "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "accepted" in proc.stdout
