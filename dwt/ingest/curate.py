"""Pure curation of one region: staged rows in, curated (research) and restricted tables out.

Grain of every output is stated in schemas/curated.yaml. Identifiers leave here only as
pseudonyms; names, KvK numbers and notes go to restricted tables alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from dwt.ingest.staging import STAGED, StagedRows
from dwt.pseudonym import pseudonymise
from dwt.schema import (
    curated_tables,
    load_code_system,
    load_instrument,
    load_study,
    restricted_tables,
)
from dwt.tables import is_list, to_arrow

if TYPE_CHECKING:
    import pyarrow as pa

REGION, WAVE, FILE, ROW, REASONS = (*STAGED.meta, STAGED.reasons)


class Tables(dict[str, "pa.Table"]):
    """A zone's tables by relative path. Given `write`, each table is handed to it as it is
    added and none is kept: a region of a million placements held every one of its tables
    (several of a million rows) until the region was done."""

    def __init__(self, write: Callable[[str, pa.Table], None] | None = None) -> None:
        super().__init__()
        self._write = write

    def __setitem__(self, path: str, table: pa.Table) -> None:
        if self._write is None:
            super().__setitem__(path, table)
        else:
            self._write(path, table)

    def update(  # type: ignore[override]
        self, tables: Mapping[str, pa.Table] | Iterable[tuple[str, pa.Table]] = ()
    ) -> None:
        for path, table in tables.items() if isinstance(tables, Mapping) else tables:
            self[path] = table


@dataclass
class RegionOutput:
    research: dict[str, pa.Table]  # relative path under curated/ -> table (none if written)
    restricted: dict[str, pa.Table]  # relative path under restricted/ -> table (ditto)
    counts: dict[str, tuple[int, int, int]]  # relpath -> (rows, curated, quarantined)
    quality: list[dict[str, Any]]


def _research(frame: pd.DataFrame, table: str, **parts: Any) -> tuple[str, pa.Table]:
    spec = curated_tables()[table]
    return spec.path(**parts), to_arrow(frame, spec)


def _restricted(frame: pd.DataFrame, table: str, **parts: Any) -> tuple[str, pa.Table]:
    spec = restricted_tables()[table]
    return spec.path(**parts), to_arrow(frame, spec)


def _int(value: Any) -> int:
    """A groupby key (numpy or Python scalar) as a plain int."""
    return int(value)


def _short_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ok(frame: pd.DataFrame) -> pd.Series:
    return frame[REASONS].map(lambda r: len(r) == 0 if is_list(r) else True)


def _add_reference_reasons(
    frame: pd.DataFrame, instrument: str, known: dict[str, pd.DataFrame]
) -> None:
    from dwt.validation.crosscheck import unknown_reference_reasons

    extra = unknown_reference_reasons(frame, load_instrument(instrument), known)
    # Only rows that gained a reason get a new list (a million rows of placements gain none).
    merged = frame[REASONS].to_numpy(dtype=object, copy=True)
    for pos in np.flatnonzero(extra.map(len).to_numpy() > 0):
        a = merged[pos]
        merged[pos] = list(dict.fromkeys([*(list(a) if is_list(a) else []), *extra.iloc[pos]]))
    frame[REASONS] = merged


def _referenced_columns(instrument: str) -> list[str]:
    """Columns of `instrument` that a later instrument looks up (the schemas' `references`)."""
    wanted: list[str] = []
    for name in load_study().instruments:
        for col in load_instrument(name).columns:
            ref = col.references
            if ref and ref["table"] == instrument and ref["column"] not in wanted:
                wanted.append(ref["column"])
    return wanted


def build_region(
    region: str,
    staged: Mapping[str, StagedRows | pd.DataFrame],
    key: bytes,
    write_research: Callable[[str, pa.Table], None] | None = None,
    write_restricted: Callable[[str, pa.Table], None] | None = None,
) -> RegionOutput:
    """Every curated and restricted table of one region from its staged rows (pure, unless
    writers are given: then each table goes to its zone's writer as soon as it is built and
    the output holds the counts and quality rows alone).

    `staged`: per instrument, the rows as `read_staged` gives them, or a frame holding them
    whole (raw columns included), as the unit tests build them.

    Instruments are curated in the study's dependency order, so an instrument's accepted rows
    are known before any instrument that refers to them is checked (placements before the
    surveys and contacts, interviews before their coded segments).
    """
    research = Tables(write_research)
    restricted = Tables(write_restricted)
    counts: dict[str, tuple[int, int, int]] = {}
    quality: list[dict[str, Any]] = []
    known: dict[str, pd.DataFrame] = {}
    order = {name: i for i, name in enumerate(load_study().instruments)}
    for instrument in sorted(staged, key=lambda name: order.get(name, len(order))):
        given = staged[instrument]
        rows = given if isinstance(given, StagedRows) else StagedRows.from_frame(given)
        frame = rows.frame.copy(deep=False)  # columns are added to this frame, not to `rows`
        _add_reference_reasons(frame, instrument, known)
        ok = _ok(frame)
        known[instrument] = frame.loc[ok, [REGION, WAVE, *_referenced_columns(instrument)]]
        _count_files(frame, ok, counts, quality, region, instrument)
        restricted.update(_quarantine(frame.loc[~ok], rows, region, instrument))
        latest_snapshot = int(frame[WAVE].max())
        # A shallow copy: the pseudonym columns are added to `good` alone.
        good, pseudonyms = _with_pseudonyms(frame.loc[ok].copy(deep=False), instrument, key)
        del frame
        if instrument == "placements":
            _placements(good, region, research, restricted, quality, latest_snapshot)
        elif instrument == "contacts":
            research.update(_contacts(good, region, restricted))
        elif instrument == "interviews":
            research.update(_interviews(good, region, restricted))
        elif instrument == "interview_codes":
            research.update(_segments(good, region, restricted))
        else:  # a survey: one row per respondent (its pseudonym) per wave
            good = _with_missing_reasons(good, instrument, rows)
            research.update(_per_wave(good, instrument, region, pseudonyms))
    return RegionOutput(research, restricted, counts, quality)


def _with_missing_reasons(good: pd.DataFrame, table: str, rows: StagedRows) -> pd.DataFrame:
    """`good` with the `<item>__missing` column of every item the curated table declares one
    for (schemas/curated.yaml `missing_reasons`): why the typed item is <NA>, read from the raw
    text the row was parsed from; <NA> where the item has a value."""
    from dwt.ingest.parse import missing_reasons

    instrument = load_instrument(table)
    study = load_study()
    added: dict[str, pd.Series] = {}
    specs = [spec for spec in curated_tables()[table].columns if spec.get("reason_of")]
    raw = rows.raw(good.index, [spec["reason_of"] for spec in specs])
    for spec in specs:
        item = spec["reason_of"]
        raw_name = STAGED.raw_prefix + item
        cells = raw[raw_name] if raw_name in raw.columns else None
        reasons = missing_reasons(cells, len(good), instrument.column(item), study)
        reasons.index = good.index
        added[spec["name"]] = reasons.mask(good[item].notna())
    return good.assign(**added)


def _with_pseudonyms(
    good: pd.DataFrame, instrument: str, key: bytes
) -> tuple[pd.DataFrame, list[str]]:
    """`good` with a pseudonym column for every identifier the schema gives one (`pseudonym:`),
    and the names of those columns."""
    added = []
    for col in load_instrument(instrument).columns:
        if col.pseudonym and col.name in good.columns:
            good[col.pseudonym] = pseudonymise(key, col.hmac_prefix, good[col.name])
            added.append(col.pseudonym)
    return good, added


def _count_files(
    frame: pd.DataFrame,
    ok: pd.Series,
    counts: dict[str, tuple[int, int, int]],
    quality: list[dict[str, Any]],
    region: str,
    instrument: str,
) -> None:
    for key, part in frame[[FILE, WAVE, REASONS]].groupby([FILE, WAVE], sort=True):
        path, wave = cast(tuple[Any, Any], key)
        n = len(part)
        good = int(ok.loc[part.index].sum())
        counts[str(path)] = (n, good, n - good)
        base = {"region": region, "wave": _int(wave), "instrument": instrument}
        quality.append({**base, "outcome": "accepted", "reason": "", "rows": n})
        quality.append({**base, "outcome": "curated", "reason": "", "rows": good})
        reasons = part.loc[~ok.loc[part.index], REASONS].explode().value_counts()
        for reason, rows in sorted(reasons.items()):
            quality.append({**base, "outcome": "quarantined", "reason": reason, "rows": int(rows)})


def _quarantine(
    bad: pd.DataFrame, rows: StagedRows, region: str, instrument: str
) -> dict[str, pa.Table]:
    out: dict[str, pa.Table] = {}
    raw = rows.raw(bad.index)
    for wave, part in bad.groupby(WAVE, sort=True):
        part = part.sort_values(ROW)
        quarantined = pd.DataFrame(
            {
                "wave": [_int(wave)] * len(part),
                "instrument": [instrument] * len(part),
                "source_file": part[FILE].astype(str).to_list(),
                "source_row": part[ROW].astype("int64").to_list(),
                "reasons": [list(r) for r in part[REASONS]],
                "raw": _raw_json(raw.loc[part.index]),
            }
        )
        path, table = _restricted(
            quarantined, "quarantine", region=region, instrument=instrument, wave=_int(wave)
        )
        out[path] = table
    return out


def _raw_json(raw: pd.DataFrame) -> list[str]:
    """Every raw value of each quarantined row as delivered (text), keyed by column."""
    prefix = STAGED.raw_prefix
    cols = list(raw.columns)
    names = [c[len(prefix) :] for c in cols]
    return [
        json.dumps(
            {n: (None if _missing(v) else str(v)) for n, v in zip(names, row, strict=True)},
            ensure_ascii=False,
            sort_keys=True,
        )
        for row in raw.itertuples(index=False, name=None)
    ]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _per_wave(
    good: pd.DataFrame, table: str, region: str, sort: list[str]
) -> Iterator[tuple[str, pa.Table]]:
    """One table per wave, rows ordered by `sort` (then source row), each made when the caller
    takes it (a `Tables` that writes holds one wave's table at a time). Only the sort keys
    are sorted, and only the table's own columns are copied, once."""
    spec = curated_tables()[table]
    if not len(good):
        return
    # The whole table typed once, in Arrow (compact), each wave's rows taken from it in order:
    # a pandas copy of every column per wave held a million rows' objects twice.
    whole = to_arrow(good, spec)
    order = _stable_order(good, [WAVE, *dict.fromkeys([*sort, ROW])])
    waves = good[WAVE].to_numpy()[order]
    for lo, hi in zip(*_runs(waves), strict=True):
        yield spec.path(region=region, wave=_int(waves[lo])), whole.take(order[lo:hi])


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends): where each run of equal values of `ordered` (sorted) begins, and where
    it ends (exclusive); both empty for an empty array."""
    if not len(ordered):
        none = np.array([], dtype=np.int64)
        return none, none
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return starts, np.r_[starts[1:], len(ordered)].astype(np.int64)


def _stable_order(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Row positions of `frame` sorted by `columns` (first column first), stably, missing
    values last: `frame.sort_values(columns, kind="stable")` by integer codes. Sorting a
    million Python strings as objects cost seconds and a copy of every column sorted."""
    keys = []
    for name in columns:
        codes, uniques = pd.factorize(frame[name], sort=True)
        keys.append(np.where(codes < 0, len(uniques), codes))
    return np.lexsort(keys[::-1])


