"""The `report` Prefect flow (what `dwt demo` calls as a subflow) writes the same files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.reports_lake import write_lake

from dwt.zones import ResearchZone
from flows.report import run_reports


def test_report_flow_writes_the_same_bytes_as_the_cli_path(
    prefect_api: str, tmp_path: Path
) -> None:
    from flows.report import report

    lake = write_lake(tmp_path / "data")
    summary = report(
        data_dir=str(lake.data_dir), out=str(tmp_path / "flow"), as_of=None, formats="html,pdf"
    )
    plain = run_reports(ResearchZone(lake.curated), tmp_path / "plain", 5)
    assert sorted(summary["reports"]) == sorted(plain["reports"])
    flow_files = sorted((tmp_path / "flow").iterdir())
    assert [p.name for p in flow_files] == sorted(p.name for p in (tmp_path / "plain").iterdir())
    for path in flow_files:
        assert path.read_bytes() == (tmp_path / "plain" / path.name).read_bytes(), path.name


def test_report_flow_refuses_an_unknown_format(prefect_api: str, tmp_path: Path) -> None:
    from dwt.config import ConfigError
    from flows.report import report

    with pytest.raises(ConfigError):
        report(data_dir=str(tmp_path), out=str(tmp_path / "r"), formats="docx")
