"""The synthetic truth of one region and the deliveries it implies (pure: no paths, no IO).

A region has employers (each monitored by one arbeidsdeskundige), persons and placements.
Placement durations follow a proportional-hazards model, so the factor analyses find
something: a job coach or a trained buddy lowers the hazard, a trial placement
(proefplaatsing) or few hours raise it. A placement that ends `naar_ander_werk` is followed
by a new placement of the same person at another employer of the region, starting the day
after. Truth is then seen through yearly register snapshots (some end dates reported a wave
late, a few placements dropped from later snapshots), and the surveys and contacts are drawn
from what each wave's snapshot shows, so every respondent and contacted employer is known.

Frames returned here carry canonical schema columns with numpy-friendly types (dates as
datetime64, integers as floats with NaN) plus helper columns starting with '_'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from dwt.generate.names import employer_names, person_names
from dwt.schema import Column, Instrument, Study, load_instrument

NEVER = 9999  # a wave number later than any study wave
MISSING_CODE_SHARE = 0.03
EMPLOYEE_RESPONSE = 0.70
EMPLOYER_RESPONSE = 0.75
LAG_SHARE = 0.15  # ends reported one wave late
GONE_SHARE = 0.03  # ended placements dropped from a later snapshot
BASE_MEDIAN_MONTHS = 20.0
MONTH_DAYS = 30.4375

# Relative frequencies of codes; codes the schema lists but these omit get weight 1, so a new
# code in a schema is generated too. Codes named here that the schema lacks are ignored.
WEIGHTS: dict[str, dict[str, float]] = {
    "gender": {"man": 55, "vrouw": 42, "anders": 1, "onbekend": 2},
    "target_group": {"banenafspraak": 45, "wajong": 25, "wsw_indicatie": 12, "wia_wga": 10,
                     "overig": 8},
    "disability_type": {"ontwikkelingsstoornis": 35, "psychisch": 30, "somatisch": 15,
                        "meervoudig": 12, "onbekend": 8},
    "contract_type": {"proefplaatsing": 20, "tijdelijk": 45, "vast": 20, "detachering": 15},
    "job_coach": {"geen": 35, "intern": 35, "extern": 30},
    "job_coach_level": {"licht": 40, "midden": 40, "zwaar": 20},
    "buddy_training": {"geen": 40, "harrie_helpt": 30, "werkmaat": 20, "anders": 10},
    "end_reason": {"naar_ander_werk": 22, "contract_niet_verlengd": 28, "ontslag": 10,
                   "eigen_verzoek": 15, "gezondheid": 15, "overig": 10},
    "sector": {"G": 5, "I": 4, "Q": 5, "C": 3, "N": 3, "H": 2, "F": 2, "P": 1.5, "O": 1.5,
               "S": 1.5, "A": 1, "M": 1, "R": 0.8, "J": 0.5, "E": 0.5, "K": 0.3, "L": 0.2,
               "D": 0.1, "B": 0.05, "T": 0.01, "U": 0.01},
    "employer_size": {"1-24": 35, "25-99": 30, "100-499": 22, "500+": 13},
    "contact_type": {"interview": 30, "telefonisch": 40, "werkplekobservatie": 20,
                     "focusgroep": 10},
    "risk_level": {"groen": 60, "oranje": 30, "rood": 10},
}  # fmt: skip
HOURS = np.array([8, 12, 16, 18, 20, 22.5, 24, 25, 28, 30, 32, 32.5, 36, 38, 40])
# log hazard ratios: the "factors" of the study
LOG_HR = {
    ("contract_type", "proefplaatsing"): 0.7,
    ("contract_type", "vast"): -0.5,
    ("job_coach", "intern"): -0.6,
    ("job_coach", "extern"): -0.5,
    ("buddy_training", "harrie_helpt"): -0.6,
    ("buddy_training", "werkmaat"): -0.4,
    ("buddy_training", "anders"): -0.2,
    ("disability_type", "psychisch"): 0.2,
}


@dataclass
class RegionTruth:
    """What really happened in one region; deliveries are views of it."""

    code: str
    index: int
    employers: pd.DataFrame  # employer_kvk, employer_name, sector, employer_size, ...
    persons: pd.DataFrame  # bsn, name, birth_year, gender, target_group, disability_type
    placements: pd.DataFrame  # _person, _employer, start_date, end_date, ..., _known, _gone


def draw_codes(
    rng: np.random.Generator, column: Column, n: int, weights: dict[str, float] | None = None
) -> np.ndarray:
    """`n` codes of a schema column, weighted by WEIGHTS (or `weights`)."""
    codes = list(column.codes)
    table = weights if weights is not None else WEIGHTS.get(column.name, {})
    w = np.array([float(table.get(c, 1.0)) for c in codes])
    picks = rng.choice(len(codes), size=n, p=w / w.sum())
    return np.array(codes, dtype=object)[picks]


def region_sizes(rng: np.random.Generator, scale: float) -> tuple[int, int]:
    """(employers, persons) of a region: 32-42 and 48-58 at scale 1, times `scale`."""
    n_emp = max(1, round(int(rng.integers(32, 43)) * scale))
    n_per = max(n_emp, round(int(rng.integers(48, 59)) * scale))
    return n_emp, n_per


def _band_bounds(code: str) -> tuple[int, int]:
    """Employee counts of an employer_size code: "25-99" -> (25, 99), "500+" -> (500, 2500)."""
    m = re.fullmatch(r"(\d+)-(\d+)", code)
    if m:
        return int(m.group(1)), int(m.group(2))
    lo = int(re.sub(r"\D", "", code) or 1)
    return lo, lo * 5


def _day(value: date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _kept(values: Any, keep: np.ndarray) -> np.ndarray:
    """`values` as an object array, None where `keep` is False."""
    out = np.array(values, dtype=object)
    out[~np.asarray(keep, dtype=bool)] = None
    return out


def simulate_region(
    study: Study,
    index: int,
    code: str,
    rng: np.random.Generator,
    bsns: list[str],
    kvks: list[str],
    advisors: list[str],
) -> RegionTruth:
    """Truth of one region: one employer per KvK number, one person per BSN."""
    pl = load_instrument("placements")
    n_emp, n_per = len(kvks), len(bsns)
    employers = _employers(rng, pl, kvks, advisors)
    persons = pd.DataFrame(
        {
            "bsn": bsns,
            "name": person_names(rng, n_per),
            "birth_year": np.clip(np.round(rng.normal(1987, 10, n_per)), 1950, 2003),
            "gender": draw_codes(rng, pl.column("gender"), n_per),
            "target_group": draw_codes(rng, pl.column("target_group"), n_per),
            "disability_type": draw_codes(rng, pl.column("disability_type"), n_per),
        }
    )
    placements = _placements(study, rng, pl, persons, employers, n_emp)
    return RegionTruth(code, index, employers, persons, placements)


def _employers(
    rng: np.random.Generator, pl: Instrument, kvks: list[str], advisors: list[str]
) -> pd.DataFrame:
    n = len(kvks)
    size = draw_codes(rng, pl.column("employer_size"), n)
    bounds = np.array([_band_bounds(s) for s in size]).reshape(n, 2)
    total = rng.integers(bounds[:, 0], bounds[:, 1] + 1)
    # every advisor gets employers, in a shuffled round robin
    adv = np.array(advisors, dtype=object)[rng.permutation(np.arange(n) % len(advisors))]
    return pd.DataFrame(
        {
            "employer_kvk": kvks,
            "employer_name": employer_names(rng, n),
            "sector": draw_codes(rng, pl.column("sector"), n),
            "employer_size": size,
            "advisor_code": adv,
            "_employees_total": total,
        }
    )


def _placement_attributes(rng: np.random.Generator, pl: Instrument, n: int) -> pd.DataFrame:
    coach = draw_codes(rng, pl.column("job_coach"), n)
    level = draw_codes(rng, pl.column("job_coach_level"), n)
    level = _kept(level, coach != "geen")
    wage = rng.integers(25, 101, n).astype(float)
    wage[rng.random(n) < 0.1] = np.nan  # optional item
    return pd.DataFrame(
        {
            "contract_type": draw_codes(rng, pl.column("contract_type"), n),
            "hours_per_week": rng.choice(HOURS, n),
            "wage_value_pct": wage,
            "job_coach": coach,
            "job_coach_level": level,
            "buddy_training": draw_codes(rng, pl.column("buddy_training"), n),
        }
    )


def _durations(rng: np.random.Generator, attrs: pd.DataFrame) -> np.ndarray:
    """Days until the placement ends, exponential with a proportional hazard."""
    log_hr = np.zeros(len(attrs))
    for (column, value), beta in LOG_HR.items():
        log_hr += beta * (attrs[column].to_numpy() == value)
    log_hr += 0.3 * (attrs["hours_per_week"].to_numpy() < 20)
    log_hr += 0.3 * (np.nan_to_num(attrs["wage_value_pct"].to_numpy(), nan=60) < 50)
    rate = np.log(2) / (BASE_MEDIAN_MONTHS * MONTH_DAYS) * np.exp(log_hr)
    return np.maximum(1, np.ceil(rng.exponential(1.0, len(attrs)) / rate)).astype(np.int64)


def _end_reasons(rng: np.random.Generator, pl: Instrument, contract: np.ndarray) -> np.ndarray:
    col = pl.column("end_reason")
    reasons = draw_codes(rng, col, len(contract))
    # a trial placement mostly ends because it is not continued
    weights_trial = dict(WEIGHTS["end_reason"])
    weights_trial["contract_niet_verlengd"] = weights_trial.get("contract_niet_verlengd", 1) * 3
    trial_draw = draw_codes(rng, col, len(contract), weights_trial)
    return np.where(contract == "proefplaatsing", trial_draw, reasons)


def _placements(
    study: Study,
    rng: np.random.Generator,
    pl: Instrument,
    persons: pd.DataFrame,
    employers: pd.DataFrame,
    n_emp: int,
) -> pd.DataFrame:
    first = _day(study.study_start)
    last_ref = _day(study.reference_date(study.last_wave))
    recruit_end = _day(study.reference_date(study.last_wave - 1))
    n_per = len(persons)
    # every employer gets a first placement; the rest go preferably to bigger employers
    size_rank = (
        employers["employer_size"]
        .map({c: i + 1 for i, c in enumerate(pl.column("employer_size").codes)})
        .to_numpy(dtype=float)
    )
    extra = rng.choice(n_emp, size=n_per - n_emp, p=size_rank / size_rank.sum())
    employer = rng.permutation(np.concatenate([np.arange(n_emp), extra]))
    start = first + np.floor(rng.beta(1.3, 2.2, n_per) * (recruit_end - first)).astype(np.int64)
    person = np.arange(n_per)
    rounds: list[pd.DataFrame] = []
    for _ in range(6):
        if len(person) == 0:
            break
        attrs = _placement_attributes(rng, pl, len(person))
        attrs["disability_type"] = persons["disability_type"].to_numpy()[person]
        end = start + _durations(rng, attrs)
        ended = end <= last_ref
        reason = _kept(_end_reasons(rng, pl, attrs["contract_type"].to_numpy()), ended)
        attrs = attrs.drop(columns="disability_type")
        attrs.insert(0, "_person", person)
        attrs.insert(1, "_employer", employer)
        attrs.insert(2, "_start", start)
        attrs.insert(3, "_end", np.where(ended, end, -1))
        attrs.insert(4, "end_reason", reason)
        rounds.append(attrs)
        moves = ended & (reason == "naar_ander_werk") & (end + 1 <= last_ref) & (n_emp > 1)
        person, start = person[moves], end[moves] + 1
        shift = rng.integers(1, max(2, n_emp), len(person))
        employer = (employer[moves] + shift) % n_emp  # always another employer
    out = pd.concat(rounds, ignore_index=True)
    _report_timing(study, rng, out)
    return out


def _report_timing(study: Study, rng: np.random.Generator, pl: pd.DataFrame) -> None:
    """When the register learns of an end (`_known`) and when it drops a placement (`_gone`)."""
    ended = pl["_end"].to_numpy() >= 0
    end_year = pd.to_datetime(np.where(ended, pl["_end"], 0), unit="D").year.to_numpy()
    lag = ended & (end_year < study.last_wave) & (rng.random(len(pl)) < LAG_SHARE)
    known = np.where(ended, end_year + lag, NEVER)
    gone = np.full(len(pl), NEVER)
    candidates = np.flatnonzero(ended & (known < study.last_wave))
    if len(candidates):
        k = max(1, round(GONE_SHARE * len(candidates)))
        chosen = rng.choice(candidates, size=k, replace=False)
        gone[chosen] = rng.integers(known[chosen] + 1, study.last_wave + 1)
    pl["_known"] = known
    pl["_gone"] = gone


# ----------------------------------------------------------------------------- deliveries
def _dates(days: np.ndarray) -> np.ndarray:
    out = np.asarray(days, dtype="int64").astype("datetime64[D]")
    out[np.asarray(days) < 0] = np.datetime64("NaT")
    return out


def snapshot(study: Study, truth: RegionTruth, wave: int) -> pd.DataFrame:
    """The placements register as delivered for `wave`: every placement started by its
    reference date and not dropped; end dates only once reported."""
    pl = truth.placements
    ref = _day(study.reference_date(wave))
    sub = pl[(pl["_start"].to_numpy() <= ref) & (pl["_gone"].to_numpy() > wave)]
    known = sub["_known"].to_numpy() <= wave
    persons = truth.persons.iloc[sub["_person"].to_numpy()].reset_index(drop=True)
    employers = truth.employers.iloc[sub["_employer"].to_numpy()].reset_index(drop=True)
    fields: dict[str, object] = {
        **{c: persons[c].to_numpy() for c in persons.columns},
        **{c: employers[c].to_numpy() for c in employers.columns},
        **{c: sub[c].to_numpy() for c in sub.columns if not c.startswith("_")},
        "start_date": _dates(sub["_start"].to_numpy()),
        "end_date": _dates(np.where(known, sub["_end"].to_numpy(), -1)),
        "end_reason": _kept(sub["end_reason"].to_numpy(), known),
        "_person": sub["_person"].to_numpy(),
        "_employer": sub["_employer"].to_numpy(),
    }
    columns = load_instrument("placements").column_names
    frame = pd.DataFrame({c: fields[c] for c in [*columns, "_person", "_employer"]})
    return frame.sort_values(["start_date", "bsn"], kind="stable").reset_index(drop=True)


def active_in_wave(snap: pd.DataFrame, wave: int) -> pd.DataFrame:
    """Placements the snapshot shows as active at some time in the wave year."""
    year_start = np.datetime64(f"{wave}-01-01")
    end = snap["end_date"].to_numpy()
    return snap[np.isnat(end) | (end >= year_start)]


def _likert(rng: np.random.Generator, shift: np.ndarray) -> np.ndarray:
    return np.clip(np.round(rng.normal(3.6 + shift, 0.9)), 1, 5)


def _with_missing_codes(
    rng: np.random.Generator, frame: pd.DataFrame, instrument: Instrument, codes: list[str]
) -> None:
    """Sprinkle survey missing codes (-9 geen antwoord, -8 n.v.t.) over answered integer items."""
    values = np.array([int(c) for c in codes])
    for col in instrument.columns:
        if col.type != "integer" or not col.in_research_zone or col.name not in frame:
            continue
        v = frame[col.name].to_numpy(dtype=float)
        hit = ~np.isnan(v) & (rng.random(len(v)) < MISSING_CODE_SHARE)
        v[hit] = rng.choice(values, hit.sum())
        frame[col.name] = v


def _fieldwork_dates(rng: np.random.Generator, study: Study, wave: int, n: int) -> np.ndarray:
    lo, hi = (_day(d) for d in study.fieldwork_window(wave))
    return _dates(rng.integers(lo, hi + 1, n))


def employee_survey(
    study: Study, truth: RegionTruth, snap: pd.DataFrame, wave: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Answers of persons with a placement active in the wave year (response ~70%)."""
    inst = load_instrument("employee_survey")
    current = active_in_wave(snap, wave).groupby("_person", sort=True).tail(1)
    resp = current[rng.random(len(current)) < EMPLOYEE_RESPONSE].reset_index(drop=True)
    n = len(resp)
    rdate = _fieldwork_dates(rng, study, wave, n)
    employer, hours = _employment_on(truth, resp["_person"].to_numpy(), rdate)
    employed = employer >= 0
    coach = (resp["job_coach"].to_numpy() != "geen").astype(float)
    trained = resp["buddy_training"].to_numpy() != "geen"
    buddy = rng.random(n) < np.where(trained, 0.85, 0.35)
    growth = 0.15 * (wave - study.first_wave)
    fields: dict[str, object] = {
        "bsn": resp["bsn"].to_numpy(),
        "response_date": rdate,
        "employed": employed,
        "same_employer": _kept(employer == resp["_employer"].to_numpy(), employed),
        "hours_per_week": np.where(employed, hours, 0.0),
        "work_ability": np.clip(
            np.round(rng.normal(5.8 + 0.8 * coach + 0.5 * buddy - 1.2 * ~employed + growth, 1.6)),
            0,
            10,
        ),
        "sick_days": np.minimum(365, rng.negative_binomial(1, 0.08, n)).astype(float),
        "buddy_present": buddy,
    }
    for col in inst.columns:
        if col.name in fields or col.type != "integer" or col.range != {"min": 1, "max": 5}:
            continue
        values = _likert(rng, 0.3 * buddy + 0.2 * coach)
        fields[col.name] = np.where(buddy, values, np.nan) if col.absent_if else values
    frame = pd.DataFrame({c: fields[c] for c in inst.column_names})
    _with_missing_codes(rng, frame, inst, study.missing_codes)
    return frame.sort_values(["response_date", "bsn"], kind="stable").reset_index(drop=True)


