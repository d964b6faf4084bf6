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
    """Per row a list with the key reason, or an empty list; index = `typed.index`."""
    scope = [c for c in FILE_SCOPE if c in typed.columns]
    key_cols = [c for c in _key_columns(key, typed) if c not in scope]
    group = scope + key_cols
    values = [c for c in dict.fromkeys(compare_columns) if c not in group]

    frame = _hashable(typed[group + values].reset_index(drop=True))
    checked = frame[key_cols].notna().all(axis=1).to_numpy()
    rows = frame[checked]

    duplicate = rows.duplicated(keep="first").to_numpy()
    conflict = np.zeros(len(rows), dtype=bool)
    if key_cols and len(rows):
        version = rows.groupby(group + values, dropna=False, sort=False).ngroup()
        versions = version.groupby([rows[c] for c in group], sort=False).transform("nunique")
        conflict = (versions > 1).to_numpy()

    labels = np.full(len(rows), None, dtype=object)
    labels[duplicate] = DUPLICATE_ROW
    labels[conflict] = CONFLICTING_ROWS  # a copy among conflicting rows is conflicting too
    all_labels = np.full(len(frame), None, dtype=object)
    all_labels[checked] = labels
    return pd.Series(
        [[label] if label else [] for label in all_labels], index=typed.index, dtype=object
    )


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


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    # code_list cells are Python lists, which pandas cannot hash; tuples compare the same way
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v)
    return out
