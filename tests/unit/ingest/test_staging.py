"""Reading staged rows back: the same frame whether a file is read whole or column by column,
and the same values and dtypes as pandas' own `read_parquet`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dwt.ingest import staging


def _staged_file(path: Path) -> list[str]:
    frame = pd.DataFrame(
        {
            "bsn": pd.array(["012345672", None, "012345672", "111222333"], dtype="string"),
            "status": pd.array(["actief", "actief", None, "beeindigd"], dtype="string"),
            "hours": pd.array([32, None, 24, 0], dtype="Int64"),
            "score": [1.5, float("nan"), 3.0, 4.25],
            "start": pd.to_datetime(["2017-01-02", None, "2019-12-31", "2021-06-30"]),
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "note": ["vrij", None, "tekst", "vrij"],
            staging.STAGED.reasons: [[], ["hours: not a number"], [], ["a", "b"]],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return list(frame.columns)


@pytest.mark.parametrize("whole_read_cells", [0, staging._WHOLE_READ_CELLS])
def test_a_staged_file_reads_back_as_pandas_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_read_cells: int
) -> None:
    monkeypatch.setattr(staging, "_WHOLE_READ_CELLS", whole_read_cells)
    path = tmp_path / "placements.parquet"
    columns = _staged_file(path)
    expected = pd.read_parquet(path)
    got = staging._read_frame(path, columns)
    assert list(got.dtypes) == list(expected.dtypes)
    reasons = staging.STAGED.reasons
    assert got[reasons].map(list).to_list() == [[], ["hours: not a number"], [], ["a", "b"]]
    pd.testing.assert_frame_equal(
        got.drop(columns=[reasons]), expected.drop(columns=[reasons]), check_exact=True
    )


def test_reading_whole_and_by_column_give_the_same_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "placements.parquet"
    columns = _staged_file(path)
    wanted = columns[:1:-1]  # a subset, in another order than stored
    whole = staging._read_frame(path, wanted)
    monkeypatch.setattr(staging, "_WHOLE_READ_CELLS", 0)
    pd.testing.assert_frame_equal(whole, staging._read_frame(path, wanted), check_exact=True)
    assert list(whole.columns) == wanted
