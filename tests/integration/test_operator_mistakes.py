"""Operators' mistakes end in one clear line and exit 2, never a traceback or a silent default.

`dwt` runs in this process (`commands.main.main`, the entry point) over tiny lakes in tmp_path:
an invalid disclosure threshold, a data folder whose path holds glob characters (it must be
read, not another lake that matches it as a pattern), a mistyped --data-dir, an --as-of
outside the lake, and `dwt generate` with a scale that is no size. Key mistakes are in
test_key_mistakes.py (they run `dwt ingest` as a subprocess).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.analytics_lake import lake_of_size, write_history

from commands.main import main

REGION = "haaglanden"


def lake(data_dir: Path, placements: int, wave: int = 2020) -> Path:
    write_history(data_dir / "curated", lake_of_size(REGION, placements, wave=wave))
    return data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return lake(tmp_path / "data", 40)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    for text in expected:
        assert text in captured.err
    return captured.err


@pytest.mark.parametrize("k", ["0", "-1", "abc", "4", "2.5"])
@pytest.mark.parametrize("command", ["metrics", "report"])
def test_an_invalid_disclosure_threshold_is_refused(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    k: str,
    command: str,
) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", k)
    argv = [command, "--data-dir", str(data_dir)]
    argv += ["--safe", "--json"] if command == "metrics" else ["--out", str(tmp_path / "r")]
    refused(capsys, argv, f"dwt {command}: error:", "DWT_DISCLOSURE_K")
    assert not (tmp_path / "r").exists()


def test_a_higher_disclosure_threshold_applies(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", "11")
    assert main(["metrics", "--data-dir", str(data_dir), "--safe", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["disclosure"]["k"] == 11


def test_a_data_folder_with_glob_characters_is_read_not_matched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "st[1]" as a pattern matches "st1": the lake next to it must never be read instead
    ours = lake(tmp_path / "st[1]" / "data", 40)
    lake(tmp_path / "st1" / "data", 7)
    sql = "SELECT count(*) AS n FROM placements"
    assert main(["query", "--data-dir", str(ours), sql, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "40"]
    assert main(["metrics", "--data-dir", str(ours), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["all"]["placements"] == 40
    for odd in ("a*b", "what?", "x[[]"):
        other = lake(tmp_path / odd / "data", 3)
        assert main(["query", "--data-dir", str(other), sql, "--csv"]) == 0
        assert capsys.readouterr().out.splitlines() == ["n", "3"]


def test_query_on_a_mistyped_data_dir_is_an_error_not_zero_rows(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = "SELECT count(*) FROM placements"
    refused(capsys, ["query", "--data-dir", str(tmp_path / "dat"), sql], "no data folder at")
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(capsys, ["query", "--data-dir", str(empty), sql], "no curated lake under")


def test_metrics_and_report_on_a_missing_data_dir_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nowhere")
    refused(capsys, ["metrics", "--data-dir", missing], "no data folder at")
    refused(capsys, ["report", "--data-dir", missing, "--out", str(tmp_path / "r")], "no data")


@pytest.mark.parametrize("as_of", ["1999", "2016", "2030"])
def test_an_as_of_outside_the_lakes_waves_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str
) -> None:
    data = tmp_path / "data"
    write_history(
        data / "curated",
        lake_of_size(REGION, 20, wave=2017) + lake_of_size(REGION, 20, wave=2021),
    )
    expected = f"--as-of {as_of} is outside the lake's waves (2017-2021)"
    out = str(tmp_path / "r")
    refused(capsys, ["report", "--data-dir", str(data), "--as-of", as_of, "--out", out], expected)
    refused(capsys, ["metrics", "--data-dir", str(data), "--as-of", as_of], expected)


def test_an_as_of_inside_the_lake_still_works(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", "--data-dir", str(data_dir), "--as-of", "2020", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["all"]["placements"] == 40


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "inf", "-inf"])
def test_generate_with_a_scale_that_is_no_size_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scale: str
) -> None:
    out = tmp_path / "study"
    refused(capsys, ["generate", "--out", str(out), f"--scale={scale}"], "--scale must be")
    assert not out.exists()


def test_generate_with_a_negative_seed_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(capsys, ["generate", "--out", str(tmp_path / "s"), "--seed=-1"], "--seed must be")