def _placements(
    good: pd.DataFrame,
    region: str,
    research: Tables,
    restricted: Tables,
    quality: list[dict[str, Any]],
    latest_snapshot: int,
) -> None:
    """The placement tables of a region, added to `research` and `restricted` one by one;
    `latest_snapshot`: the latest wave that delivered placements (accepted or not).

    Sorting and de-duplicating look at the few columns they need, never at a copy of every
    column of every row (a region may hold millions of placement rows)."""
    import pyarrow as pa

    starts = pd.to_datetime(good["start_date"]).dt.strftime("%Y-%m-%d")
    good["placement_id"] = [
        _short_sha(f"{p}|{e}|{s}")
        for p, e, s in zip(good["participant_id"], good["employer_id"], starts, strict=True)
    ]
    research.update(_per_wave(good, "placement_history", region, ["placement_id"]))

    # Latest state: the row of the latest wave that delivered the placement (of one wave's
    # rows, the last), in placement-id order; first and last wave of each placement.
    order = _stable_order(good, ["placement_id", WAVE])
    ids = good["placement_id"].to_numpy()[order]
    first, ends = _runs(ids)
    last = ends - 1  # each placement's first and last row in `order`
    waves = good[WAVE].to_numpy()[order]
    wanted = [
        c
        for c in dict.fromkeys([*curated_tables()["placements"].column_names, *_employer_inputs()])
        if c in good.columns
    ]
    state = pd.DataFrame({c: good[c].take(order[last]) for c in wanted}, columns=wanted)
    state["first_wave"] = waves[first].astype("int64")
    state["last_wave"] = waves[last].astype("int64")
    state["missing_from_latest"] = state["last_wave"] < latest_snapshot
    del order, ids, waves
    path, table = _research(state, "placements", region=region)
    research[path] = table
    del table
    missing = int(state["missing_from_latest"].sum())
    if missing:
        quality.append(
            {
                "region": region,
                "wave": latest_snapshot,
                "instrument": "placements",
                "outcome": "flagged",
                "reason": "placement missing from a later snapshot",
                "rows": missing,
            }
        )

    employers = _employers(state)
    path, table = _research(employers, "employers", region=region)
    research[path] = table
    del state, employers

    # latest KvK spelling and latest non-empty name per employer, without a Python aggregate
    who = ["employer_id", "employer_kvk", "employer_name", WAVE, ROW]
    ordered = good[who].sort_values([WAVE, ROW], kind="stable")
    directory = ordered.drop_duplicates("employer_id", keep="last")[["employer_id", "employer_kvk"]]
    names = ordered.dropna(subset=["employer_name"]).drop_duplicates("employer_id", keep="last")
    directory = directory.merge(
        names[["employer_id", "employer_name"]], on="employer_id", how="left"
    ).sort_values("employer_id")
    directory["employer_kvk"] = directory["employer_kvk"].astype(str)
    path, table = _restricted(directory, "employer_directory", region=region)
    restricted[path] = table
    flags = _longitudinal(good)
    if len(flags):
        # Written with pandas' own conversion (its metadata included), as before the schema
        # declared the table; typing it by the schema would change the restricted zone's bytes.
        flags_path = restricted_tables()["flags"].path(region=region)
        restricted[flags_path] = pa.Table.from_pandas(flags, preserve_index=False)
        for group, n in flags.groupby(["wave", "kind"]).size().items():
            wave, kind = cast(tuple[Any, Any], group)
            quality.append(
                {
                    "region": region,
                    "wave": _int(wave),
                    "instrument": "placements",
                    "outcome": "flagged",
                    "reason": str(kind),
                    "rows": int(n),
                }
            )


