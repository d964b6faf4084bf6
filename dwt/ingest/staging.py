"""Staged rows: the parsed, validated rows of each accepted file, identifiers included, kept in
the restricted zone (`staged/`) so an unchanged file is never read again.

A staged row holds the instrument's typed columns, the bookkeeping columns declared in
schemas/curated.yaml (`restricted.staged`: region, wave, file, row, reasons) and the raw text of
every delivered column (`raw_prefix` + canonical name), which a quarantined row keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dwt.lake import Transaction
from dwt.schema import restricted_tables, staged_columns

if TYPE_CHECKING:
    import pandas as pd

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

    frame = typed.reset_index(drop=True).copy()
    frame[STAGED.reasons] = reasons.to_list()
    # Raw text values ride along as columns; only quarantined rows are turned into JSON later.
    for column in raw.columns:
        frame[STAGED.raw_prefix + column] = raw[column].to_numpy(dtype=object)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tx.write_parquet("restricted", staged_path(region, wave, instrument), table)


def unstage(tx: Transaction, region: str, wave: int, instrument: str) -> None:
    tx.remove_tree("restricted", staged_path(region, wave, instrument))


def read_staged(tx: Transaction, region: str) -> dict[str, pd.DataFrame]:
    """All staged rows of a region, one frame per instrument (waves stacked)."""
    import pandas as pd

    folder = tx.path("restricted", f"{restricted_tables()['staged'].folder}/{region}")
    frames: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(folder.glob("*/*.parquet")):
        frames.setdefault(path.stem, []).append(pd.read_parquet(path))
    return {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}
