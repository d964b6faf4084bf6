"""The study codebook, rendered from `schemas/` only (Markdown or self-contained HTML).

Content is built once as a neutral list of blocks (headings, paragraphs, tables) and then
rendered to either format, so Markdown and HTML can never disagree. The codebook also *defines*
the conventions of the research export (SPSS value codes, boolean labels, list expansion):
`dwt.export.research` imports them from here, so what the codebook states is what the export does.
Output is deterministic: no timestamps, everything in schema order.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dwt.schema import (
    PARTITION_TYPES,
    Column,
    Instrument,
    Study,
    curated_tables,
    instruments,
    load_code_system,
    load_instrument,
    load_study,
)

# Partition columns live in folder names (hive style), not in any schema file; these are the
# only labels the schemas cannot give. Types are dwt.schema.PARTITION_TYPES.
PARTITION_COLUMNS: dict[str, dict[str, Any]] = {
    "region": {
        "type": PARTITION_TYPES["region"],
        "label": {"nl": "Arbeidsmarktregio", "en": "Labour-market region"},
        "description": "Region code (folder name region=<code>); names in the study section.",
    },
    "wave": {
        "type": PARTITION_TYPES["wave"],
        "label": {"nl": "Meting (jaar)", "en": "Wave (year)"},
        "description": "Wave year (folder name wave=<year>); reference date is <year>-12-31.",
    },
}
# SPSS boolean coding; the export writes exactly these value labels.
BOOLEAN_VALUE_LABELS: dict[int, str] = {0: "nee", 1: "ja"}

TYPE_TEXT = {
    "bsn": "BSN (9 digits, 11-proef)",
    "kvk": "KvK number (8 digits)",
    "date": "date",
    "string": "text",
    "text": "free text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "code": "code",
    "code_list": "list of codes",
}
ZONE_TEXT = {
    "identifier": "identifier (never in the research zone)",
    "restricted": "restricted zone only",
    "research": "research zone",
}


def spss_code_values(codes: dict[str, Any]) -> dict[str, int]:
    """SPSS value of each code: 1..n in schema order (the value label is the code text)."""
    return {code: i for i, code in enumerate(codes, start=1)}


def spss_missing_values() -> dict[str, int]:
    """SPSS user-missing value of each coded reason: the delivered code (-9, -8)."""
    return {r.code: int(r.raw) for r in load_study().coded_missing_reasons if r.raw}


def missing_value_labels() -> dict[str, str]:
    """Value label of each coded reason in sav and dta: its Dutch label ("geen antwoord")."""
    return {r.code: r.label["nl"] for r in load_study().coded_missing_reasons}


def stata_missing_letters() -> dict[str, str]:
    """Stata extended missing value of each coded reason, as its letter (.a -> "a")."""
    return {r.code: str(r.stata) for r in load_study().coded_missing_reasons}


def list_variable_name(column: str, code: str) -> str:
    """0/1 variable for one code of a list column: `signals` + `werkdruk` -> `signal_werkdruk`."""
    return f"{column.removesuffix('s')}_{code}"


# ---------------------------------------------------------------------------------------------
# Column documentation of curated tables


def table_columns(table: str) -> list[dict[str, Any]]:
    """Columns of a curated table as exported: partition columns first, then the schema's."""
    spec = curated_tables()[table]
    cols = [{"name": p, **PARTITION_COLUMNS[p]} for p in spec.partition]
    keys = ("name", "type", "label", "description", "codes", "missing_reason", "reason_of")
    return cols + [{k: c[k] for k in keys if k in c} for c in spec.columns]


# ---------------------------------------------------------------------------------------------
# Neutral document model


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Table


def _table(headers: list[str], rows: list[list[str]]) -> Table:
    return Table(tuple(headers), tuple(tuple(r) for r in rows))


def _nl_en(label: dict[str, str]) -> tuple[str, str]:
    return label.get("nl", ""), label.get("en", "")


def _bound(value: Any) -> str:
    text = str(value)
    return text.removeprefix("column:")


