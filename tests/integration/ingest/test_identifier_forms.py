"""Identifiers in odd Unicode forms, in every instrument and format, through the whole ingest.

Property (hypothesis): rows of all four instruments (csv, xlsx or sav) carry their BSNs and
KvK numbers in forms real deliveries and input methods produce -- digits of other scripts
(full-width, Arabic-Indic, Devanagari, mathematical bold), lost leading zeros, no-break and
ideographic spaces, dots, a spreadsheet's float -- or forms no spreadsheet produces (zero-width
characters, combining marks). The ingest (`flows.ingest_sequence.run_ingest`, the sequence the flow
runs) must then

- never raise, and never let a byte of any identifier, in any Unicode normal form (also the
  bare ASCII digits it stands for, padded or not), reach the research zone, the run log
  (data/runs/), stdout/stderr, the log records or an exception's text;
- read every form that stands for one number exactly (the same person as in plain digits) and
  quarantine the others, with every row counted: rows = curated + quarantined.
"""

from __future__ import annotations

import json
import logging
import tempfile
import traceback
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from helpers.deliveries import (
    contact,
    employee_answer,
    employer_answer,
    make_bsn,
    make_kvk,
    placement,
    write_csv,
)
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from dwt.config import Settings
from dwt.pseudonym import participant_id
from dwt.schema import load_instrument
from dwt.validation.runner import Validator
from flows.ingest_sequence import run_ingest

KEY = b"identifier-forms-test-key"
REGION = "haaglanden"
WAVE = 2018
PEOPLE = 4
EMPLOYERS = 2
# First code point of the digit zero of scripts whose digits are Unicode decimal digits (Nd).
SCRIPTS = {
    "ascii": 0x30,
    "full-width": 0xFF10,
    "arabic-indic": 0x0660,
    "extended-arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "mathematical-bold": 0x1D7CE,
}
# Decorations a real delivery may carry (readable) and ones it may not (quarantined).
READABLE = ("none", "no-break-space groups", "dots", "dashes", "surrounding spaces", "float")
UNREADABLE = ("zero-width space", "zero-width joiner", "byte-order mark", "combining acute")
ZERO_WIDTH = {
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte-order mark": "\ufeff",
}


@dataclass(frozen=True)
class Form:
    script: str
    drop_zeros: bool
    decoration: str
    where: float  # position of an inserted character, as a share of the length

    @property
    def readable(self) -> bool:
        return self.decoration in READABLE

    def apply(self, digits: str) -> str:
        text = digits.lstrip("0") if self.drop_zeros and digits.lstrip("0") else digits
        text = "".join(chr(SCRIPTS[self.script] + int(d)) for d in text)
        middle = max(1, min(len(text) - 1, int(len(text) * self.where)))
        if self.decoration == "no-break-space groups":
            return "\u00a0".join(text[i : i + 3] for i in range(0, len(text), 3))
        if self.decoration == "dots":  # 3-digit groups: never a float's ".0" (see parse)
            return ".".join(text[i : i + 3] for i in range(0, len(text), 3))
        if self.decoration == "dashes":
            return text[:middle] + "-" + text[middle:]
        if self.decoration == "surrounding spaces":
            return "\u3000" + text + "\u00a0"
        if self.decoration == "float":
            return text + ".0"
        if self.decoration in ZERO_WIDTH:
            return text[:middle] + ZERO_WIDTH[self.decoration] + text[middle:]
        if self.decoration == "combining acute":
            return text[:middle] + "\u0301" + text[middle:]
        return text


FORMS = st.builds(
    Form,
    script=st.sampled_from(sorted(SCRIPTS)),
    drop_zeros=st.booleans(),
    decoration=st.sampled_from(READABLE + UNREADABLE),
    where=st.floats(0, 1),
)
FORMATS = st.sampled_from(["csv", "xlsx", "sav"])


@dataclass
class Study:
    """One wave of one region: who is delivered in which form, and the files' formats."""

    bsn_forms: list[Form]  # placements row of person i
    kvk_forms: list[Form]  # placements row of person i (employer i % EMPLOYERS)
    survey_forms: list[Form]  # employee_survey row of person i
    employer_forms: list[Form]  # employer_survey row of employer j
    contact_forms: list[tuple[Form, Form]]  # contacts row of person i: (bsn, kvk)
    formats: dict[str, str]


