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


def test_copies_of_one_count_get_one_decision() -> None:
    # p is hidden (secondary) so that all - p does not give q back; its copy goes with it.
    values = {"p": 6, "p_copy": 6, "q": 3, "all": 9}
    status = protect_cells(values, [(["p", "q"], "all")], 5, copies=[("p", "p_copy")])
    assert status == {"q": "primary", "p": "secondary", "p_copy": "secondary"}


def test_copies_must_hold_the_same_count() -> None:
    with pytest.raises(ValueError, match="different counts"):
        protect_cells({"a": 6, "b": 7}, [], 5, copies=[("a", "b")])


def test_a_hidden_count_hides_its_tied_counts_and_none_of_them_can_be_solved() -> None:
    # r2 (6) is hidden to protect r3 (3). r2.start equals r2 (a curve's first number at risk):
    # hidden with it. r2.x also equals r2 and all.x - r1.x would give it back, so r1.x goes too.
    # r2.late (4 < 6, small anyway) and r2.y (5: not equal, only bounds r2) follow the tie.
    values = {"r1": 30, "r2": 6, "r3": 3, "all": 39, "r2.start": 6, "r2.x": 6, "r1.x": 20,
              "all.x": 26, "r2.y": 5, "r1.y": 9, "all.y": 14}  # fmt: skip
    relations = [(["r1", "r2", "r3"], "all"), (["r1.x", "r2.x"], "all.x"),
                 (["r1.y", "r2.y"], "all.y")]  # fmt: skip
    ties = {"r2": ["r2.start", "r2.x", "r2.y"]}
    status = protect_cells(values, relations, 5, ties=ties)
    assert status["r3"] == "primary"
    assert {"r2", "r2.start", "r2.x", "r2.y"} <= set(status)
    assert status["r1.x"] == "secondary"  # else r2.x = 26 - 20 = 6 = r2
    assert "r1.y" not in status and "all.y" not in status  # r2.y = 5 gives only r2 > 5
    assert "r1" not in status and "all" not in status


def test_a_count_hidden_without_ties_leaves_its_equals_alone() -> None:
    values = {"r1": 30, "r2": 6, "r3": 3, "all": 39, "r2.start": 6}
    status = protect_cells(values, [(["r1", "r2", "r3"], "all")], 5)
    assert "r2" in status and "r2.start" not in status