def _rules(col: Column) -> str:
    """Required / conditional / range / pattern rules of a raw column, in words."""
    rules: list[str] = []
    if col.required:
        rules.append("required (verplicht)")
    if col.required_iff:
        cond = col.required_iff
        if cond.get("present"):
            rules.append(f"required iff {cond['column']} is filled in")
        elif "not_in" in cond:
            rules.append(f"required iff {cond['column']} not in {', '.join(cond['not_in'])}")
        else:
            rules.append(f"required iff {cond}")
    if col.absent_if:
        cond = col.absent_if
        rules.append(f"empty when {cond['column']} = {str(cond['equals']).lower()}")
    if "min" in col.range:
        rules.append(f"min {_bound(col.range['min'])}")
    if "max" in col.range:
        rules.append(f"max {_bound(col.range['max'])}")
    if col.pattern:
        rules.append(f"pattern {col.pattern}")
    if col.references:
        ref = col.references
        scope = "region and wave" if ref.get("within") == "wave" else "region"
        rules.append(f"must exist in {ref['table']}.{ref['column']} of the {scope}")
    if col.code_system:
        separators = " ".join(load_code_system(col.code_system).separators)
        rules.append(
            f"a code of the code system, given as a code path (levels separated by {separators}; "
            "each level by code or Dutch label)"
        )
    return "; ".join(rules) or "optional"


def _zone(col: Column) -> str:
    text = ZONE_TEXT[col.zone]
    if col.pseudonym:
        text += f"; becomes {col.pseudonym}"
    return text


def _codes_table(codes: dict[str, dict[str, str]]) -> Table:
    values = spss_code_values(codes)
    rows = [[code, str(values[code]), *_nl_en(lab)] for code, lab in codes.items()]
    return _table(["code", "SPSS value", "nl", "en"], rows)


def _study_blocks(study: Study) -> Iterator[Block]:
    yield Heading(2, "Study / Onderzoek")
    yield Para(
        f"{study.name}: {len(study.regions)} regions (arbeidsmarktregio's), waves (metingen) "
        f"{study.first_wave}-{study.last_wave}, study start {study.study_start.isoformat()}. "
        f"Recruitment targets per region: {study.targets['employers_min']}-"
        f"{study.targets['employers_max']} employers, at least "
        f"{study.targets['participants_min']} participants."
    )
    yield Heading(3, "Regions / Regio's")
    yield _table(["code", "name / naam"], [[r.code, r.name] for r in study.regions])
    yield Heading(3, "Waves / Metingen")
    rows = []
    for w in study.waves:
        fw_start, fw_end = study.fieldwork_window(w)
        ws, we = study.wave_window(w)
        rows.append(
            [
                str(w),
                study.reference_date(w).isoformat(),
                f"{fw_start.isoformat()} .. {fw_end.isoformat()}",
                f"{ws.isoformat()} .. {we.isoformat()}",
            ]
        )
    yield _table(
        [
            "wave / meting",
            "reference date / peildatum",
            "fieldwork window / veldwerkperiode (surveys)",
            "wave year / meetjaar (contacts)",
        ],
        rows,
    )
    yield Para(
        "Range bounds in the column tables name these dates: study_start, reference_date, "
        "fieldwork_start, fieldwork_end, wave_start, wave_end (of the file's wave)."
    )
    yield from _parsing_blocks(study)
    yield Para(
        f"Analysis constants: a month is {study.month_days} days; survival horizons "
        f"{', '.join(str(h) for h in study.horizons_months)} months; disclosure threshold "
        f"k = {study.k}."
    )


def _parsing_blocks(study: Study) -> Iterator[Block]:
    p = study.parsing
    yield Heading(3, "Accepted encodings / Aanleverformaten")
    rows = [
        ["file types", ", ".join(study.raw_extensions)],
        ["file path", "raw/<region>/<wave>/<instrument>.<ext>"],
        ["csv delimiters", " ".join(p["csv_delimiters"])],
        ["csv encodings", ", ".join(p["csv_encodings"])],
        ["date formats", ", ".join(p["date_formats"]) + " (and native date cells)"],
        ["booleans true / ja", ", ".join(p["booleans"]["true"])],
        ["booleans false / nee", ", ".join(p["booleans"]["false"])],
        [
            "missing codes (surveys)",
            ", ".join(f"{r.raw} {r.label['nl']}" for r in study.coded_missing_reasons)
            + " (read as missing; see Missing values)",
        ],
        ["list separators", " ".join(p["list_separators"])],
        [
            "headers",
            "canonical name or Dutch alias; case, surrounding whitespace and the "
            "difference between space, - and _ are ignored",
        ],
        ["codes", "matched case-insensitively, surrounding whitespace ignored"],
    ]
    yield _table(["what", "accepted"], rows)


