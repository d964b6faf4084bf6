"""Checks across instruments and waves (pure).

`unknown_reference_reasons`: a survey respondent or contact must be a person / employer of
the region's placements, a coded segment a document of its wave's interviews (the schema's
`references`). `document_reasons`: the rows of one document (a focus group) agree on its date
and type, and only a focus group has several. `longitudinal_flags`: a person whose birth year
or gender changes between waves is flagged (not quarantined).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from dwt.schema import Instrument
from dwt.tables import lists_per_row

FILE_SCOPE = ("_region", "_wave", "_file")
REGION_COLUMNS = ("_region", "region")
WAVE_COLUMNS = ("_wave", "wave")
PERSON_COLUMNS = ("participant_id", "bsn")
STABLE_ATTRIBUTES = ("birth_year", "gender")

# What a referenced identifier stands for, by column type (the reason names it).
_REFERENT = {"bsn": "person", "kvk": "employer"}


def unknown_reference_reasons(
    typed: pd.DataFrame, instrument: Instrument, known: pd.DataFrame | Mapping[str, pd.DataFrame]
) -> pd.Series:
    """Per row the list of `<col>: unknown <referent> in <scope> <table>` reasons.

    `known` holds the accepted rows of each referenced table (name -> frame), or the region's
    placements alone: columns `_region` (and `_wave` for a reference `within: wave`) and the
    referenced columns. A reference is looked up in the row's region (any wave), or in its
    region and wave with `within: wave` ("interview_id: unknown interview in wave interviews").
    An empty value is not checked (`required` covers it).
    """
    tables = {"placements": known} if isinstance(known, pd.DataFrame) else dict(known)
    gained: dict[int, list[str]] = {}  # position -> reasons: most rows gain none
    for col in instrument.columns:
        if not col.references or col.name not in typed.columns:
            continue
        ref = col.references
        scope = ["_region", "_wave"] if ref.get("within") == "wave" else ["_region"]
        table = tables.get(ref["table"])
        if table is None:
            table = pd.DataFrame({c: [] for c in [*scope, ref["column"]]})
        values = typed[col.name].reset_index(drop=True)
        known_rows = table[[*scope, ref["column"]]].dropna().astype(str).drop_duplicates()
        given = [typed[c].reset_index(drop=True).astype(str) for c in scope]
        pairs = pd.MultiIndex.from_arrays([*given, values.astype(str)])
        unknown = values.notna().to_numpy() & ~pairs.isin(pd.MultiIndex.from_frame(known_rows))
        referent = ref.get("referent") or _REFERENT.get(col.type, "value")
        where = "wave" if ref.get("within") == "wave" else "region"
        reason = f"{col.name}: unknown {referent} in {where} {ref['table']}"
        for pos in unknown.nonzero()[0]:
            gained.setdefault(int(pos), []).append(reason)
    return lists_per_row(gained, typed.index)


def document_reasons(typed: pd.DataFrame, instrument: Instrument) -> pd.Series:
    """Rows of one document (the schema's `document`, e.g. the rows of one focus group) that
    disagree on a shared column, or that are several where only one is allowed: all of that
    document's rows get the reason. Documents are compared within one delivered file."""
    spec = instrument.document
    gained: dict[int, list[str]] = {}  # position -> reasons: most rows gain none
    if not spec or not len(typed):
        return lists_per_row(gained, typed.index)
    doc = spec["id"]
    scope = [c for c in FILE_SCOPE if c in typed.columns]
    frame = typed[[*scope, doc, *spec["shared"]]].reset_index(drop=True).astype(object)
    frame = frame.where(frame.notna(), None)
    groups = frame.groupby([*scope, doc], sort=False, dropna=True)
    rows = groups[doc].transform("size")
    shared = frame[spec["shared"]].astype(str).agg("|".join, axis=1)
    versions = shared.groupby([frame[c] for c in [*scope, doc]], sort=False).transform("nunique")
    disagree = (versions > 1).to_numpy()
    several = (rows > 1).to_numpy()
    allowed = _condition(typed, spec.get("several_rows_only_if")).to_numpy()
    for pos in disagree.nonzero()[0]:
        gained.setdefault(int(pos), []).append(
            f"{doc}: rows of one document disagree on {', '.join(spec['shared'])}"
        )
    for pos in (several & ~allowed & ~disagree).nonzero()[0]:
        condition = spec["several_rows_only_if"]
        gained.setdefault(int(pos), []).append(
            f"{doc}: several rows only for {condition['column']} {'/'.join(condition['in'])}"
        )
    return lists_per_row(gained, typed.index)


def _condition(typed: pd.DataFrame, spec: dict[str, Any] | None) -> pd.Series:
    if not spec:
        return pd.Series(True, index=range(len(typed)))
    values = typed[spec["column"]].reset_index(drop=True)
    return values.isin(list(spec["in"])).fillna(False).astype(bool)


def longitudinal_flags(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (region, wave, person, kind) where a stable attribute changed.

    `history` has one row per placement per delivered wave with a person column
    (`participant_id`, or `bsn` before pseudonymisation), the region and wave (`_region`/
    `_wave`, or `region`/`wave` on the curated state), `birth_year` and `gender`. A wave is
    flagged when its value differs from the person's previous wave with a value, or when the
    person's placements disagree within the wave. Empty values are not a change.
    """
    region = _pick(history, REGION_COLUMNS)
    wave = _pick(history, WAVE_COLUMNS)
    person = _pick(history, PERSON_COLUMNS)
    out_columns = [region, wave, person, "kind"]
    flags = [
        _changes(history, region, wave, person, attribute)
        for attribute in STABLE_ATTRIBUTES
        if attribute in history.columns
    ]
    if not flags:
        return pd.DataFrame(columns=out_columns)
    result = pd.concat(flags, ignore_index=True)
    return result.sort_values(out_columns, kind="stable").reset_index(drop=True)[out_columns]


def _changes(
    history: pd.DataFrame, region: str, wave: str, person: str, attribute: str
) -> pd.DataFrame:
    rows = history[[region, wave, person, attribute]].dropna().copy()
    # integer codes: equal values share a code, and min/max run in cython instead of falling
    # back to Python for string columns
    rows[attribute] = pd.factorize(rows[attribute])[0]
    # min and max per wave: equal when the wave agrees with itself, and comparable with the
    # previous wave's without any per-person Python loop
    per_wave = (
        rows.groupby([region, person, wave], sort=True)[attribute].agg(["min", "max"]).reset_index()
    )
    previous = per_wave.groupby([region, person], sort=False)[["min", "max"]].shift(1)
    has_previous = previous["min"].notna()
    changed = has_previous & (
        (per_wave["min"] != previous["min"]) | (per_wave["max"] != previous["max"])
    )
    inconsistent = per_wave["min"] != per_wave["max"]
    flagged = per_wave.loc[changed | inconsistent, [region, wave, person]].copy()
    flagged["kind"] = f"{attribute}_changed"
    return flagged


def _pick(frame: pd.DataFrame, candidates: tuple[str, ...]) -> str:
    for name in candidates:
        if name in frame.columns:
            return name
    raise KeyError(f"history needs one of the columns {list(candidates)}")
