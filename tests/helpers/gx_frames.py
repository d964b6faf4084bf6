"""Hand-made typed frames (the output format of `parse_table`) for the GX validation tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dwt.schema import load_instrument

REGION = "haaglanden"
WAVE = 2019

# One valid row per instrument, for wave 2019. Identifiers are made up: the BSNs pass the
# 11-proef (9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3-1*3 = 66 = 6*11).
CLEAN: dict[str, dict[str, Any]] = {
    "placements": {
        "bsn": "111222333", "name": "Jan Jansen", "employer_kvk": "12345678",
        "employer_name": "Bakkerij De Korst", "start_date": "2018-03-01", "end_date": None,
        "end_reason": None, "contract_type": "vast", "hours_per_week": 24.0,
        "wage_value_pct": 70, "target_group": "banenafspraak", "disability_type": "psychisch",
        "birth_year": 1990, "gender": "vrouw", "job_coach": "intern", "job_coach_level": "licht",
        "buddy_training": "harrie_helpt", "sector": "G", "employer_size": "25-99",
    },
    "employee_survey": {
        "bsn": "111222333", "response_date": "2019-10-01", "employed": True,
        "same_employer": True, "hours_per_week": 24.0, "work_ability": 7,
        "job_satisfaction": 4, "health": 4, "sick_days": 3, "intention_to_stay": 4,
        "buddy_present": True, "buddy_helpful": 4, "buddy_alert": 4, "buddy_calm": 5,
        "buddy_realistic": 3, "buddy_instructive": 4, "buddy_honest": 5,
    },
    "employer_survey": {
        "employer_kvk": "12345678", "response_date": "2019-10-01", "employees_total": 50,
        "employees_target_group": 3, "measure_job_carving": True, "measure_wage_subsidy": False,
        "measure_no_risk_policy": True, "measure_workplace_adaptation": None,
        "measure_internal_coach": True, "measure_external_coach": False,
        "measure_buddy_training": True, "satisfaction_performance": 4,
        "expected_durability": 4, "support_intermediary": 3,
    },
    "contacts": {
        "contact_date": "2019-05-05", "bsn": "111222333", "employer_kvk": "12345678",
        "advisor_code": "AD-014", "contact_type": "interview", "risk_level": "groen",
        "signals": ["werkdruk", "conflict"], "advice_given": True, "notes": "Jan Jansen belde",
    },
}  # fmt: skip

_DTYPES = {
    "bsn": "string", "kvk": "string", "string": "string", "text": "string", "code": "string",
    "integer": "Int64", "number": "Float64", "boolean": "boolean",
}  # fmt: skip


def typed_frame(
    instrument: str, rows: list[dict[str, Any]], region: str = REGION, wave: int = WAVE
) -> pd.DataFrame:
    """Rows (column -> value) as a typed frame with the schema's dtypes and the file columns."""
    columns: dict[str, Any] = {}
    for col in load_instrument(instrument).columns:
        values = [row.get(col.name) for row in rows]
        if col.type == "date":
            columns[col.name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif col.type == "code_list":
            columns[col.name] = pd.Series(values, dtype=object)
        else:
            columns[col.name] = pd.Series(pd.array(values, dtype=_DTYPES[col.type]))
    frame = pd.DataFrame(columns)
    frame["_region"] = region
    frame["_wave"] = wave
    frame["_file"] = f"{region}/{wave}/{instrument}.csv"
    return frame


def clean_rows(instrument: str, n: int = 1, **overrides: Any) -> list[dict[str, Any]]:
    return [{**CLEAN[instrument], **overrides} for _ in range(n)]