def _instrument_blocks(inst: Instrument) -> Iterator[Block]:
    nl, en = _nl_en(inst.title)
    yield Heading(3, f"{inst.name} - {nl} / {en}")
    yield Para(
        f"Grain: {inst.grain}. Key: {', '.join(inst.key) or '(none)'}. Source: {inst.source}."
    )
    rows = []
    for col in inst.columns:
        lnl, len_ = _nl_en(col.label)
        rows.append(
            [
                col.name,
                col.alias or "",
                TYPE_TEXT[col.type],
                lnl,
                len_,
                _rules(col),
                _zone(col),
                col.description,
            ]
        )
    yield _table(
        ["column", "alias (nl)", "type", "label nl", "label en", "rules", "zone", "description"],
        rows,
    )
    for col in inst.columns:
        if col.codes:
            yield Heading(4, f"{inst.name}.{col.name} codes")
            yield _codes_table(col.codes)


def _code_system_blocks() -> Iterator[Block]:
    """Every code system a column takes its codes from: the tree, with each code's factor."""
    names = dict.fromkeys(c.code_system for i in instruments() for c in i.columns if c.code_system)
    for name in names:
        assert name is not None
        system = load_code_system(name)
        nl, en = _nl_en(system.title)
        yield Heading(2, f"Code system / Codeboom: {nl} / {en}")
        separators = ", ".join(f"Factor{sep}Sub" for sep in system.separators)
        yield Para(
            f"Two levels: {len(system.factors)} factors and their sub-codes. A coded segment "
            f"names one code as a QDA code path ({separators}), each level by its code or its "
            "Dutch label (case, accents, surrounding whitespace and the difference between "
            "space, - and _ ignored), or by the code alone. A sub-code under another factor, "
            "or a code not in this tree, quarantines the segment (code: unknown code). "
            "Curated segments carry the code and its factor."
        )
        rows = [
            [c.code, c.factor, *_nl_en(c.label), c.description, ", ".join(c.related)]
            for c in system.codes
        ]
        yield _table(
            ["code", "factor", "label nl", "label en", "description", "related columns"], rows
        )


def _pseudonym_sources() -> dict[str, list[str]]:
    """Pseudonym column -> the raw identifier columns it replaces (from the instruments)."""
    found: dict[str, list[str]] = {}
    for inst in instruments():
        for col in inst.columns:
            if col.pseudonym and col.name not in found.get(col.pseudonym, []):
                found.setdefault(col.pseudonym, []).append(col.name)
    return found


def _curated_blocks(name: str) -> Iterator[Block]:
    spec = curated_tables()[name]
    yield Heading(3, name)
    partition = ", ".join(spec.partition) or "(none)"
    layout = "/".join(f"{p}=<{p}>" for p in spec.partition)
    yield Para(
        f"Grain: {spec.grain}. Partitioning: {partition} "
        f"(curated/{name}/{layout + '/' if layout else ''}*.parquet; partition values are "
        "folder names, exported as ordinary columns)."
    )
    if spec.sources:
        yield Para(
            "Takes every research-zone column of instrument(s): " + ", ".join(spec.sources) + "."
        )
        dropped = [
            f"{col.name} ({col.zone})"
            for src in spec.sources
            for col in load_instrument(src).columns
            if not col.in_research_zone
        ]
        yield Para("Not in this table (never in the research zone): " + ", ".join(dropped) + ".")
    replaced = _pseudonym_sources()
    cols = table_columns(name)
    notes = [
        f"{c['name']} replaces {', '.join(replaced[c['name']])} (HMAC-SHA256 pseudonym)"
        for c in cols
        if c["name"] in replaced
    ]
    if notes:
        yield Para("Identifiers: " + "; ".join(notes) + ".")
    rows = []
    for c in cols:
        lnl, len_ = _nl_en(c["label"])
        rows.append([c["name"], TYPE_TEXT[c["type"]], lnl, len_, _spss_text(c), c["description"]])
    yield _table(["column", "type", "label nl", "label en", "SPSS", "description"], rows)


