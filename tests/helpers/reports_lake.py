"""A tiny but plausible two-zone lake for the report and employer-export tests.

Curated side via `analytics_lake` (same layout the ingest writes); restricted side (employer
directory, contact notes, quarantine) written here with identifiers that must never show up in a
report: `SECRETS` lists every one of them, so a test can scan the outputs byte by byte.

Shape, chosen so each disclosure rule has something to bite on:
- haaglanden: 14 placements at employers A (6), B (5), C (3), waves 2017-2019. Two `wajong`
  placements (a count below k), three without job coach (a curve below k is not drawn).
  Employer A's employees: 6 respondents in 2018 (aggregate shown), 3 in 2019 (too few).
  The 2019 employer survey was not delivered (response "niet geleverd").
  Wave 2019 ends four placements, so `--as-of 2018` tells a different story.
- haaglanden also has 16 generated placements at employers E..H (30 in all), so curves and
  shares have enough units to be shown.
- west-brabant: 3 placements at employer D, waves 2017-2018 (the whole region below k).
- midden-gelderland: 6 placements at employer M: its counts are hidden by secondary suppression
  (they would give west-brabant back from the pooled total), its estimates and curves are shown.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from helpers.analytics_lake import d, placement, write_history, write_table

HAAG = "haaglanden"
WB = "west-brabant"
MG = "midden-gelderland"
SNAPSHOT = "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5"


@dataclass(frozen=True)
class Employer:
    employer_id: str
    kvk: str
    name: str
    region: str
    advisor: str


EMPLOYERS = {
    "A": Employer("e0a1b2c3d4e5f601", "01234567", "Bakkerij De Gouden Korst B.V.", HAAG, "AD-014"),
    "B": Employer("e0a1b2c3d4e5f602", "27364519", "Hoveniersbedrijf Groenrijk", HAAG, "AD-014"),
    # Its name looks like a formula: an xlsx cell must neutralise it.
    "C": Employer("e0a1b2c3d4e5f603", "30405060", "=Schoonmaak Snel+Schoon", HAAG, "AD-022"),
    "D": Employer("e0a1b2c3d4e5f604", "45566778", "Drukkerij Brabantia", WB, "AD-031"),
}
# Employers E..H of haaglanden and M of midden-gelderland: generated, to give the region enough
# placements for curves and shares to be shown.
for _i, _key in enumerate("EFGH"):
    EMPLOYERS[_key] = Employer(
        f"e0a1b2c3d4e5f61{_i}",
        f"5{_i}0{_i}7788",
        f"Werkgever {_key} Techniek B.V.",
        HAAG,
        "AD-014" if _i % 2 else "AD-022",
    )
EMPLOYERS["M"] = Employer("e0a1b2c3d4e5f620", "66778899", "Zorggroep Veluwezoom", MG, "AD-040")
BSNS = ("123456782", "111222333", "240868319")
NOTES = (
    "Gesprek met Jan de Vries over werkdruk op de afdeling",
    "Mevrouw Pietersen meldt conflict met leidinggevende",
)


def secrets() -> list[str]:
    """Every identifier the fixture puts in the restricted zone (none may reach a report)."""
    out = list(BSNS) + list(NOTES)
    for e in EMPLOYERS.values():
        out += [e.kvk, e.name]
    return out


@dataclass(frozen=True)
class LakePaths:
    data_dir: Path
    curated: Path
    restricted: Path


def _attrs(text: str) -> dict[str, Any]:
    """ "job_coach=intern hours_per_week=34.0" -> attribute dict (numbers as float)."""
    out: dict[str, Any] = {}
    for pair in text.split():
        key, value = pair.split("=")
        out[key] = float(value) if value.replace(".", "").isdigit() else value
    return out


def _haaglanden_history() -> list[dict[str, Any]]:
    a, b, c = (EMPLOYERS[x].employer_id for x in "ABC")
    # (pid, employer, start, end_by_2018, end_by_2019, reason, attrs)
    # fmt: off
    spec: list[tuple[str, str, str, str | None, str | None, str | None, dict[str, Any]]] = [
        ("01", a, "2017-02-01", None, None, None,
         _attrs("job_coach=intern job_coach_level=licht")),
        ("02", a, "2017-03-01", "2018-03-15", "2018-03-15", "ontslag",
         _attrs("job_coach=intern job_coach_level=midden target_group=wajong")),
        ("03", a, "2017-04-10", None, "2019-05-01", "naar_ander_werk",
         _attrs("job_coach=extern job_coach_level=zwaar contract_type=vast")),
        ("04", a, "2017-05-01", None, None, None,
         _attrs("job_coach=intern job_coach_level=licht gender=man")),
        ("05", a, "2017-06-01", "2018-01-31", "2018-01-31", "gezondheid",
         _attrs("job_coach=extern job_coach_level=midden buddy_training=harrie_helpt")),
        ("06", a, "2017-07-01", None, "2019-09-30", "contract_niet_verlengd",
         _attrs("job_coach=intern job_coach_level=midden gender=man")),
        ("07", b, "2017-03-15", None, None, None,
         _attrs("job_coach=extern job_coach_level=licht contract_type=vast target_group=wajong")),
        ("08", b, "2017-08-01", "2018-06-30", "2018-06-30", "eigen_verzoek",
         _attrs("job_coach=extern job_coach_level=zwaar gender=man")),
        ("09", b, "2017-09-01", None, "2019-02-28", "ontslag",
         _attrs("job_coach=intern job_coach_level=licht buddy_training=werkmaat")),
        ("10", b, "2018-01-15", None, None, None,
         _attrs("job_coach=extern job_coach_level=midden disability_type=somatisch")),
        ("11", b, "2018-02-01", None, None, None,
         _attrs("job_coach=intern job_coach_level=zwaar contract_type=proefplaatsing")),
        ("12", c, "2017-10-01", None, "2019-11-30", "ontslag",
         _attrs("job_coach=geen gender=man hours_per_week=34.0")),
        ("13", c, "2018-03-01", "2018-10-31", "2018-10-31", "ontslag",
         _attrs("job_coach=geen hours_per_week=16.0")),
        ("14", c, "2018-04-01", None, None, None,
         _attrs("job_coach=geen contract_type=detachering")),
    ]
    # fmt: on
    spec += _generated_spec()
    rows: list[dict[str, Any]] = []
    for pid, emp, start, end18, end19, reason, attrs in spec:
        for wave, end in ((2017, None), (2018, end18), (2019, end19)):
            if d(start) > dt.date(wave, 12, 31):  # type: ignore[operator]
                continue
            if end is not None and d(end) > dt.date(wave, 12, 31):  # type: ignore[operator]
                end = None
            rows.append(
                placement(pid, HAAG, wave, start, end, reason if end else None, emp, **attrs)
            )
    return rows


CODES = {
    "job_coach": ("intern", "extern"),
    "contract_type": ("tijdelijk", "vast", "tijdelijk", "proefplaatsing"),
    "target_group": ("banenafspraak", "wsw_indicatie", "wia_wga", "banenafspraak"),
    "disability_type": ("psychisch", "ontwikkelingsstoornis", "somatisch", "meervoudig"),
    "buddy_training": ("geen", "harrie_helpt", "werkmaat"),
    "gender": ("vrouw", "man"),
}
ENDS = ("ontslag", "naar_ander_werk", "contract_niet_verlengd", "gezondheid")


def _generated_spec() -> list[tuple[str, str, str, str | None, str | None, str | None,
                                    dict[str, Any]]]:  # fmt: skip
    """16 placements at employers E..H: varied levels, a third ending (some only in 2019)."""
    out = []
    for i in range(16):
        emp = EMPLOYERS["EFGH"[i % 4]].employer_id
        start = dt.date(2017 + i % 2, 1 + i % 12, 1 + i % 20).isoformat()
        attrs = {col: codes[i % len(codes)] for col, codes in CODES.items()}
        attrs["job_coach_level"] = ("licht", "midden", "zwaar")[i % 3]
        attrs["hours_per_week"] = (16.0, 24.0, 36.0)[i % 3]
        end18 = end19 = reason = None
        if i % 3 == 0:
            end19 = (dt.date.fromisoformat(start) + dt.timedelta(days=200 + 37 * i)).isoformat()
            end18 = end19 if end19 <= "2018-12-31" else None
            reason = ENDS[i % 4]
        out.append((f"{30 + i}", emp, start, end18, end19, reason, attrs))
    return out


def _midden_gelderland_history() -> list[dict[str, Any]]:
    emp = EMPLOYERS["M"].employer_id
    rows = []
    for wave in (2017, 2018, 2019):
        for i in range(6):
            end = "2019-03-01" if i == 0 and wave == 2019 else None
            # Every attribute split 3/3: no factor's levels give the region's total back.
            pick = i % 2
            attrs = {
                "job_coach": ("intern", "extern")[pick],
                "job_coach_level": ("licht", "midden")[pick],
                "buddy_training": ("geen", "werkmaat")[pick],
                "target_group": ("banenafspraak", "wajong")[pick],
                "disability_type": ("psychisch", "somatisch")[pick],
                "contract_type": ("tijdelijk", "vast")[pick],
                "employer_size": ("25-99", "100-499")[pick],
                "hours_per_week": (16.0, 24.0)[pick],
                "wage_value_pct": (40, 60)[pick],
                "gender": ("man", "vrouw")[pick],
            }
            rows.append(placement(f"6{i}", MG, wave, f"2017-0{1 + i}-15", end, employer=emp,
                                  **attrs))  # fmt: skip
    return rows


def _west_brabant_history() -> list[dict[str, Any]]:
    emp = EMPLOYERS["D"].employer_id
    rows = []
    for wave in (2017, 2018):
        rows.append(placement("21", WB, wave, "2017-05-01", employer=emp, job_coach="extern",
                              job_coach_level="licht"))  # fmt: skip
        rows.append(placement("22", WB, wave, "2017-06-01", employer=emp, job_coach="extern",
                              job_coach_level="licht"))  # fmt: skip
        rows.append(placement("23", WB, wave, "2017-09-01",
                              "2018-04-30" if wave == 2018 else None,
                              "ontslag" if wave == 2018 else None, emp,
                              job_coach="intern", job_coach_level="midden"))  # fmt: skip
    return rows


def _employee_survey() -> list[dict[str, Any]]:
    rows = []

    def answer(pid: str, region: str, wave: int, wa: int, sat: int, health: int) -> None:
        rows.append({
            "region": region, "wave": wave, "participant_id": f"P{pid}",
            "response_date": dt.date(wave, 10, 1), "employed": True, "same_employer": True,
            "hours_per_week": 24.0, "work_ability": wa, "job_satisfaction": sat,
            "health": health, "sick_days": 3, "intention_to_stay": 4, "buddy_present": False,
        })  # fmt: skip

    for i, pid in enumerate(("01", "02", "03", "04", "05", "06", "07", "08", "09", "12")):
        answer(pid, HAAG, 2017, 6 + i % 3, 3 + i % 2, 3 + i % 3)
    # 2018: all six of employer A still answer (02 and 05 ended early 2018, answer anyway).
    for i, pid in enumerate(("01", "02", "03", "04", "05", "06", "07", "09", "10", "11", "12")):
        answer(pid, HAAG, 2018, 7 + i % 3, 4, 3 + i % 2)
    # 2019: only three of employer A's employees answer: too few for an aggregate.
    for i, pid in enumerate(("01", "03", "04", "07", "10", "11", "14")):
        answer(pid, HAAG, 2019, 5 + i % 4, 3 + i % 3, 2 + i % 4)
    for pid in ("21", "22"):
        answer(pid, WB, 2017, 7, 4, 4)
    return rows


MEASURES = (
    "measure_job_carving",
    "measure_wage_subsidy",
    "measure_no_risk_policy",
    "measure_workplace_adaptation",
    "measure_internal_coach",
    "measure_external_coach",
    "measure_buddy_training",
)


def _employer_survey() -> list[dict[str, Any]]:
    rows = []
    answers = {
        ("A", 2017): (40, 6, (True, True, False, False, True, False, False), 4, 4, 3),
        ("A", 2018): (42, 6, (True, True, True, False, True, False, True), 5, 4, 4),
        ("B", 2017): (12, 3, (False, True, True, True, False, True, False), 3, 3, 2),
        ("B", 2018): (13, 4, (False, True, True, True, False, True, False), 4, 3, 3),
        ("C", 2018): (8, 3, (False, False, False, False, False, False, False), 2, 2, 2),
        ("D", 2017): (120, 3, (True, False, False, True, True, False, True), 4, 5, 4),
    }
    for i, key in enumerate("EFGH"):
        for wave in (2017, 2018):
            flags = tuple((i + j + wave) % 3 == 0 for j in range(7))
            answers[(key, wave)] = (20 + i, 2, flags, 3 + i % 3, 4, 3)
    for (key, wave), (total, target, measures, perf, dur, support) in sorted(answers.items()):
        emp = EMPLOYERS[key]
        row: dict[str, Any] = {
            "region": emp.region, "wave": wave, "employer_id": emp.employer_id,
            "response_date": dt.date(wave, 9, 15), "employees_total": total,
            "employees_target_group": target, "satisfaction_performance": perf,
            "expected_durability": dur, "support_intermediary": support,
        }  # fmt: skip
        row.update(dict(zip(MEASURES, measures, strict=True)))
        rows.append(row)
    return rows


def _contacts() -> list[dict[str, Any]]:
    rows = []
    plan = [
        # (employer, wave, participant, type, risk, signals)
        ("A", 2017, "P01", "interview", "groen", ["geen"]),
        ("A", 2017, "P02", "telefonisch", "oranje", ["werkdruk"]),
        ("A", 2018, "P02", "werkplekobservatie", "rood", ["conflict", "werkdruk"]),
        ("A", 2018, None, "focusgroep", "groen", ["geen"]),
        ("A", 2019, "P06", "telefonisch", "oranje", ["gezondheid"]),
        ("B", 2017, "P08", "interview", "groen", []),
        ("B", 2018, "P08", "telefonisch", "rood", ["prive"]),
        ("B", 2019, "P09", "interview", "oranje", ["reorganisatie"]),
        ("C", 2018, "P13", "telefonisch", "oranje", ["begeleider_weg"]),
        ("C", 2019, "P12", "interview", "groen", ["geen"]),
        ("D", 2017, "P21", "interview", "groen", ["geen"]),
        ("D", 2018, "P23", "telefonisch", "rood", ["gezondheid"]),
    ]
    types = ("interview", "telefonisch", "werkplekobservatie")
    for j in range(18):
        plan.append(
            (
                "EFGH"[j % 4],
                2017 + j % 3,
                None,
                types[j % 3],
                ("groen", "oranje", "groen", "rood")[j % 4],
                [("werkdruk", "geen")[j % 2]],
            )
        )
    for i, (key, wave, pid, typ, risk, signals) in enumerate(plan):
        emp = EMPLOYERS[key]
        rows.append({
            "region": emp.region, "wave": wave, "contact_id": f"c{i:015d}",
            "participant_id": pid, "employer_id": emp.employer_id,
            "contact_date": dt.date(wave, 5, 1 + i), "advisor_code": emp.advisor,
            "contact_type": typ, "risk_level": risk, "signals": signals,
            "advice_given": i % 2 == 0,
        })  # fmt: skip
    return rows


def _quality() -> list[dict[str, Any]]:
    rows = []
    for region, waves in ((HAAG, (2017, 2018, 2019)), (WB, (2017, 2018)), (MG, (2017, 2018, 2019))):
        for wave in waves:
            for inst in ("placements", "employee_survey", "employer_survey", "contacts"):
                if region == HAAG and wave == 2019 and inst == "employer_survey":
                    rows.append(_q(region, wave, inst, "missing", "not delivered", 0))
                    continue
                if region == WB and wave == 2018 and inst == "employee_survey":
                    rows.append(_q(region, wave, inst, "rejected", "no data rows", 0))
                    continue
                rows.append(_q(region, wave, inst, "accepted", "", 12))
                rows.append(_q(region, wave, inst, "curated", "", 11))
                rows.append(_q(region, wave, inst, "quarantined", "bsn: fails 11-proef", 1))
    return rows


def _q(region: str, wave: int, inst: str, outcome: str, reason: str, n: int) -> dict[str, Any]:
    return {"region": region, "wave": wave, "instrument": inst, "outcome": outcome,
            "reason": reason, "rows": n}  # fmt: skip


def write_restricted(restricted: Path) -> None:
    """Employer directory per region, contact notes and a quarantined row holding a BSN."""
    for region in sorted({e.region for e in EMPLOYERS.values()}):
        emps = [e for e in EMPLOYERS.values() if e.region == region]
        folder = restricted / "directory" / f"region={region}"
        folder.mkdir(parents=True, exist_ok=True)
        # No region column: it comes from the hive path, as the ingest writes it.
        table = pa.table({
            "employer_id": [e.employer_id for e in emps],
            "employer_kvk": [e.kvk for e in emps],
            "employer_name": [e.name for e in emps],
        })  # fmt: skip
        pq.write_table(table, folder / "part-0.parquet")
    notes = restricted / "contact_notes" / f"region={HAAG}"
    notes.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "contact_id": ["c000000000000001", "c000000000000002"],
                "employer_id": [EMPLOYERS["A"].employer_id] * 2,
                "wave": [2017, 2018],
                "notes": list(NOTES),
            }
        ),
        notes / "part-0.parquet",
    )
    quarantine = restricted / "quarantine" / f"region={HAAG}"
    quarantine.mkdir(parents=True, exist_ok=True)
    raw = json.dumps({"bsn": BSNS[0], "naam": "Jan de Vries", "kvk_nummer": EMPLOYERS["A"].kvk})
    pq.write_table(
        pa.table(
            {
                "wave": [2018],
                "instrument": ["employee_survey"],
                "source_file": ["employee_survey.csv"],
                "source_row": [4],
                "reasons": ["bsn: fails 11-proef"],
                "raw": [raw],
            }
        ),
        quarantine / "part-0.parquet",
    )


def write_lake(data_dir: Path) -> LakePaths:
    """Both zones under `data_dir` (curated/ and restricted/), as `Settings(data_dir)` expects."""
    curated, restricted = data_dir / "curated", data_dir / "restricted"
    write_history(
        curated, _haaglanden_history() + _west_brabant_history() + _midden_gelderland_history()
    )
    write_table(curated, "employee_survey", _employee_survey())
    write_table(curated, "employer_survey", _employer_survey())
    write_table(curated, "contacts", _contacts())
    write_table(curated, "quality", _quality())
    (curated / "_snapshot.json").write_text(json.dumps({"snapshot": SNAPSHOT}), encoding="utf-8")
    write_restricted(restricted)
    return LakePaths(data_dir, curated, restricted)
