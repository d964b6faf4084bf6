"""`dwt generate`: the files it writes, read back as a user would (pandas, openpyxl, pyreadstat)."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dwt.generate import generate_study
from dwt.generate.ids import elfproef
from dwt.schema import load_instrument, load_study, normalise_header

STUDY = load_study()
FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


# ---------------------------------------------------------------------------- read back
def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _cell_text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    if isinstance(v, datetime | pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip()
    return text or None


def read_back(path: Path) -> pd.DataFrame:
    """A delivery as text cells under canonical column names (None where empty)."""
    inst = load_instrument(path.name.split(".")[0])
    if path.suffix == ".csv":
        text = _decode(path.read_bytes())
        first = text.splitlines()[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    elif path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=object)
    else:
        import pyreadstat

        frame, _ = pyreadstat.read_sav(str(path), apply_value_formats=True)
    lookup = inst.header_lookup()
    frame = frame.rename(columns=lambda h: lookup.get(normalise_header(h), f"?{h}"))
    frame = frame[[c for c in frame.columns if not c.startswith("?")]]
    return frame.apply(lambda s: s.map(_cell_text)).astype(object)


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    for fmt in FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"not a date: {text!r}")


def as_bool(text: str | None) -> bool | None:
    if text is None:
        return None
    spellings = STUDY.parsing["booleans"]
    key = text.lower()
    assert key in spellings["true"] + spellings["false"], text
    return key in spellings["true"]


def code(text: str | None) -> str | None:
    return None if text is None else text.strip().lower()


def bsn(text: str | None) -> str | None:
    return None if text is None else text.zfill(9)


def delivered(root: Path, instrument: str) -> dict[tuple[str, int], Path]:
    out = {}
    for path in sorted(root.glob(f"*/*/{instrument}.*")):
        out[(path.parent.parent.name, int(path.parent.name))] = path
    return out


def _all_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).parts[0].startswith("_")
    }


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate_study(out, seed=2017)
    return out


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faulty")
    generate_study(out, seed=2017, faults=True)
    return out


@pytest.fixture(scope="module")
def placements(clean) -> dict[tuple[str, int], pd.DataFrame]:
    return {k: read_back(p) for k, p in delivered(clean, "placements").items()}


# --------------------------------------------------------------------------------- layout
def test_every_region_wave_and_instrument_is_delivered_except_the_planned_missing(clean):
    manifest = json.loads((clean / "_manifest.json").read_text())
    missing = set(manifest["not_delivered"])
    assert missing, "a clean study still leaves something undelivered"
    for region in STUDY.region_codes:
        for wave in STUDY.waves:
            for inst in STUDY.instruments:
                files = list((clean / region / str(wave)).glob(f"{inst}.*"))
                key = f"{region}/{wave}/{inst}"
                assert len(files) == (0 if key in missing else 1), key
    assert {f["path"] for f in manifest["files"]} == _all_files(clean)


def test_manifest_counts_rows_of_every_file(clean):
    manifest = json.loads((clean / "_manifest.json").read_text())
    for entry in manifest["files"][::7]:
        assert len(read_back(clean / entry["path"])) == entry["rows"]


def test_recruitment_per_region_is_within_the_targets(placements):
    targets = STUDY.targets
    for region in STUDY.region_codes:
        frames = [f for (r, _), f in placements.items() if r == region]
        both = pd.concat(frames)
        employers = both["employer_kvk"].map(lambda k: k.zfill(8)).nunique()
        persons = both["bsn"].map(bsn).nunique()
        assert targets["employers_min"] <= employers <= targets["employers_max"], region
        assert persons >= targets["participants_min"], region


# ---------------------------------------------------------------------------------- rules
def test_every_bsn_in_every_file_passes_the_11_proef(clean):
    for inst in STUDY.instruments:
        if "bsn" not in load_instrument(inst).column_names:
            continue
        for path in delivered(clean, inst).values():
            raw = [b for b in read_back(path)["bsn"] if b is not None]
            assert all(len(b) in (8, 9) for b in raw), "at most the one leading zero is lost"
            assert raw and all(elfproef(bsn(b)) for b in raw), path


def test_kvk_numbers_have_eight_digits_or_lost_only_their_leading_zero(clean):
    for inst in STUDY.instruments:
        if "employer_kvk" not in load_instrument(inst).column_names:
            continue
        for path in delivered(clean, inst).values():
            kvks = read_back(path)["employer_kvk"]
            assert kvks.map(lambda k: len(k) in (7, 8) and k.isdigit()).all(), path


def test_placement_rows_keep_the_contract_rules(placements):
    for (_, wave), frame in placements.items():
        ref = STUDY.reference_date(wave)
        for row in frame.to_dict("records"):
            start, end = parse_date(row["start_date"]), parse_date(row["end_date"])
            assert start is not None and STUDY.study_start <= start <= ref
            assert end is None or start <= end <= ref
            assert (end is None) == (row["end_reason"] is None)
            assert (code(row["job_coach"]) == "geen") == (row["job_coach_level"] is None)
            assert 1950 <= int(row["birth_year"]) <= 2003
            assert 1 <= float(row["hours_per_week"].replace(",", ".")) <= 40
            for col in ("contract_type", "target_group", "gender", "buddy_training"):
                assert code(row[col]) in load_instrument("placements").column(col).codes


def test_employer_attributes_are_constant_per_employer(placements):
    both = pd.concat(placements.values())
    both["kvk"] = both["employer_kvk"].map(lambda k: k.zfill(8))
    for col in ("sector", "employer_size", "employer_name"):
        assert (both.assign(v=both[col].map(code)).groupby("kvk")["v"].nunique() == 1).all()


def _keys(frame: pd.DataFrame) -> dict[tuple, dict]:
    return {
        (bsn(r["bsn"]), r["employer_kvk"].zfill(8), parse_date(r["start_date"])): r
        for r in frame.to_dict("records")
    }


def test_snapshots_carry_earlier_placements_fill_in_ends_late_and_drop_a_few(placements):
    late_end = dropped = 0
    for region in STUDY.region_codes:
        for wave in STUDY.waves[:-1]:
            now, nxt = _keys(placements[(region, wave)]), _keys(placements[(region, wave + 1)])
            dropped += len(set(now) - set(nxt))
            for key, row in now.items():
                later = nxt.get(key)
                if later is not None and row["end_date"] is None and later["end_date"]:
                    late_end += parse_date(later["end_date"]).year == wave
    assert late_end > 0, "some ends of year Y reach the register only in wave Y+1"
    assert 0 < dropped <= len(STUDY.region_codes) * 3


def test_moving_to_other_work_starts_a_new_placement_the_next_day(placements):
    last = {k: _keys(f) for k, f in placements.items() if k[1] == STUDY.last_wave}
    moves = 0
    for rows in last.values():
        starts = {(k[0], k[2]): k[1] for k in rows}
        for (person, kvk, _), row in rows.items():
            if code(row["end_reason"]) == "naar_ander_werk":
                end = parse_date(row["end_date"])
                nxt = starts.get((person, date.fromordinal(end.toordinal() + 1)))
                if nxt is not None:
                    assert nxt != kvk
                    moves += 1
    assert moves > 0


def test_survey_and_contact_rows_keep_their_windows_and_references(clean, placements):
    known = {k: set(f["bsn"].map(bsn)) for k, f in placements.items()}
    buddy_items = [c.name for c in load_instrument("employee_survey").columns if c.absent_if]
    for (region, wave), path in delivered(clean, "employee_survey").items():
        lo, hi = STUDY.fieldwork_window(wave)
        for row in read_back(path).to_dict("records"):
            assert lo <= parse_date(row["response_date"]) <= hi
            assert bsn(row["bsn"]) in known[(region, wave)]
            if as_bool(row["buddy_present"]) is False:
                assert all(row[c] is None for c in buddy_items)
    for path in delivered(clean, "employer_survey").values():
        frame = read_back(path)
        assert (
            frame["employees_target_group"].astype(int) <= frame["employees_total"].astype(int)
        ).all()
    for (region, wave), path in delivered(clean, "contacts").items():
        frame = read_back(path)
        assert all(parse_date(d).year == wave for d in frame["contact_date"])
        assert set(frame["bsn"].dropna().map(bsn)) <= known[(region, wave)]
        assert frame["bsn"].isna().any()
        assert frame["advisor_code"].str.fullmatch(r"AD-\d{3}").all()


def test_contact_notes_name_the_employee_or_the_employer(clean, placements):
    names = set()
    for frame in placements.values():
        names |= set(frame["name"]) | set(frame["employer_name"])
    path = next(iter(delivered(clean, "contacts").values()))
    notes = read_back(path)["notes"]
    assert all(any(n in note for n in names) for note in notes)


def test_survey_items_sometimes_carry_missing_codes(clean):
    frames = [read_back(p) for p in delivered(clean, "employee_survey").values()]
    values = pd.concat(frames)["work_ability"].dropna()
    assert values.isin(["-9", "-8"]).any()


# ------------------------------------------------------------------------------ encodings
def test_every_csv_variant_is_produced(clean):
    csvs = {p: p.read_bytes() for p in clean.glob("*/*/*.csv")}
    firsts = [_decode(b).splitlines()[0] for b in csvs.values()]
    assert any(f.count(",") > f.count(";") for f in firsts)
    assert any(f.count(";") > f.count(",") for f in firsts)
    assert any(b.startswith(b"\xef\xbb\xbf") for b in csvs.values())
    cp1252 = [b for b in csvs.values() if not b.startswith(b"\xef\xbb\xbf") and _not_utf8(b)]
    assert cp1252, "some csv files are real Windows-1252 bytes"
    assert all("Ã" not in b.decode("cp1252") for b in cp1252)
    assert any(re.search(rb";\d+,5;", b) for b in csvs.values()), "decimal comma"
    dutch = load_instrument("placements").column("end_reason").alias
    assert any(normalise_header("Reden-Einde") == dutch for f in firsts if "Reden-Einde" in f)
    text = "\n".join(_decode(b) for b in csvs.values())
    assert re.search(r"(^|;)\d{8};", text, re.M), "a BSN that lost its leading zero"
    assert re.search(r"\b\d{2}-\d{2}-20\d{2}\b", text) and re.search(
        r"\b\d{2}/\d{2}/20\d{2}\b", text
    )
    assert re.search(r";\d-\d{1,2}-20\d{2};|;\d{1,2}-\d-20\d{2};", text), "D-M-YYYY dates"
    assert re.search(r";\s+[A-Z]|[A-Z]\s+;", text), "codes in varied case with spaces"


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_non_ascii_names_survive_every_encoding(clean):
    names = pd.concat(read_back(p) for p in delivered(clean, "placements").values())["name"]
    assert any(re.search(r"Müller|Çelik", n) for n in names)
    assert not any("Ã" in n for n in names)


def test_xlsx_has_real_date_cells_and_some_dates_as_text(clean):
    from openpyxl import load_workbook

    path = next(clean.glob("*/*/placements.xlsx"))
    ws = load_workbook(path).worksheets[0]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert any(c.is_date for c in cells)
    assert any(
        isinstance(c.value, str) and re.fullmatch(r"\d{2}/\d{2}/\d{4}", c.value) for c in cells
    )
    assert isinstance(ws["A2"].value, str), "BSNs are text cells, leading zero kept"


def test_sav_stores_codes_numeric_with_value_labels_and_real_dates(clean):
    import pyreadstat

    path = next(clean.glob("*/*/placements.sav"))
    frame, meta = pyreadstat.read_sav(str(path))
    assert set(meta.variable_value_labels["job_coach"].values()) == set(
        load_instrument("placements").column("job_coach").codes
    )
    assert pd.api.types.is_numeric_dtype(frame["job_coach"])
    assert isinstance(frame["start_date"].dropna().iloc[0], date)


# -------------------------------------------------------------------------- determinism
def test_one_seed_gives_byte_identical_files(clean, tmp_path):
    again = tmp_path / "again"
    generate_study(again, seed=2017)
    files = _all_files(clean)
    assert files == _all_files(again)
    for rel in files:
        assert (clean / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_cli_writes_the_study_and_prints_a_summary(tmp_path, capsys):
    from commands.main import main

    assert main(["generate", "--out", str(tmp_path), "--scale", "0.3"]) == 0
    printed = capsys.readouterr().out
    assert str(tmp_path) in printed and "participants" in printed
    assert (tmp_path / "_manifest.json").exists()


# ------------------------------------------------------------------------------- faults
ROW_REASON = re.compile(
    r"duplicate row|conflicting rows for one key|bsn: fails 11-proef"
    r"|bsn: unknown person in region placements|employer_kvk: unknown employer in region placements"
    r"|interview_id: unknown interview in wave interviews"
    r"|\w+: (required|not a date|not an integer|not a number|not a boolean|unknown code"
    r"|below minimum|above maximum|does not match pattern|outside fieldwork window"
    r"|outside wave year|after reference date|before \w+|above \w+"
    r"|required when \w+ .+|must be empty when \w+ .+)"
)
FILE_REASONS = {
    "unreadable file", "undecodable text", "no data rows",
    "two files for one instrument/region/wave",
    "unknown region", "unknown wave", "unknown instrument",
}  # fmt: skip


@pytest.fixture(scope="module")
def report(faulty) -> dict:
    return json.loads((faulty / "_faults.json").read_text())


def test_faults_report_lists_every_file_written(faulty, report):
    assert set(report["files"]) | set(report["rejected_paths"]) == _all_files(faulty)
    assert report["seed"] == 2017 and report["missing"]


def test_faults_cover_every_file_reason(report):
    reasons = {e["reason"] for e in [*report["files"].values(), *report["rejected_paths"].values()]
               if e["expect"] == "rejected"}  # fmt: skip
    assert reasons >= FILE_REASONS
    assert any(r.startswith("missing required column: ") for r in reasons)


def test_faults_cover_every_row_rule_with_vocabulary_reasons(report):
    reasons = [
        r
        for e in report["files"].values()
        if e["expect"] == "accepted"
        for rs in e["quarantined"].values()
        for r in rs
    ]
    assert all(ROW_REASON.fullmatch(r) for r in reasons), reasons
    expected = {
        "bsn: fails 11-proef", "contract_type: required", "contract_type: unknown code",
        "hours_per_week: above maximum", "hours_per_week: not a number",
        "birth_year: not an integer", "start_date: below minimum",
        "start_date: after reference date", "end_date: before start_date",
        "end_reason: required", "end_reason: must be empty when end_date is empty",
        "job_coach_level: required when job_coach is not geen",
        "response_date: outside fieldwork window", "work_ability: above maximum",
        "buddy_helpful: must be empty when buddy_present is false",
        "employees_target_group: above employees_total", "contact_date: outside wave year",
        "advisor_code: does not match pattern", "signals: unknown code",
        "bsn: unknown person in region placements",
        "employer_kvk: unknown employer in region placements", "duplicate row",
        "conflicting rows for one key", "response_date: not a date",
        "interview_id: unknown interview in wave interviews", "code: unknown code",
        "coder: does not match pattern", "interview_date: outside wave year",
    }  # fmt: skip
    assert expected <= set(reasons)
    assert any(len(rs) > 1 for e in report["files"].values() if e["expect"] == "accepted"
               for rs in e["quarantined"].values())  # fmt: skip


def test_accepted_files_hold_the_rows_the_report_counts(faulty, report):
    for rel, entry in report["files"].items():
        if entry["expect"] == "accepted" and entry["quarantined"]:
            frame = read_back(faulty / rel)
            assert len(frame) == entry["rows"], rel
            assert all(1 <= int(n) <= entry["rows"] for n in entry["quarantined"])


def test_a_duplicate_is_an_identical_copy_of_an_earlier_row(faulty, report):
    found = 0
    for rel, entry in report["files"].items():
        if entry["expect"] != "accepted":
            continue
        for n, reasons in entry["quarantined"].items():
            if reasons == ["duplicate row"]:
                rows = read_back(faulty / rel).to_dict("records")
                copy = rows[int(n) - 1]
                assert copy in rows[: int(n) - 1]
                found += 1
    assert found >= 3


def test_rejected_files_really_are_unreadable_or_undecodable(faulty, report):
    import pyreadstat
    from openpyxl import load_workbook

    for rel, entry in report["files"].items():
        path = faulty / rel
        if entry.get("reason") == "unreadable file":
            with pytest.raises(Exception):  # noqa: B017 - any reader error will do
                if path.suffix == ".xlsx":
                    load_workbook(path)
                else:
                    pyreadstat.read_sav(str(path))
        if entry.get("reason") == "undecodable text":
            raw = path.read_bytes()
            for encoding in ("utf-8", "cp1252"):
                with pytest.raises(UnicodeDecodeError):
                    raw.decode(encoding)
        if entry.get("reason") == "no data rows":
            assert len(read_back(path)) == 0


def test_faults_cause_no_cascade_survey_answers_keep_a_known_person(faulty, report):
    def kept(rel: str) -> pd.DataFrame:
        entry = report["files"][rel]
        frame = read_back(faulty / rel)
        bad = {int(n) - 1 for n in entry["quarantined"]}
        return frame[[i not in bad for i in range(len(frame))]]

    placements = {
        tuple(rel.split("/")[:2]): set(kept(rel)["bsn"].map(bsn))
        for rel in report["files"]
        if rel.split("/")[2].startswith("placements.")
    }
    for rel, entry in report["files"].items():
        inst = rel.split("/")[2].split(".")[0]
        if entry["expect"] == "accepted" and inst in ("employee_survey", "contacts"):
            persons = set(kept(rel)["bsn"].dropna().map(bsn))
            assert persons <= placements[tuple(rel.split("/")[:2])], rel


def test_flags_change_a_persons_value_between_waves(faulty, report):
    kinds = {f["kind"] for f in report["flags"]}
    assert kinds == {"birth_year_changed", "gender_changed"}
    for flag in report["flags"]:
        column = "birth_year" if flag["kind"] == "birth_year_changed" else "gender"
        region, wave = flag["region"], flag["wave"]
        before, after = (
            read_back(next((faulty / region / str(w)).glob("placements.*")))
            for w in (wave - 1, wave)
        )
        old = dict(zip(before["bsn"].map(bsn), before[column].map(code), strict=True))
        new = dict(zip(after["bsn"].map(bsn), after[column].map(code), strict=True))
        changed = [b for b in old if b in new and old[b] != new[b]]
        assert len(changed) == 1


def test_faults_leave_clean_files_identical_to_a_clean_run(clean, faulty, report):
    same = [rel for rel, e in report["files"].items() if e["expect"] == "accepted"
            and not e["quarantined"] and (clean / rel).exists()]  # fmt: skip
    flagged = {f["region"] for f in report["flags"]}
    same = [rel for rel in same if not (rel.split("/")[0] in flagged and "placements" in rel)]
    assert same
    for rel in same:
        assert (clean / rel).read_bytes() == (faulty / rel).read_bytes(), rel


def test_regenerating_into_a_folder_removes_the_files_of_the_previous_run(tmp_path):
    generate_study(tmp_path, seed=1, scale=0.2, faults=True)
    manifest = generate_study(tmp_path, seed=1, scale=0.2)
    assert not (tmp_path / "_faults.json").exists()
    assert _all_files(tmp_path) == {f["path"] for f in manifest["files"]}
    regions = {p.name for p in tmp_path.iterdir() if p.is_dir()}
    assert regions == set(STUDY.region_codes)
    waves = {p.name for p in tmp_path.glob("*/*") if p.is_dir()}
    assert waves == {str(w) for w in STUDY.waves}


# ------------------------------------------------------------------------ interview waves
def test_interview_waves_come_as_csv_or_xlsx_with_code_paths_in_every_notation(clean):
    from dwt.schema import load_code_system

    for inst in ("interviews", "interview_codes"):
        paths = delivered(clean, inst).values()
        assert {p.suffix for p in paths} == {".csv", ".xlsx"}, "QDA programs write no sav"
    codes = pd.concat(read_back(p) for p in delivered(clean, "interview_codes").values())["code"]
    assert any("\\" in c for c in codes) and any(">" in c for c in codes)
    assert any("::" in c for c in codes)
    assert any(c != c.strip() or c.isupper() for c in codes), "case and spacing vary"
    system = load_code_system()
    assert all(system.resolve(c) for c in codes), "a clean study names only known codes"


def test_interview_waves_keep_their_references(clean, placements):
    for (region, wave), path in delivered(clean, "interviews").items():
        docs = read_back(path)
        known = pd.concat(f for (r, _), f in placements.items() if r == region)
        assert set(docs["employer_kvk"].map(lambda k: k.zfill(8))) <= set(
            known["employer_kvk"].map(lambda k: k.zfill(8))
        )
        assert set(docs["bsn"].dropna().map(bsn)) <= set(known["bsn"].map(bsn))
        assert all(parse_date(d).year == wave for d in docs["interview_date"])
        segments = read_back(delivered(clean, "interview_codes")[(region, wave)])
        assert set(segments["interview_id"]) == set(docs["interview_id"])
        groups = docs.groupby("interview_id")
        assert (groups.size() > 1).any(), "a focus group of several employers"
        several = groups.filter(lambda g: len(g) > 1)
        assert set(several["interview_type"].map(code)) == {"focusgroep"}


def test_some_interviews_are_coded_by_two_coders_who_do_not_always_agree(clean):
    frames = [read_back(p) for p in delivered(clean, "interview_codes").values()]
    segments = pd.concat(frames)
    coders = segments.groupby("interview_id")["coder"].nunique()
    double = coders[coders == 2].index
    assert 0.2 < len(double) / len(coders) < 0.5
    assert segments["coder"].str.fullmatch(r"OZ-\d{2}").all()
    per_coder = segments[segments["interview_id"].isin(double)].groupby(["interview_id", "coder"])
    code_sets = per_coder["code"].agg(lambda c: frozenset(c.map(code)))
    differ = sum(len(set(sets)) > 1 for _, sets in code_sets.groupby(level=0))
    assert 0 < differ < len(double)


def test_segment_texts_and_document_names_name_people(clean, placements):
    names = set()
    for frame in placements.values():
        names |= set(frame["name"])
    path = next(iter(delivered(clean, "interview_codes").values()))
    segments = read_back(path)
    assert all(any(n in text for n in names) for text in segments["segment_text"])
    from dwt.generate.names import FIRST_NAMES

    docs = read_back(next(iter(delivered(clean, "interviews").values())))
    assert all(any(f"{first} " in n for first in FIRST_NAMES) for n in docs["document_name"])
