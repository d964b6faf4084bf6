"""Raw text frame -> typed frame + per-row parse reasons (pure: no paths, no IO).

Input is `RawTable.frame` (text cells, None when empty, canonical columns); output is the
"Typed frame" of docs/ARCHITECTURE.md with the same index, and a Series of lists of
value-free reasons ("<column>: <rule>"). A cell that cannot be parsed becomes <NA> and
earns one reason; empty cells and survey missing codes become <NA> without a reason
(whether a value is required is the validation step's rule, not the parser's).

Decisions beyond the contract (each one pinned by a unit test):
- Numbers are read exactly or not at all. A single '.' or ',' is the decimal mark ("22,5",
  "1.5"), except where it could as well be a thousands separator: one mark followed by exactly
  three digits after 1-3 leading digits ("10.000", "1,500") is refused with "<column>:
  ambiguous thousands separator" -- a cell cannot tell which it is, and the parser sees the
  rows of many files (of different conventions) at once. Grouping that only one reading
  explains is read exactly: "1.234.567" (marks repeated), "1.234,5" / "1,234.5" (both marks).
  The readers write native spreadsheet/SPSS numbers so that they never take the ambiguous
  shape (dwt.ingest.read).
- Digits in another script (Arabic-Indic, full-width, every Unicode decimal digit) in number,
  integer, date and identifier cells are read by their Unicode digit value, exactly as ASCII
  digits (and full-width '+', '-', '.', ','). Other look-alikes (superscripts, circled digits)
  are not digits: the cell fails with its column's reason. Nothing becomes <NA> silently.
- Integers accept an all-zero fraction ("12.0", "12,0") and a sign ("+12").
- Booleans accept "1.0"/"0.0" (how an SPSS numeric arrives when not labelled).
- A date may carry a time part ("2018-03-01 00:00:00", "...T14:30"): the date is kept, as
  the readers do for native date-time cells.
- BSN and KvK as python-stdnum's `nl.bsn.compact` reads a BSN: separators (space, no-break
  space, '.', '-') between digit groups are dropped, and the digits are left-padded to 9 (KvK:
  8), because a spreadsheet drops every leading zero. The 11-proef (validation) then judges
  the BSN; an all-zero KvK is not a KvK. A spreadsheet's float is the same number: a trailing
  ".0"/".00" ("123456782.0") and scientific notation whose mantissa holds every digit
  ("1.23456782E8"); a mantissa with fewer digits than the exponent ("1.2346E+08") is a
  rounded display and refused. A separator before, after or next to another one, a sign,
  zero-width characters or combining marks: "not 9 digits" / "not 8 digits".
- code_list: empty items (a trailing separator) are ignored and repeated codes kept once.
- A column whose codes come from a code system (`codes_from:`) takes a QDA code path, each
  level by code or Dutch label (`dwt.schema.CodeSystem.resolve`); the typed value is the code.
- Survey missing codes apply to every column outside the identifier zone; in an identifier
  column "-9" is simply not a valid number. The typed value of a missing code is <NA> like an
  empty cell; `missing_reasons` tells them apart from the same raw text (study.yaml
  `missing_reasons`: the code's reason, or "not delivered" for an empty or absent cell), with
  the very normalisation the parser applies (surrounding whitespace, other scripts' digits).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dwt.schema import Column, Instrument, Study, load_code_system
from dwt.tables import lists_per_row

# (typed values, {rule text for the reason: mask of non-empty cells that failed it})
Parsed = tuple[pd.Series, dict[str, pd.Series]]

# ASCII classes only: Python's \d also matches other scripts' digits, which are folded first.
_TIME_SUFFIX = (
    r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$"
)
# One decimal mark at most, optional exponent: "22.5", "22,5", ".5", "12.", "1e3".
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?"
# Thousands groups only one reading explains: repeated marks, or both marks.
_DOT_GROUPED = r"[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]*)?"
_COMMA_GROUPED = r"[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]*)?"
# Either a decimal fraction or one thousands group: "10.000" is 10 or 10000.
_AMBIGUOUS_GROUP = r"[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}"
AMBIGUOUS = "ambiguous thousands separator"
# Identifiers: digit groups with single separators between them, or a spreadsheet's float.
_ID_SEPARATOR = "[ .\\-\u00a0\u202f]"
_ID_GROUPED = f"[0-9]+(?:{_ID_SEPARATOR}[0-9]+)*"
_ID_FLOAT_ZERO = r"^([0-9]+)[.,]00?$"
_ID_SCIENTIFIC = r"([0-9])(?:[.,]([0-9]*))?[eE]\+?([0-9]{1,2})"
# Full-width signs and marks some input methods produce alongside full-width digits.
_FULL_WIDTH_MARKS = {"\uff0b": "+", "\uff0c": ",", "\uff0d": "-", "\uff0e": "."}


def parse_table(
    raw: pd.DataFrame, instrument: Instrument, study: Study
) -> tuple[pd.DataFrame, pd.Series]:
    """Type every schema column of `raw`; return (typed frame, list of reasons per row)."""
    missing_codes = study.missing_codes
    typed: dict[str, pd.Series] = {}
    failures: list[tuple[np.ndarray, str]] = []
    for column in instrument.columns:
        cells = raw[column.name] if column.name in raw.columns else None
        values, failed = _parse_column(cells, len(raw), column, study, missing_codes)
        typed[column.name] = pd.Series(values, index=raw.index)
        failures += [(rows, f"{column.name}: {rule}") for rule, rows in failed.items()]
    return pd.DataFrame(typed, index=raw.index), _reasons(raw.index, failures)


def _parse_column(
    cells: pd.Series | None, n_rows: int, column: Column, study: Study, missing_codes: list[str]
) -> tuple[Any, dict[str, np.ndarray]]:
    """Parse each distinct value once, then spread the results over the rows.

    Most columns repeat a few values (codes, booleans, dates, small integers) across 10^5+
    rows, so hashing first and parsing the distinct values is much cheaper than per-cell work.
    """
    if cells is None:
        return _all_missing(column, n_rows)
    positions, distinct = _factorize(cells)
    if len(distinct) == 0:
        return _all_missing(column, n_rows)
    text = _cell_text(pd.Series(distinct, dtype=object), column)
    if not column.is_identifier:
        text = text.mask(text.isin(missing_codes))
    values, failed = _parser(column, study)(text, column)
    if values.dtype == object:  # code_list: Python lists in a plain numpy array
        spread = pd.api.extensions.take(
            values.to_numpy(), positions, allow_fill=True, fill_value=pd.NA
        )
    else:
        spread = pd.api.extensions.take(values.array, positions, allow_fill=True)
    # Position -1 (an empty cell) picks the appended False: empty cells never fail parsing.
    failed_rows = {
        rule: np.append(mask.to_numpy(dtype=bool), False)[positions]
        for rule, mask in failed.items()
    }
    return spread, failed_rows


# dtype of each column type in the typed frame (docs/ARCHITECTURE.md, "Typed frame").
_DTYPES = {
    "bsn": "string", "kvk": "string", "date": "datetime64[ns]", "integer": "Int64",
    "number": "Float64", "boolean": "boolean", "code": "string", "code_list": "object",
    "string": "string", "text": "string",
}  # fmt: skip


def _all_missing(column: Column, n_rows: int) -> tuple[Any, dict[str, np.ndarray]]:
    """A column with no value at all: skip the parser (a large share of optional columns)."""
    dtype = _DTYPES[column.type]
    fill: Any = pd.NA if dtype == "object" else None
    values = pd.Series([fill] * n_rows, dtype=dtype).array
    return values, {}


def missing_reasons(
    cells: pd.Series | None, n_rows: int, column: Column, study: Study
) -> pd.Series:
    """Why each cell of `column` holds no value, as a study.yaml `missing_reasons` code:
    a survey missing code's reason, the not-delivered reason for an empty cell or for a column
    the file did not deliver (`cells` None), <NA> for a cell holding anything else (a value, or
    text the parser refuses). An identifier column has no missing codes: only not delivered."""
    reasons = study.missing_reasons
    not_delivered = next(r.code for r in reasons if r.raw is None)
    if cells is None:
        return pd.Series([not_delivered] * n_rows, dtype="string")
    positions, distinct = _factorize(cells)
    text = _cell_text(pd.Series(distinct, dtype=object), column)
    codes = {} if column.is_identifier else {r.raw: r.code for r in reasons if r.raw is not None}
    found = text.map(codes).astype("string").mask(text.isna(), not_delivered)
    # Position -1 (an empty cell) picks the appended not-delivered reason.
    spread = np.append(found.to_numpy(dtype=object), not_delivered)[positions]
    return pd.Series(spread, index=cells.index, dtype="string")


def _factorize(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(position of each cell's distinct value, -1 when empty; the distinct values as Python
    text). Arrow-backed cells are hashed in Arrow: only their distinct values become Python
    strings."""
    if isinstance(cells.dtype, pd.ArrowDtype):
        positions, distinct = pd.factorize(cells, use_na_sentinel=True)
        return positions, distinct.to_numpy(dtype=object)
    positions, uniques = pd.factorize(cells.astype(object), use_na_sentinel=True)
    return positions, np.asarray(uniques, dtype=object)


