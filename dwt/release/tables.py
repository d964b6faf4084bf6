"""The reports' side tables as exact counts, to be decided with the figures (one release).

Two tables the metrics do not carry: gender per region (and all), and the data-quality appendix
(rows delivered and quarantined per wave and instrument, rows per quarantine reason). Their keys:
a slot is "<wave> <instrument>", a reason is "<instrument>|<outcome>|<reason>".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dwt.schema import load_instrument

if TYPE_CHECKING:
    import pandas as pd

ALL = "all"


def slot_key(wave: int, instrument: str) -> str:
    return f"{wave} {instrument}"


def reason_key(instrument: str, outcome: str, reason: str) -> str:
    return f"{instrument}|{outcome}|{reason}"


def gender_counts(placements: pd.DataFrame) -> dict[str, dict[str, int]]:
    """{region or "all": {gender code: placements}} over the placements of the figures."""
    codes = list(load_instrument("placements").column("gender").codes)
    out: dict[str, dict[str, int]] = {}
    for region in sorted(placements["region"].unique()):
        part = placements[placements["region"] == region]
        out[str(region)] = {c: int((part["gender"] == c).sum()) for c in codes}
    out[ALL] = {c: int((placements["gender"] == c).sum()) for c in codes}
    return out


def _wave(value: Any) -> int:
    import pandas as pd

    return -1 if value is None or pd.isna(value) else int(value)


def quality_counts(quality: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """{region or "all": {"files": {slot: {delivered, quarantined}}, "reasons": {key: rows}}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    regions = sorted(str(r) for r in quality["region"].dropna().unique())
    for region in regions:
        out[region] = _counts_of(quality[quality["region"] == region])
    out[ALL] = _counts_of(quality)
    return out


def _counts_of(q: pd.DataFrame) -> dict[str, dict[str, Any]]:
    records = q[["wave", "instrument", "outcome", "reason", "rows"]].to_dict("records")
    files: dict[str, dict[str, int]] = {}
    reasons: dict[str, int] = {}
    for r in records:
        inst = (
            "" if r["instrument"] is None or str(r["instrument"]) == "nan" else str(r["instrument"])
        )
        key = slot_key(_wave(r["wave"]), inst)
        if r["outcome"] == "accepted":
            files.setdefault(key, {"delivered": 0, "quarantined": 0})
            files[key]["delivered"] += int(r["rows"])
            files[key]["quarantined"] += int(r["rows"])
        if r["outcome"] in ("quarantined", "flagged"):
            rk = reason_key(inst, str(r["outcome"]), str(r["reason"]))
            reasons[rk] = reasons.get(rk, 0) + int(r["rows"])
    for r in records:
        if r["outcome"] == "curated":
            inst = str(r["instrument"])
            key = slot_key(_wave(r["wave"]), inst)
            if key in files:
                files[key]["quarantined"] -= int(r["rows"])
    return {"files": files, "reasons": reasons}


def exact_tables(placements: pd.DataFrame, quality: pd.DataFrame) -> dict[str, Any]:
    return {"gender": gender_counts(placements), "quality": quality_counts(quality)}
