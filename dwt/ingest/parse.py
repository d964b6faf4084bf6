"""Raw text frame -> typed frame + per-row parse reasons (pure: no paths, no IO).

Input is `RawTable.frame` (text cells, None when empty, canonical columns); output is the
"Typed frame" of docs/ARCHITECTURE.md with the same index, and a Series of lists of
value-free reasons ("<column>: <rule>"). A cell that cannot be parsed becomes <NA> and
earns one reason; empty cells and survey missing codes become <NA> without a reason
(whether a value is required is the validation step's rule, not the parser's).

Decisions beyond the contract (each one pinned by a unit test):
- A number may use '.' or ',' as its decimal mark, but not both: "1.234,5" is ambiguous
  (thousands separator or decimal?) and is "not a number". "1.234" is read as 1.234.
- Integers accept an all-zero fraction ("12.0", "12,0") and a sign ("+12").
- Booleans accept "1.0"/"0.0" (how an SPSS numeric arrives when not labelled).
- A date may carry a time part ("2018-03-01 00:00:00", "...T14:30"): the date is kept, as
  the readers do for native date-time cells.
- KvK: 7 or 8 digits (one lost leading zero, as for the BSN) are left-padded to 8.
- code_list: empty items (a trailing separator) are ignored and repeated codes kept once.
- A column whose codes come from a code system (`codes_from:`) takes a QDA code path, each
  level by code or Dutch label (`dwt.schema.CodeSystem.resolve`); the typed value is the code.
- Survey missing codes apply to every column outside the identifier zone; in an identifier
  column "-9" is simply not a valid number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dwt.schema import Column, Instrument, Study, load_code_system

# (typed values, mask of non-empty cells that failed, rule text for the reason)
Parsed = tuple[pd.Series, pd.Series, str]

_TIME_SUFFIX = r"^(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
_INTEGER = r"[+-]?\d{1,18}(?:[.,]0*)?"
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def parse_table(
    raw: pd.DataFrame, instrument: Instrument, study: Study
) -> tuple[pd.DataFrame, pd.Series]:
    """Type every schema column of `raw`; return (typed frame, list of reasons per row)."""
    missing_codes = [str(c) for c in study.parsing["missing_codes"]]
    typed: dict[str, pd.Series] = {}
    failures: list[tuple[np.ndarray, str]] = []
    for column in instrument.columns:
        cells = raw[column.name] if column.name in raw.columns else None
        values, failed, rule = _parse_column(cells, len(raw), column, study, missing_codes)
        typed[column.name] = pd.Series(values, index=raw.index)
        failures.append((failed, f"{column.name}: {rule}"))
    return pd.DataFrame(typed, index=raw.index), _reasons(raw.index, failures)


def _parse_column(
    cells: pd.Series | None, n_rows: int, column: Column, study: Study, missing_codes: list[str]
) -> tuple[Any, np.ndarray, str]:
    """Parse each distinct value once, then spread the results over the rows.

    Most columns repeat a few values (codes, booleans, dates, small integers) across 10^5+
    rows, so hashing first and parsing the distinct values is much cheaper than per-cell work.
    """
    if cells is None:
        return _all_missing(column, n_rows)
    positions, distinct = pd.factorize(cells.astype(object), use_na_sentinel=True)
    if len(distinct) == 0:
        return _all_missing(column, n_rows)
    text = _text(pd.Series(distinct, dtype=object))
    if not column.is_identifier:
        text = text.mask(text.isin(missing_codes))
    values, failed, rule = _parser(column, study)(text, column)
    if values.dtype == object:  # code_list: Python lists in a plain numpy array
        spread = pd.api.extensions.take(
            values.to_numpy(), positions, allow_fill=True, fill_value=pd.NA
        )
    else:
        spread = pd.api.extensions.take(values.array, positions, allow_fill=True)
    # Position -1 (an empty cell) picks the appended False: empty cells never fail parsing.
    failed_rows = np.append(failed.to_numpy(dtype=bool), False)[positions]
    return spread, failed_rows, rule


# dtype of each column type in the typed frame (docs/ARCHITECTURE.md, "Typed frame").
_DTYPES = {
    "bsn": "string", "kvk": "string", "date": "datetime64[ns]", "integer": "Int64",
    "number": "Float64", "boolean": "boolean", "code": "string", "code_list": "object",
    "string": "string", "text": "string",
}  # fmt: skip


def _all_missing(column: Column, n_rows: int) -> tuple[Any, np.ndarray, str]:
    """A column with no value at all: skip the parser (a large share of optional columns)."""
    dtype = _DTYPES[column.type]
    fill: Any = pd.NA if dtype == "object" else None
    values = pd.Series([fill] * n_rows, dtype=dtype).array
    return values, np.zeros(n_rows, dtype=bool), ""


def _text(distinct: pd.Series) -> pd.Series:
    """Stripped `string`, <NA> when empty."""
    text = distinct.astype("string").str.strip()
    return text.mask(text == "")


def _reasons(index: pd.Index, failures: list[tuple[np.ndarray, str]]) -> pd.Series:
    # Failures are rare: build one fresh list per row, then append only where a rule failed.
    lists: list[list[str]] = [[] for _ in range(len(index))]
    for failed, reason in failures:
        for position in np.flatnonzero(failed):
            lists[position].append(reason)
    return pd.Series(lists, index=index, dtype=object)


def _parser(column: Column, study: Study) -> Callable[[pd.Series, Column], Parsed]:
    parsers: dict[str, Callable[[pd.Series, Column], Parsed]] = {
        "bsn": lambda s, c: _digits(s, width=9, min_width=8, rule="not 9 digits"),
        "kvk": lambda s, c: _digits(s, width=8, min_width=7, rule="not 8 digits"),
        "date": lambda s, c: _dates(s, study.parsing["date_formats"]),
        "integer": lambda s, c: _integers(s),
        "number": lambda s, c: _numbers(s),
        "boolean": lambda s, c: _booleans(s, study.parsing["booleans"]),
        "code": lambda s, c: _codes(s, c),
        "code_list": lambda s, c: _code_lists(s, c, study.parsing["list_separators"]),
        "string": lambda s, c: _plain_text(s),
        "text": lambda s, c: _plain_text(s),
    }
    return parsers[column.type]


def _failed(text: pd.Series, ok: pd.Series) -> pd.Series:
    """Non-empty cells that did not parse."""
    return (text.notna() & ~ok.fillna(False)).astype(bool)


def _digits(text: pd.Series, width: int, min_width: int, rule: str) -> Parsed:
    """Identifier digits, left-padded to `width` when a leading zero was lost."""
    ok = text.str.fullmatch(rf"\d{{{min_width},{width}}}").fillna(False).astype(bool)
    values = text.where(ok).str.zfill(width).astype("string")
    return values, _failed(text, ok), rule


def _dates(text: pd.Series, formats: list[str]) -> Parsed:
    date_part = text.str.replace(_TIME_SUFFIX, r"\1", regex=True)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = values.isna() & date_part.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(date_part[todo].astype(object), format=fmt, errors="coerce")
        values[todo] = parsed
    return values, _failed(text, values.notna()), "not a date"


def _integers(text: pd.Series) -> Parsed:
    ok = text.str.fullmatch(_INTEGER).fillna(False).astype(bool)
    whole = text.where(ok).str.replace(r"[.,]0*$", "", regex=True).str.lstrip("+")
    values = pd.to_numeric(whole, errors="coerce").astype("Int64")
    return values, _failed(text, ok), "not an integer"


def _numbers(text: pd.Series) -> Parsed:
    ok = text.str.fullmatch(_NUMBER).fillna(False).astype(bool)
    dotted = text.where(ok).str.replace(",", ".", regex=False)
    values = pd.to_numeric(dotted, errors="coerce").astype("Float64")
    # "1e999" matches the pattern but overflows to infinity: not a usable number either.
    values = values.where(~np.isinf(values.fillna(0)))
    return values, _failed(text, values.notna()), "not a number"


def _booleans(text: pd.Series, spellings: dict[str, list[str]]) -> Parsed:
    lookup = {
        str(spelling).lower(): key.lower() == "true"
        for key, values in spellings.items()
        for spelling in values
    }
    key = text.str.lower().str.replace(r"^([01])\.0+$", r"\1", regex=True)
    values = key.map(lookup).astype("boolean")
    return values, _failed(text, values.notna()), "not a boolean"


def _code_key(text: pd.Series) -> pd.Series:
    return text.str.strip().str.lower()


def _codes(text: pd.Series, column: Column) -> Parsed:
    if column.code_system is not None:
        return _code_paths(text, column.code_system)
    lookup = {str(code).strip().lower(): str(code) for code in column.codes}
    values = _code_key(text).map(lookup).astype("string")
    return values, _failed(text, values.notna()), "unknown code"


def _code_paths(text: pd.Series, system: str) -> Parsed:
    """A QDA code path (`Factor\\Sub`, `Factor > Sub`, `Factor::Sub`, or one level) -> code.

    Runs on distinct cells only (see _parse_column): one lookup per spelling.
    """
    codes = load_code_system(system)
    values = text.map(lambda cell: pd.NA if pd.isna(cell) else codes.resolve(str(cell)))
    values = values.astype("string")
    return values, _failed(text, values.notna()), "unknown code"


def _code_lists(text: pd.Series, column: Column, separators: list[str]) -> Parsed:
    # Runs on distinct cells only (see _parse_column), so a plain loop is cheap here.
    lookup = {str(code).strip().lower(): str(code) for code in column.codes}
    splitter = re.compile("|".join(re.escape(s) for s in separators))
    values: list[Any] = []
    failed: list[bool] = []
    for cell in text.astype(object):
        items = [] if pd.isna(cell) else [i.strip().lower() for i in splitter.split(cell)]
        items = [i for i in items if i]
        codes = [lookup.get(i) for i in items]
        unknown = None in codes
        # Keep each code once, in delivery order; an unknown item spoils the whole cell.
        values.append(list(dict.fromkeys(codes)) if codes and not unknown else pd.NA)
        failed.append(unknown)
    return (
        pd.Series(values, index=text.index, dtype=object),
        pd.Series(failed, index=text.index, dtype=bool),
        "unknown code",
    )


def _plain_text(text: pd.Series) -> Parsed:
    return text.astype("string"), pd.Series(False, index=text.index), ""
