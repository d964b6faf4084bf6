"""How unknown columns are reported: by position, never with a header's digits or a long remark."""

from __future__ import annotations

import pytest

from dwt.ingest.read import describe_unknown_columns


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ("Opmerking intern", "Opmerking intern"),
        ("notities,\n  vrij", "notities, vrij"),  # whitespace collapsed
        ("Uren 2019", "Uren ####"),  # digits are never shown
        ("Uren \uff12\uff10\uff11\uff19", "Uren ####"),  # nor digits of other scripts
        ("Opmerking: Jan de Vries 123456782", "Opmerking:... (33 characters)"),
        ("JandeVriesBSN123456782woontinHaarlem", "JandeVriesBS... (36 characters)"),
    ],
)
def test_an_unknown_header_is_shown_short_and_without_digits(header: str, shown: str) -> None:
    assert describe_unknown_columns([(7, header)]) == [f"column 7: {shown}"]


def test_thousands_of_unknown_columns_are_counted_not_listed() -> None:
    described = describe_unknown_columns([(i, f"extra{i}") for i in range(1, 5001)])
    assert len(described) == 21
    assert described[0] == "column 1: extra#"
    assert described[-1] == "... and 4980 more unknown columns"
