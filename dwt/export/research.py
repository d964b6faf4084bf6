"""`dwt export research`: the research-zone tables as sav, dta, csv or parquet, codebook beside
them.

Reads the lake only through `dwt.analytics.views.connect(zone)` and is handed the research zone
only, so it cannot reach the restricted zone. Conventions (SPSS value codes, boolean labels,
list expansion, missing codes) come from `dwt.codebook`, which documents them. The same lake
gives the same bytes in every format: rows are sorted, and the SPSS header timestamp is fixed.

Survey missing codes: a survey item whose `<item>__missing` reason is a delivered code (-9 geen
antwoord, -8 niet van toepassing) holds that code in its own column in sav (a user-missing
value with its value label), dta (Stata's extended missing value .a / .b, labelled) and csv
(the code as text); nothing delivered stays system-missing / empty. The reason columns
themselves are left out there (the item says it all), and kept in Parquet, which holds the
curated lake's own shape: NULL items beside their reasons.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.codebook import (
    BOOLEAN_VALUE_LABELS,
    list_variable_name,
    missing_value_labels,
    render_codebook,
    spss_code_values,
    spss_missing_values,
    stata_missing_letters,
    table_columns,
)
from dwt.export.safe_cells import neutralise_formula
from dwt.schema import MissingReason, arrow_type, curated_tables, load_study
from dwt.zones import ResearchZone

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

FORMATS = ("sav", "dta", "csv", "parquet")
# Ingest bookkeeping (file outcomes and reasons), not study data: it is the report's
# data-quality appendix, not part of the research dataset.
NOT_EXPORTED = frozenset({"quality"})
TEXT_TYPES = frozenset({"string", "text", "code", "bsn", "kvk"})

SPSS_EPOCH = date(1582, 10, 14)  # SPSS dates are seconds since the start of the Gregorian calendar
SPSS_SECONDS_PER_DAY = 86400
SPSS_MAX_NAME_BYTES = 64
SPSS_MAX_LABEL_BYTES = 255
SPSS_RESERVED = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)
_SPSS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
# readstat stamps the wall-clock time into the $FL2 header (creation date "dd Mon yy" at byte
# 92, time "hh:mm:ss" at byte 101); a fixed stamp makes the same lake give the same file.
SAV_STAMP_OFFSET = 92
SAV_STAMP = b"01 Jan 7000:00:00"
_SAV_STAMP_SHAPE = re.compile(rb"^[ 0-9]\d [A-Z][a-z]{2} \d\d\d\d:\d\d:\d\d$")


def research_tables() -> list[str]:
    """Curated research-zone tables that the export writes, in schema order."""
    return [name for name in curated_tables() if name not in NOT_EXPORTED]


def spss_variable_name(name: str) -> str:
    """`name` if SPSS accepts it as a variable name; else ValueError (never a silent rename)."""
    if (
        not _SPSS_NAME.match(name)
        or len(name.encode("utf-8")) > SPSS_MAX_NAME_BYTES
        or name.endswith((".", "_"))
        or name.upper() in SPSS_RESERVED
    ):
        raise ValueError(f"{name!r} is not a valid SPSS variable name")
    return name


# ---------------------------------------------------------------------------------------------
# Reading


def _table_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[dict[str, Any]]
) -> list[tuple]:
    """The rows of `columns`, sorted; an item with a coded missing reason holds the
    `MissingReason` itself (each writer writes its code), not None."""
    names = [c["name"] for c in columns]
    reasons = [c["missing_reason"] for c in columns if "missing_reason" in c]
    select = ", ".join(f'"{n}"' for n in [*names, *reasons])
    # ORDER BY ALL: partition columns, then the table's id column first -> a stable order
    # (the reasons come last, so they order nothing the exported columns did not).
    rows = con.sql(f"SELECT {select} FROM {table} ORDER BY ALL").fetchall()
    if not reasons:
        return rows
    coded = {r.code: r for r in load_study().coded_missing_reasons}
    where = {c["missing_reason"]: i for i, c in enumerate(columns) if "missing_reason" in c}
    slots = [(where[name], len(names) + j) for j, name in enumerate(reasons)]

    def with_codes(row: tuple) -> tuple:
        out = list(row[: len(names)])
        for item, reason in slots:
            if row[reason] in coded:
                out[item] = coded[row[reason]]
        return tuple(out)

    return [with_codes(row) for row in rows]


def _flag_column(col: dict[str, Any], code: str) -> dict[str, Any]:
    code_label = col["codes"][code]
    return {
        "name": list_variable_name(col["name"], code),
        "type": "flag",
        "label": {
            lang: f"{col['label'].get(lang, col['name'])}: {code_label.get(lang, code)}"
            for lang in ("nl", "en")
        },
        "description": f"{code} among {col['name']}",
        "codes": {},
    }


def _expand_lists(
    columns: list[dict[str, Any]], rows: list[tuple]
) -> tuple[list[dict[str, Any]], list[tuple]]:
    """Replace each list column by one 0/1 `flag` column per code (None when the list is None)."""
    out_cols: list[dict[str, Any]] = []
    sources: list[tuple[int, str | None]] = []  # (input index, code for a flag column)
    for i, col in enumerate(columns):
        if col["type"] != "code_list":
            out_cols.append(col)
            sources.append((i, None))
            continue
        for code in col["codes"]:
            out_cols.append(_flag_column(col, code))
            sources.append((i, code))

    def expand(row: tuple) -> tuple:
        return tuple(
            row[i] if code is None or row[i] is None else int(code in row[i]) for i, code in sources
        )

    return out_cols, [expand(row) for row in rows]


def source_columns(table: str, fmt: str) -> list[dict[str, Any]]:
    """The curated columns the `fmt` export of `table` is written from: all of them for
    Parquet; sav, dta and csv leave out the `<item>__missing` reason columns."""
    columns = table_columns(table)
    return columns if fmt == "parquet" else [c for c in columns if "reason_of" not in c]


def export_columns(table: str, fmt: str) -> list[dict[str, Any]]:
    """The columns of `table` as the `fmt` export holds them (lists as 0/1 flags but in
    Parquet, which keeps them as lists)."""
    columns = source_columns(table, fmt)
    return columns if fmt == "parquet" else _expand_lists(columns, [])[0]


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_cell(typ: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, MissingReason):
        return str(value.raw)
    if typ in TEXT_TYPES:
        return neutralise_formula(str(value))
    if typ == "date":
        return str(value.isoformat())
    if typ == "boolean":
        return "true" if value else "false"
    if typ in ("integer", "flag"):
        return str(int(value))
    if typ == "number":
        return repr(float(value))
    raise ValueError(f"no CSV form for column type {typ!r}")


def _write_csv(columns: list[dict[str, Any]], rows: list[tuple], path: Path) -> None:
    columns, rows = _expand_lists(columns, rows)
    types = [c["type"] for c in columns]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=",", lineterminator="\n")
        writer.writerow(c["name"] for c in columns)
        for row in rows:
            writer.writerow(_csv_cell(t, v) for t, v in zip(types, row, strict=True))


# ---------------------------------------------------------------------------------------------
# SPSS


def _spss_label(col: dict[str, Any]) -> str:
    label = col["label"].get("nl") or col["description"] or col["name"]
    # SPSS truncates longer variable labels; cut on a character boundary ourselves.
    return str(label).encode("utf-8")[:SPSS_MAX_LABEL_BYTES].decode("utf-8", "ignore")


def _spss_value(col: dict[str, Any], value: Any) -> Any:
    typ = col["type"]
    if value is None:
        return None if typ in TEXT_TYPES else float("nan")
    if isinstance(value, MissingReason):
        return float(spss_missing_values()[value.code])
    if typ == "code" and col["codes"]:
        return float(spss_code_values(col["codes"])[value])
    if typ == "date":
        return float((value - SPSS_EPOCH).days * SPSS_SECONDS_PER_DAY)
    if typ in TEXT_TYPES:
        return str(value)
    return float(value)


def _spss_dictionary(col: dict[str, Any]) -> tuple[dict[Any, str] | None, str, str | None]:
    """(value labels, measurement level, print format) of one exported column; an item with
    survey missing codes also labels them (and a 0/1 item is two characters wide for -9)."""
    labels, measure, fmt = _spss_plain_dictionary(col)
    if "missing_reason" not in col:
        return labels, measure, fmt
    missing = {v: missing_value_labels()[c] for c, v in spss_missing_values().items()}
    return {**missing, **(labels or {})}, measure, "F2.0" if fmt == "F1.0" else fmt


def _spss_plain_dictionary(col: dict[str, Any]) -> tuple[dict[Any, str] | None, str, str | None]:
    typ = col["type"]
    if typ == "code" and col["codes"]:
        return {v: c for c, v in spss_code_values(col["codes"]).items()}, "nominal", "F3.0"
    if typ in ("boolean", "flag"):
        return dict(BOOLEAN_VALUE_LABELS), "nominal", "F1.0"
    if col["name"] == "region":
        return {r.code: r.name for r in load_study().regions}, "nominal", None
    if typ == "date":
        return None, "scale", "DATE11"
    if typ == "integer":
        return None, "scale", "F8.0"
    if typ == "number":
        return None, "scale", "F8.2"
    return None, "nominal", None


def _spss_frame(columns: list[dict[str, Any]], rows: list[tuple]) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = {}
    for i, col in enumerate(columns):
        values = [_spss_value(col, row[i]) for row in rows]
        dtype = object if col["type"] in TEXT_TYPES else "float64"
        data[spss_variable_name(col["name"])] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data, columns=[c["name"] for c in columns])


def _fix_sav_stamp(path: Path) -> None:
    with path.open("r+b") as fh:
        header = fh.read(SAV_STAMP_OFFSET + len(SAV_STAMP))
        stamp = header[SAV_STAMP_OFFSET:]
        if header[:4] not in (b"$FL2", b"$FL3") or not _SAV_STAMP_SHAPE.match(stamp):
            raise RuntimeError(f"{path.name}: unexpected SPSS header layout; stamp not fixed")
        fh.seek(SAV_STAMP_OFFSET)
        fh.write(SAV_STAMP)


def _write_sav(columns: list[dict[str, Any]], rows: list[tuple], path: Path) -> None:
    import pyreadstat

    columns, rows = _expand_lists(columns, rows)
    labels, measures, formats = {}, {}, {}
    missing: dict[str, list[Any]] = {}
    for col in columns:
        value_labels, measure, fmt = _spss_dictionary(col)
        if value_labels:
            labels[col["name"]] = value_labels
        measures[col["name"]] = measure
        if fmt:
            formats[col["name"]] = fmt
        if "missing_reason" in col:
            missing[col["name"]] = [float(v) for v in spss_missing_values().values()]
    pyreadstat.write_sav(
        _spss_frame(columns, rows),
        str(path),
        file_label=f"{load_study().name} {path.stem}"[:64],
        column_labels={c["name"]: _spss_label(c) for c in columns},
        variable_value_labels=labels,
        variable_measure=measures,
        variable_format=formats,
        missing_ranges=missing,
    )
    _fix_sav_stamp(path)


# ---------------------------------------------------------------------------------------------
# Stata

STATA_VERSION = 15  # .dta 118: Unicode strings and labels, read by Stata 14+ and pyreadstat
STATA_MAX_NAME = 32
STATA_MAX_LABEL = 80
# readstat stamps the wall-clock time into the 118 header ("<timestamp>" + length byte + 17
# characters "dd Mon yyyy hh:mm"); a fixed stamp makes the same lake give the same file.
_DTA_STAMP = re.compile(rb"<timestamp>\x11[ 0-9]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d</timestamp>")
DTA_STAMP = b"<timestamp>\x1101 Jan 1970 00:00</timestamp>"


def stata_variable_name(name: str) -> str:
    """`name` if Stata accepts it as a variable name; else ValueError (never a silent rename)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or len(name) > STATA_MAX_NAME:
        raise ValueError(f"{name!r} is not a valid Stata variable name")
    return name


