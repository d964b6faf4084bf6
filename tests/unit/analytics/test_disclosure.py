"""Disclosure control: small counts, suppressed estimates, complementary suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from dwt.analytics import disclosure
from dwt.analytics.disclosure import protect_cells, safe_count, suppress_estimate, suppress_table


@pytest.mark.parametrize(
    ("n", "k", "shown"),
    [(0, 5, 0), (1, 5, "<5"), (4, 5, "<5"), (5, 5, 5), (12, 5, 12), (2, 3, "<3"), (3, 3, 3)],
)
def test_safe_count_hides_counts_from_one_to_k_minus_one(n: int, k: int, shown: object) -> None:
    assert safe_count(n, k) == shown


def test_safe_count_uses_the_configured_threshold_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DWT_DISCLOSURE_K", "10")
    assert safe_count(7) == "<10"


def test_estimate_over_fewer_than_k_units_is_nulled_and_flagged() -> None:
    block = {"estimate": 0.8, "ci_low": 0.5, "ci_high": 0.9, "at_risk": 3}
    assert suppress_estimate(block, 4, 5) == {
        "estimate": None, "ci_low": None, "ci_high": None, "at_risk": 3, "suppressed": True,
    }  # fmt: skip
    assert suppress_estimate(block, 5, 5) == block


def hidden(cell: object) -> bool:
    return cell is None or isinstance(cell, str)


def test_row_with_one_small_cell_and_a_visible_total_gets_a_second_suppression() -> None:
    # Row a: 3 is primary. With the total 25 shown, 25 - 10 - 12 = 3 would give it back,
    # so the next-smallest cell (10) is suppressed too. Row b has nothing small.
    counts = {"a": {"x": 3, "y": 10, "z": 12}, "b": {"x": 6, "y": 7, "z": 8}}
    out = suppress_table(counts, k=5, totals="rows")
    assert out.loc["a"].tolist() == ["<5", None, 12, 25]
    assert out.loc["b"].tolist() == [6, 7, 8, 21]


def attacker_solves(table: pd.DataFrame) -> set[tuple[str, str]]:
    """Hidden cells an attacker recovers by solving rows/columns with a single unknown."""
    equations = [[(r, c) for c in table.columns] for r in table.index]
    equations += [[(r, c) for r in table.index] for c in table.columns]
    known = {(r, c) for r in table.index for c in table.columns if not hidden(table.loc[r, c])}
    solved: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for eq in equations:
            unknown = [cell for cell in eq if cell not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                solved.add(unknown[0])
                changed = True
    return solved


def test_no_small_cell_can_be_recovered_from_row_and_column_totals() -> None:
    # a.x = 2 is primary; row a's total and columns x, y, z's totals are all shown.
    counts = pd.DataFrame({"x": [2, 8], "y": [9, 7], "z": [11, 6]}, index=["a", "b"])
    out = suppress_table(counts, k=5, totals="both")
    assert out.loc["a", "x"] == "<5"
    assert ("a", "x") not in attacker_solves(out)
    assert not any(isinstance(v, float) for v in out.to_numpy().ravel())  # no NaN leaks in
    assert out.loc["total", "total"] == 43


def test_zero_cells_stay_visible_and_a_small_total_is_itself_hidden() -> None:
    out = suppress_table({"a": {"x": 0, "y": 2}}, k=5, totals="rows")
    assert out.loc["a"].tolist() == [0, "<5", "<5"]


def test_attack_through_a_visible_total_is_found_even_without_the_suppression() -> None:
    # The test's attacker is itself checked: with only the primary cell hidden it wins.
    table = pd.DataFrame({"x": ["<5", 8], "y": [9, 7], "total": [11, 15]}, index=["a", "b"])
    assert ("a", "x") in attacker_solves(table)


def test_a_small_cell_recoverable_through_a_chain_of_totals_is_protected() -> None:
    # region r2 = all - r1; r1 hidden (secondary) but r1 = sum of its levels, all visible.
    values = {"r1": 12, "r2": 3, "all": 15, "r1.a": 8, "r1.b": 4, "r2.a": 3, "r2.b": 0}
    relations = [
        (["r1", "r2"], "all"),
        (["r1.a", "r1.b"], "r1"),
        (["r2.a", "r2.b"], "r2"),
    ]
    status = protect_cells(values, relations, 5)
    assert status["r2"] == "primary" and status["r1.b"] == "primary"
    visible = {c for c in values if c not in status}
    # Solve every single-unknown equation as an attacker would: r2 must stay unknown.
    known = set(visible)
    for _ in range(5):
        for cells, total in relations:
            unknown = [c for c in [*cells, total] if c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
    assert "r2" not in known and "r1.b" not in known


def test_count_cells_skip_non_count_integers() -> None:
    tree = {"placements": 3, "logrank": {"df": 2}, "reference_wave": 2019, "ok": True}
    assert dict(disclosure.count_cells(tree)) == {("placements",): 3}
