"""`--faults`: every kind of bad row and bad file the contract names, with the expected outcome.

Row faults are ADDED rows (a fresh person in a placements snapshot, so nobody else depends
on them) or MODIFIED survey/contact rows (a quarantined survey answer or contact is simply
lost; nothing refers to it). Identical copies quarantine only the copy; a conflicting pair
is two rows of one key. File faults hit surveys and contacts only, never a placements file
the other instruments are checked against. So no fault causes a second, unexpected one.

Expected reasons follow docs/ARCHITECTURE.md. Where the vocabulary leaves the wording open
("<column>: required when <other> ...") the generator uses the schema-derived phrases the
validation rules use: "outside fieldwork window", "outside wave year", "after reference
date", "before <column>", "above <column>", "required when job_coach is not geen",
"must be empty when end_date is empty", "must be empty when buddy_present is false".
A present but invalid value earns only its own reason (an unknown code is not also
"required").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from dwt.generate.deliveries import Delivery, Key
from dwt.generate.ids import invalid_bsn
from dwt.generate.names import person_names
from dwt.schema import Study, load_instrument

DUPLICATE = "duplicate row"
CONFLICT = "conflicting rows for one key"
UNKNOWN_PERSON = "bsn: unknown person in region placements"
UNKNOWN_EMPLOYER = "employer_kvk: unknown employer in region placements"
BAD_DATE = "31-02-2019"  # no calendar has it, in any accepted format

# File faults: (kind, region index, wave offset from the first wave, instrument).
FILE_FAULTS: tuple[tuple[str, int, int, str], ...] = (
    ("corrupt_xlsx", 2, 1, "employee_survey"),
    ("truncated_sav", 3, 2, "employer_survey"),
    ("undecodable", 0, 3, "contacts"),
    ("missing_column", 0, 2, "employee_survey"),
    ("header_only", 4, 3, "employer_survey"),
    ("two_files", 1, 1, "contacts"),
)
UNKNOWN_REGION = "noord-holland-noord"
UNKNOWN_INSTRUMENT = "verzuim"


@dataclass
class Context:
    study: Study
    rng: np.random.Generator
    fresh_bsns: Iterator[str]
    fresh_kvks: Iterator[str]


def file_fault_targets(study: Study, skip: set[Key]) -> dict[Key, str]:
    """(region, wave, instrument) -> file fault kind; never a file that is not delivered."""
    out: dict[Key, str] = {}
    for kind, region, offset, instrument in FILE_FAULTS:
        key = _target(study, region, offset, instrument, lambda k: k not in skip and k not in out)
        out[key] = kind
    return out


def _target(
    study: Study, region: int, offset: int, instrument: str, ok: Callable[[Key], bool]
) -> Key:
    """The planned file, or else the next region's (then the next wave's) that is `ok`."""
    regions = study.region_codes
    waves = study.waves
    for step in range(len(regions) * len(waves)):
        r = regions[(region + step) % len(regions)]
        w = waves[(offset + step // len(regions)) % len(waves)]
        if ok((r, w, instrument)):
            return (r, w, instrument)
    raise ValueError(f"no file left for a {instrument} fault")


# --------------------------------------------------------------------------- row helpers
def _row(d: Delivery, i: int) -> dict[str, Any]:
    return {str(k): v for k, v in d.cells.iloc[i].to_dict().items()}


def _free_rows(d: Delivery, where: Callable[[dict[str, Any]], bool] | None = None) -> list[int]:
    rows = [{str(k): v for k, v in r.items()} for r in d.cells.to_dict("records")]
    return [
        i
        for i, row in enumerate(rows)
        if not d.reasons[i] and not d.locked[i] and (where is None or where(row))
    ]


def _pick(ctx: Context, rows: list[int], what: str) -> int:
    if not rows:
        raise ValueError(f"no row to carry the fault {what!r}")
    return int(rows[int(ctx.rng.integers(0, len(rows)))])


def _modify(ctx: Context, d: Delivery, changes: dict[str, Any], reasons: list[str],
            where: Callable[[dict[str, Any]], bool] | None = None) -> None:  # fmt: skip
    i = _pick(ctx, _free_rows(d, where), reasons[0])
    for column, value in changes.items():
        d.cells.at[i, column] = value
    d.reasons[i] = list(reasons)
    d.locked[i] = True


def _add(ctx: Context, d: Delivery, row: dict[str, Any], reasons: list[str]) -> None:
    d.insert(int(ctx.rng.integers(0, len(d.cells) + 1)), row, reasons)


def _duplicate(ctx: Context, d: Delivery) -> None:
    """An identical copy after the original: the first is kept, the copy quarantined."""
    i = _pick(ctx, _free_rows(d), DUPLICATE)
    d.locked[i] = True
    row = _row(d, i)
    d.insert(int(ctx.rng.integers(i + 1, len(d.cells) + 1)), row, [DUPLICATE])


def _conflict(ctx: Context, d: Delivery, column: str, change: Callable[[Any], Any]) -> None:
    """A second row with the key of an existing one but another value: both quarantined."""
    i = _pick(ctx, _free_rows(d), CONFLICT)
    row = _row(d, i)
    row[column] = change(row[column])
    d.reasons[i] = [CONFLICT]
    d.locked[i] = True
    _add(ctx, d, row, [CONFLICT])


def _other_int(value: Any, lo: int, hi: int) -> int:
    if isinstance(value, int) and lo <= value < hi:
        return value + 1
    if isinstance(value, int) and value == hi:
        return value - 1
    return (lo + hi) // 2


# ------------------------------------------------------------------------ placements rows
def _fresh_placement(ctx: Context, d: Delivery, **changes: Any) -> dict[str, Any]:
    """A clean, ongoing placement of a person who appears nowhere else, plus `changes`."""
    row = _row(d, _pick(ctx, list(range(len(d.cells))), "placement"))
    row.update(
        bsn=next(ctx.fresh_bsns),
        name=person_names(ctx.rng, 3)[2],
        start_date=date(d.wave, 2, 1),
        end_date=None,
        end_reason=None,
        job_coach="geen",
        job_coach_level=None,
    )
    row.update(changes)
    return row


def _placement_faults(ctx: Context, d: Delivery, kind: str) -> None:
    y = d.wave
    specs: dict[str, tuple[dict[str, Any], list[str]]] = {
        "elfproef": ({"bsn": invalid_bsn(next(ctx.fresh_bsns))}, ["bsn: fails 11-proef"]),
        "required": ({"contract_type": None}, ["contract_type: required"]),
        "unknown_code": ({"contract_type": "stage"}, ["contract_type: unknown code"]),
        "range": ({"hours_per_week": 45.0, "wage_value_pct": 120},
                  ["hours_per_week: above maximum", "wage_value_pct: above maximum"]),
        "not_number": ({"hours_per_week": "veel"}, ["hours_per_week: not a number"]),
        "not_integer": ({"birth_year": "negentienzeventig"}, ["birth_year: not an integer"]),
        "start_early": ({"start_date": date(ctx.study.first_wave - 1, 6, 1)},
                        ["start_date: below minimum"]),
        "start_late": ({"start_date": date(y + 1, 2, 1)}, ["start_date: after reference date"]),
        "end_before_start": ({"start_date": date(y, 5, 1), "end_date": date(y, 3, 1),
                              "end_reason": "ontslag"}, ["end_date: before start_date"]),
        "reason_without_end": ({"end_reason": "ontslag"},
                               ["end_reason: must be empty when end_date is empty"]),
        "end_without_reason": ({"end_date": date(y, 6, 30)}, ["end_reason: required"]),
        "coach_level": ({"job_coach": "intern", "job_coach_level": None},
                        ["job_coach_level: required when job_coach is not geen"]),
    }  # fmt: skip
    if kind == "duplicate":
        _duplicate(ctx, d)
    elif kind == "conflict":
        row = _fresh_placement(ctx, d, hours_per_week=24.0)
        _add(ctx, d, row, [CONFLICT])
        _add(ctx, d, {**row, "hours_per_week": 32.0}, [CONFLICT])
    else:
        changes, reasons = specs[kind]
        _add(ctx, d, _fresh_placement(ctx, d, **changes), reasons)


# ---------------------------------------------------------------------------- survey rows
def _employee_faults(ctx: Context, d: Delivery, kind: str) -> None:
    inst = load_instrument("employee_survey")
    buddy_items = [c.name for c in inst.columns if c.absent_if]
    if kind == "window":
        _modify(ctx, d, {"response_date": date(d.wave + 1, 3, 15)},
                ["response_date: outside fieldwork window"])  # fmt: skip
    elif kind == "range":
        _modify(ctx, d, {"work_ability": 11}, ["work_ability: above maximum"])
    elif kind == "buddy":
        changes: dict[str, Any] = {c: None for c in buddy_items}
        changes.update({"buddy_present": False, buddy_items[0]: 4})
        _modify(ctx, d, changes, [f"{buddy_items[0]}: must be empty when buddy_present is false"])
    elif kind == "not_date":
        _modify(ctx, d, {"response_date": BAD_DATE}, ["response_date: not a date"])
    elif kind == "unknown_person":
        _modify(ctx, d, {"bsn": next(ctx.fresh_bsns)}, [UNKNOWN_PERSON])
    elif kind == "required":
        _modify(ctx, d, {"employed": None}, ["employed: required"])
    elif kind == "not_boolean":
        _modify(ctx, d, {"same_employer": "misschien"}, ["same_employer: not a boolean"])
    elif kind == "duplicate":
        _duplicate(ctx, d)
    elif kind == "conflict":
        _conflict(ctx, d, "work_ability", lambda v: _other_int(v, 0, 10))
    else:
        raise ValueError(kind)


def _employer_faults(ctx: Context, d: Delivery, kind: str) -> None:
    if kind == "range":
        i = _pick(ctx, _free_rows(d, lambda r: isinstance(r["employees_total"], int)), kind)
        total: Any = d.cells.at[i, "employees_total"]
        d.cells.at[i, "employees_target_group"] = int(total) + 5
        d.reasons[i] = ["employees_target_group: above employees_total"]
        d.locked[i] = True
    elif kind == "below_minimum":
        _modify(ctx, d, {"employees_total": 0, "employees_target_group": 0},
                ["employees_total: below minimum"])  # fmt: skip
    elif kind == "unknown_employer":
        _modify(ctx, d, {"employer_kvk": next(ctx.fresh_kvks)}, [UNKNOWN_EMPLOYER])
    elif kind == "conflict":
        _conflict(ctx, d, "expected_durability", lambda v: _other_int(v, 1, 5))
    else:
        raise ValueError(kind)


def _contact_faults(ctx: Context, d: Delivery, kind: str) -> None:
    if kind == "window":
        _modify(ctx, d, {"contact_date": date(d.wave - 1, 12, 15)},
                ["contact_date: outside wave year"])  # fmt: skip
    elif kind == "pattern":
        _modify(ctx, d, {"advisor_code": "AD-14"}, ["advisor_code: does not match pattern"])
    elif kind == "signal":
        _modify(ctx, d, {"signals": ["werkdruk", "ruzie"]}, ["signals: unknown code"])
    elif kind == "unknown_person":
        _modify(ctx, d, {"bsn": next(ctx.fresh_bsns)}, [UNKNOWN_PERSON])
    elif kind == "unknown_employer":
        _modify(ctx, d, {"employer_kvk": next(ctx.fresh_kvks), "bsn": None}, [UNKNOWN_EMPLOYER])
    elif kind == "required":
        _modify(ctx, d, {"contact_type": None}, ["contact_type: required"])
    elif kind == "duplicate":
        _duplicate(ctx, d)
    else:
        raise ValueError(kind)


_ROW_FAULTS: dict[str, Callable[[Context, Delivery, str], None]] = {
    "placements": _placement_faults,
    "employee_survey": _employee_faults,
    "employer_survey": _employer_faults,
    "contacts": _contact_faults,
}
# (instrument, kind, region index, wave offset from the first wave)
ROW_FAULTS: tuple[tuple[str, str, int, int], ...] = (
    ("placements", "elfproef", 0, 1),
    ("placements", "required", 1, 2),
    ("placements", "unknown_code", 4, 1),
    ("placements", "range", 0, 2),
    ("placements", "not_number", 1, 3),
    ("placements", "not_integer", 2, 2),
    ("placements", "start_early", 4, 2),
    ("placements", "start_late", 0, 3),
    ("placements", "end_before_start", 1, 1),
    ("placements", "reason_without_end", 2, 3),
    ("placements", "end_without_reason", 4, 3),
    ("placements", "coach_level", 3, 2),
    ("placements", "duplicate", 3, 3),
    ("placements", "conflict", 2, 1),
    ("employee_survey", "window", 0, 1),
    ("employee_survey", "range", 3, 1),
    ("employee_survey", "buddy", 1, 2),
    ("employee_survey", "not_date", 4, 3),
    ("employee_survey", "unknown_person", 2, 3),
    ("employee_survey", "required", 4, 1),
    ("employee_survey", "not_boolean", 4, 2),
    ("employee_survey", "duplicate", 0, 3),
    ("employee_survey", "conflict", 1, 3),
    ("employer_survey", "range", 0, 1),
    ("employer_survey", "below_minimum", 1, 1),
    ("employer_survey", "unknown_employer", 4, 2),
    ("employer_survey", "conflict", 2, 2),
    ("contacts", "window", 0, 1),
    ("contacts", "pattern", 1, 2),
    ("contacts", "signal", 4, 2),
    ("contacts", "unknown_person", 2, 1),
    ("contacts", "unknown_employer", 0, 2),
    ("contacts", "required", 3, 1),
    ("contacts", "duplicate", 4, 3),
)
# Text in a numeric column cannot be stored in a sav file: these go to a csv/xlsx region.
_NEEDS_TEXT = {("placements", "not_number"), ("placements", "not_integer"),
               ("placements", "unknown_code"), ("employee_survey", "not_date"),
               ("employee_survey", "not_boolean"), ("contacts", "pattern")}  # fmt: skip


def inject_row_faults(
    ctx: Context, deliveries: dict[Key, Delivery], rejected: set[Key], sav_regions: set[str]
) -> None:
    """Every row fault of ROW_FAULTS, each in a delivered file that is not rejected whole."""
    for instrument, kind, region, offset in ROW_FAULTS:
        text = (instrument, kind) in _NEEDS_TEXT

        def ok(k: Key, text: bool = text) -> bool:
            return k in deliveries and k not in rejected and not (text and k[0] in sav_regions)

        key = _target(ctx.study, region, offset, instrument, ok)
        _ROW_FAULTS[instrument](ctx, deliveries[key], kind)


# ------------------------------------------------------------------------ longitudinal
# (kind, column, region index, wave offset): a person's value changes from that wave on
FLAGS: tuple[tuple[str, str, int, int], ...] = (
    ("birth_year_changed", "birth_year", 2, 2),
    ("gender_changed", "gender", 4, 3),
)


def inject_flags(ctx: Context, deliveries: dict[Key, Delivery]) -> list[dict[str, Any]]:
    """Change one person's birth year / gender from a wave on (flagged, not quarantined)."""
    flags: list[dict[str, Any]] = []
    regions = ctx.study.region_codes
    for kind, column, region_index, offset in FLAGS:
        region = regions[region_index % len(regions)]
        wave = ctx.study.waves[offset % len(ctx.study.waves)]
        before = deliveries[(region, wave - 1, "placements")]
        after = deliveries[(region, wave, "placements")]
        clean = set(before.cells["bsn"][[not r for r in before.reasons]])
        clean &= set(after.cells["bsn"])
        clean -= _locked_persons(ctx, deliveries, region)
        candidates = sorted(clean)
        person = candidates[int(ctx.rng.integers(0, len(candidates)))]
        for w in ctx.study.waves:
            d = deliveries.get((region, w, "placements"))
            if d is None or w < wave:
                continue
            rows = d.cells.index[d.cells["bsn"] == person]
            for i in rows:
                d.cells.at[i, column] = _changed(column, d.cells.at[i, column])
                d.locked[i] = True
        flags.append({"kind": kind, "region": region, "wave": wave})
    return flags


