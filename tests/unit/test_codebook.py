"""Codebook rendered from schemas/: complete, bilingual, escaped, deterministic."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from markupsafe import escape

from dwt.codebook import (
    list_variable_name,
    render_codebook,
    run_cli,
    spss_code_values,
    table_columns,
)
from dwt.schema import Instrument, curated_tables, instruments, load_study


@pytest.fixture(scope="module")
def markdown() -> str:
    return render_codebook("md")


@pytest.fixture(scope="module")
def page() -> str:
    return render_codebook("html")


def _row_cells(text: str, first_cell: str) -> list[list[str]]:
    """Markdown table rows whose first cell is `first_cell`."""
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in r] for r in rows if r[0].strip() == first_cell]


@pytest.mark.parametrize("inst", instruments(), ids=lambda i: i.name)
def test_every_raw_column_appears_with_alias_labels_and_zone(
    markdown: str, inst: Instrument
) -> None:
    assert f"{inst.title['nl']} / {inst.title['en']}" in markdown
    for col in inst.columns:
        rows = [r for r in _row_cells(markdown, col.name) if len(r) == 8 and r[1] == col.alias]
        assert rows, f"{inst.name}.{col.name} missing with alias {col.alias}"
        assert any(r[3] == col.label["nl"] and r[4] == col.label["en"] for r in rows)


@pytest.mark.parametrize("inst", instruments(), ids=lambda i: i.name)
def test_every_code_appears_with_spss_value_and_both_languages(
    markdown: str, inst: Instrument
) -> None:
    for col in inst.columns:
        values = spss_code_values(col.codes)
        for code, label in col.codes.items():
            expected = [code, str(values[code]), label["nl"], label["en"]]
            assert expected in _row_cells(markdown, code), f"{inst.name}.{col.name}={code}"


@pytest.mark.parametrize("table", list(curated_tables()))
def test_every_curated_column_appears_in_its_table(markdown: str, table: str) -> None:
    section = markdown.split(f"\n### {table}\n", 1)[1].split("\n### ", 1)[0]
    assert curated_tables()[table].grain in section
    for col in table_columns(table):
        assert any(r[0] == col["name"] for r in _row_cells(section, col["name"])), col["name"]


def test_curated_tables_say_which_identifiers_became_pseudonyms(markdown: str) -> None:
    section = markdown.split("\n### contacts\n", 1)[1].split("\n### ", 1)[0]
    assert "participant_id replaces bsn" in section
    assert "employer_id replaces employer_kvk" in section
    assert "notes (restricted)" in section


def test_employers_table_documents_sector_codes_from_the_placements_schema(markdown: str) -> None:
    section = markdown.split("\n### employers\n", 1)[1].split("\n### ", 1)[0]
    assert "17=Q" in section and "Sector (SBI)" in section


def test_study_section_lists_regions_waves_windows_and_missing_codes(markdown: str) -> None:
    study = load_study()
    for region in study.regions:
        assert [region.code, region.name] in _row_cells(markdown, region.code)
    for wave in study.waves:
        start, end = study.fieldwork_window(wave)
        assert f"{start.isoformat()} .. {end.isoformat()}" in markdown
        assert study.reference_date(wave).isoformat() in markdown
    assert (
        "-9 geen antwoord, -8 niet van toepassing (read as missing; see Missing values)" in markdown
    )
    assert "utf-8-sig, cp1252" in markdown


def test_bands_and_list_expansion_are_documented(markdown: str) -> None:
    for band, spec in load_study().bands.items():
        assert band in markdown
        for level in spec["levels"]:
            assert any(r[0] == level["code"] for r in _row_cells(markdown, level["code"]))
    assert list_variable_name("signals", "werkdruk") == "signal_werkdruk"
    assert "signal_werkdruk" in markdown


def test_html_escapes_schema_text_and_keeps_both_languages(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "&lt;20" in page and "&gt;=32" in page
    assert "<20" not in page and ">=32<" not in page
    assert "Plaatsingsregister / Placement register" in page
    assert "Reden einde" in page and "End reason" in page
    assert "arbeidsmarktregio&#39;s" in page and "arbeidsmarktregio's" not in page


def test_html_and_markdown_carry_the_same_cells(markdown: str, page: str) -> None:
    for inst in instruments():
        for col in inst.columns:
            assert f"<td>{escape(col.alias or '')}</td>" in page
            for label in col.codes.values():
                assert f"<td>{escape(label['en'])}</td>" in page


def test_rendering_is_deterministic(markdown: str, page: str) -> None:
    assert render_codebook("md") == markdown
    assert render_codebook("html") == page


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown codebook format"):
        render_codebook("pdf")


@pytest.mark.parametrize(("name", "marker"), [("cb.html", "<!DOCTYPE html>"), ("cb.md", "# ")])
def test_cli_picks_the_format_from_the_file_name(tmp_path: Path, name: str, marker: str) -> None:
    out = tmp_path / "sub" / name
    assert run_cli(argparse.Namespace(out=str(out))) == 0
    assert out.read_text(encoding="utf-8").startswith(marker)


def test_the_code_system_is_rendered_as_a_tree_with_its_notations(markdown: str) -> None:
    from dwt.schema import load_code_system

    section = markdown.split("\n## Code system / Codeboom", 1)[1].split("\n## ", 1)[0]
    assert "Factor\\Sub, Factor>Sub, Factor::Sub" in section
    system = load_code_system()
    for node in system.codes:
        rows = _row_cells(section, node.code)
        assert [r[:4] for r in rows] == [
            [node.code, node.factor, node.label["nl"], node.label["en"]]
        ]
    segments = markdown.split("\n### interview_segments\n", 1)[1].split("\n### ", 1)[0]
    assert "interview_ref replaces interview_id" in segments


def test_missing_values_section_says_how_each_reason_is_written_in_every_format(
    markdown: str,
) -> None:
    section = markdown[markdown.index("## Missing values") : markdown.index("## Research export")]
    row = _row_cells(section, "geen_antwoord")[0]
    assert row[1:6] == ["-9", "-9 (user-missing)", ".a", "-9", "NULL + geen_antwoord"]
    assert _row_cells(section, "niet_van_toepassing")[0][1:4] == ["-8", "-8 (user-missing)", ".b"]
    assert _row_cells(section, "niet_geleverd")[0][2] == "system-missing"
    assert "employee_survey, employer_survey" in section


def test_survey_items_state_their_user_missing_values_and_reason_columns_are_listed(
    markdown: str,
) -> None:
    section = markdown[markdown.index("\n### employee_survey\n", markdown.index("## Curated")) :]
    section = section[: section.index("\n### ", 5)]
    item = next(r for r in _row_cells(section, "work_ability") if len(r) == 6)
    assert item[4] == "numeric; user-missing -9=geen antwoord, -8=niet van toepassing"
    reason = _row_cells(section, "work_ability__missing")[0]
    assert reason[1] == "code" and reason[2] == "Werkvermogen (WAS): reden ontbrekend"
    assert reason[4] == "not in sav, dta, csv: work_ability holds the code itself"
    assert _row_cells(section, "employed")[0][4] == "0=nee, 1=ja"  # required: no codes
