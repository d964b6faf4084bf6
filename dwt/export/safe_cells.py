"""Spreadsheet formula injection guard for text cells written to CSV or xlsx.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some programs, after a
leading tab or carriage return) as a formula, e.g. `=HYPERLINK(...)` that leaks data on a click.
A leading single quote makes the program show the text as text (OWASP "CSV injection").
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """`value` unchanged, or prefixed with `'` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