STUDIES = st.builds(
    Study,
    bsn_forms=st.lists(FORMS, min_size=PEOPLE, max_size=PEOPLE),
    kvk_forms=st.lists(FORMS, min_size=PEOPLE, max_size=PEOPLE),
    survey_forms=st.lists(FORMS, min_size=PEOPLE, max_size=PEOPLE),
    employer_forms=st.lists(FORMS, min_size=EMPLOYERS, max_size=EMPLOYERS),
    contact_forms=st.lists(st.tuples(FORMS, FORMS), min_size=PEOPLE, max_size=PEOPLE),
    formats=st.fixed_dictionaries(
        {name: FORMATS for name in ("placements", "employee_survey", "employer_survey", "contacts")}
    ),
)


def uniform(form: Form, ext: str) -> Study:
    """Every identifier of the study in one form, every file in one format."""
    return Study(
        [form] * PEOPLE,
        [form] * PEOPLE,
        [form] * PEOPLE,
        [form] * EMPLOYERS,
        [(form, form)] * PEOPLE,
        dict.fromkeys(("placements", "employee_survey", "employer_survey", "contacts"), ext),
    )


FULL_WIDTH = Form("full-width", drop_zeros=False, decoration="none", where=0.5)
PLAIN = Form("ascii", drop_zeros=False, decoration="none", where=0.5)
# The case: plain BSNs, KvK numbers in full-width digits. The commit step crashed with
# a UnicodeEncodeError that carried the KvK into the terminal and Prefect's database.
FULL_WIDTH_KVK = Study(
    [PLAIN] * PEOPLE,
    [FULL_WIDTH] * PEOPLE,
    [PLAIN] * PEOPLE,
    [FULL_WIDTH] * EMPLOYERS,
    [(PLAIN, FULL_WIDTH)] * PEOPLE,
    dict.fromkeys(("placements", "employee_survey", "employer_survey", "contacts"), "csv"),
)


def employer_of(person: int) -> int:
    return person % EMPLOYERS


def rows_of(study: Study) -> dict[str, list[dict[str, str]]]:
    return {
        "placements": [
            placement(
                i,
                employer_of(i),
                bsn=study.bsn_forms[i].apply(make_bsn(i)),
                employer_kvk=study.kvk_forms[i].apply(make_kvk(employer_of(i))),
            )
            for i in range(PEOPLE)
        ],
        "employee_survey": [
            employee_answer(i, WAVE, bsn=study.survey_forms[i].apply(make_bsn(i)))
            for i in range(PEOPLE)
        ],
        "employer_survey": [
            employer_answer(j, WAVE, employer_kvk=study.employer_forms[j].apply(make_kvk(j)))
            for j in range(EMPLOYERS)
        ],
        "contacts": [
            contact(
                employer_of(i),
                WAVE,
                person=i,
                bsn=study.contact_forms[i][0].apply(make_bsn(i)),
                employer_kvk=study.contact_forms[i][1].apply(make_kvk(employer_of(i))),
                notes="Gesprek gevoerd",
            )
            for i in range(PEOPLE)
        ],
    }


def write_delivery(folder: Path, instrument: str, rows: list[dict[str, str]], ext: str) -> None:
    """One delivery with Dutch alias headers; every cell as text."""
    inst = load_instrument(instrument)
    path = folder / f"{instrument}.{ext}"
    if ext == "csv":
        write_csv(path, instrument, rows)
        return
    headers = [c.alias or c.name for c in inst.columns]
    table = [[row.get(c.name, "") or None for c in inst.columns] for row in rows]
    folder.mkdir(parents=True, exist_ok=True)
    if ext == "xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(headers)
        for values in table:
            sheet.append(values)
        workbook.save(path)
    else:
        frame = pd.DataFrame(table, columns=headers).fillna("")
        pyreadstat.write_sav(frame, path)


def expected_curated(study: Study) -> dict[str, int]:
    """Rows each instrument must curate: readable identifiers of known people and employers."""
    placed = [study.bsn_forms[i].readable and study.kvk_forms[i].readable for i in range(PEOPLE)]
    employers = {employer_of(i) for i in range(PEOPLE) if placed[i]}
    return {
        "placements": sum(placed),
        "employee_survey": sum(study.survey_forms[i].readable and placed[i] for i in range(PEOPLE)),
        "employer_survey": sum(
            study.employer_forms[j].readable and j in employers for j in range(EMPLOYERS)
        ),
        "contacts": sum(
            study.contact_forms[i][0].readable
            and study.contact_forms[i][1].readable
            and placed[i]  # the person (and so the employer) is known
            for i in range(PEOPLE)
        ),
    }


