"""The code system (schemas/code_system.yaml): a two-level factor tree, and the code paths QDA
programs export for it (MAXQDA `Parent\\Child`, NVivo-like `Parent > Child`, ATLAS.ti
`Parent::Child`), by code or Dutch label."""

from __future__ import annotations

import pandas as pd
import pytest

from dwt.ingest.parse import parse_table
from dwt.schema import load_code_system, load_instrument, load_study

SYSTEM = load_code_system()
SEGMENTS = load_instrument("interview_codes")

# The factors the issue names, each with the sub-codes it names (the tree may hold more).
ISSUE_FACTORS = {
    "begeleiding": {"intern", "jobcoach", "buddy"},
    "werk": {"taakaanpassing", "werkdruk", "uren"},
    "organisatie": {"cultuur", "leidinggevende", "reorganisatie"},
    "werknemer": {"gezondheid", "motivatie", "prive"},
    "arbeidsdeskundige": {"advies", "bemiddeling"},
}


def test_the_tree_has_two_levels_and_unique_codes() -> None:
    codes = [c.code for c in SYSTEM.codes]
    assert len(codes) == len(set(codes))
    for node in SYSTEM.codes:
        if node.parent is not None:
            assert SYSTEM.node(node.parent).parent is None, node.code
    assert all(SYSTEM.children(f) for f in SYSTEM.factors)


def test_the_tree_holds_the_factors_of_the_issue() -> None:
    for factor, children in ISSUE_FACTORS.items():
        assert factor in SYSTEM.factors
        assert children <= set(SYSTEM.children(factor)), factor


def test_every_code_is_labelled_in_both_languages_and_described() -> None:
    for node in SYSTEM.codes:
        assert node.label.get("nl") and node.label.get("en") and node.description, node.code


def test_related_columns_and_codes_exist_in_the_schemas() -> None:
    instruments = set(load_study().instruments)
    for node in SYSTEM.codes:
        for ref in node.related:
            column_ref, _, code = ref.partition("=")
            instrument, column = column_ref.split(".")
            assert instrument in instruments, ref
            col = load_instrument(instrument).column(column)
            assert not code or code in col.codes, ref


def test_the_code_column_takes_its_codes_from_the_tree() -> None:
    assert list(SEGMENTS.column("code").codes) == [c.code for c in SYSTEM.codes]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("Begeleiding\\Jobcoach", "jobcoach"),  # MAXQDA, Dutch labels
        ("Begeleiding > Jobcoach", "jobcoach"),  # NVivo-like
        ("Begeleiding::Jobcoach", "jobcoach"),  # ATLAS.ti
        ("begeleiding::jobcoach", "jobcoach"),  # codes instead of labels
        ("BEGELEIDING\\JOBCOACH", "jobcoach"),
        ("  werk >   Werkdruk ", "werkdruk"),
        ("Werk>Werkdruk", "werkdruk"),
        ("Begeleiding\\Interne begeleiding", "intern"),  # a label of several words
        ("begeleiding > interne_begeleiding", "intern"),
        ("Werknemer\\Privésituatie", "prive"),
        ("werknemer::prive", "prive"),
        ("Werknemer > Prive", "prive"),  # accents ignored
        ("Regelingen::No-riskpolis", "no_riskpolis"),
        ("Organisatie\\Collega's", "collegas"),
        ("Jobcoach", "jobcoach"),  # a sub-code alone is unique in the tree
        ("Begeleiding", "begeleiding"),  # a segment coded with the factor itself
    ],
)
def test_every_notation_names_its_code(path: str, code: str) -> None:
    assert SYSTEM.resolve(path) == code


@pytest.mark.parametrize(
    "path",
    [
        "Werk\\Jobcoach",  # jobcoach is not a sub-code of werk
        "Begeleiding\\Mentor",
        "Mentor",
        "Factoren\\Begeleiding\\Jobcoach",  # three levels
        "Begeleiding\\",
        "\\Jobcoach",
        "Jobcoach\\Begeleiding",  # reversed
        "Begeleiding\\Begeleiding",
        "Begeleiding/Jobcoach",  # not a QDA separator
        "Begeleiding:Jobcoach",
    ],
)
def test_a_path_outside_the_tree_names_nothing(path: str) -> None:
    assert SYSTEM.resolve(path) is None


def test_parsing_turns_code_paths_into_codes_with_a_value_free_reason() -> None:
    cells = ["Begeleiding\\Buddy / Harrie", "werk > uren", "Werk::Jobcoach", None, " Jobcoach "]
    raw = pd.DataFrame({"code": cells}, index=range(1, 6))
    typed, reasons = parse_table(raw, SEGMENTS, load_study())
    assert typed["code"].to_list() == ["buddy", "uren", pd.NA, pd.NA, "jobcoach"]
    assert reasons.to_list() == [[], [], ["code: unknown code"], [], []]
