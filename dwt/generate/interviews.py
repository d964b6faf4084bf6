"""Interview waves: what the researchers' QDA program exports per region and wave (pure).

Two files per region and wave, as MAXQDA, ATLAS.ti or NVivo export them: the document
variables (`interviews`: one row per document per employer taking part) and the coded segments
(`interview_codes`: one row per coded segment). Every wave holds one focus group of several
employers (one row per employer, sharing the document code), individual interviews with about a
third of the employers with a placement active in the wave year, and a few workplace
observations. Each document is coded by one of the region's two coders; about a third is coded
by both (the second coder mostly agrees, sometimes picks another code or valence, sometimes
codes one segment more). Segment texts and document names name people on purpose: the
employee (from the register) and made-up respondents, so tests can prove no text leaves the
restricted zone.

Draws come from their own random stream, so adding interview waves changed no byte of the
other instruments' files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from dwt.generate.deliveries import Delivery, Key
from dwt.generate.names import person_names
from dwt.generate.simulate import RegionTruth, active_in_wave, snapshot
from dwt.generate.styles import noisy_code, style_for
from dwt.schema import CodeSystem, Study, load_code_system, load_instrument

DOCUMENTS, SEGMENTS = "interviews", "interview_codes"
QDA_INSTRUMENTS = (DOCUMENTS, SEGMENTS)
INTERVIEW_SHARE = 0.35  # of the employers with a placement active in the wave year
OBSERVATION_SHARE = 0.08
FOCUS_GROUP_SIZE = (3, 5)
DOUBLE_CODED_SHARE = 0.35
SECOND_CODER_AGREES = 0.8  # same code for a segment
SAME_VALENCE = 0.85
ROLE_WEIGHTS = {"werkgever": 40, "leidinggevende": 30, "werknemer": 18, "jobcoach": 6,
                "arbeidsdeskundige": 3, "intermediair": 3}  # fmt: skip
VALENCE_WEIGHTS = {"bevorderend": 45, "belemmerend": 35, "neutraal": 20}

_SAYS = {
    "bevorderend": (
        "{spreker} vertelt dat {onderwerp} voor {naam} het verschil maakt.",
        "Volgens {spreker} gaat het met {naam} goed dankzij {onderwerp}.",
        "{spreker}: {onderwerp} helpt {naam} echt om het werk vol te houden.",
    ),
    "belemmerend": (
        "{spreker} maakt zich zorgen: {onderwerp} zit {naam} in de weg.",
        "Volgens {spreker} loopt {naam} vast op {onderwerp}.",
        "{spreker}: bij {onderwerp} gaat het mis, {naam} heeft het zwaar.",
    ),
    "neutraal": (
        "{spreker} noemt {onderwerp} in het gesprek over {naam}.",
        "Over {onderwerp} zegt {spreker} dat het voor {naam} weinig uitmaakt.",
    ),
}


@dataclass(frozen=True)
class Notation:
    """How a region's QDA export writes a code path."""

    separator: str  # "\\", " > ", "::"
    spelling: str  # label | code | upper | noisy


# By region index (modulo 5), beside the file styles of `styles.QDA_STYLES`.
NOTATIONS = (
    Notation("\\", "label"),  # MAXQDA: Begeleiding\Jobcoach
    Notation(" > ", "label"),  # NVivo-like: Begeleiding > Jobcoach
    Notation("::", "code"),  # ATLAS.ti: begeleiding::jobcoach
    Notation("\\", "upper"),  # BEGELEIDING\JOBCOACH
    Notation(" > ", "noisy"),  # " werk >  Werkdruk "
)


def notation_for(index: int) -> Notation:
    return NOTATIONS[index % len(NOTATIONS)]


def code_path(system: CodeSystem, code: str, notation: Notation, pick: int = 0) -> str:
    """The code path of `code` as the region's QDA program writes it."""
    node = system.node(code)
    levels = [system.node(node.parent), node] if node.parent else [node]
    if notation.spelling == "code":
        return notation.separator.join(n.code for n in levels)
    labels = [n.label["nl"] for n in levels]
    if notation.spelling == "upper":
        return notation.separator.join(text.upper() for text in labels)
    if notation.spelling == "noisy":
        left = labels[0].lower() if pick % 2 else labels[0]
        return f" {notation.separator.strip()}  ".join([f" {left}", *labels[1:]]) + " "
    return notation.separator.join(labels)


def region_abbreviation(code: str) -> str:
    """The region part of a document code: initials of the region code's words (2-4 letters)."""
    parts = [p for p in code.split("-") if p]
    initials = "".join(p[0] for p in parts[:4]).upper()
    return initials if len(initials) >= 2 else code.replace("-", "")[:3].upper()


def document_code(region: str, wave: int, number: int) -> str:
    return f"INT-{region_abbreviation(region)}-{wave}-{number:03d}"


def coder_codes(region_index: int) -> list[str]:
    """The region's two coders (researchers' staff codes)."""
    return [f"OZ-{2 * region_index + i + 1:02d}" for i in range(2)]