def identifier_spellings(study: Study) -> set[str]:
    """Every identifier as delivered, in every normal form, and the digits it stands for."""
    delivered = [
        v
        for rows in rows_of(study).values()
        for r in rows
        for v in (r.get("bsn"), r.get("employer_kvk"))
        if v
    ]
    plain = {make_bsn(i) for i in range(PEOPLE)} | {make_kvk(j) for j in range(EMPLOYERS)}
    plain |= {d.lstrip("0") for d in plain}
    spellings = set(plain)
    for value in delivered:
        for form in ("NFC", "NFD", "NFKC", "NFKD"):
            spellings.add(unicodedata.normalize(form, value))
        spellings.add(value)
        spellings.add(value.strip())
    return {s for s in spellings if len(s) >= 6}


def encodings(spelling: str) -> Iterator[bytes]:
    yield spelling.encode("utf-8")
    yield json.dumps(spelling)[1:-1].encode("ascii")  # JSON with \\u escapes


def leaks(blob: bytes, spellings: set[str]) -> list[str]:
    return sorted(s for s in spellings if any(e in blob for e in encodings(s)))


def exception_text(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), repr(exc)]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # causes and contexts too
        seen.add(id(current))
        parts += [repr(a) for a in current.args]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@settings(
    max_examples=12,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(study=STUDIES)
@example(study=FULL_WIDTH_KVK)
@example(study=uniform(FULL_WIDTH, "csv"))
@example(study=uniform(Form("ascii", True, "zero-width space", 0.5), "xlsx"))
def test_identifiers_in_any_unicode_form_never_leave_the_restricted_zone(
    study: Study,
    validator: Validator,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    capfd.readouterr()
    caplog.clear()
    spellings = identifier_spellings(study)
    with tempfile.TemporaryDirectory() as tmp, caplog.at_level(logging.DEBUG):
        data = Path(tmp) / "data"
        folder = data / "raw" / REGION / str(WAVE)
        for instrument, rows in rows_of(study).items():
            write_delivery(folder, instrument, rows, study.formats[instrument])
        try:
            result = run_ingest(Settings(data_dir=data), KEY, validator=validator)
        except BaseException as exc:
            assert leaks(exception_text(exc).encode("utf-8"), spellings) == []
            raise
        out, err = capfd.readouterr()
        outputs = {
            "stdout": out.encode("utf-8"),
            "stderr": err.encode("utf-8"),
            "log records": "\n".join(r.getMessage() for r in caplog.records).encode("utf-8"),
        }
        for zone in ("curated", "runs"):
            for path in sorted((data / zone).rglob("*")):
                if path.is_file():
                    outputs[str(path.relative_to(data))] = path.read_bytes()
        # the research zone must not hold the values as Parquet decodes them either
        curated_text = [
            json.dumps(pq.read_table(p).to_pylist(), default=str, ensure_ascii=False)
            for p in sorted((data / "curated").rglob("*.parquet"))
        ]
        outputs["curated values"] = "\n".join(curated_text).encode("utf-8")
        found = {where: leaks(blob, spellings) for where, blob in outputs.items()}
        assert {where: got for where, got in found.items() if got} == {}

        files = {f["path"].split("/")[-1].split(".")[0]: f for f in result.summary["files"]}
        assert {f["status"] for f in files.values()} == {"accepted"}, files
        for instrument, expected in expected_curated(study).items():
            f = files[instrument]
            assert f["rows"] == f["curated"] + f["quarantined"], instrument
            assert f["curated"] == expected, (instrument, study)
        # a readable form is the same person as plain digits: the same pseudonym
        placed = pq.read_table(data / "curated" / "placements").column("participant_id")
        readable = [
            participant_id(KEY, make_bsn(i))
            for i in range(PEOPLE)
            if study.bsn_forms[i].readable and study.kvk_forms[i].readable
        ]
        assert sorted(placed.to_pylist()) == sorted(readable)
