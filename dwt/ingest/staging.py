"""Staged rows: the parsed, validated rows of each accepted file, identifiers included, kept in
the restricted zone (`staged/`) so an unchanged file is never read again.

A staged row holds the instrument's typed columns, the bookkeeping columns declared in
schemas/curated.yaml (`restricted.staged`: region, wave, file, row, reasons) and the raw text of
every delivered column (`raw_prefix` + canonical name), which a quarantined row keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.lake import Transaction
from dwt.schema import restricted_tables, staged_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

STAGED = staged_columns()


def staged_path(region: str, wave: int, instrument: str) -> str:
    spec = restricted_tables()["staged"]
    return f"{spec.folder}/{spec.file.format(region=region, wave=wave, instrument=instrument)}"


def stage_rows(
    tx: Transaction,
    region: str,
    wave: int,
    instrument: str,
    typed: pd.DataFrame,
    reasons: pd.Series,
    raw: pd.DataFrame,
) -> None:
    """Keep one file's typed rows, their reasons and their raw text in the staged copy."""
    import pyarrow as pa

    frame = typed.reset_index(drop=True)  # a new frame: the columns below go to it alone
    frame[STAGED.reasons] = reasons.to_list()
    # Raw text values ride along as columns (Arrow-backed as read, never as Python strings);
    # only quarantined rows are turned into JSON later.
    for column in raw.columns:
        frame[STAGED.raw_prefix + column] = raw[column].array
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tx.write_parquet("restricted", staged_path(region, wave, instrument), table)


def unstage(tx: Transaction, region: str, wave: int, instrument: str) -> None:
    tx.remove_tree("restricted", staged_path(region, wave, instrument))


