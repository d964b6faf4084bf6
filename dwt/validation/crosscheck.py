"""Checks across instruments and waves (pure).

`unknown_reference_reasons`: a survey respondent or contact must be a person / employer of
the region's placements (the schema's `references`). `longitudinal_flags`: a person whose
birth year or gender changes between waves is flagged (not quarantined).
"""

from __future__ import annotations

import pandas as pd

from dwt.schema import Instrument

REGION_COLUMNS = ("_region", "region")
WAVE_COLUMNS = ("_wave", "wave")
PERSON_COLUMNS = ("participant_id", "bsn")
STABLE_ATTRIBUTES = ("birth_year", "gender")

# What a referenced identifier stands for, by column type (the reason names it).
_REFERENT = {"bsn": "person", "kvk": "employer"}


def unknown_reference_reasons(
    typed: pd.DataFrame, instrument: Instrument, known: pd.DataFrame
) -> pd.Series:
    """Per row the list of `<col>: unknown <person|employer> in region <table>` reasons.

    `known` holds the region's placements (any wave): columns `_region` and the referenced
    columns (bsn, employer_kvk). An empty value is not checked (`required` covers it).
    """
    per_row: list[list[str]] = [[] for _ in range(len(typed))]
    region = typed["_region"].reset_index(drop=True) if len(typed) else pd.Series([])
    for col in instrument.columns:
        if not col.references or col.name not in typed.columns:
            continue
        target = col.references["column"]
        values = typed[col.name].reset_index(drop=True)
        known_pairs = pd.MultiIndex.from_frame(
            known[["_region", target]].dropna().astype(str).drop_duplicates()
        )
        pairs = pd.MultiIndex.from_arrays([region.astype(str), values.astype(str)])
        unknown = values.notna().to_numpy() & ~pairs.isin(known_pairs)
        referent = _REFERENT.get(col.type, "value")
        reason = f"{col.name}: unknown {referent} in region {col.references['table']}"
        for pos in unknown.nonzero()[0]:
            per_row[pos].append(reason)
    return pd.Series(per_row, index=typed.index, dtype=object)


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