def _longitudinal(good: pd.DataFrame) -> pd.DataFrame:
    from dwt.validation.crosscheck import longitudinal_flags

    history = good[["participant_id", REGION, WAVE, "birth_year", "gender"]]
    flags = longitudinal_flags(history)
    cols = [c for c in ("participant_id", "wave", "kind") if c in flags.columns]
    if "wave" not in flags.columns and WAVE in flags.columns:
        flags = flags.rename(columns={WAVE: "wave"})
        cols = ["participant_id", "wave", "kind"]
    return flags[cols].reset_index(drop=True) if len(flags) else flags


def _employer_attributes() -> list[str]:
    return [c.name for c in load_instrument("placements").columns if c.employer_attribute]


def _employer_inputs() -> list[str]:
    """The columns of the placement state `_employers` reads."""
    return ["employer_id", "start_date", "placement_id", *_employer_attributes()]


def _employers(state: pd.DataFrame) -> pd.DataFrame:
    """One row per employer (id order): its placements, first and last wave, and the
    attributes of its latest placement (last wave, then start date, then placement id)."""
    attributes = _employer_attributes()
    state = state[state["employer_id"].notna()]
    order = _stable_order(state, ["employer_id", "last_wave", "start_date", "placement_id"])
    ids = state["employer_id"].to_numpy()[order]
    starts, ends = _runs(ids)
    latest = order[ends - 1]
    out = {
        "employer_id": state["employer_id"].take(latest).to_numpy(),
        "placements": (ends - starts).astype("int64"),
        "first_wave": _reduce(np.minimum, state["first_wave"].to_numpy()[order], starts),
        "last_wave": _reduce(np.maximum, state["last_wave"].to_numpy()[order], starts),
    }
    frame = pd.DataFrame(out)
    for name in attributes:
        frame[name] = state[name].take(latest).reset_index(drop=True)
    return frame


