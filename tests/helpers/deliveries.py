"""Small hand-made raw deliveries for ingest tests (never real responses).

`Person` values are made up; BSNs pass the 11-proef. Files are written with the schema's
Dutch aliases or canonical names, so the helper exercises header matching too.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from dwt.schema import load_instrument

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def make_bsn(n: int) -> str:
    """The n-th valid BSN of a deterministic sequence (some start with 0)."""
    base = 10_000_000 + n * 7919
    while True:
        digits = f"{base % 100_000_000:08d}"
        check = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
        if check < 10 and digits != "00000000":
            return digits + str(check)
        base += 1


def make_kvk(n: int) -> str:
    return f"{(3_000_000 + n * 104_729) % 100_000_000:08d}"


PLACEMENT_DEFAULTS = {
    "name": "Testpersoon",
    "employer_name": "Werkgever BV",
    "start_date": "2018-02-01",
    "end_date": "",
    "end_reason": "",
    "contract_type": "tijdelijk",
    "hours_per_week": "24",
    "wage_value_pct": "70",
    "target_group": "banenafspraak",
    "disability_type": "psychisch",
    "birth_year": "1990",
    "gender": "vrouw",
    "job_coach": "extern",
    "job_coach_level": "midden",
    "buddy_training": "harrie_helpt",
    "sector": "G",
    "employer_size": "25-99",
}

SURVEY_DEFAULTS = {
    "employed": "ja",
    "same_employer": "ja",
    "hours_per_week": "24",
    "work_ability": "7",
    "job_satisfaction": "4",
    "health": "4",
    "sick_days": "3",
    "intention_to_stay": "4",
    "buddy_present": "ja",
    "buddy_helpful": "4",
}

EMPLOYER_DEFAULTS = {
    "employees_total": "40",
    "employees_target_group": "2",
    "measure_job_carving": "ja",
    "measure_wage_subsidy": "nee",
    "satisfaction_performance": "4",
    "expected_durability": "4",
    "support_intermediary": "3",
}

CONTACT_DEFAULTS = {
    "advisor_code": "AD-001",
    "contact_type": "interview",
    "risk_level": "groen",
    "signals": "werkdruk;conflict",
    "advice_given": "ja",
    "notes": "Gesprek gevoerd",
}


def write_csv(
    path: Path,
    instrument: str,
    rows: Iterable[Mapping[str, str]],
    *,
    dutch: bool = True,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Write rows (canonical keys) with every schema column as header."""
    inst = load_instrument(instrument)
    names = inst.column_names
    headers = [(c.alias or c.name) if dutch else c.name for c in inst.columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(headers)
        for row in rows:
            w.writerow([row.get(n, "") for n in names])
    return path


def write_xlsx(path: Path, instrument: str, rows: Iterable[Mapping[str, str]]) -> Path:
    """The same rows as an xlsx workbook (first sheet, canonical headers, text cells)."""
    from openpyxl import Workbook

    inst = load_instrument(instrument)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(inst.column_names)
    for row in rows:
        sheet.append([row.get(n, "") for n in inst.column_names])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def placement(n: int, employer: int = 0, **overrides: str) -> dict[str, str]:
    row = {
        **PLACEMENT_DEFAULTS,
        "bsn": make_bsn(n),
        "employer_kvk": make_kvk(employer),
        "name": f"Persoon{n} Achternaam{n}",
        "employer_name": f"Werkgever{employer} BV",
    }
    row.update(overrides)
    return row


def employee_answer(n: int, wave: int, **overrides: str) -> dict[str, str]:
    row = {**SURVEY_DEFAULTS, "bsn": make_bsn(n), "response_date": f"{wave}-09-15"}
    row.update(overrides)
    return row


def employer_answer(employer: int, wave: int, **overrides: str) -> dict[str, str]:
    row = {
        **EMPLOYER_DEFAULTS,
        "employer_kvk": make_kvk(employer),
        "response_date": f"{wave}-10-01",
    }
    row.update(overrides)
    return row


def contact(
    employer: int, wave: int, person: int | None = None, **overrides: str
) -> dict[str, str]:
    row = {
        **CONTACT_DEFAULTS,
        "employer_kvk": make_kvk(employer),
        "bsn": make_bsn(person) if person is not None else "",
        "contact_date": f"{wave}-05-01",
        "notes": f"Gesprek met Persoon{person} over werkdruk"
        if person is not None
        else "Werkgever gebeld",
    }
    row.update(overrides)
    return row


def interview(
    number: int, wave: int, employer: int, person: int | None = None, **overrides: str
) -> dict[str, str]:
    """One row of an interviews export (document variables) of region "HL" (haaglanden)."""
    row = {
        "interview_id": f"INT-HL-{wave}-{number:03d}",
        "document_name": f"Interview Respondent{number} bij Werkgever{employer} BV",
        "interview_date": f"{wave}-03-{number:02d}",
        "interview_type": "interview",
        "respondent_role": "werkgever",
        "employer_kvk": make_kvk(employer),
        "bsn": make_bsn(person) if person is not None else "",
        "advisor_code": "AD-001",
    }
    row.update(overrides)
    return row


def segment(
    number: int, wave: int, code: str, valence: str, coder: str = "OZ-01", **overrides: str
) -> dict[str, str]:
    """One coded segment of document `number` (see `interview`); the text names a person."""
    row = {
        "interview_id": f"INT-HL-{wave}-{number:03d}",
        "document_name": f"Interview Respondent{number} bij Werkgever BV",
        "code": code,
        "valence": valence,
        "segment_text": f"Respondent{number} vertelt over {code} bij Persoon{number} Achternaam",
        "coder": coder,
        "coding_date": f"{wave}-06-01",
    }
    row.update(overrides)
    return row


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root (relative path -> digest), for byte-equality checks."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