def _stata_value(col: dict[str, Any], value: Any) -> Any:
    """A numeric Stata cell: the SPSS value, or a missing code's extended missing letter."""
    if isinstance(value, MissingReason):
        return stata_missing_letters()[value.code]
    return _spss_value(col, value)


def _write_dta(columns: list[dict[str, Any]], rows: list[tuple], path: Path) -> None:
    """Stata: the SPSS coding (codes 1..n with value labels, booleans 0/1, dates as dates);
    survey missing codes as extended missing values (.a, .b) with their labels."""
    import pandas as pd
    import pyreadstat

    columns, rows = _expand_lists(columns, rows)
    data: dict[str, Any] = {}
    labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[str]] = {}
    letters = stata_missing_letters()
    for i, col in enumerate(columns):
        name = stata_variable_name(col["name"])
        values = [row[i] for row in rows]
        typ = col["type"]
        if typ == "date":
            data[name] = pd.Series(values, dtype=object)
        elif typ in TEXT_TYPES and not (typ == "code" and col["codes"]):
            data[name] = pd.Series([None if v is None else str(v) for v in values], dtype=object)
        else:
            cells = [_stata_value(col, v) for v in values]
            coded = any(isinstance(v, str) for v in cells)
            data[name] = pd.Series(cells, dtype=object if coded else "float64")
            value_labels, _, _ = _spss_plain_dictionary(col)
            if value_labels and all(isinstance(k, int) for k in value_labels):
                labels[name] = {k: str(v)[:32000] for k, v in value_labels.items()}
            if "missing_reason" in col:
                missing[name] = list(letters.values())
                coded_labels = {letters[c]: missing_value_labels()[c] for c in letters}
                labels[name] = {**coded_labels, **labels.get(name, {})}
    pyreadstat.write_dta(
        pd.DataFrame(data, columns=[c["name"] for c in columns]),
        str(path),
        file_label=f"{load_study().name} {path.stem}"[:80],
        column_labels={c["name"]: _spss_label(c)[:STATA_MAX_LABEL] for c in columns},
        variable_value_labels=labels,
        missing_user_values=missing,
        version=STATA_VERSION,
    )
    data_bytes = path.read_bytes()
    fixed, n = _DTA_STAMP.subn(DTA_STAMP, data_bytes, count=1)
    if n != 1:
        raise RuntimeError(f"{path.name}: unexpected Stata header layout; stamp not fixed")
    path.write_bytes(fixed)


