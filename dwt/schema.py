"""The study contract as data: loads `schemas/*.yaml` into typed, read-only objects.

Everything that needs a column list (readers, validation suites, generator, codebook,
curated writers, exports) asks this module; no column list is written twice in Python.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

COLUMN_TYPES = {
    "bsn", "kvk", "date", "string", "integer", "number", "boolean", "code", "code_list", "text",
}  # fmt: skip
ZONES = {"identifier", "restricted", "research"}


# The one mapping of schema types to storage types: Arrow (curated Parquet, exports) and DuckDB
# (empty views). pyarrow is imported lazily: the CLI's start-up must not pay for it.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "bsn": "VARCHAR",
    "kvk": "VARCHAR",
    "date": "DATE",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "code_list": "VARCHAR[]",
}
PARTITION_TYPES = {"region": "string", "wave": "integer"}
# Why a survey answer is missing (study.yaml `missing_reasons`): the curated companion of item
# `x` is `x` + MISSING_SUFFIX; only answer items of these types get one (a date or a text is no
# answer an analyst counts, a required item is never missing in a curated row).
MISSING_SUFFIX = "__missing"
MISSING_REASON_TYPES = ("integer", "number", "boolean", "code")


def arrow_type(type_name: str) -> Any:
    """The Arrow type a schema type is stored as in Parquet."""
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


def duckdb_type(type_name: str) -> str:
    """The DuckDB type of a schema type (views over an empty table)."""
    return DUCKDB_TYPES[type_name]


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
    code_system: str | None = None  # codes (and code paths) come from schemas/<code_system>.yaml
    pseudonym_prefix: str | None = None  # HMAC message prefix; the column type when not given

    @property
    def is_identifier(self) -> bool:
        return self.zone == "identifier"

    @property
    def hmac_prefix(self) -> str:
        """What the pseudonym's HMAC message starts with ("bsn", "kvk", "interview", ...)."""
        return self.pseudonym_prefix or self.type

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
    # Several rows may describe one document (a focus group: one row per employer); `id` names
    # the document column, `shared` the columns every row of one document must agree on, and
    # `several_rows_only_if` the condition under which a document may have more than one row.
    document: dict[str, Any] | None = None

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
class MissingReason:
    """Why a survey answer is missing; `raw` is the delivered code (None: nothing delivered)."""

    code: str
    label: dict[str, str]
    raw: str | None = None
    stata: str | None = None  # Stata extended missing value letter (.a, .b, ...)

    @property
    def value(self) -> int | None:
        """The number a numeric export (sav, dta source values, csv) writes for it."""
        return None if self.raw is None else int(self.raw)


# How outward counts are rounded (dwt.release.rounding; docs/DISCLOSURE.md).
ROUNDING_RULES = ("none", "nearest5", "midpoint6")


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
    reference_date_pattern: str = "{wave}-12-31"
    fieldwork: dict[str, str] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    rounding: str = "midpoint6"
    missing_reasons: tuple[MissingReason, ...] = ()

    @property
    def missing_codes(self) -> list[str]:
        """The survey missing codes as delivered ("-9", "-8"): missing values in parsing."""
        return [r.raw for r in self.missing_reasons if r.raw is not None]

    @property
    def coded_missing_reasons(self) -> list[MissingReason]:
        """The reasons a delivery states with a code (the export's user-missing values)."""
        return [r for r in self.missing_reasons if r.raw is not None]

    def missing_reason_labels(self) -> dict[str, dict[str, str]]:
        """Every reason code with its labels (the `codes` of a `<item>__missing` column)."""
        return {r.code: dict(r.label) for r in self.missing_reasons}

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

    def reference_date(self, wave: int) -> date:
        """The reference date of wave Y (study.yaml `reference_date`, e.g. Y-12-31)."""
        return _wave_date(self.reference_date_pattern, wave)

    def fieldwork_window(self, wave: int) -> tuple[date, date]:
        """First and last day of wave Y's fieldwork (study.yaml `fieldwork`)."""
        return _wave_date(self.fieldwork["start"], wave), _wave_date(self.fieldwork["end"], wave)

    @property
    def trajectory_items(self) -> tuple[str, ...]:
        """Employee-survey items whose mean per wave the figures follow."""
        return tuple(self.figures["trajectory_items"])

    @property
    def employee_summary_items(self) -> tuple[str, ...]:
        """Employee-survey items an employer summary aggregates (over >= k respondents)."""
        return tuple(self.figures["employee_summary_items"])

    @property
    def employer_summary_items(self) -> tuple[str, ...]:
        """Employer-survey items (besides the measures) an employer summary shows."""
        return tuple(self.figures["employer_summary_items"])

    @property
    def high_risk_levels(self) -> tuple[str, ...]:
        """Contact risk levels counted as "risk" in the monitoring figures."""
        return tuple(self.figures["high_risk_levels"])

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


