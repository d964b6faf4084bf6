"""Formula-injection guard and SPSS variable names of the research export."""

from __future__ import annotations

import pytest

from dwt.codebook import table_columns
from dwt.export.research import research_tables, spss_variable_name
from dwt.export.safe_cells import neutralise_formula


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_prefixes_text_a_spreadsheet_would_run_as_formula(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["AD-014", "vast", "", "25-99", " =1", "'=1", "<20"])
def test_leaves_ordinary_text_alone(value: str) -> None:
    assert neutralise_formula(value) == value


@pytest.mark.parametrize("name", ["1abc", "_x", "a b", "x" * 65, "with", "bad.", "bad_"])
def test_rejects_names_spss_cannot_hold(name: str) -> None:
    with pytest.raises(ValueError, match="SPSS"):
        spss_variable_name(name)


def test_every_exported_column_is_a_valid_spss_name() -> None:
    for table in research_tables():
        for col in table_columns(table):
            assert spss_variable_name(col["name"]) == col["name"]