# ---------------------------------------------------------------------------------------------
# Parquet


def _arrow_schema(columns: list[dict[str, Any]]) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c["name"], arrow_type(c["type"])) for c in columns])


def _write_parquet(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[dict[str, Any]], path: Path
) -> None:
    import pyarrow.parquet as pq

    select = ", ".join(f'"{c["name"]}"' for c in columns)
    arrow = con.sql(f"SELECT {select} FROM {table} ORDER BY ALL").to_arrow_table()
    pq.write_table(arrow.cast(_arrow_schema(columns)), path)


# ---------------------------------------------------------------------------------------------
# Entry points


def export_research(zone: ResearchZone, out: Path, fmt: str) -> list[Path]:
    """Write every research table as `<out>/<table>.<fmt>` plus the codebooks beside them:
    `codebook.md` (to read), `data-dictionary.csv` (REDCap-style) and `datapackage.json`
    (Frictionless Data Package describing the files of this export).

    Returns the written paths (tables in schema order, then the codebooks).
    """
    from dwt.analytics.views import connect
    from dwt.export.dictionary import data_dictionary_csv, datapackage_json

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = connect(zone)
    written: list[Path] = []
    try:
        for table in research_tables():
            columns = source_columns(table, fmt)
            path = out / f"{table}.{fmt}"
            if fmt == "parquet":
                _write_parquet(con, table, columns, path)
            else:
                rows = _table_rows(con, table, columns)
                WRITERS[fmt](columns, rows, path)
            written.append(path)
    finally:
        con.close()
    codebook = out / "codebook.md"
    codebook.write_text(render_codebook("md"), encoding="utf-8", newline="\n")
    dictionary = out / "data-dictionary.csv"
    dictionary.write_text(data_dictionary_csv(), encoding="utf-8", newline="")
    package = out / "datapackage.json"
    package.write_text(datapackage_json(fmt), encoding="utf-8", newline="\n")
    return [*written, codebook, dictionary, package]


WRITERS = {"sav": _write_sav, "dta": _write_dta, "csv": _write_csv}