def _employment_on(
    truth: RegionTruth, person: np.ndarray, on: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(employer index or -1, hours) of each person's true placement covering a date."""
    ask = pd.DataFrame(
        {"_person": person, "_on": on.astype("int64"), "_row": np.arange(len(person))}
    )
    pl = truth.placements[["_person", "_employer", "_start", "_end", "hours_per_week"]]
    m = ask.merge(pl, on="_person")
    cover = (m["_start"] <= m["_on"]) & ((m["_end"] < 0) | (m["_end"] >= m["_on"]))
    hit = m[cover].groupby("_row").first()
    employer = np.full(len(person), -1)
    hours = np.zeros(len(person))
    employer[hit.index.to_numpy()] = hit["_employer"].to_numpy()
    hours[hit.index.to_numpy()] = hit["hours_per_week"].to_numpy()
    return employer, hours


def employer_survey(
    study: Study, truth: RegionTruth, snap: pd.DataFrame, wave: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Answers of employers with a placement active in the wave year (response ~75%)."""
    inst = load_instrument("employer_survey")
    act = active_in_wave(snap, wave)
    per_emp = act.groupby("_employer")
    emp_idx = np.unique(act["_employer"].to_numpy().astype(np.int64))
    emp_idx = emp_idx[rng.random(len(emp_idx)) < EMPLOYER_RESPONSE]
    n = len(emp_idx)
    emp = truth.employers.iloc[emp_idx]
    total = np.maximum(1, np.round(emp["_employees_total"].to_numpy() * rng.normal(1, 0.04, n)))
    in_study = per_emp.size().reindex(emp_idx).to_numpy()
    flags = (
        act.assign(
            _intern=act["job_coach"] == "intern",
            _extern=act["job_coach"] == "extern",
            _trained=act["buddy_training"] != "geen",
        )
        .groupby("_employer")[["_intern", "_extern", "_trained"]]
        .any()
        .reindex(emp_idx)
    )
    semantic = {
        "measure_internal_coach": flags["_intern"].to_numpy(dtype=bool),
        "measure_external_coach": flags["_extern"].to_numpy(dtype=bool),
        "measure_buddy_training": flags["_trained"].to_numpy(dtype=bool),
    }
    fields: dict[str, object] = {
        "employer_kvk": emp["employer_kvk"].to_numpy(),
        "response_date": _fieldwork_dates(rng, study, wave, n),
        "employees_total": total,
        "employees_target_group": np.minimum(total, in_study + rng.poisson(0.7, n)),
    }
    for col in inst.columns:
        if col.name in fields:
            continue
        if col.type == "boolean":
            fields[col.name] = semantic.get(col.name, rng.random(n) < 0.4).astype(bool)
        elif col.type == "integer":
            fields[col.name] = _likert(rng, np.zeros(n))
    frame = pd.DataFrame({c: fields[c] for c in inst.column_names})
    return frame.sort_values(["response_date", "employer_kvk"], kind="stable").reset_index(
        drop=True
    )


_NOTES_PERSON = (
    "Gesprek met {person} en de leidinggevende van {employer}: {signal}.",
    "{person} belde zelf; aandachtspunt {signal}. {employer} is geïnformeerd.",
    "Werkplekbezoek bij {employer}, {person} maakt het goed, wel {signal}.",
    "Overleg met jobcoach over {person} ({employer}), thema: {signal}.",
)
_NOTES_EMPLOYER = (
    "Overleg met HR van {employer} over de begeleiding; {signal}.",
    "Telefonisch contact met {employer}, thema: {signal}.",
)


def contacts(
    study: Study, truth: RegionTruth, snap: pd.DataFrame, wave: int, rng: np.random.Generator
) -> pd.DataFrame:
    """1-4 contacts per monitored employer (one with a placement active in the wave year)."""
    inst = load_instrument("contacts")
    act = active_in_wave(snap, wave).sort_values(["_employer", "_person"], kind="stable")
    emp_idx = np.unique(act["_employer"].to_numpy())
    per = rng.integers(1, 5, len(emp_idx))
    employer = np.repeat(emp_idx, per)
    n = len(employer)
    lo, hi = (_day(d) for d in study.wave_window(wave))
    # one of the employer's active persons, or nobody (an employer-only contact)
    act_emp = act["_employer"].to_numpy()
    first = np.searchsorted(act_emp, employer, side="left")
    count = np.searchsorted(act_emp, employer, side="right") - first
    pick = first + np.floor(rng.random(n) * count).astype(np.int64)
    with_person = rng.random(n) < 0.65
    person_rows = act.iloc[pick]
    risk = draw_codes(rng, inst.column("risk_level"), n)
    signals = _signals(rng, inst.column("signals"), risk)
    emps = truth.employers.iloc[employer]
    fields: dict[str, object] = {
        "contact_date": _dates(rng.integers(lo, hi + 1, n)),
        "bsn": _kept(person_rows["bsn"].to_numpy(), with_person),
        "employer_kvk": emps["employer_kvk"].to_numpy(),
        "advisor_code": emps["advisor_code"].to_numpy(),
        "contact_type": draw_codes(rng, inst.column("contact_type"), n),
        "risk_level": risk,
        "signals": signals,
        "advice_given": rng.random(n) < np.where(risk == "groen", 0.3, 0.7),
        "notes": _notes(rng, inst.column("signals"), with_person,
                        person_rows["name"].to_numpy(), emps["employer_name"].to_numpy(), signals),
    }  # fmt: skip
    frame = pd.DataFrame({c: fields[c] for c in inst.column_names})
    return frame.sort_values("contact_date", kind="stable").reset_index(drop=True)


def _signals(rng: np.random.Generator, col: Column, risk: np.ndarray) -> list[list[str]]:
    codes = [c for c in col.codes if c != "geen"]
    none = [c for c in col.codes if c == "geen"]
    quiet = (risk == "groen") & (rng.random(len(risk)) < 0.7)
    k = rng.integers(1, 3, len(risk))
    picks = [rng.choice(len(codes), size=int(j), replace=False) for j in k]
    return [none if q else [codes[i] for i in p] for q, p in zip(quiet, picks, strict=True)]


def _notes(
    rng: np.random.Generator,
    col: Column,
    with_person: np.ndarray,
    person: np.ndarray,
    employer: np.ndarray,
    signals: list[list[str]],
) -> list[str]:
    """Free text that names people: it exists to prove notes never leave the restricted zone."""
    t_person = rng.integers(0, len(_NOTES_PERSON), len(person))
    t_emp = rng.integers(0, len(_NOTES_EMPLOYER), len(person))
    out: list[str] = []
    for i, sigs in enumerate(signals):
        signal = ", ".join(col.codes[s].get("nl", s).lower() for s in sigs)
        template = _NOTES_PERSON[t_person[i]] if with_person[i] else _NOTES_EMPLOYER[t_emp[i]]
        out.append(template.format(person=person[i], employer=employer[i], signal=signal))
    return out
