"""Interview figures as pure functions on tiny inline frames (kappa on a 2x2 table by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from dwt.analytics.interviews import (
    double_coding_block,
    employer_segments,
    factors_block,
    kappa,
)


def _table(both: int, first_only: int, second_only: int, neither: int) -> tuple[list, list]:
    cells = [(True, True)] * both + [(True, False)] * first_only
    cells += [(False, True)] * second_only + [(False, False)] * neither
    return [a for a, _ in cells], [b for _, b in cells]


def test_kappa_of_a_two_by_two_table_computed_by_hand() -> None:
    # 10 documents: both 4, only coder 1: 1, only coder 2: 2, neither 3
    #   po = (4 + 3) / 10 = 0.7
    #   coder 1 yes 5/10, coder 2 yes 6/10: pe = 0.5*0.6 + 0.5*0.4 = 0.5
    #   kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    assert kappa(*_table(4, 1, 2, 3)) == pytest.approx(0.4)
    # perfect agreement is 1, systematic disagreement below 0:
    #   (yes,no) twice and (no,yes) twice: po = 0, pe = 1/2, kappa = -1
    assert kappa(*_table(3, 0, 0, 2)) == pytest.approx(1.0)
    assert kappa(*_table(0, 2, 2, 0)) == pytest.approx(-1.0)


def test_kappa_is_undefined_when_both_coders_answer_the_same_everywhere() -> None:
    assert kappa(*_table(3, 0, 0, 0)) is None
    assert kappa(*_table(0, 0, 0, 3)) is None


def _segments(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["interview_ref", "coder", "code", "factor", "valence"])
    return frame.assign(region="haaglanden", wave=2019)


def _documents(rows: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["interview_ref", "employer_id"])
    return frame.assign(region="haaglanden", wave=2019)


def test_only_documents_of_one_employer_attribute_their_segments() -> None:
    docs = _documents([("d1", "e1"), ("fg", "e1"), ("fg", "e2")])
    segs = _segments(
        [
            ("d1", "OZ-01", "jobcoach", "begeleiding", "bevorderend"),
            ("fg", "OZ-01", "werkdruk", "werk", "belemmerend"),
        ]
    )
    attributed = employer_segments(docs, segs)
    assert attributed[["interview_ref", "employer_id"]].values.tolist() == [["d1", "e1"]]
    block = factors_block(attributed)
    assert block["employers"] == 1
    assert block["by_factor"]["begeleiding"]["bevorderend"] == 1
    assert block["by_factor"]["werk"]["belemmerend"] == 0  # said in the focus group only


def test_an_employer_naming_a_factor_both_ways_counts_once_in_each_and_in_both() -> None:
    docs = _documents([("d1", "e1"), ("d2", "e1"), ("d3", "e2")])
    segs = _segments(
        [
            ("d1", "OZ-01", "jobcoach", "begeleiding", "bevorderend"),
            ("d1", "OZ-02", "buddy", "begeleiding", "bevorderend"),
            ("d2", "OZ-01", "intern", "begeleiding", "belemmerend"),
            ("d3", "OZ-01", "gezondheid", "werknemer", "neutraal"),
        ]
    )
    block = factors_block(employer_segments(docs, segs))
    assert block["employers"] == 2
    assert block["by_factor"]["begeleiding"] == {
        "bevorderend": 1, "belemmerend": 1, "both": 1,
        "share_bevorderend": 0.5, "share_belemmerend": 0.5,
    }  # fmt: skip


def test_documents_with_three_coders_are_counted_not_compared() -> None:
    segs = _segments(
        [
            ("d1", "OZ-01", "jobcoach", "begeleiding", "bevorderend"),
            ("d1", "OZ-02", "jobcoach", "begeleiding", "bevorderend"),
            ("d1", "OZ-03", "jobcoach", "begeleiding", "bevorderend"),
            ("d2", "OZ-02", "uren", "werk", "neutraal"),
            ("d2", "OZ-01", "uren", "werk", "belemmerend"),  # valence differs: still agreement
        ]
    )
    block = double_coding_block(segs)
    assert (block["documents"], block["more_than_two_coders"]) == (1, 1)
    assert block["codes"] == {
        "uren": {"both": 1, "first_only": 0, "second_only": 0, "neither": 0, "kappa": None}
    }