def _locked_persons(ctx: Context, deliveries: dict[Key, Delivery], region: str) -> set[str]:
    """Persons another fault relies on (a duplicated row must stay identical to its copy)."""
    out: set[str] = set()
    for w in ctx.study.waves:
        d = deliveries.get((region, w, "placements"))
        if d is not None:
            out |= {b for b, lock in zip(d.cells["bsn"], d.locked, strict=True) if lock}
    return out


def _changed(column: str, value: Any) -> Any:
    if column == "birth_year":
        return value - 1 if value == 2003 else value + 1
    code = str(value).strip().lower()
    return "vrouw" if code == "man" else "man"


# ------------------------------------------------------------------------ interview waves
UNKNOWN_INTERVIEW = "interview_id: unknown interview in wave interviews"
# (instrument, kind, region index, wave offset from the first wave). Injected after every other
# fault, from a random stream of their own, so the other faults stay where they were.
INTERVIEW_FAULTS: tuple[tuple[str, str, int, int], ...] = (
    ("interviews", "outside_wave", 0, 3),
    ("interviews", "unknown_employer", 3, 1),
    ("interview_codes", "unknown_code", 0, 1),
    ("interview_codes", "wrong_parent", 2, 2),
    ("interview_codes", "unknown_interview", 1, 3),
    ("interview_codes", "coder_login", 4, 2),
)
UNKNOWN_CODE_PATH = "Begeleiding\\Mentor"  # no such sub-code
WRONG_PARENT_PATH = "Werk::Jobcoach"  # jobcoach is a sub-code of begeleiding
CODER_LOGIN = "jdevries"  # a QDA user name instead of a staff code