def _reduce(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(values, starts) if len(starts) else values[:0]


def _contacts(
    good: pd.DataFrame, region: str, restricted: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    good["contact_id"] = [
        _short_sha(f"{region}|{w}|{r}") for w, r in zip(good[WAVE], good[ROW], strict=True)
    ]
    out = dict(_per_wave(good, "contacts", region, ["contact_date", "contact_id"]))
    if "notes" in good.columns:
        notes = good.loc[good["notes"].notna()].sort_values([WAVE, ROW])
        notes = notes.assign(wave=notes[WAVE].astype("int64"), notes=notes["notes"].astype(str))
        path, table = _restricted(notes, "contact_notes", region=region)
        restricted[path] = table
    return out


def _interviews(
    good: pd.DataFrame, region: str, restricted: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """The pseudonymous document rows; document codes and names go to the restricted zone."""
    out = dict(
        _per_wave(good, "interviews", region, ["interview_date", "interview_ref", "employer_id"])
    )
    if len(good):
        ordered = good.sort_values([WAVE, ROW], kind="stable")
        docs = ordered.drop_duplicates([WAVE, "interview_ref"])
        named = ordered.dropna(subset=["document_name"]).drop_duplicates([WAVE, "interview_ref"])
        docs = docs[[WAVE, "interview_ref", "interview_id"]].merge(
            named[[WAVE, "interview_ref", "document_name"]], on=[WAVE, "interview_ref"], how="left"
        )
        docs = docs.assign(wave=docs[WAVE].astype("int64")).sort_values(["wave", "interview_ref"])
        path, table = _restricted(docs, "interview_directory", region=region)
        restricted[path] = table
    return out


def _segments(
    good: pd.DataFrame, region: str, restricted: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """Coded segments with their factor (the code's parent); texts to the restricted zone."""
    good["segment_id"] = [
        _short_sha(f"{region}|{w}|interview_codes|{r}")
        for w, r in zip(good[WAVE], good[ROW], strict=True)
    ]
    system = load_code_system(_code_system_of("interview_codes", "code"))
    good["factor"] = good["code"].map(lambda code: system.factor_of(str(code)))
    out = dict(_per_wave(good, "interview_segments", region, ["interview_ref", "coder"]))
    texts = good.loc[good["segment_text"].notna()].sort_values([WAVE, ROW])
    if len(texts):
        texts = texts.assign(wave=texts[WAVE].astype("int64"))
        path, table = _restricted(texts, "interview_segment_texts", region=region)
        restricted[path] = table
    return out


def _code_system_of(instrument: str, column: str) -> str:
    system = load_instrument(instrument).column(column).code_system
    if system is None:
        raise ValueError(f"{instrument}.{column} takes no codes from a code system")
    return system