def _wave_date(pattern: str, wave: int) -> date:
    return date.fromisoformat(pattern.format(wave=wave, next_wave=wave + 1))


@dataclass(frozen=True)
class Code:
    """One node of a code system: a factor (parent None) or one of its sub-codes."""

    code: str
    parent: str | None
    label: dict[str, str]
    description: str
    related: tuple[str, ...] = ()

    @property
    def factor(self) -> str:
        """The level-1 code this code belongs to (a factor is its own factor)."""
        return self.parent or self.code


def _fold(text: str) -> str:
    """A code path level as compared: accents and case dropped, space, '-' and '_' alike."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return _HEADER_SEP.sub(" ", plain.strip().lower()).strip()


@dataclass(frozen=True)
class CodeSystem:
    """A two-level code tree (schemas/code_system.yaml) and the code paths QDA programs export."""

    name: str
    title: dict[str, str]
    separators: tuple[str, ...]
    codes: tuple[Code, ...]  # tree order: each factor, then its sub-codes

    def node(self, code: str) -> Code:
        for node in self.codes:
            if node.code == code:
                return node
        raise KeyError(f"{self.name} has no code {code!r}")

    @property
    def factors(self) -> list[str]:
        return [c.code for c in self.codes if c.parent is None]

    def children(self, factor: str) -> list[str]:
        return [c.code for c in self.codes if c.parent == factor]

    def factor_of(self, code: str) -> str:
        return self.node(code).factor

    def code_labels(self) -> dict[str, dict[str, str]]:
        """Every code with its labels, in tree order (a column's `codes`)."""
        return {c.code: dict(c.label) for c in self.codes}

    @functools.cached_property
    def _spellings(self) -> dict[tuple[str | None, str], str]:
        """(factor or None for "anywhere", folded code or Dutch label) -> code."""
        out: dict[tuple[str | None, str], str] = {}
        for node in self.codes:
            for spelling in {_fold(node.code), _fold(node.label.get("nl", node.code))}:
                for scope in (None, node.parent):
                    key = (scope, spelling)
                    if out.setdefault(key, node.code) != node.code:
                        raise ValueError(f"{self.name}: {spelling!r} names two codes")
        return out

    @functools.cached_property
    def _splitter(self) -> re.Pattern[str]:
        ordered = sorted(self.separators, key=len, reverse=True)
        return re.compile("|".join(re.escape(s) for s in ordered))

    def resolve(self, path: str) -> str | None:
        """The code a QDA code path names, or None.

        `Factor\\Sub`, `Factor > Sub` and `Factor::Sub` (any separator of the schema), each level
        by code or Dutch label; a single level names any code of the tree. A sub-code under
        another factor than its own, an empty level or a deeper path names nothing.
        """
        levels = [_fold(p) for p in self._splitter.split(str(path))]
        if not all(levels) or len(levels) > 2:
            return None
        if len(levels) == 1:
            return self._spellings.get((None, levels[0]))
        factor = self._spellings.get((None, levels[0]))
        if factor is None or self.node(factor).parent is not None:
            return None
        return self._spellings.get((factor, levels[1]))


@functools.cache
def load_code_system(name: str = "code_system", schema_dir: Path = SCHEMA_DIR) -> CodeSystem:
    raw = _load_yaml(name, schema_dir)
    separators = tuple(str(s) for s in raw["separators"])
    nodes: list[Code] = []
    for factor in raw["factors"]:
        nodes.append(_code_node(factor, None))
        nodes += [_code_node(child, factor["code"]) for child in factor.get("children") or ()]
    seen = [n.code for n in nodes]
    if len(seen) != len(set(seen)):
        raise ValueError(f"{name}: every code must be unique in the tree")
    for node in nodes:
        for text in (node.code, *node.label.values()):
            if any(sep in text for sep in separators):
                raise ValueError(f"{name}: code {node.code!r} contains a path separator")
    system = CodeSystem(raw["name"], dict(raw["title"]), separators, tuple(nodes))
    _ = system._spellings  # ambiguous spellings fail on load, not halfway through an ingest
    return system


def _code_node(raw: dict[str, Any], parent: str | None) -> Code:
    return Code(
        code=str(raw["code"]),
        parent=parent,
        label=dict(raw["label"]),
        description=str(raw.get("description", "")),
        related=tuple(raw.get("related") or ()),
    )


@dataclass(frozen=True)
class CuratedTable:
    """A table the code writes (research or restricted zone): grain, columns, where it lives."""

    name: str
    grain: str
    partition: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]  # resolved: name, type, description, label, codes
    sources: tuple[str, ...] = ()  # instruments whose research columns the table takes (`from:`)
    zone: str = "research"
    folder: str = ""  # folder under the zone (the table's name unless the schema says otherwise)
    file: str = "part-0.parquet"  # file name inside the last partition folder (a pattern)

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def path(self, **parts: Any) -> str:
        """Path under the zone: `<folder>/<key>=<value>/.../<file>` for the partition keys."""
        folders = [self.folder, *(f"{p}={parts[p]}" for p in self.partition)]
        return "/".join([*folders, self.file.format(**parts)])

    def partition_dir(self, **parts: Any) -> str:
        """The folder of one partition (`<folder>/region=<r>`), for replacing what it holds."""
        return "/".join([self.folder, *(f"{p}={parts[p]}" for p in self.partition if p in parts)])


