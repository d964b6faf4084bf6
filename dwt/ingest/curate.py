"""Pure curation of one region: staged rows in, curated (research) and restricted tables out.

Grain of every output is stated in schemas/curated.yaml. Identifiers leave here only as
pseudonyms; names, KvK numbers and notes go to restricted tables alone.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from dwt.pseudonym import pseudonymise
from dwt.schema import arrow_type, curated_tables, load_instrument

if TYPE_CHECKING:
    import pyarrow as pa

    from dwt.ingest.pipeline import RegionOutput


def to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    """Select and type the columns of a curated table in schema order (partitions excluded)."""
    import pyarrow as pa

    spec = curated_tables()[table]
    arrays = []
    names = []
    for col in spec.columns:
        name = col["name"]
        typ = arrow_type(col["type"])
        values = frame[name] if name in frame.columns else pd.Series([None] * len(frame))
        arrays.append(_to_array(values, typ))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _to_array(values: pd.Series, typ: pa.DataType) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_date32(typ):
        dates = pd.to_datetime(values, errors="coerce")
        return pa.Array.from_pandas(pd.Series(dates).dt.normalize()).cast(typ)
    if pa.types.is_list(typ):
        return pa.array([list(v) if _present_list(v) else None for v in values], type=typ)
    try:
        return pa.Array.from_pandas(values).cast(typ)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        obj = values.astype(object).where(values.notna(), None)
        return pa.array(obj.to_list(), type=typ, from_pandas=True)


def _int(value: Any) -> int:
    """A groupby key (numpy or Python scalar) as a plain int."""
    return int(value)


def _present_list(v: Any) -> bool:
    return isinstance(v, list | tuple | np.ndarray)


def _short_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ok(frame: pd.DataFrame) -> pd.Series:
    return frame["_reasons"].map(lambda r: len(r) == 0 if _present_list(r) else True)


def _add_reference_reasons(frame: pd.DataFrame, instrument: str, known: pd.DataFrame) -> None:
    from dwt.validation.crosscheck import unknown_reference_reasons

    extra = unknown_reference_reasons(frame, load_instrument(instrument), known)
    frame["_reasons"] = [
        list(dict.fromkeys([*(list(a) if _present_list(a) else []), *b]))
        for a, b in zip(frame["_reasons"], extra, strict=True)
    ]


def build_region(region: str, staged: dict[str, pd.DataFrame], key: bytes) -> RegionOutput:
    from dwt.ingest.pipeline import RegionOutput

    research: dict[str, pa.Table] = {}
    restricted: dict[str, pa.Table] = {}
    counts: dict[str, tuple[int, int, int]] = {}
    quality: list[dict[str, Any]] = []

    placements = staged.get("placements")
    if placements is not None:
        ok = _ok(placements)
        known = placements.loc[ok, ["_region", "bsn", "employer_kvk"]]
    else:
        known = pd.DataFrame({"_region": [], "bsn": [], "employer_kvk": []})

    for instrument, frame in staged.items():
        frame = frame.copy()
        if instrument != "placements":
            _add_reference_reasons(frame, instrument, known)
        ok = _ok(frame)
        _count_files(frame, ok, counts, quality, region, instrument)
        restricted.update(_quarantine(frame.loc[~ok], region, instrument))
        good = frame.loc[ok].copy()
        if instrument == "placements":
            research.update(_placements(good, region, key, restricted, quality, frame))
        elif instrument == "employee_survey":
            good["participant_id"] = pseudonymise(key, "bsn", good["bsn"])
            research.update(_per_wave(good, "employee_survey", region, ["participant_id"]))
        elif instrument == "employer_survey":
            good["employer_id"] = pseudonymise(key, "kvk", good["employer_kvk"])
            research.update(_per_wave(good, "employer_survey", region, ["employer_id"]))
        elif instrument == "contacts":
            research.update(_contacts(good, region, key, restricted))
    return RegionOutput(research, restricted, counts, quality)


def _count_files(
    frame: pd.DataFrame,
    ok: pd.Series,
    counts: dict[str, tuple[int, int, int]],
    quality: list[dict[str, Any]],
    region: str,
    instrument: str,
) -> None:
    for key, part in frame.groupby(["_file", "_wave"], sort=True):
        path, wave = cast(tuple[Any, Any], key)
        n = len(part)
        good = int(ok.loc[part.index].sum())
        counts[str(path)] = (n, good, n - good)
        base = {"region": region, "wave": _int(wave), "instrument": instrument}
        quality.append({**base, "outcome": "accepted", "reason": "", "rows": n})
        quality.append({**base, "outcome": "curated", "reason": "", "rows": good})
        reasons = part.loc[~ok.loc[part.index], "_reasons"].explode().value_counts()
        for reason, rows in sorted(reasons.items()):
            quality.append({**base, "outcome": "quarantined", "reason": reason, "rows": int(rows)})


def _quarantine(bad: pd.DataFrame, region: str, instrument: str) -> dict[str, pa.Table]:
    import pyarrow as pa

    out: dict[str, pa.Table] = {}
    for wave, part in bad.groupby("_wave", sort=True):
        part = part.sort_values("_row")
        table = pa.table(
            {
                "wave": pa.array([_int(wave)] * len(part), pa.int64()),
                "instrument": pa.array([instrument] * len(part), pa.string()),
                "source_file": pa.array(part["_file"].astype(str).to_list(), pa.string()),
                "source_row": pa.array(part["_row"].astype("int64").to_list(), pa.int64()),
                "reasons": pa.array([list(r) for r in part["_reasons"]], pa.list_(pa.string())),
                "raw": pa.array(_raw_json(part), pa.string()),
            }
        )
        out[f"quarantine/region={region}/{instrument}-{_int(wave)}.parquet"] = table
    return out


def _raw_json(part: pd.DataFrame) -> list[str]:
    """Every raw value of each quarantined row as delivered (text), keyed by column."""
    from dwt.ingest.pipeline import RAW_PREFIX

    cols = [c for c in part.columns if c.startswith(RAW_PREFIX)]
    names = [c[len(RAW_PREFIX) :] for c in cols]
    return [
        json.dumps(
            {n: (None if _missing(v) else str(v)) for n, v in zip(names, row, strict=True)},
            ensure_ascii=False,
            sort_keys=True,
        )
        for row in part[cols].itertuples(index=False, name=None)
    ]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _per_wave(good: pd.DataFrame, table: str, region: str, sort: list[str]) -> dict[str, pa.Table]:
    out = {}
    for wave, part in good.groupby("_wave", sort=True):
        part = part.sort_values([*sort, "_row"], kind="stable")
        out[f"{table}/region={region}/wave={_int(wave)}/part-0.parquet"] = to_arrow(part, table)
    return out


def _placements(
    good: pd.DataFrame,
    region: str,
    key: bytes,
    restricted: dict[str, pa.Table],
    quality: list[dict[str, Any]],
    delivered: pd.DataFrame,
) -> dict[str, pa.Table]:
    import pyarrow as pa

    good["participant_id"] = pseudonymise(key, "bsn", good["bsn"])
    good["employer_id"] = pseudonymise(key, "kvk", good["employer_kvk"])
    starts = pd.to_datetime(good["start_date"]).dt.strftime("%Y-%m-%d")
    good["placement_id"] = [
        _short_sha(f"{p}|{e}|{s}")
        for p, e, s in zip(good["participant_id"], good["employer_id"], starts, strict=True)
    ]
    out = _per_wave(good, "placement_history", region, ["placement_id"])

    # Latest state: the row of the latest wave that delivered the placement.
    ordered = good.sort_values(["placement_id", "_wave"], kind="stable")
    state = ordered.groupby("placement_id", sort=True).tail(1).copy()
    waves = ordered.groupby("placement_id")["_wave"].agg(["min", "max"])
    state["first_wave"] = state["placement_id"].map(waves["min"]).astype("int64")
    state["last_wave"] = state["placement_id"].map(waves["max"]).astype("int64")
    latest_snapshot = int(delivered["_wave"].max())
    state["missing_from_latest"] = state["last_wave"] < latest_snapshot
    state = state.sort_values("placement_id")
    out[f"placements/region={region}/part-0.parquet"] = to_arrow(state, "placements")
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
    out[f"employers/region={region}/part-0.parquet"] = to_arrow(employers, "employers")

    # latest KvK spelling and latest non-empty name per employer, without a Python aggregate
    ordered = good.sort_values(["_wave", "_row"], kind="stable")
    directory = ordered.drop_duplicates("employer_id", keep="last")[["employer_id", "employer_kvk"]]
    names = ordered.dropna(subset=["employer_name"]).drop_duplicates("employer_id", keep="last")
    directory = directory.merge(
        names[["employer_id", "employer_name"]], on="employer_id", how="left"
    ).sort_values("employer_id")
    directory["employer_name"] = (
        directory["employer_name"].astype(object).where(directory["employer_name"].notna(), None)
    )
    restricted[f"directory/region={region}/part-0.parquet"] = pa.table(
        {
            "employer_id": pa.array(directory["employer_id"].to_list(), pa.string()),
            "employer_kvk": pa.array(directory["employer_kvk"].astype(str).to_list(), pa.string()),
            "employer_name": pa.array(directory["employer_name"].to_list(), pa.string()),
        }
    )
    flags = _longitudinal(good)
    if len(flags):
        restricted[f"flags/region={region}/part-0.parquet"] = pa.Table.from_pandas(
            flags, preserve_index=False
        )
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
    return out


def _longitudinal(good: pd.DataFrame) -> pd.DataFrame:
    from dwt.validation.crosscheck import longitudinal_flags

    history = good[["participant_id", "_region", "_wave", "birth_year", "gender"]]
    flags = longitudinal_flags(history)
    cols = [c for c in ("participant_id", "wave", "kind") if c in flags.columns]
    if "wave" not in flags.columns and "_wave" in flags.columns:
        flags = flags.rename(columns={"_wave": "wave"})
        cols = ["participant_id", "wave", "kind"]
    return flags[cols].reset_index(drop=True) if len(flags) else flags


def _employers(state: pd.DataFrame) -> pd.DataFrame:
    ordered = state.sort_values(["employer_id", "last_wave", "start_date", "placement_id"])
    latest = ordered.groupby("employer_id", sort=True).tail(1).set_index("employer_id")
    agg = ordered.groupby("employer_id", sort=True).agg(
        placements=("placement_id", "size"),
        first_wave=("first_wave", "min"),
        last_wave=("last_wave", "max"),
    )
    agg["sector"] = latest["sector"]
    agg["employer_size"] = latest["employer_size"]
    return agg.reset_index()


def _contacts(
    good: pd.DataFrame, region: str, key: bytes, restricted: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    import pyarrow as pa

    good["participant_id"] = pseudonymise(key, "bsn", good["bsn"])
    good["employer_id"] = pseudonymise(key, "kvk", good["employer_kvk"])
    good["contact_id"] = [
        _short_sha(f"{region}|{w}|{r}") for w, r in zip(good["_wave"], good["_row"], strict=True)
    ]
    out = _per_wave(good, "contacts", region, ["contact_date", "contact_id"])
    if "notes" in good.columns:
        notes = good.loc[good["notes"].notna()].sort_values(["_wave", "_row"])
        restricted[f"contact_notes/region={region}/part-0.parquet"] = pa.table(
            {
                "contact_id": pa.array(notes["contact_id"].to_list(), pa.string()),
                "employer_id": pa.array(notes["employer_id"].to_list(), pa.string()),
                "wave": pa.array(notes["_wave"].astype("int64").to_list(), pa.int64()),
                "notes": pa.array(notes["notes"].astype(str).to_list(), pa.string()),
            }
        )
    return out