def read_staged(tx: Transaction, region: str) -> dict[str, StagedRows]:
    """All staged rows of a region, one `StagedRows` per instrument (waves stacked)."""
    folder = tx.path("restricted", f"{restricted_tables()['staged'].folder}/{region}")
    files: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*/*.parquet")):
        files.setdefault(path.stem, []).append(path)
    return {name: StagedRows.from_files(paths) for name, paths in files.items()}


class StagedRows:
    """One instrument's staged rows of a region: the typed and bookkeeping columns in memory
    (`frame`, a RangeIndex over the waves stacked), the raw text columns read on demand for
    the rows that need them (quarantined rows, survey items' missing reasons).

    The raw text is most of a staged row's bytes and, as Python strings, most of its memory
    (a 200 MiB delivery's raw cells alone took 2 GiB): curation never holds all of it.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        raw_columns: list[str],
        read_raw: Callable[[np.ndarray, list[str]], dict[str, list[Any]]],
    ) -> None:
        self.frame = frame
        self.raw_columns = raw_columns  # every raw column some file delivered, in stack order
        self._read_raw = read_raw

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> StagedRows:
        """Rows held whole in memory, raw columns included (as the unit tests build them)."""
        raw_columns = [c for c in frame.columns if c.startswith(STAGED.raw_prefix)]
        typed = frame.drop(columns=raw_columns).reset_index(drop=True)
        raw = frame[raw_columns].reset_index(drop=True)

        def read(positions: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
            return {c: raw[c].take(positions).to_list() for c in columns}

        return cls(typed, raw_columns, read)

    @classmethod
    def from_files(cls, paths: list[Path]) -> StagedRows:
        """The staged files of one instrument, in the order given (waves ascending)."""
        import numpy as np
        import pandas as pd
        import pyarrow.parquet as pq

        frames: list[pd.DataFrame] = []
        raw_columns: dict[str, None] = {}
        for path in paths:
            names = pq.read_schema(path).names
            raw = [n for n in names if n.startswith(STAGED.raw_prefix)]
            raw_columns.update(dict.fromkeys(raw))
            frames.append(_read_frame(path, [n for n in names if n not in raw]))
        starts = np.cumsum([0, *(len(f) for f in frames)])

        def read(positions: np.ndarray, columns: list[str]) -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {c: [] for c in columns}
            for i, path in enumerate(paths):
                lo, hi = np.searchsorted(positions, starts[i : i + 2])
                if lo < hi:
                    for column, cells in _raw_cells(path, positions[lo:hi] - starts[i], columns):
                        out[column].extend(cells)
            return out

        return cls(pd.concat(frames, ignore_index=True), list(raw_columns), read)

    def raw(self, index: pd.Index, items: list[str] | None = None) -> pd.DataFrame:
        """The raw columns (all delivered ones, or those of `items`) of the rows of `index`
        (labels of `frame`), in that order; None where a file did not deliver the column."""
        import numpy as np
        import pandas as pd

        wanted = (
            self.raw_columns
            if items is None
            else [c for c in (STAGED.raw_prefix + i for i in items) if c in self.raw_columns]
        )
        positions = np.asarray(index, dtype=np.int64)
        order = np.argsort(positions, kind="stable")
        cells = self._read_raw(positions[order], wanted)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return pd.DataFrame(
            {c: pd.Series(cells[c], dtype=object).take(back).to_numpy() for c in wanted},
            index=index,
            columns=wanted,
        )


_RAW_BATCH_ROWS = 65_536
# A staged file of at most this many typed cells is read in one go; a larger one column by
# column, so that a very large delivery never holds all its typed columns in Arrow as well as
# in pandas. (Per column, a study's ~150 small files cost ten reads each: most of reading
# them back.)
_WHOLE_READ_CELLS = 4_000_000


def _read_frame(path: Path, columns: list[str]) -> pd.DataFrame:
    """`pd.read_parquet(path, columns=columns)`, the distinct values of each text column
    shared as one Python string each: pyarrow makes a string object per cell for pandas'
    `string` columns (1.3 GiB for the typed columns of a 1.3M-row placements file, where most
    columns repeat a few codes)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    dtypes = _pandas_dtypes(schema)
    whole = (
        parquet.read(columns=columns)
        if parquet.metadata.num_rows * len(columns) <= _WHOLE_READ_CELLS
        else None
    )

    def read(names: list[str]) -> pa.Table:
        return whole.select(names) if whole is not None else parquet.read(columns=names)

    def text_or_list(name: str) -> bool:
        t = schema.field(name).type
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_list(t)

    # Numbers, dates and flags in one conversion (pandas' metadata is parsed per conversion:
    # per column it was most of the time of reading a study's staged rows back).
    plain = [name for name in columns if not text_or_list(name)]
    converted = read(plain).to_pandas() if plain else None
    out: dict[str, pd.Series] = {}
    for name in columns:
        if converted is not None and name in plain:
            out[name] = converted[name]
            continue
        column = read([name]).column(0)
        if pa.types.is_list(column.type):
            out[name] = _lists(column)
            continue
        encoded = column.combine_chunks().dictionary_encode()
        distinct = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
        cells = distinct[encoded.indices.fill_null(len(distinct) - 1).to_numpy()]
        dtype = dtypes[name]
        out[name] = pd.Series(
            cells if pd.api.types.is_object_dtype(dtype) else pd.array(cells, dtype=dtype)
        )
    return pd.DataFrame(out, columns=columns)


_DTYPES: dict[pa.Schema, pd.Series] = {}


def _pandas_dtypes(schema: pa.Schema) -> pd.Series:
    """The pandas dtype of each column as a staged file's pandas metadata declares it (one
    conversion of an empty table per distinct schema: the files of an instrument share one)."""
    dtypes = _DTYPES.get(schema)
    if dtypes is None:
        dtypes = _DTYPES[schema] = schema.empty_table().to_pandas().dtypes
    return dtypes


def _lists(column: pa.ChunkedArray) -> pd.Series:
    """A list column (the rows' reasons) as Python lists, one shared empty list for every
    empty cell (read-only; most rows have no reason) and None for a null cell: pyarrow makes
    a numpy array per cell, ~100 bytes each for a million empty ones."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    column = column.combine_chunks()
    lengths = pc.list_value_length(column).fill_null(-1).to_numpy(zero_copy_only=False)
    none: list[Any] = []
    cells = np.empty(len(column), dtype=object)
    cells.fill(none)
    cells[lengths < 0] = None
    filled = np.flatnonzero(lengths > 0)
    for pos, value in zip(filled, column.take(filled).to_pylist(), strict=True):
        cells[pos] = value
    return pd.Series(cells, dtype=object)


def _raw_cells(path: Path, local: np.ndarray, columns: list[str]) -> list[tuple[str, list[Any]]]:
    """The raw cells of rows `local` (ascending positions) of one staged file, batch by batch,
    so that only the rows asked for are ever turned into Python strings."""
    import numpy as np
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    present = [c for c in columns if c in parquet.schema_arrow.names]
    out: dict[str, list[Any]] = {c: [] for c in columns}
    start = 0
    for batch in parquet.iter_batches(batch_size=_RAW_BATCH_ROWS, columns=present):
        lo, hi = np.searchsorted(local, [start, start + batch.num_rows])
        if lo < hi:
            taken = batch.take(local[lo:hi] - start)
            for c in columns:
                out[c].extend(taken.column(c).to_pylist() if c in present else [None] * (hi - lo))
        start += batch.num_rows
    return list(out.items())