def inject_interview_faults(
    ctx: Context, deliveries: dict[Key, Delivery], rejected: set[Key]
) -> None:
    """Every interview-wave fault, each in a region and wave that delivered both QDA exports.

    A document that is quarantined takes its coded segments with it (they then belong to no
    delivered interview): those segments are expected in quarantine too.
    """
    for instrument, kind, region, offset in INTERVIEW_FAULTS:

        def ok(k: Key, instrument: str = instrument) -> bool:
            pair = [(k[0], k[1], name) for name in ("interviews", "interview_codes")]
            return k[2] == instrument and all(p in deliveries and p not in rejected for p in pair)

        key = _target(ctx.study, region, offset, instrument, ok)
        docs = deliveries[(key[0], key[1], "interviews")]
        segments = deliveries[(key[0], key[1], "interview_codes")]
        _interview_fault(ctx, docs, segments, kind)


def _interview_fault(ctx: Context, docs: Delivery, segments: Delivery, kind: str) -> None:
    if kind == "outside_wave":
        single = _single_row_documents(docs)
        i = _pick(ctx, _free_rows(docs, lambda r: r["interview_id"] in single), kind)
        docs.cells.at[i, "interview_date"] = date(docs.wave - 1, 12, 15)
        docs.reasons[i] = ["interview_date: outside wave year"]
        docs.locked[i] = True
        _orphan_segments(segments, str(docs.cells.at[i, "interview_id"]))
    elif kind == "unknown_employer":
        single = _single_row_documents(docs)
        row = _row(docs, _pick(ctx, _free_rows(docs, lambda r: r["interview_id"] in single), kind))
        code = _unused_document_code(docs, segments)
        row.update(interview_id=code, employer_kvk=next(ctx.fresh_kvks), bsn=None)
        _add(ctx, docs, row, [UNKNOWN_EMPLOYER])
        # two distinct passages (two copies of one would also be a duplicate row)
        free = _free_rows(segments)
        picks = ctx.rng.choice(len(free), size=2, replace=False).tolist()
        copies = [_row(segments, free[p]) for p in picks]
        for seg in copies:
            seg.update(interview_id=code, document_name=row["document_name"])
            _add(ctx, segments, seg, [UNKNOWN_INTERVIEW])
    elif kind == "unknown_code":
        _modify(ctx, segments, {"code": UNKNOWN_CODE_PATH}, ["code: unknown code"])
    elif kind == "wrong_parent":
        _modify(ctx, segments, {"code": WRONG_PARENT_PATH}, ["code: unknown code"])
    elif kind == "unknown_interview":
        seg = _row(segments, _pick(ctx, _free_rows(segments), kind))
        seg["interview_id"] = _unused_document_code(docs, segments)
        _add(ctx, segments, seg, [UNKNOWN_INTERVIEW])
    elif kind == "coder_login":
        _modify(ctx, segments, {"coder": CODER_LOGIN}, ["coder: does not match pattern"])
    else:
        raise ValueError(kind)


def _single_row_documents(docs: Delivery) -> set[str]:
    counts = docs.cells["interview_id"].value_counts()
    return {str(code) for code, n in counts.items() if n == 1}


def _orphan_segments(segments: Delivery, interview_id: str) -> None:
    """The segments of a quarantined document: quarantined as belonging to no interview."""
    for i in segments.cells.index[segments.cells["interview_id"] == interview_id]:
        segments.reasons[i] = [UNKNOWN_INTERVIEW]
        segments.locked[i] = True


def _unused_document_code(docs: Delivery, segments: Delivery) -> str:
    """A well-formed document code of the region and wave that neither file uses."""
    from dwt.generate.interviews import document_code

    used = set(docs.cells["interview_id"]) | set(segments.cells["interview_id"])
    for number in range(999, 0, -1):
        code = document_code(docs.region, docs.wave, number)
        if code not in used:
            return code
    raise ValueError("no document code left")
