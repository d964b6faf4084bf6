"""Machine-readable codebooks beside every research export, generated from `schemas/`:

- `data-dictionary.csv`: a REDCap-style data dictionary (one row per exported variable, the
  columns REDCap's data dictionary import uses), for researchers who work from such files;
- `datapackage.json`: a Frictionless Data Package (Table Schema per exported table: field
  types, labels, allowed codes, missing values), which `frictionless validate` checks the
  export against.

Survey missing codes: a table whose items carry them lists them as its `missingValues` the way
the format writes them (csv and sav "-9", "-8"; dta ".a", ".b"; Parquet only NULL, the reason
in `<item>__missing`), and every such item says what they mean in its description; the data
dictionary says so in the item's Field Note and a `@dwt-missing=` annotation.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from dwt.codebook import (
    BOOLEAN_VALUE_LABELS,
    missing_value_labels,
    spss_code_values,
    spss_missing_values,
    stata_missing_letters,
)
from dwt.schema import curated_tables, load_study

REDCAP_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)  # fmt: skip
MEDIA_TYPES = {
    "csv": "text/csv",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "parquet": "application/vnd.apache.parquet",
}


def missing_codes_text(fmt: str) -> str:
    """What an item's survey missing codes look like in `fmt`, in words."""
    labels = missing_value_labels()
    if fmt == "parquet":
        return "NULL when missing; why is in <item>__missing."
    shown = _missing_cells(fmt)
    codes = ", ".join(f"{shown[c]} = {labels[c]}" for c in labels)
    empty = "an empty cell" if fmt == "csv" else "system-missing"
    return f"Missing codes: {codes}; {empty} = niet geleverd (nothing delivered)."


def _missing_cells(fmt: str) -> dict[str, str]:
    """Each coded reason as a cell of `fmt` shows it ("-9"; Stata ".a")."""
    if fmt == "dta":
        return {c: f".{letter}" for c, letter in stata_missing_letters().items()}
    return {c: str(v) for c, v in spss_missing_values().items()}


def _label(col: dict[str, Any]) -> str:
    return str((col.get("label") or {}).get("nl") or col["description"] or col["name"])


def _choices(col: dict[str, Any]) -> str:
    if col["type"] == "code" and col["codes"]:
        values = spss_code_values(col["codes"])
        return " | ".join(f"{values[c]}, {c}" for c in col["codes"])
    if col["type"] in ("boolean", "flag"):
        return " | ".join(f"{v}, {lab}" for v, lab in BOOLEAN_VALUE_LABELS.items())
    if col["name"] == "region":
        return " | ".join(f"{r.code}, {r.name}" for r in load_study().regions)
    return ""


def _redcap_type(col: dict[str, Any]) -> tuple[str, str]:
    """(Field Type, Text Validation Type) as REDCap names them."""
    typ = col["type"]
    if typ == "code" and col["codes"]:
        return "dropdown", ""
    if typ in ("boolean", "flag"):
        return "yesno", ""
    if typ == "date":
        return "text", "date_ymd"
    if typ == "integer":
        return "text", "integer"
    if typ == "number":
        return "text", "number"
    return "text", ""


def data_dictionary_csv() -> str:
    """One row per exported variable of every research table (as the csv/sav/dta hold them)."""
    from dwt.export.research import export_columns, research_tables

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(REDCAP_COLUMNS)
    for table in research_tables():
        for col in export_columns(table, "csv"):
            field_type, validation = _redcap_type(col)
            row = dict.fromkeys(REDCAP_COLUMNS, "")
            note, annotation = col["description"], f"@dwt-type={col['type']}"
            if "missing_reason" in col:
                note = f"{note} {missing_codes_text('csv')}".lstrip()
                annotation += " @dwt-missing=" + ",".join(_missing_cells("csv").values())
            row.update({
                "Variable / Field Name": col["name"],
                "Form Name": table,
                "Field Type": field_type,
                "Field Label": _label(col),
                "Choices, Calculations, OR Slider Labels": _choices(col),
                "Field Note": note,
                "Text Validation Type OR Show Slider Number": validation,
                "Field Annotation": annotation,
            })  # fmt: skip
            writer.writerow(row[c] for c in REDCAP_COLUMNS)
    return buf.getvalue()


def _table_schema_field(col: dict[str, Any], fmt: str) -> dict[str, Any]:
    typ = col["type"]
    field: dict[str, Any] = {"name": col["name"], "title": _label(col)}
    description = col["description"]
    if "missing_reason" in col:
        description = f"{description} {missing_codes_text(fmt)}".lstrip()
    if description:
        field["description"] = description
    if typ == "code" and col["codes"]:
        if fmt == "csv" or fmt == "parquet":
            field |= {"type": "string", "constraints": {"enum": list(col["codes"])}}
        else:  # sav/dta hold the 1..n values with the codes as value labels
            values = spss_code_values(col["codes"])
            field |= {"type": "integer", "constraints": {"enum": sorted(values.values())}}
            field["categories"] = [{"value": values[c], "label": c} for c in col["codes"]]
    elif typ == "flag":
        field |= {"type": "integer", "constraints": {"enum": [0, 1]}}
    elif typ == "boolean":
        field |= {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
    elif typ == "date":
        field |= {"type": "date"}
    elif typ == "integer":
        field |= {"type": "integer"}
    elif typ == "number":
        field |= {"type": "number"}
    elif typ == "code_list":
        field |= {"type": "array"}
    elif col["name"] == "region":
        field |= {"type": "string", "constraints": {"enum": load_study().region_codes}}
    else:
        field |= {"type": "string"}
    return field


def datapackage_json(fmt: str) -> str:
    """The Data Package of one export: a resource per table file in `fmt`."""
    from dwt.export.research import export_columns, research_tables

    study = load_study()
    resources = []
    for table in research_tables():
        spec = curated_tables()[table]
        fields = export_columns(table, fmt)
        missing = [""]
        if fmt != "parquet" and any("missing_reason" in c for c in fields):
            missing += list(_missing_cells(fmt).values())
        resources.append(
            {
                "name": table.replace("_", "-"),
                "path": f"{table}.{fmt}",
                "format": fmt,
                "mediatype": MEDIA_TYPES[fmt],
                "encoding": "utf-8",
                "description": spec.grain,
                "schema": {
                    "fields": [_table_schema_field(c, fmt) for c in fields],
                    "missingValues": missing,
                },
            }
        )
    package = {
        "name": "duurzaam-werkt-research-export",
        "title": f"{study.name}: research export",
        "description": (
            "Pseudonymous research-zone tables; definitions in codebook.md. An empty cell "
            "(csv) or system-missing value (sav, dta) is a missing value; so are the survey "
            "missing codes a table lists in missingValues (codebook.md, Missing values)."
        ),
        "profile": "data-package",
        "resources": resources,
    }
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"
