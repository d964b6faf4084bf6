"""The frame Great Expectations sees (pure).

GX results can embed unexpected values, so identifiers never reach GX: each identifier is
replaced by derived flags (`bsn__present`, `bsn__elfproef`, `employer_kvk__present`,
`interview_id__pattern`), and
restricted columns (employer name, notes) are left out. Date bounds that depend on the wave
become per-row columns (`start_date__max` = the row's reference date, ...). The result has a
fresh RangeIndex: row i of it is row i (by position) of the typed frame.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dwt.schema import Column, Instrument, Study
from dwt.validation.rules import (
    bound_column,
    date_bound_tokens,
    elfproef_column,
    known_codes_column,
    pattern_column,
    present_column,
)

WAVE_COLUMN = "_wave"

# dtype of a schema column that a typed frame lacks (an optional column not delivered)
_EMPTY_DTYPES = {
    "bsn": "string", "kvk": "string", "string": "string", "text": "string", "code": "string",
    "date": "datetime64[ns]", "integer": "Int64", "number": "Float64", "boolean": "boolean",
    "code_list": "object",
}  # fmt: skip

_ELFPROEF_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])
_NINE_DIGITS = re.compile(r"^[0-9]{9}$")


def prepare(typed: pd.DataFrame, instrument: Instrument, study: Study) -> pd.DataFrame:
    """Value-safe frame for GX: flags for identifiers, no restricted text, per-row bounds."""
    parts: dict[str, pd.Series] = {}
    for col in instrument.columns:
        values = _column_values(typed, col)
        if col.is_identifier:
            parts.update(_identifier_flags(col, values))
        elif col.in_research_zone:
            parts.update(_research_values(col, values))
            parts.update(_date_bounds(typed, col, study))
    frame = pd.DataFrame(parts)
    frame.index = pd.RangeIndex(len(typed))
    return frame


def elfproef(bsn: pd.Series) -> pd.Series:
    """11-proef per BSN: True/False for a value, <NA> for an empty cell.

    Nine digits d1..d9 pass when 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11
    and the number is not all zeros.
    """
    result = pd.Series(pd.NA, index=bsn.index, dtype="boolean")
    present = bsn.notna()
    text = bsn[present].astype(str)
    well_formed = text.str.match(_NINE_DIGITS).fillna(False).astype(bool)
    result[present] = False
    digits_text = text[well_formed]
    if len(digits_text):
        raw = np.frombuffer("".join(digits_text).encode("ascii"), dtype=np.uint8)
        digits = raw.reshape(-1, 9).astype(np.int64) - ord("0")
        checksum = digits @ _ELFPROEF_WEIGHTS
        passes = (checksum % 11 == 0) & (digits.sum(axis=1) > 0)
        result[digits_text.index] = passes
    return result


def codes_known(values: pd.Series, codes: list[str]) -> pd.Series:
    """True when every code of a list cell is known; <NA> for an empty cell."""
    known = set(codes)
    flags = values.map(
        lambda cell: pd.NA if _is_empty(cell) else all(code in known for code in cell)
    )
    return flags.astype("boolean")


def _column_values(typed: pd.DataFrame, col: Column) -> pd.Series:
    if col.name in typed.columns:
        return typed[col.name].reset_index(drop=True)
    # an optional column the file did not deliver: all empty, so only `required` can fail
    return pd.Series(pd.NA, index=pd.RangeIndex(len(typed)), dtype=_EMPTY_DTYPES[col.type])


def _identifier_flags(col: Column, values: pd.Series) -> dict[str, pd.Series]:
    flags = {present_column(col.name): values.notna().astype(bool)}
    if col.type == "bsn":
        flags[elfproef_column(col.name)] = elfproef(values)
    if col.pattern:
        text = values.astype("string")
        flags[pattern_column(col.name)] = text.str.fullmatch(col.pattern).astype("boolean")
    return flags


def _research_values(col: Column, values: pd.Series) -> dict[str, pd.Series]:
    if col.type == "code_list":
        return {known_codes_column(col.name): codes_known(values, list(col.codes))}
    return {col.name: values}


def _date_bounds(typed: pd.DataFrame, col: Column, study: Study) -> dict[str, pd.Series]:
    tokens = date_bound_tokens(col)
    if not tokens:
        return {}
    if WAVE_COLUMN not in typed.columns:
        raise KeyError(f"{col.name}: date bounds need the row's wave in column {WAVE_COLUMN!r}")
    waves = typed[WAVE_COLUMN].reset_index(drop=True).astype("int64")
    bounds: dict[str, pd.Series] = {}
    for side, token in tokens.items():
        per_wave = {int(w): pd.Timestamp(study.date_bound(token, int(w))) for w in waves.unique()}
        bound = waves.map(per_wave).astype("datetime64[ns]")
        bounds[bound_column(col.name, side)] = bound
    return bounds


def _is_empty(cell: object) -> bool:
    if isinstance(cell, list | tuple | set | np.ndarray):
        return False
    return bool(pd.isna(cell))  # type: ignore[call-overload]