@dataclass(frozen=True)
class StagedColumns:
    """The bookkeeping columns of a staged row (schemas/curated.yaml `restricted.staged`)."""

    region: str
    wave: str
    file: str
    row: str
    reasons: str
    raw_prefix: str

    @property
    def meta(self) -> tuple[str, str, str, str]:
        """Where a row came from: region, wave, file, row."""
        return (self.region, self.wave, self.file, self.row)


_HEADER_SEP = re.compile(r"[\s\-_]+")


def normalise_header(header: str) -> str:
    """Header matching ignores case and surrounding whitespace; space, '-' and '_' are alike."""
    return _HEADER_SEP.sub("_", str(header).strip().lower())


def _load_yaml(name: str, schema_dir: Path) -> Any:
    with (schema_dir / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _column(raw: dict[str, Any], schema_dir: Path = SCHEMA_DIR) -> Column:
    typ = raw["type"]
    if typ not in COLUMN_TYPES:
        raise ValueError(f"column {raw['name']}: unknown type {typ!r}")
    zone = raw.get("zone", "research")
    if zone not in ZONES:
        raise ValueError(f"column {raw['name']}: unknown zone {zone!r}")
    codes = {str(k): v for k, v in (raw.get("codes") or {}).items()}
    system = raw.get("codes_from")
    if system is not None:
        if codes:
            raise ValueError(f"column {raw['name']}: codes and codes_from are exclusive")
        codes = load_code_system(system, schema_dir).code_labels()
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
        code_system=system,
        pseudonym_prefix=raw.get("pseudonym_prefix"),
    )


