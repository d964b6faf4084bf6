"""How each region delivers its files: every accepted encoding, spread over the regions (pure).

The style of a region is fixed by its position in `schemas/study.yaml` (index modulo 5, so a
sixth region delivers like the first):

- 0: csv, delimiter ',', UTF-8, decimal '.', canonical headers, dates YYYY-MM-DD,
  booleans true/false, lists joined by '|'.
- 1: csv, delimiter ';', UTF-8 with BOM, decimal ',', Dutch alias headers in case/space/dash
  variants ("Uren per week", "Reden-Einde", "KVK_NUMMER", " startdatum "), dates DD-MM-YYYY,
  booleans ja/nee, BSN and KvK that lost their leading zero (8 resp. 7 digits), lists ';'.
- 2: xlsx, canonical headers in variants ("Start date", "End-Date", "BSN"), Excel date cells
  with about one date in five as text DD/MM/YYYY, booleans yes/no, an extra unknown column
  "Opmerking" in placements.
- 3: sav, canonical (SPSS) names, codes numeric with value labels (label = code), SPSS
  dates, booleans 1/0 numeric, Dutch variable labels.
- 4: csv, delimiter ';', Windows-1252 with CRLF, decimal ',', Dutch alias headers, dates
  D-M-YYYY in placements and DD/MM/YYYY elsewhere, booleans j/n, codes in varied case with
  surrounding spaces.

Interview waves (QDA exports) follow `QDA_STYLES`: csv or xlsx only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from dwt.schema import Column

ISO = "iso"
DMY_DASH = "dd-mm-yyyy"
DMY_SHORT = "d-m-yyyy"
DMY_SLASH = "dd/mm/yyyy"

_DATE_FORMATTERS: dict[str, Callable[[date], str]] = {
    ISO: lambda d: d.isoformat(),
    DMY_DASH: lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    DMY_SHORT: lambda d: f"{d.day}-{d.month}-{d.year}",
    DMY_SLASH: lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
}


@dataclass(frozen=True)
class Style:
    """One region's delivery habits."""

    ext: str  # csv | xlsx | sav
    delimiter: str = ","
    encoding: str = "utf-8"
    newline: str = "\n"
    decimal: str = "."
    headers: str = "canonical"  # canonical | alias | alias_variants | canonical_variants
    date_format: str = ISO
    date_formats: dict[str, str] = field(default_factory=dict)  # per instrument
    booleans: tuple[str, str] = ("true", "false")
    drop_leading_zero: bool = False
    code_noise: bool = False
    list_sep: str = "|"
    extra_columns: dict[str, str] = field(default_factory=dict)  # instrument -> header

    def date_text(self, instrument: str) -> Callable[[date], str]:
        return _DATE_FORMATTERS[self.date_formats.get(instrument, self.date_format)]


REGION_STYLES: tuple[Style, ...] = (
    Style(ext="csv"),
    Style(
        ext="csv", delimiter=";", encoding="utf-8-sig", decimal=",", headers="alias_variants",
        date_format=DMY_DASH, booleans=("ja", "nee"), drop_leading_zero=True, list_sep=";",
    ),
    Style(
        ext="xlsx", headers="canonical_variants", date_format=DMY_SLASH, booleans=("yes", "no"),
        list_sep=";", extra_columns={"placements": "Opmerking"},
    ),
    Style(ext="sav", booleans=("1", "0")),
    Style(
        ext="csv", delimiter=";", encoding="cp1252", newline="\r\n", decimal=",", headers="alias",
        date_format=DMY_SLASH, date_formats={"placements": DMY_SHORT}, booleans=("j", "n"),
        code_noise=True, list_sep=";",
    ),
)  # fmt: skip

# xlsx: which date cells arrive as text (a property of the value, so copies stay identical)
TEXT_DATE_EVERY = 5


# QDA exports (interviews, interview_codes) come from the researchers' QDA program, which
# writes csv or xlsx, never sav: the region at index 3 sends xlsx for them. Code-path notations
# per region are in `interviews.NOTATIONS`.
QDA_STYLES: tuple[Style, ...] = (
    Style(ext="csv"),
    Style(
        ext="csv", delimiter=";", encoding="utf-8-sig", headers="alias_variants",
        date_format=DMY_DASH, drop_leading_zero=True,
    ),
    Style(ext="xlsx", headers="canonical_variants", date_format=DMY_SLASH),
    Style(ext="xlsx", headers="alias"),
    Style(
        ext="csv", delimiter=";", encoding="cp1252", newline="\r\n", headers="alias",
        date_format=DMY_SLASH, code_noise=True,
    ),
)  # fmt: skip
QDA_INSTRUMENTS = frozenset({"interviews", "interview_codes"})


def style_for(index: int, instrument: str | None = None) -> Style:
    """Style of the region at `index` in the study's region list (for `instrument`)."""
    styles = QDA_STYLES if instrument in QDA_INSTRUMENTS else REGION_STYLES
    return styles[index % len(styles)]


# Multi-word and single-word headers cycle through their own spellings.
_MULTI_WORD: tuple[Callable[[str], str], ...] = (
    lambda h: h.upper(),  # "KVK_NUMMER"
    lambda h: "-".join(w.capitalize() for w in h.split("_")),  # "Reden-Einde"
    lambda h: h.replace("_", " ").capitalize(),  # "Uren per week"
)
_ONE_WORD: tuple[Callable[[str], str], ...] = (
    lambda h: h.capitalize(),  # "Startdatum"
    lambda h: h.upper(),  # "BSN"
    lambda h: f" {h} ",  # surrounding whitespace
)


def headers(style: Style, columns: list[Column]) -> list[str]:
    """Header row for `columns` in the region's habit (canonical or Dutch alias, variants)."""
    out: list[str] = []
    seen = {True: 0, False: 0}
    for col in columns:
        base = col.alias if style.headers.startswith("alias") and col.alias else col.name
        if style.headers.endswith("_variants"):
            multi = "_" in base
            variants = _MULTI_WORD if multi else _ONE_WORD
            base = variants[seen[multi] % len(variants)](base)
            seen[multi] += 1
        out.append(base)
    return out


_NOISE: tuple[Callable[[str], str], ...] = (
    lambda c: c,
    lambda c: c.upper(),
    lambda c: c.capitalize(),
    lambda c: f" {c}",
    lambda c: f"{c.upper()} ",
    lambda c: f"  {c.capitalize()} ",
)


def noisy_code(code: str, pick: int) -> str:
    """A code in one of several case/whitespace spellings (they all match case-insensitively)."""
    return _NOISE[pick % len(_NOISE)](code)
