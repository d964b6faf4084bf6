import pytest

from dwt.generate.names import EMPLOYER_KINDS, FIRST_NAMES, SURNAMES, employer_names
from dwt.generate.styles import REGION_STYLES, headers, noisy_code, style_for
from dwt.schema import instruments, load_study, normalise_header


@pytest.mark.parametrize("style", REGION_STYLES, ids=lambda s: f"{s.ext}-{s.headers}")
def test_every_header_variant_resolves_to_its_canonical_column(style):
    for inst in instruments():
        lookup = inst.header_lookup()
        row = headers(style, list(inst.columns))
        assert [lookup[normalise_header(h)] for h in row] == inst.column_names


def test_dutch_alias_headers_use_case_space_and_dash_variants():
    inst = next(i for i in instruments() if i.name == "placements")
    row = headers(REGION_STYLES[1], list(inst.columns))
    assert "Uren per week" in row and "Reden-Einde" in row
    assert any(h != h.strip() for h in row)


def test_boolean_spellings_differ_per_region_and_are_all_accepted():
    accepted = load_study().parsing["booleans"]
    spellings = {s.booleans for s in REGION_STYLES}
    assert len(spellings) == len(REGION_STYLES)
    for true, false in spellings:
        assert true in accepted["true"] and false in accepted["false"]


def test_every_accepted_file_type_and_csv_variant_is_used():
    assert {s.ext for s in REGION_STYLES} == set(load_study().raw_extensions)
    csv = [s for s in REGION_STYLES if s.ext == "csv"]
    assert {s.delimiter for s in csv} == {",", ";"}
    assert {s.encoding for s in csv} == {"utf-8", "utf-8-sig", "cp1252"}
    assert {s.decimal for s in csv} == {".", ","}


def test_a_sixth_region_delivers_like_the_first():
    assert style_for(5) == style_for(0)


def test_noisy_codes_match_case_insensitively_after_stripping():
    for pick in range(12):
        assert noisy_code("proefplaatsing", pick).strip().lower() == "proefplaatsing"


def test_all_names_can_be_written_in_windows_1252():
    for text in (*FIRST_NAMES, *SURNAMES, *EMPLOYER_KINDS):
        text.encode("cp1252")


def test_employer_names_are_distinct_and_look_dutch():
    import numpy as np

    names = employer_names(np.random.default_rng(0), 500)
    assert len(set(names)) == 500
    assert any(n.endswith("B.V.") for n in names)
