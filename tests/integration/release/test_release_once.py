"""One decision per snapshot in a process: the demo flow's reports and employer summaries read
the same release, decided once (`dwt.release.decided_once`), each with a copy of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.analytics_lake import write_table
from helpers.reports_lake import _contacts, write_lake

import dwt.release as release_module
from dwt.config import Settings
from dwt.release import build_release, rounding_for
from dwt.reports.build import build_reports


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the decisions actually made (calls of `release_from_frames`)."""
    made: list[int] = []
    decide = release_module.release_from_frames

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return decide(*args, **kwargs)

    monkeypatch.setattr(release_module, "release_from_frames", counted)
    monkeypatch.setattr(release_module, "_DECIDED", {})
    return made


def test_reports_then_employer_figures_decide_the_release_once(
    tmp_path: Path, decisions: list[int]
) -> None:
    zone = Settings(data_dir=write_lake(tmp_path / "data").data_dir).research_zone()
    reports = build_reports(zone, 5)
    employer = build_release(zone, rounding_for(5))
    assert len(decisions) == 1
    assert employer.safe == reports.release.safe
    assert employer.shown == reports.release.shown

    employer.safe["regions"].clear()  # one consumer's copy is its own
    again = build_release(zone, rounding_for(5))
    assert again.safe == reports.release.safe and again.safe["regions"]
    assert len(decisions) == 1

    build_release(zone, rounding_for(10))  # another threshold is another release
    assert len(decisions) == 2


def test_a_changed_zone_is_decided_again(tmp_path: Path, decisions: list[int]) -> None:
    lake = write_lake(tmp_path / "data")
    zone = Settings(data_dir=lake.data_dir).research_zone()
    before = build_release(zone, rounding_for(5))
    # the hand-made zone keeps its snapshot record: the changed Parquet file alone is the cue
    write_table(lake.curated, "contacts", _contacts()[:2])
    after = build_release(zone, rounding_for(5))
    assert len(decisions) == 2
    assert after.safe != before.safe