def _spss_text(col: dict[str, Any]) -> str:
    """How the research export writes a column to SPSS."""
    if "reason_of" in col:
        return f"not in sav, dta, csv: {col['reason_of']} holds the code itself"
    text = _spss_plain_text(col)
    if "missing_reason" not in col:
        return text
    labels = missing_value_labels()
    codes = ", ".join(f"{v}={labels[c]}" for c, v in spss_missing_values().items())
    return f"{text}; user-missing {codes}"


def _spss_plain_text(col: dict[str, Any]) -> str:
    typ = col["type"]
    if typ == "code" and col["codes"]:
        values = spss_code_values(col["codes"])
        return "numeric, " + ", ".join(f"{v}={c}" for c, v in values.items())
    if typ == "code_list":
        names = [list_variable_name(col["name"], code) for code in col["codes"]]
        return "expanded to 0/1 variables " + ", ".join(names)
    if typ == "boolean":
        return ", ".join(f"{v}={lab}" for v, lab in BOOLEAN_VALUE_LABELS.items())
    if typ == "date":
        return "date (DATE11)"
    if typ in ("integer", "number"):
        return "numeric"
    return "string"


def _band_blocks(study: Study) -> Iterator[Block]:
    yield Heading(2, "Derived bands / Afgeleide klassen")
    yield Para(
        "Bands are computed in the analyses (not stored in the curated tables); "
        "a value equal to min belongs to the band, a value equal to max_exclusive does not."
    )
    for band, spec in study.bands.items():
        yield Heading(3, f"{band} (from {spec['source']})")
        rows = [
            [
                lvl["code"],
                str(lvl.get("min", "")),
                str(lvl.get("max_exclusive", "")),
            ]
            for lvl in spec["levels"]
        ]
        yield _table(["level", "min", "max_exclusive"], rows)
    yield Para("Factors in the durability analyses: " + ", ".join(study.factors) + ".")
    yield Para("Factors in the Cox model: " + ", ".join(study.cox_factors) + ".")


def _missing_blocks(study: Study) -> Iterator[Block]:
    yield Heading(2, "Missing values / Ontbrekende waarden")
    tables = [name for name, spec in curated_tables().items() if _has_reasons(spec.columns)]
    yield Para(
        "A survey item without a value is NULL in the curated tables, whatever the reason, so "
        "every figure counts it as missing. Why it is missing is kept beside it: each optional "
        "answer item (integer, number, boolean or code) of "
        + ", ".join(tables)
        + " has a column <item>__missing holding one of the reasons below (NULL when the item "
        "has a value). A reason comes from what the delivery held in that cell: a survey "
        "missing code, or nothing (an empty cell, or a column the region's file did not have). "
        "It is not inferred: an empty buddy item when buddy_present is false is niet_geleverd. "
        "Required items (a row without them is quarantined), dates and identifiers have no "
        "reason column. The research export writes the codes in the item's own column."
    )
    letters, values = stata_missing_letters(), spss_missing_values()
    rows = [
        [
            r.code,
            r.raw or "(empty cell or no column)",
            f"{values[r.code]} (user-missing)" if r.raw else "system-missing",
            f".{letters[r.code]}" if r.raw else ". (system-missing)",
            r.raw or "(empty)",
            "NULL + " + r.code,
            *_nl_en(r.label),
        ]
        for r in study.missing_reasons
    ]
    yield _table(
        ["reason (__missing)", "delivered as", "sav", "dta", "csv", "parquet", "nl", "en"], rows
    )


def _has_reasons(columns: Any) -> bool:
    return any("reason_of" in c for c in columns)


