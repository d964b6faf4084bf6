"""The deliveries of a study: one cells frame per region, wave and instrument (pure).

Also decides what is *not delivered* even in a clean study, so the pipeline's "missing"
reporting has something to report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dwt.generate import simulate
from dwt.generate.styles import noisy_code, style_for
from dwt.generate.write import to_cells
from dwt.schema import Study, load_instrument

Key = tuple[str, int, str]  # (region, wave, instrument)


@dataclass
class Delivery:
    """One file's rows as cells, with the reasons each row is expected to be quarantined for."""

    region: str
    region_index: int
    wave: int
    instrument: str
    cells: pd.DataFrame
    reasons: list[list[str]] = field(default_factory=list)
    locked: list[bool] = field(default_factory=list)  # rows a fault relies on staying as is

    def __post_init__(self) -> None:
        if not self.reasons:
            self.reasons = [[] for _ in range(len(self.cells))]
            self.locked = [False] * len(self.cells)

    @property
    def key(self) -> Key:
        return (self.region, self.wave, self.instrument)

    def insert(self, position: int, row: dict[str, object], reasons: list[str]) -> None:
        """Insert one row before `position` (0-based); later rows move down."""
        new = pd.DataFrame([row], columns=self.cells.columns, dtype=object)
        self.cells = pd.concat(
            [self.cells.iloc[:position], new, self.cells.iloc[position:]], ignore_index=True
        )
        self.reasons.insert(position, list(reasons))
        self.locked.insert(position, True)

    def quarantined(self) -> dict[str, list[str]]:
        """1-based data row number -> expected reasons, for rows expected in quarantine."""
        return {str(i + 1): r for i, r in enumerate(self.reasons) if r}


def not_delivered(study: Study) -> set[Key]:
    """Instruments a region never sent for a wave (fixed, not random: easy to reason about)."""
    regions = study.region_codes
    first = study.first_wave
    return {
        (regions[1 % len(regions)], first, "employer_survey"),
        (regions[3 % len(regions)], min(first + 2, study.last_wave), "contacts"),
        # one region started its interviews a year late: neither QDA export for its first wave
        (regions[2 % len(regions)], first, "interviews"),
        (regions[2 % len(regions)], first, "interview_codes"),
    }


_Builder = Callable[
    [Study, simulate.RegionTruth, pd.DataFrame, int, np.random.Generator], pd.DataFrame
]
_BUILDERS: dict[str, _Builder] = {
    "employee_survey": simulate.employee_survey,
    "employer_survey": simulate.employer_survey,
    "contacts": simulate.contacts,
}


def region_deliveries(
    study: Study, truth: simulate.RegionTruth, rng: np.random.Generator, skip: set[Key]
) -> dict[Key, Delivery]:
    """Every delivered file of one region, in the region's code spelling."""
    out: dict[Key, Delivery] = {}
    noise_rng = np.random.default_rng(rng.integers(0, 2**32))
    for wave in study.waves:
        snap = simulate.snapshot(study, truth, wave)
        for name in study.instruments:
            if name != "placements" and name not in _BUILDERS:
                continue  # interview waves: `interviews.interview_deliveries`, own random stream
            inst = load_instrument(name)
            frame = snap if name == "placements" else _BUILDERS[name](study, truth, snap, wave, rng)
            if (truth.code, wave, name) in skip:
                continue
            cells = to_cells(frame, inst)
            if style_for(truth.index).code_noise:
                _add_code_noise(cells, name, noise_rng)
            out[(truth.code, wave, name)] = Delivery(truth.code, truth.index, wave, name, cells)
    return out


def _add_code_noise(cells: pd.DataFrame, instrument: str, rng: np.random.Generator) -> None:
    """Codes in varied case with surrounding spaces (part of the data, so copies keep it)."""
    for col in load_instrument(instrument).columns:
        if col.type == "code":
            picks = rng.integers(0, 6, len(cells)).tolist()
            cells[col.name] = [
                None if v is None else noisy_code(v, p)
                for v, p in zip(cells[col.name].tolist(), picks, strict=True)
            ]
        elif col.type == "code_list":
            lists = [
                None if v is None else [noisy_code(c, int(rng.integers(0, 6))) for c in v]
                for v in cells[col.name].tolist()
            ]
            cells[col.name] = pd.Series(lists, index=cells.index, dtype=object)
