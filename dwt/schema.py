"""The study contract as data: loads `schemas/*.yaml` into typed, read-only objects.

Everything that needs a column list (readers, validation suites, generator, codebook,
curated writers, exports) asks this module; no column list is written twice in Python.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

COLUMN_TYPES = {
    "bsn", "kvk", "date", "string", "integer", "number", "boolean", "code", "code_list", "text",
}  # fmt: skip
ZONES = {"identifier", "restricted", "research"}


def arrow_type(type_name: str) -> Any:
    """The Arrow type a schema type is stored as in the curated Parquet (pyarrow imported
    lazily: the CLI's start-up must not pay for it)."""
    import pyarrow as pa

    return {
        "string": pa.string(),
        "text": pa.string(),
        "code": pa.string(),
        "bsn": pa.string(),
        "kvk": pa.string(),
        "date": pa.date32(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "code_list": pa.list_(pa.string()),
    }[type_name]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    zone: str
    alias: str | None = None
    required: bool = False
    label: dict[str, str] = field(default_factory=dict)
    description: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    range: dict[str, Any] = field(default_factory=dict)
    pattern: str | None = None
    pseudonym: str | None = None
    references: dict[str, str] | None = None
    required_iff: dict[str, Any] | None = None
    absent_if: dict[str, Any] | None = None
    employer_attribute: bool = False

    @property
    def is_identifier(self) -> bool:
        return self.zone == "identifier"

    @property
    def in_research_zone(self) -> bool:
        return self.zone == "research"


@dataclass(frozen=True)
class Instrument:
    name: str
    title: dict[str, str]
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    source: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns whose header must be present for the file to be accepted."""
        return [c.name for c in self.columns if c.required]

    @property
    def research_columns(self) -> list[Column]:
        return [c for c in self.columns if c.in_research_zone]

    def header_lookup(self) -> dict[str, str]:
        """Normalised header (canonical or Dutch alias) -> canonical column name."""
        lookup: dict[str, str] = {}
        for col in self.columns:
            for h in (col.name, col.alias):
                if h:
                    lookup[normalise_header(h)] = col.name
        return lookup


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True)
class Study:
    name: str
    regions: tuple[Region, ...]
    first_wave: int
    last_wave: int
    instruments: tuple[str, ...]
    raw_extensions: tuple[str, ...]
    targets: dict[str, int]
    k: int
    month_days: float
    horizons_months: tuple[int, ...]
    study_start: date
    parsing: dict[str, Any]
    bands: dict[str, Any]
    factors: tuple[str, ...]
    cox_factors: tuple[str, ...]

    @property
    def waves(self) -> list[int]:
        return list(range(self.first_wave, self.last_wave + 1))

    @property
    def region_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    def region_name(self, code: str) -> str:
        for r in self.regions:
            if r.code == code:
                return r.name
        raise KeyError(code)

    @staticmethod
    def reference_date(wave: int) -> date:
        return date(wave, 12, 31)

    @staticmethod
    def fieldwork_window(wave: int) -> tuple[date, date]:
        return date(wave, 8, 1), date(wave + 1, 1, 31)

    @staticmethod
    def wave_window(wave: int) -> tuple[date, date]:
        return date(wave, 1, 1), date(wave, 12, 31)

    def date_bound(self, token: str, wave: int) -> date:
        """Resolve a symbolic date bound used in the schemas for one wave."""
        fw_start, fw_end = self.fieldwork_window(wave)
        bounds = {
            "study_start": self.study_start,
            "reference_date": self.reference_date(wave),
            "fieldwork_start": fw_start,
            "fieldwork_end": fw_end,
            "wave_start": date(wave, 1, 1),
            "wave_end": date(wave, 12, 31),
        }
        if token in bounds:
            return bounds[token]
        return date.fromisoformat(token)


@dataclass(frozen=True)
class CuratedTable:
    name: str
    grain: str
    partition: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]  # resolved: name, type, description, label, codes
    sources: tuple[str, ...] = ()  # instruments whose research columns the table takes (`from:`)


_HEADER_SEP = re.compile(r"[\s\-_]+")


def normalise_header(header: str) -> str:
    """Header matching ignores case and surrounding whitespace; space, '-' and '_' are alike."""
    return _HEADER_SEP.sub("_", str(header).strip().lower())


def _load_yaml(name: str, schema_dir: Path) -> Any:
    with (schema_dir / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _column(raw: dict[str, Any]) -> Column:
    typ = raw["type"]
    if typ not in COLUMN_TYPES:
        raise ValueError(f"column {raw['name']}: unknown type {typ!r}")
    zone = raw.get("zone", "research")
    if zone not in ZONES:
        raise ValueError(f"column {raw['name']}: unknown zone {zone!r}")
    codes = {str(k): v for k, v in (raw.get("codes") or {}).items()}
    return Column(
        name=raw["name"],
        type=typ,
        zone=zone,
        alias=raw.get("alias"),
        required=bool(raw.get("required", False)),
        label=raw.get("label") or {},
        description=raw.get("description", ""),
        codes=codes,
        range=raw.get("range") or {},
        pattern=raw.get("pattern"),
        pseudonym=raw.get("pseudonym"),
        references=raw.get("references"),
        required_iff=raw.get("required_iff"),
        absent_if=raw.get("absent_if"),
        employer_attribute=bool(raw.get("employer_attribute", False)),
    )


@functools.cache
def load_instrument(name: str, schema_dir: Path = SCHEMA_DIR) -> Instrument:
    raw = _load_yaml(name, schema_dir)
    return Instrument(
        name=raw["name"],
        title=raw["title"],
        grain=raw["grain"],
        key=tuple(raw.get("key") or ()),
        columns=tuple(_column(c) for c in raw["columns"]),
        source=raw.get("source", ""),
    )


@functools.cache
def load_study(schema_dir: Path = SCHEMA_DIR) -> Study:
    raw = _load_yaml("study", schema_dir)
    return Study(
        name=raw["study"],
        regions=tuple(Region(**r) for r in raw["regions"]),
        first_wave=int(raw["waves"]["first"]),
        last_wave=int(raw["waves"]["last"]),
        instruments=tuple(raw["instruments"]),
        raw_extensions=tuple(raw["raw_extensions"]),
        targets=dict(raw["recruitment_targets"]),
        k=int(raw["disclosure"]["k"]),
        month_days=float(raw["month_days"]),
        horizons_months=tuple(raw["survival_horizons_months"]),
        study_start=date.fromisoformat(raw["study_start"]),
        parsing=raw["parsing"],
        bands=raw["bands"],
        factors=tuple(raw["factors"]),
        cox_factors=tuple(raw["cox_factors"]),
    )


def instruments(schema_dir: Path = SCHEMA_DIR) -> list[Instrument]:
    return [load_instrument(n, schema_dir) for n in load_study(schema_dir).instruments]


def _resolve_curated(spec: dict[str, Any], schema_dir: Path) -> list[dict[str, Any]]:
    cols: list[dict[str, Any]] = []
    for c in spec["columns"]:
        if "from" in c:
            inst = load_instrument(c["from"], schema_dir)
            for col in inst.research_columns:
                cols.append(
                    {
                        "name": col.name,
                        "type": col.type,
                        "description": col.description,
                        "label": col.label,
                        "codes": col.codes,
                    }
                )
        else:
            cols.append(
                {
                    "name": c["name"],
                    "type": c["type"],
                    "description": c.get("description", ""),
                    "label": c.get("label", {}),
                    "codes": c.get("codes", {}),
                }
            )
    return cols


@functools.cache
def curated_tables(schema_dir: Path = SCHEMA_DIR) -> dict[str, CuratedTable]:
    """Research-zone tables, in the order the schema lists them."""
    raw = _load_yaml("curated", schema_dir)
    return {
        name: CuratedTable(
            name=name,
            grain=spec["grain"],
            partition=tuple(spec.get("partition") or ()),
            columns=tuple(_resolve_curated(spec, schema_dir)),
            sources=tuple(c["from"] for c in spec["columns"] if "from" in c),
        )
        for name, spec in raw["research"].items()
    }


@functools.cache
def restricted_tables(schema_dir: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    return dict(_load_yaml("curated", schema_dir)["restricted"])