@functools.cache
def load_instrument(name: str, schema_dir: Path = SCHEMA_DIR) -> Instrument:
    raw = _load_yaml(name, schema_dir)
    return Instrument(
        name=raw["name"],
        title=raw["title"],
        grain=raw["grain"],
        key=tuple(raw.get("key") or ()),
        columns=tuple(_column(c, schema_dir) for c in raw["columns"]),
        source=raw.get("source", ""),
        document=raw.get("document"),
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
        rounding=str(raw["disclosure"].get("rounding", "midpoint6")),
        month_days=float(raw["month_days"]),
        horizons_months=tuple(raw["survival_horizons_months"]),
        study_start=date.fromisoformat(raw["study_start"]),
        parsing=raw["parsing"],
        bands=raw["bands"],
        factors=tuple(raw["factors"]),
        cox_factors=tuple(raw["cox_factors"]),
        reference_date_pattern=raw["reference_date"],
        fieldwork=dict(raw["fieldwork"]),
        figures=dict(raw["figures"]),
        missing_reasons=_missing_reasons(raw["missing_reasons"]),
    )


def _missing_reasons(raw: list[dict[str, Any]]) -> tuple[MissingReason, ...]:
    reasons = tuple(
        MissingReason(
            code=str(r["code"]),
            label=dict(r["label"]),
            raw=None if r.get("raw") is None else str(r["raw"]),
            stata=r.get("stata"),
        )
        for r in raw
    )
    for r in reasons:
        if r.raw is not None and not re.fullmatch(r"-[0-9]+", r.raw):
            raise ValueError(f"missing reason {r.code}: raw code must be a negative integer")
        if (r.raw is None) != (r.stata is None):
            raise ValueError(f"missing reason {r.code}: a raw code needs a Stata letter")
        if r.stata is not None and not re.fullmatch("[a-z]", r.stata):
            raise ValueError(f"missing reason {r.code}: Stata letter must be one of a-z")
    if sum(r.raw is None for r in reasons) != 1:
        raise ValueError("missing_reasons: exactly one reason has no raw code (not delivered)")
    for attr in ("code", "raw", "stata"):
        seen = [getattr(r, attr) for r in reasons if getattr(r, attr) is not None]
        if len(seen) != len(set(seen)):
            raise ValueError(f"missing_reasons: every {attr} must be unique")
    return reasons


def instruments(schema_dir: Path = SCHEMA_DIR) -> list[Instrument]:
    return [load_instrument(n, schema_dir) for n in load_study(schema_dir).instruments]


def has_missing_reason(col: Column) -> bool:
    """Whether a curated table with `missing_reasons: true` keeps why `col` is missing."""
    return col.in_research_zone and not col.required and col.type in MISSING_REASON_TYPES


def _missing_companion(col: Column, schema_dir: Path) -> dict[str, Any]:
    """The `<item>__missing` column of one answer item (schemas/curated.yaml)."""
    label = {
        "nl": f"{col.label.get('nl', col.name)}: reden ontbrekend",
        "en": f"{col.label.get('en', col.name)}: reason missing",
    }
    study = load_study(schema_dir)
    coded = ", ".join(f"{r.raw} {r.label['nl']}" for r in study.coded_missing_reasons)
    return {
        "name": col.name + MISSING_SUFFIX,
        "type": "code",
        "description": (
            f"Why {col.name} is empty (NULL when it has a value): the delivered code ({coded}) "
            "or nothing delivered (an empty cell, or a column the file did not have)"
        ),
        "label": label,
        "codes": study.missing_reason_labels(),
        "reason_of": col.name,
    }