def _export_blocks() -> Iterator[Block]:
    yield Heading(2, "Research export / Onderzoeksexport")
    yield Para(
        "dwt export research writes one file per research-zone table (sav, dta, csv or "
        "parquet) with this codebook, data-dictionary.csv (REDCap-style) and datapackage.json "
        "(Frictionless) beside it; region and wave are ordinary columns."
    )
    labels = missing_value_labels()
    sav_codes = ", ".join(f"{v} {labels[c]}" for c, v in spss_missing_values().items())
    dta_codes = ", ".join(f".{v} {labels[c]}" for c, v in stata_missing_letters().items())
    yield _table(
        ["format", "conventions"],
        [
            [
                "sav",
                "variable labels in Dutch (English in this codebook); codes stored as "
                "integers 1..n in schema order with the code text as value label (see the "
                "SPSS column); booleans "
                + ", ".join(f"{v} {lab}" for v, lab in BOOLEAN_VALUE_LABELS.items())
                + "; dates as SPSS dates (DATE11); list columns expanded to one 0/1 "
                "variable per code (missing when the list is missing); survey missing codes "
                f"in the item's own column as user-missing values with value labels ({sav_codes}; "
                "0/1 items are F2.0 to show them), nothing delivered is system-missing, no "
                "<item>__missing columns; the header's creation date and time are fixed to "
                "01 Jan 70 00:00:00 so the same lake gives the same bytes",
            ],
            [
                "dta",
                "Stata 14+ (.dta 118): the sav coding and labels; survey missing codes as "
                f"Stata extended missing values with value labels ({dta_codes}), nothing "
                "delivered is . (system-missing), no <item>__missing columns; the header "
                "timestamp is fixed",
            ],
            [
                "csv",
                "UTF-8, comma delimiter, ISO dates (YYYY-MM-DD), codes as text, booleans "
                "true/false, list columns expanded to 0/1 columns like sav; survey missing "
                f"codes as written in the item's own column ({sav_codes}), nothing delivered "
                "is an empty cell, both declared in datapackage.json (missingValues) and the "
                "data dictionary (Field Note, @dwt-missing); a text cell "
                "starting with = + - @ tab or CR is prefixed with a single quote (') so "
                "spreadsheets do not run it as a formula",
            ],
            [
                "parquet",
                "schema types; list columns stay lists of codes; the curated shape: a missing "
                "item is NULL and its <item>__missing column says why",
            ],
        ],
    )


def codebook_blocks() -> list[Block]:
    """The whole codebook as neutral blocks, in schema order."""
    study = load_study()
    blocks: list[Block] = [
        Heading(1, f"Codebook {study.name}"),
        Para(
            "Generated from schemas/ (the study contract). Labels in Dutch (nl) and English "
            "(en). Raw instruments are what deliveries contain; curated tables are the "
            "research zone (pseudonyms only)."
        ),
    ]
    blocks += _study_blocks(study)
    blocks.append(Heading(2, "Raw instruments / Ruwe instrumenten"))
    for inst in instruments():
        blocks += _instrument_blocks(inst)
    blocks += _code_system_blocks()
    blocks.append(Heading(2, "Curated research-zone tables / Onderzoekstabellen"))
    for name in curated_tables():
        blocks += _curated_blocks(name)
    blocks += _band_blocks(study)
    blocks += _missing_blocks(study)
    blocks += _export_blocks()
    return blocks


# ---------------------------------------------------------------------------------------------
# Renderers


def _md_cell(text: str) -> str:
    # A pipe would end the cell and a newline the row.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _render_md(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"{'#' * b.level} {b.text}\n")
        elif isinstance(b, Para):
            out.append(f"{b.text}\n")
        else:
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "---|" * len(b.headers))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; line-height: 1.4; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef2f5; }
h2 { border-bottom: 2px solid #335; padding-bottom: 0.2rem; margin-top: 2.5rem; }
</style>
</head>
<body>
{% for b in blocks %}
{%- if b.level is defined %}<h{{ b.level }}>{{ b.text }}</h{{ b.level }}>
{% elif b.headers is defined %}<table>
<tr>{% for h in b.headers %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in b.rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% else %}<p>{{ b.text }}</p>
{% endif %}
{%- endfor %}
</body>
</html>
"""


def _render_html(blocks: list[Block]) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    title = blocks[0].text if isinstance(blocks[0], Heading) else "Codebook"
    return env.from_string(HTML_TEMPLATE).render(blocks=blocks, title=title)


def render_codebook(fmt: str = "md") -> str:
    """The codebook as Markdown (`md`) or self-contained HTML (`html`)."""
    blocks = codebook_blocks()
    if fmt == "md":
        return _render_md(blocks)
    if fmt == "html":
        return _render_html(blocks)
    raise ValueError(f"unknown codebook format {fmt!r} (md or html)")


def run_cli(args: argparse.Namespace) -> int:
    """`dwt codebook --out FILE`: HTML when FILE ends in .html, else Markdown."""
    out = Path(args.out)
    fmt = "html" if out.suffix.lower() in (".html", ".htm") else "md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_codebook(fmt), encoding="utf-8", newline="\n")
    print(out)
    return 0
