"""Duplicate and conflicting key policy (pure).

The contract: rows that share a key but differ in any value are all quarantined (no one can
tell which is right); of rows identical in every value the first is kept and the copies are
quarantined. Keys are checked within one delivered file, i.e. per (_region, _wave, _file):
a survey's (bsn, wave) key is (bsn) inside its wave's file. An instrument without a key
(contacts) only has duplicates. Rows with an empty key column are not key-checked: they are
already quarantined as `required`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FILE_SCOPE = ("_region", "_wave", "_file")
DUPLICATE_ROW = "duplicate row"
CONFLICTING_ROWS = "conflicting rows for one key"


def key_reasons(typed: pd.DataFrame, key: list[str], compare_columns: list[str]) -> pd.Series:
    """Per row a list with the key reason, or an empty list; index = `typed.index`.

    Rows are compared by integer codes (one `pd.factorize` per column: equal values, equal
    codes; every missing value one code), never by a copy of their values: a million-row
    file's values copied as hashable tuples cost more than the file's typed frame."""
    from dwt.tables import lists_per_row

    scope = [c for c in FILE_SCOPE if c in typed.columns]
    key_cols = [c for c in _key_columns(key, typed) if c not in scope]
    group = scope + key_cols
    values = [c for c in dict.fromkeys(compare_columns) if c not in group]

    checked = typed[key_cols].notna().all(axis=1).to_numpy()
    codes = pd.DataFrame(
        {c: _codes(typed[c], checked) for c in group + values}, columns=group + values
    )
    duplicate = codes.duplicated(keep="first").to_numpy()
    conflict = np.zeros(len(codes), dtype=bool)
    if key_cols and len(codes):
        version = codes.groupby(group + values, sort=False).ngroup()
        versions = version.groupby([codes[c] for c in group], sort=False).transform("nunique")
        conflict = (versions > 1).to_numpy()

    duplicate_row, conflicting = [DUPLICATE_ROW], [CONFLICTING_ROWS]  # shared: read-only
    gained: dict[int, list[str]] = {}
    for pos in np.flatnonzero(duplicate & ~conflict & checked):
        gained[int(pos)] = duplicate_row
    for pos in np.flatnonzero(conflict & checked):  # a copy among conflicting rows: conflicting
        gained[int(pos)] = conflicting
    return lists_per_row(gained, typed.index)


def _codes(column: pd.Series, checked: np.ndarray) -> np.ndarray:
    """Integer codes of the values of the `checked` rows (-1 for a missing value, so missing
    values compare equal, as in `duplicated`); the other rows get -1 throughout: their key is
    missing, so they never share a key with a checked row, and their labels are dropped."""
    part = column[checked]
    if part.dtype == object and any(isinstance(v, list | np.ndarray) for v in part):
        # code_list cells are lists, which pandas cannot hash; tuples compare the same way
        part = part.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v)
    out = np.full(len(column), -1, dtype=np.int64)
    out[checked] = pd.factorize(part)[0]
    return out


def _key_columns(key: list[str], typed: pd.DataFrame) -> list[str]:
    # A schema key may name the wave ("wave"); in a typed frame it is the file's `_wave`.
    resolved = []
    for name in key:
        if name in typed.columns:
            resolved.append(name)
        elif f"_{name}" in typed.columns:
            resolved.append(f"_{name}")
        else:
            raise KeyError(f"key column {name!r} is not in the frame")
    return resolved