def _resolve_curated(spec: dict[str, Any], schema_dir: Path) -> list[dict[str, Any]]:
    cols: list[dict[str, Any]] = []
    companions: list[dict[str, Any]] = []
    for c in spec["columns"]:
        if "from" in c:
            inst = load_instrument(c["from"], schema_dir)
            for col in inst.research_columns:
                entry = {
                    "name": col.name,
                    "type": col.type,
                    "description": col.description,
                    "label": col.label,
                    "codes": col.codes,
                }
                if spec.get("missing_reasons") and has_missing_reason(col):
                    entry["missing_reason"] = col.name + MISSING_SUFFIX
                    companions.append(_missing_companion(col, schema_dir))
                cols.append(entry)
        else:
            cols.append(
                {
                    "name": c["name"],
                    "type": c["type"],
                    "description": c.get("description", ""),
                    "label": c.get("label", {}),
                    "codes": _curated_codes(c, schema_dir),
                }
            )
    return cols + companions


def _curated_codes(spec: dict[str, Any], schema_dir: Path) -> dict[str, Any]:
    """A curated column's codes: its own, or a code system's (`level: factor`: the factors)."""
    if "codes_from" not in spec:
        return dict(spec.get("codes", {}))
    labels = load_code_system(spec["codes_from"], schema_dir).code_labels()
    if spec.get("level") == "factor":
        system = load_code_system(spec["codes_from"], schema_dir)
        return {code: labels[code] for code in system.factors}
    return labels


def _table(name: str, spec: dict[str, Any], zone: str, schema_dir: Path) -> CuratedTable:
    return CuratedTable(
        name=name,
        grain=spec["grain"],
        partition=tuple(spec.get("partition") or ()),
        columns=tuple(_resolve_curated(spec, schema_dir)),
        sources=tuple(c["from"] for c in spec["columns"] if "from" in c),
        zone=zone,
        folder=spec.get("folder", name),
        file=spec.get("file", "part-0.parquet"),
    )


@functools.cache
def curated_tables(schema_dir: Path = SCHEMA_DIR) -> dict[str, CuratedTable]:
    """Research-zone tables, in the order the schema lists them, documentation resolved.

    A curated column that repeats a name without documentation (employers.sector,
    placement_history.placement_id) means the same as the first documented definition of that
    name (instruments first, then curated tables), and takes its label, description and codes.
    """
    raw = _load_yaml("curated", schema_dir)
    tables = {
        name: _table(name, spec, "research", schema_dir) for name, spec in raw["research"].items()
    }
    docs: dict[str, dict[str, Any]] = {}
    for inst in instruments(schema_dir):
        for col in inst.research_columns:
            entry = {"label": col.label, "description": col.description, "codes": col.codes}
            docs.setdefault(col.name, entry)
    for table in tables.values():
        for c in table.columns:
            if c.get("label") or c.get("description"):
                docs.setdefault(c["name"], c)

    def documented(c: dict[str, Any]) -> dict[str, Any]:
        known = docs.get(c["name"], {})
        return {
            **c,
            "label": c.get("label") or known.get("label") or {},
            "description": c.get("description") or known.get("description") or "",
            "codes": c.get("codes") or known.get("codes") or {},
        }

    return {
        name: replace(table, columns=tuple(documented(c) for c in table.columns))
        for name, table in tables.items()
    }


@functools.cache
def restricted_tables(schema_dir: Path = SCHEMA_DIR) -> dict[str, CuratedTable]:
    """Restricted-zone tables (directory, notes, quarantine, flags, staged rows)."""
    raw = _load_yaml("curated", schema_dir)
    return {
        name: _table(name, spec, "restricted", schema_dir)
        for name, spec in raw["restricted"].items()
    }


@functools.cache
def staged_columns(schema_dir: Path = SCHEMA_DIR) -> StagedColumns:
    spec = _load_yaml("curated", schema_dir)["restricted"]["staged"]
    roles = {c["role"]: c["name"] for c in spec["columns"]}
    return StagedColumns(raw_prefix=spec["raw_prefix"], **roles)


def measure_columns(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """The employer-survey measure items (study.yaml `figures.measures`), in schema order."""
    spec = load_study(schema_dir).figures["measures"]
    instrument = load_instrument(spec["instrument"], schema_dir)
    return [c.name for c in instrument.columns if c.name.startswith(spec["prefix"])]
