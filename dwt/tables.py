"""Frames -> Arrow tables typed and ordered by their schema (schemas/curated.yaml).

The one writer-side use of a table's declared columns: every curated and restricted table the
ingest writes passes through `to_arrow`, so a column is added in the schema, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dwt.schema import CuratedTable, arrow_type

if TYPE_CHECKING:
    import pyarrow as pa


def to_arrow(frame: pd.DataFrame, spec: CuratedTable) -> pa.Table:
    """Select and type `spec`'s columns in schema order (partition columns excluded); a column
    the frame lacks is all null."""
    import pyarrow as pa

    arrays = []
    names = []
    for col in spec.columns:
        name = col["name"]
        typ = arrow_type(col["type"])
        values = frame[name] if name in frame.columns else pd.Series([None] * len(frame))
        arrays.append(_to_array(values, typ))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _to_array(values: pd.Series, typ: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_date32(typ):
        dates = pd.to_datetime(values, errors="coerce")
        return pa.Array.from_pandas(pd.Series(dates).dt.normalize()).cast(typ)
    if pa.types.is_list(typ):
        return pa.array([list(v) if is_list(v) else None for v in values], type=typ)
    try:
        return pa.Array.from_pandas(values).cast(typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        obj = values.astype(object).where(values.notna(), None)
        return pa.array(obj.to_list(), type=typ, from_pandas=True)


def lists_per_row(gained: Mapping[int, list[str]], index: pd.Index) -> pd.Series:
    """Per row of `index` its list of reasons: `gained` by position, and one shared empty list
    for every other row. A million-row file gains reasons on a few rows, and a fresh list per
    row cost ~60 bytes each, several times over; the lists are read, never appended to."""
    none: list[str] = []
    per_row = np.empty(len(index), dtype=object)
    per_row.fill(none)
    for pos, reasons in gained.items():
        per_row[pos] = reasons
    return pd.Series(per_row, index=index, dtype=object)


def is_list(v: Any) -> bool:
    """A list cell as pandas or Arrow hands it back (list, tuple or numpy array)."""
    return isinstance(v, list | tuple | np.ndarray)