def interview_deliveries(
    study: Study, truth: RegionTruth, rng: np.random.Generator, skip: set[Key]
) -> dict[Key, Delivery]:
    """The interview waves of one region: both QDA exports of every wave not skipped."""
    out: dict[Key, Delivery] = {}
    system = load_code_system()
    for wave in study.waves:
        snap = snapshot(study, truth, wave)
        documents = _documents(study, truth, snap, wave, rng)
        docs, segments = _cells(truth, documents, system, wave, rng)
        for name, cells in ((DOCUMENTS, docs), (SEGMENTS, segments)):
            if style_for(truth.index, name).code_noise:
                _add_code_noise(cells, name, rng)
            if (truth.code, wave, name) not in skip:
                out[(truth.code, wave, name)] = Delivery(truth.code, truth.index, wave, name, cells)
    return out


def _weighted(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> list[str]:
    codes = list(weights)
    p = np.array([weights[c] for c in codes], dtype=float)
    return [codes[i] for i in rng.choice(len(codes), size=n, p=p / p.sum())]


def _documents(
    study: Study, truth: RegionTruth, snap: pd.DataFrame, wave: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """The documents of one wave: their type, date, employers and respondents (in date order)."""
    act = active_in_wave(snap, wave).sort_values(["_employer", "_person"], kind="stable")
    employers = np.unique(act["_employer"].to_numpy().astype(np.int64)).tolist()
    lo = date(wave, 1, 1).toordinal()
    hi = date(wave, 12, 31).toordinal()
    docs: list[dict[str, Any]] = []
    if len(employers) >= FOCUS_GROUP_SIZE[0]:
        size = int(rng.integers(FOCUS_GROUP_SIZE[0], FOCUS_GROUP_SIZE[1] + 1))
        chosen = sorted(rng.choice(employers, size=min(size, len(employers)), replace=False))
        docs.append({"type": "focusgroep", "employers": [int(e) for e in chosen]})
    for e in employers:
        draw = rng.random()
        if draw < INTERVIEW_SHARE:
            docs.append({"type": "interview", "employers": [e]})
        elif draw < INTERVIEW_SHARE + OBSERVATION_SHARE:
            docs.append({"type": "werkplekobservatie", "employers": [e]})
    if not docs and employers:
        docs.append({"type": "interview", "employers": [employers[0]]})
    days = sorted(int(d) for d in rng.integers(lo, hi + 1, len(docs)))
    order = rng.permutation(len(docs))
    docs = [docs[i] for i in order]
    for number, (doc, day) in enumerate(zip(docs, days, strict=True), start=1):
        doc["id"] = document_code(truth.code, wave, number)
        doc["date"] = date.fromordinal(day)
        doc["rows"] = [_respondent(truth, act, doc["type"], e, rng) for e in doc["employers"]]
    return docs


def _respondent(
    truth: RegionTruth, act: pd.DataFrame, kind: str, employer: int, rng: np.random.Generator
) -> dict[str, Any]:
    """One employer's row of a document: the respondent's role, the employee (if any), names."""
    staff = act[act["_employer"].to_numpy() == employer]
    person = staff.iloc[int(rng.integers(0, len(staff)))]
    if kind == "focusgroep":
        role = _weighted(rng, {"werkgever": 3, "leidinggevende": 1}, 1)[0]
    elif kind == "werkplekobservatie":
        role = "werknemer"
    else:
        role = _weighted(rng, ROLE_WEIGHTS, 1)[0]
    about_employee = role in ("werknemer", "jobcoach") or rng.random() < 0.3
    speaker = str(person["name"]) if role == "werknemer" else person_names(rng, 3)[2]
    emp = truth.employers.iloc[employer]
    return {
        "employer": employer,
        "employer_kvk": str(emp["employer_kvk"]),
        "employer_name": str(emp["employer_name"]),
        "advisor_code": str(emp["advisor_code"]),
        "role": role,
        "bsn": str(person["bsn"]) if kind != "focusgroep" and about_employee else None,
        "employee": str(person["name"]),
        "speaker": speaker,
        "buddy": bool((staff["buddy_training"] != "geen").any()),
        "coach": bool((staff["job_coach"] != "geen").any()),
    }


def _document_name(doc: dict[str, Any], region: str, wave: int) -> str:
    first = doc["rows"][0]
    if doc["type"] == "focusgroep":
        names = ", ".join(r["speaker"] for r in doc["rows"])
        return f"Focusgroep werkgevers {region} {wave} ({names})"
    if doc["type"] == "werkplekobservatie":
        return f"Observatie {first['employee']} bij {first['employer_name']}"
    return f"Interview {first['speaker']} ({first['employer_name']}) {doc['date'].isoformat()}"


def _cells(
    truth: RegionTruth,
    documents: list[dict[str, Any]],
    system: CodeSystem,
    wave: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells of both exports (schema columns, Python values)."""
    notation = notation_for(truth.index)
    coders = coder_codes(truth.index)
    doc_rows: list[dict[str, Any]] = []
    seg_rows: list[dict[str, Any]] = []
    for i, doc in enumerate(documents):
        name = _document_name(doc, truth.code, wave)
        for row in doc["rows"]:
            doc_rows.append(
                {
                    "interview_id": doc["id"],
                    "document_name": name,
                    "interview_date": doc["date"],
                    "interview_type": doc["type"],
                    "respondent_role": row["role"],
                    "employer_kvk": row["employer_kvk"],
                    "bsn": row["bsn"],
                    "advisor_code": row["advisor_code"],
                }
            )
        first, second = coders[i % 2], coders[(i + 1) % 2]
        segments = _segments(doc, system, rng)
        coded = [(first, s) for s in segments]
        if rng.random() < DOUBLE_CODED_SHARE:
            coded += [(second, s) for s in _second_coding(doc, segments, system, rng)]
        for coder, (code, valence, text) in coded:
            days = int(rng.integers(7, 121))
            seg_rows.append(
                {
                    "interview_id": doc["id"],
                    "document_name": name,
                    "code": code_path(system, code, notation, int(rng.integers(0, 2))),
                    "valence": valence,
                    "segment_text": text,
                    "coder": coder,
                    "coding_date": doc["date"] + timedelta(days=days),
                }
            )
    return (
        pd.DataFrame(doc_rows, columns=load_instrument(DOCUMENTS).column_names, dtype=object),
        pd.DataFrame(seg_rows, columns=load_instrument(SEGMENTS).column_names, dtype=object),
    )


def _leaf_weights(system: CodeSystem, doc: dict[str, Any]) -> dict[str, float]:
    """Sub-codes, with the support an employer's placements have mentioned more often."""
    weights = {c.code: 1.0 for c in system.codes if c.parent is not None}
    if any(r["buddy"] for r in doc["rows"]):
        weights["buddy"] = weights.get("buddy", 1.0) * 4
    if any(r["coach"] for r in doc["rows"]):
        weights["jobcoach"] = weights.get("jobcoach", 1.0) * 3
    return weights


def _valence(doc: dict[str, Any], code: str, rng: np.random.Generator) -> str:
    weights = dict(VALENCE_WEIGHTS)
    supported = (code == "buddy" and any(r["buddy"] for r in doc["rows"])) or (
        code == "jobcoach" and any(r["coach"] for r in doc["rows"])
    )
    if supported:  # support that is there is mostly named as helping
        weights["bevorderend"] *= 3
    return _weighted(rng, weights, 1)[0]


def _say(
    doc: dict[str, Any], system: CodeSystem, code: str, valence: str, rng: np.random.Generator
) -> str:
    row = doc["rows"][int(rng.integers(0, len(doc["rows"])))]
    templates = _SAYS[valence]
    template = templates[int(rng.integers(0, len(templates)))]
    topic = system.node(code).label["nl"].lower()
    return template.format(spreker=row["speaker"], naam=row["employee"], onderwerp=topic)


def _segments(
    doc: dict[str, Any], system: CodeSystem, rng: np.random.Generator
) -> list[tuple[str, str, str]]:
    """(code, valence, text) of the first coder: 3-6 distinct sub-codes."""
    weights = _leaf_weights(system, doc)
    codes = list(weights)
    p = np.array([weights[c] for c in codes])
    n = int(rng.integers(3, 7))
    picks = [codes[i] for i in rng.choice(len(codes), size=n, replace=False, p=p / p.sum())]
    out = []
    for code in picks:
        valence = _valence(doc, code, rng)
        out.append((code, valence, _say(doc, system, code, valence, rng)))
    return out


def _second_coding(
    doc: dict[str, Any],
    segments: list[tuple[str, str, str]],
    system: CodeSystem,
    rng: np.random.Generator,
) -> list[tuple[str, str, str]]:
    """The second coder on the same passages: mostly the same code, at times another one or
    another valence, now and then a passage the first coder left uncoded."""
    used = {code for code, _, _ in segments}
    spare = [c.code for c in system.codes if c.parent is not None and c.code not in used]
    out: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    for code, valence, text in segments:
        if rng.random() >= SECOND_CODER_AGREES and spare:
            code = spare.pop(int(rng.integers(0, len(spare))))
        if rng.random() >= SAME_VALENCE:
            valence = _weighted(rng, {v: 1.0 for v in VALENCE_WEIGHTS if v != valence}, 1)[0]
        if code not in taken:
            taken.add(code)
            out.append((code, valence, text))
    if rng.random() < 0.3 and spare:
        code = spare.pop(int(rng.integers(0, len(spare))))
        valence = _valence(doc, code, rng)
        out.append((code, valence, _say(doc, system, code, valence, rng)))
    return out


def _add_code_noise(cells: pd.DataFrame, instrument: str, rng: np.random.Generator) -> None:
    """Plain codes in varied case with spaces (code paths carry their own notation's noise)."""
    for col in load_instrument(instrument).columns:
        if col.type == "code" and col.code_system is None:
            picks = rng.integers(0, 6, len(cells)).tolist()
            cells[col.name] = [
                None if v is None else noisy_code(v, p)
                for v, p in zip(cells[col.name].tolist(), picks, strict=True)
            ]