def _cell_text(distinct: pd.Series, column: Column) -> pd.Series:
    """Cells as the parsers read them: stripped text (<NA> when empty), digits folded to ASCII
    in the column types read digit by digit."""
    text = _text(distinct)
    return fold_digits(text) if column.type in _DIGIT_TYPES else text


def _text(distinct: pd.Series) -> pd.Series:
    """Stripped `string`, <NA> when empty."""
    text = distinct.astype("string").str.strip()
    return text.mask(text == "")


# Column types whose cells are read digit by digit.
_DIGIT_TYPES = ("bsn", "kvk", "integer", "number", "date")


def fold_digits(text: pd.Series) -> pd.Series:
    """Every Unicode decimal digit as its ASCII digit (by its unicodedata value), full-width
    signs and marks as ASCII; cells that are ASCII already (nearly all) are not touched."""
    foreign = text.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).astype(bool)
    if not foreign.any():
        return text
    folded = pd.Series(
        [_fold(str(cell)) for cell in text[foreign]], index=text.index[foreign], dtype="string"
    )
    return text.mask(foreign, folded)


def _fold(cell: str) -> str:
    return "".join(
        str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd"
        else _FULL_WIDTH_MARKS.get(ch, ch)
        for ch in cell
    )  # fmt: skip


def _number_text(text: pd.Series, ambiguous: pd.Series) -> pd.Series:
    """Canonical number text ('.' decimal mark, no grouping), <NA> where not a number or
    `ambiguous` (see AMBIGUOUS)."""
    plain = text.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool) & ~ambiguous
    dot_grouped = text.str.fullmatch(_DOT_GROUPED).fillna(False).astype(bool) & ~ambiguous
    comma_grouped = text.str.fullmatch(_COMMA_GROUPED).fillna(False).astype(bool) & ~ambiguous
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    out[plain] = text[plain].str.replace(",", ".", regex=False)
    out[dot_grouped] = (
        text[dot_grouped].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    out[comma_grouped] = text[comma_grouped].str.replace(",", "", regex=False)
    return out


def _reasons(index: pd.Index, failures: list[tuple[np.ndarray, str]]) -> pd.Series:
    # Failures are rare: a list only for the rows where a rule failed.
    gained: dict[int, list[str]] = {}
    for failed, reason in failures:
        for position in np.flatnonzero(failed):
            gained.setdefault(int(position), []).append(reason)
    return lists_per_row(gained, index)


def _parser(column: Column, study: Study) -> Callable[[pd.Series, Column], Parsed]:
    parsers: dict[str, Callable[[pd.Series, Column], Parsed]] = {
        "bsn": lambda s, c: _digits(s, width=9, rule="not 9 digits", zero_ok=True),
        "kvk": lambda s, c: _digits(s, width=8, rule="not 8 digits", zero_ok=False),
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


def _one(rule: str, failed: pd.Series) -> dict[str, pd.Series]:
    return {rule: failed}


def _digits(text: pd.Series, width: int, rule: str, zero_ok: bool) -> Parsed:
    """Identifier digits (see the module's decisions), left-padded to `width`."""
    digits = pd.Series(pd.NA, index=text.index, dtype="string")
    grouped = text.str.fullmatch(_ID_GROUPED).fillna(False).astype(bool)
    digits[grouped] = text[grouped].str.replace(_ID_SEPARATOR, "", regex=True)
    whole = text.str.extract(_ID_FLOAT_ZERO, expand=False)
    digits = digits.mask(whole.notna(), whole)  # "123456782.0" is a float, not groups
    scientific = text.str.fullmatch(_ID_SCIENTIFIC).fillna(False).astype(bool)
    if scientific.any():
        exact = text[scientific].map(_scientific_digits).astype("string")
        digits = digits.mask(scientific, exact)
    ok = digits.str.fullmatch(rf"[0-9]{{1,{width}}}").fillna(False).astype(bool)
    values = digits.where(ok).str.zfill(width)
    if not zero_ok:
        ok &= ~values.str.fullmatch("0+").fillna(False).astype(bool)
        values = values.where(ok)
    return values.astype("string"), _one(rule, _failed(text, ok))


def _scientific_digits(cell: str) -> str | None:
    """The integer a spreadsheet printed as d.ddddE+n, if every digit of it is shown."""
    match = re.fullmatch(_ID_SCIENTIFIC, cell)
    if match is None:
        return None
    lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
    if exponent > len(fraction) or fraction[exponent:].strip("0"):
        return None  # digits invented by the exponent (a rounded display), or a fraction
    return (lead + fraction[:exponent]).lstrip("0") or "0"


def _dates(text: pd.Series, formats: list[str]) -> Parsed:
    date_part = text.str.replace(_TIME_SUFFIX, r"\1", regex=True)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = values.isna() & date_part.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(date_part[todo].astype(object), format=fmt, errors="coerce")
        values[todo] = parsed
    return values, _one("not a date", _failed(text, values.notna()))


def _integers(text: pd.Series) -> Parsed:
    # Whole numbers, exactly (no float on the way): digits, then an all-zero fraction.
    ambiguous = _is_ambiguous(text)
    number = _number_text(text, ambiguous)
    ok = number.str.fullmatch(r"[+-]?[0-9]{1,18}(?:\.0*)?").fillna(False).astype(bool)
    whole = number.where(ok).str.replace(r"\.0*$", "", regex=True).str.lstrip("+")
    values = pd.to_numeric(whole, errors="coerce").astype("Int64")
    return values, {"not an integer": _failed(text, ok | ambiguous), AMBIGUOUS: ambiguous}


def _numbers(text: pd.Series) -> Parsed:
    ambiguous = _is_ambiguous(text)
    values = pd.to_numeric(_number_text(text, ambiguous), errors="coerce").astype("Float64")
    # "1e999" matches the pattern but overflows to infinity: not a usable number either.
    values = values.where(~np.isinf(values.fillna(0)))
    failed = _failed(text, values.notna() | ambiguous)
    return values, {"not a number": failed, AMBIGUOUS: ambiguous}


def _is_ambiguous(text: pd.Series) -> pd.Series:
    return text.str.fullmatch(_AMBIGUOUS_GROUP).fillna(False).astype(bool)


def _booleans(text: pd.Series, spellings: dict[str, list[str]]) -> Parsed:
    lookup = {
        str(spelling).lower(): key.lower() == "true"
        for key, values in spellings.items()
        for spelling in values
    }
    key = text.str.lower().str.replace(r"^([01])\.0+$", r"\1", regex=True)
    values = key.map(lookup).astype("boolean")
    return values, _one("not a boolean", _failed(text, values.notna()))


def _code_key(text: pd.Series) -> pd.Series:
    return text.str.strip().str.lower()


def _codes(text: pd.Series, column: Column) -> Parsed:
    if column.code_system is not None:
        return _code_paths(text, column.code_system)
    lookup = {str(code).strip().lower(): str(code) for code in column.codes}
    values = _code_key(text).map(lookup).astype("string")
    return values, _one("unknown code", _failed(text, values.notna()))


def _code_paths(text: pd.Series, system: str) -> Parsed:
    """A QDA code path (`Factor\\Sub`, `Factor > Sub`, `Factor::Sub`, or one level) -> code.

    Runs on distinct cells only (see _parse_column): one lookup per spelling.
    """
    codes = load_code_system(system)
    values = text.map(lambda cell: pd.NA if pd.isna(cell) else codes.resolve(str(cell)))
    values = values.astype("string")
    return values, _one("unknown code", _failed(text, values.notna()))


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
        _one("unknown code", pd.Series(failed, index=text.index, dtype=bool)),
    )


def _plain_text(text: pd.Series) -> Parsed:
    return text.astype("string"), {}
