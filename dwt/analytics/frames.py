"""Reads the curated views (via `views.connect`) into the frames the figures are computed from.

The one IO edge of the metrics: everything downstream is pure. `--as-of Y` is applied here, by
reading only waves <= Y, so a figure "as it stood after wave Y" cannot see a later delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from dwt.analytics.views import connect
from dwt.schema import curated_tables, load_study
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

SURVEYS = ("employee_survey", "employer_survey")


@dataclass(frozen=True)
class LakeFrames:
    """The research-zone inputs of the figures, already cut at the as-of wave."""

    reference_waves: dict[str, int]  # region -> latest wave ingested (<= as_of)
    placements: pd.DataFrame  # state as of the region's reference wave, one row per placement
    employee_survey: pd.DataFrame
    employer_survey: pd.DataFrame
    contacts: pd.DataFrame
    quality: pd.DataFrame

    def reference_date(self, region: str) -> date:
        return load_study().reference_date(self.reference_waves[region])


def _wave_filter(as_of: int | None) -> str:
    return "" if as_of is None else f"WHERE wave <= {int(as_of)}"


def reference_waves(con: duckdb.DuckDBPyConnection, as_of: int | None) -> dict[str, int]:
    """Latest wave present in placement_history per region, capped at `as_of`."""
    rows = con.execute(
        f"SELECT region, max(wave) FROM placement_history {_wave_filter(as_of)} "
        "GROUP BY region ORDER BY region"
    ).fetchall()
    return {str(r): int(w) for r, w in rows if r is not None}


def placements_as_of(con: duckdb.DuckDBPyConnection, as_of: int | None) -> pd.DataFrame:
    """Each placement's row from the latest wave <= as_of that delivered it.

    A placement missing from a later snapshot keeps its last delivered state (spec), which is
    what "latest delivering wave" gives. `wave` is renamed `state_wave` to avoid confusion.
    """
    frame = con.execute(
        f"SELECT * FROM placement_history {_wave_filter(as_of)} "
        "QUALIFY row_number() OVER (PARTITION BY region, placement_id ORDER BY wave DESC) = 1 "
        "ORDER BY region, placement_id"
    ).df()
    return frame.rename(columns={"wave": "state_wave"})


def _table(con: duckdb.DuckDBPyConnection, table: str, as_of: int | None) -> pd.DataFrame:
    order = ", ".join(curated_tables()[table].partition) or "1"
    return con.execute(f"SELECT * FROM {table} {_wave_filter(as_of)} ORDER BY {order}").df()


def read_frames(zone: ResearchZone, as_of: int | None = None) -> LakeFrames:
    """All inputs of `dwt metrics` from the research zone (waves <= as_of)."""
    con = connect(zone)
    try:
        waves = reference_waves(con, as_of)
        placements = placements_as_of(con, as_of)
        quality = con.execute(
            f"SELECT * FROM quality {_wave_filter(as_of)} ORDER BY region, wave, instrument"
        ).df()
        return LakeFrames(
            reference_waves=waves,
            placements=placements,
            employee_survey=_table(con, "employee_survey", as_of),
            employer_survey=_table(con, "employer_survey", as_of),
            contacts=_table(con, "contacts", as_of),
            quality=quality,
        )
    finally:
        con.close()
