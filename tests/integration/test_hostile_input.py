"""Hostile input: every raw file is accepted or rejected with a value-free reason, never a crash.

Property tests (hypothesis, bounded examples) feed `read_raw` + `parse_table` random bytes,
valid csv/xlsx/sav files cut at random points, csv text in the wrong encoding, broken quoting
and formula-like cells; example tests add a 1 MB cell and folder names with spaces, unicode,
quotes and newlines under raw/, run through the whole ingest (tests/helpers/ingest_driver.py), which
must finish and leave a readable lake with no half-written state.

A .sav file with corrupted *contents* (bytes flipped inside, not just cut short) can make
pyreadstat's C reader segfault. The reader therefore parses .sav in a forked child that
serves the whole run (`dwt.ingest.read._SavReader`): a crash there rejects that one file and
the next file gets a fresh child. Tested below with flipped bytes and with a child that dies
on purpose.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from helpers.lake_runs import (
    REGION,
    copy_waves,
    generated_region,
    ingest,
    leftovers,
    views_readable,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dwt.ingest.parse import parse_table
from dwt.ingest.read import FileRejected, read_raw
from dwt.schema import Instrument, load_instrument, load_study

FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+31612345678",
    "-2+3",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
]
_FILE_REASON = re.compile(
    r"^(undecodable text(: [A-Za-z0-9 -]+)?|no data rows|unsupported file type"
    r"|unreadable file(: [A-Za-z ,()]+)?"
    r"|unreadable file: formula without a value in [a-z_ ,]+ \(never recalculated\)"
    r"|unreadable file: duplicate column (?P<dup>[a-z_, ]+)"
    r"|missing required column: (?P<missing>[a-z_, ]+))$"
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Valid deliveries of every instrument in each format: {ext: {instrument: bytes}}."""
    from dwt.generate import generate_study

    out = tmp_path_factory.mktemp("hostile") / "study"
    generate_study(out, seed=5, scale=0.3)
    found: dict[str, dict[str, bytes]] = {}
    for path in sorted(out.glob("*/2018/*.*")):
        found.setdefault(path.suffix.lstrip("."), {})[path.stem] = path.read_bytes()
    assert set(found) == {"csv", "xlsx", "sav"}, "the generator writes all three formats"
    return found


def outcome(data: bytes, ext: str, instrument: Instrument) -> str:
    """'accepted' or 'rejected'; fails the test on any other exception or a bad reason."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{instrument.name}.{ext}"
        path.write_bytes(data)
        try:
            raw = read_raw(path, instrument)
        except FileRejected as exc:
            assert_value_free(exc.reason, instrument)
            return "rejected"
    typed, reasons = parse_table(raw.frame, instrument, load_study())
    assert len(typed) == len(raw.frame) == len(reasons)
    for row in reasons:
        for reason in row:
            column, _, rule = reason.partition(": ")
            assert column in instrument.column_names and rule, reason
    return "accepted"


def assert_value_free(reason: str, instrument: Instrument) -> None:
    match = _FILE_REASON.match(reason or "")
    assert match, f"not a file reason of the vocabulary: {reason!r}"
    for group in ("dup", "missing"):
        if match.group(group):
            names = match.group(group).split(", ")
            assert set(names) <= set(instrument.column_names), reason


INSTRUMENTS = st.sampled_from(list(load_study().instruments))


@FAST
@given(data=st.binary(max_size=4096), ext=st.sampled_from(["csv", "xlsx", "sav"]), name=INSTRUMENTS)
def test_random_bytes_are_accepted_or_rejected_with_a_reason(
    data: bytes, ext: str, name: str
) -> None:
    outcome(data, ext, load_instrument(name))


@FAST
@given(ext=st.sampled_from(["csv", "xlsx", "sav"]), name=INSTRUMENTS, cut=st.floats(0, 1))
def test_a_valid_file_cut_at_any_point_is_accepted_or_rejected(
    samples: dict[str, dict[str, bytes]], ext: str, name: str, cut: float
) -> None:
    assume(name in samples[ext])  # QDA exports (interviews) come as csv or xlsx, never sav
    data = samples[ext][name]
    outcome(data[: int(len(data) * cut)], ext, load_instrument(name))


@FAST
@given(
    ext=st.sampled_from(["xlsx", "sav"]),
    name=INSTRUMENTS,
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_a_valid_binary_file_with_bytes_flipped_inside_is_accepted_or_rejected(
    samples: dict[str, dict[str, bytes]], ext: str, name: str, flips: list[tuple[float, int]]
) -> None:
    assume(name in samples[ext])
    data = bytearray(samples[ext][name])
    for where, value in flips:
        data[min(int(len(data) * where), len(data) - 1)] = value
    outcome(bytes(data), ext, load_instrument(name))


def test_a_sav_reader_that_dies_rejects_only_that_file(
    samples: dict[str, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os
    import signal

    from dwt.ingest import read

    def crash(data: bytes) -> None:  # what a segfault in ReadStat looks like to the parent
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(read, "_read_sav", crash)
    path = tmp_path / "placements.sav"
    path.write_bytes(samples["sav"]["placements"])
    with pytest.raises(FileRejected, match="unreadable file: not a valid SPSS file"):
        read_raw(path, load_instrument("placements"))


def test_after_a_sav_reader_died_the_next_file_is_read_by_a_fresh_one(
    samples: dict[str, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os
    import signal

    from dwt.ingest import read

    path = tmp_path / "placements.sav"
    path.write_bytes(samples["sav"]["placements"])
    placements = load_instrument("placements")
    good = read_raw(path, placements).frame
    first = read._SAV_READER._child
    assert first is not None
    read_raw(path, placements)
    assert read._SAV_READER._child is first  # one child serves every file
    os.kill(first[0].pid, signal.SIGKILL)  # dies between two files
    first[0].join()
    assert read_raw(path, placements).frame.equals(good)

    original = read._read_sav

    def crash(data: bytes) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(read, "_read_sav", crash)
    with pytest.raises(FileRejected, match="unreadable file: not a valid SPSS file"):
        read_raw(path, placements)
    monkeypatch.setattr(read, "_read_sav", original)
    assert read_raw(path, placements).frame.equals(good)


def test_the_sav_reader_holds_no_file_of_the_process_that_started_it(
    samples: dict[str, dict[str, bytes]], tmp_path: Path
) -> None:
    """The lake's lock is a flock that closing its file releases: a reader child that kept
    a copy open would hold the lock after the run, and the next ingest would wait for it."""
    import fcntl
    import os

    from dwt.ingest import read

    read._SAV_READER._stop()  # the next file starts a child while the lock is held
    lock = tmp_path / "lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    path = tmp_path / "placements.sav"
    path.write_bytes(samples["sav"]["placements"])
    read_raw(path, load_instrument("placements"))
    os.close(fd)
    again = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the child holds it
    finally:
        os.close(again)


def csv_text(samples: dict[str, dict[str, bytes]], name: str) -> str:
    data = samples["csv"][name]
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


@FAST
@given(
    name=INSTRUMENTS,
    encoding=st.sampled_from(["utf-16", "utf-32", "latin-1", "cp437", "shift_jis", "koi8-r"]),
)
def test_csv_in_a_wrong_encoding_is_accepted_or_rejected(
    samples: dict[str, dict[str, bytes]], name: str, encoding: str
) -> None:
    text = csv_text(samples, name) + "Ĳsselmeer — Ørsted ✓\n"
    outcome(text.encode(encoding, errors="replace"), "csv", load_instrument(name))


@FAST
@given(
    name=INSTRUMENTS,
    positions=st.lists(st.floats(0, 1), min_size=1, max_size=6),
    quote=st.sampled_from(['"', "'", '""', '"\n']),
)
def test_csv_with_broken_quoting_is_accepted_or_rejected(
    samples: dict[str, dict[str, bytes]], name: str, positions: list[float], quote: str
) -> None:
    text = csv_text(samples, name)
    for p in sorted(positions, reverse=True):
        at = int(len(text) * p)
        text = text[:at] + quote + text[at:]
    outcome(text.encode("utf-8"), "csv", load_instrument(name))


@FAST
@given(
    name=INSTRUMENTS,
    formula=st.sampled_from(FORMULAS),
    row=st.integers(1, 5),
    col=st.integers(0, 30),
)
def test_formula_like_cells_are_read_as_plain_text(
    samples: dict[str, dict[str, bytes]], name: str, formula: str, row: int, col: int
) -> None:
    text = csv_text(samples, name)
    lines = text.splitlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    row = min(row, len(lines) - 1)
    cells = lines[row].split(sep)  # generated csv quotes no separator inside these rows' cells
    col = min(col, len(cells) - 1)
    cells[col] = '"' + formula.replace('"', '""') + '"'
    lines[row] = sep.join(cells)
    assert outcome(("\n".join(lines) + "\n").encode("utf-8"), "csv", load_instrument(name)) in (
        "accepted",
        "rejected",
    )


def test_a_1_mb_cell_is_read_whole_and_quarantines_only_its_row(
    samples: dict[str, dict[str, bytes]],
) -> None:
    instrument = load_instrument("placements")
    lines = csv_text(samples, "placements").splitlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    cells = lines[1].split(sep)
    header = [h.strip().lower() for h in lines[0].split(sep)]
    sector = next(i for i, h in enumerate(header) if h == "sector")
    cells[sector] = "S" * 1_000_000
    lines[1] = sep.join(cells)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "placements.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        raw = read_raw(path, instrument)
    assert len(str(raw.frame.loc[1, "sector"])) == 1_000_000
    _, reasons = parse_table(raw.frame, instrument, load_study())
    assert "sector: unknown code" in reasons.loc[1]
    assert "sector: unknown code" not in reasons.loc[2]


ODD_FOLDERS = [
    f"{REGION} kopie",  # a space
    "regiö-Ærø",  # unicode
    'it\'s "quoted"',  # quotes
    "line\nbreak",  # a newline
]


def test_the_ingest_of_a_raw_dir_full_of_hostile_files_finishes_with_a_readable_lake(
    samples: dict[str, dict[str, bytes]], tmp_path: Path
) -> None:
    study = generated_region(tmp_path / "study", scale=0.2)
    data = tmp_path / "data"
    raw = data / "raw"
    copy_waves(study, raw, range(2017, 2019))
    hostile = {
        f"{REGION}/2019/placements.csv": samples["csv"]["placements"][:-40] + b'"\xff\x00',
        f"{REGION}/2019/employee_survey.xlsx": samples["xlsx"]["employee_survey"][:700],
        f"{REGION}/2019/employer_survey.sav": samples["sav"]["employer_survey"][:300],
        f"{REGION}/2019/contacts.csv": bytes(range(256)) * 8,
        f"{REGION}/2018/extra notes.csv": b'=HYPERLINK("http://x","y")\n',
    }
    for folder in ODD_FOLDERS:
        hostile[f"{folder}/2019/placements.csv"] = samples["csv"]["placements"]
        hostile[f"{REGION}/{folder}/contacts.csv"] = samples["csv"]["contacts"]
    for rel, content in hostile.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(content)

    summary = json.loads(ingest(data).stdout)
    status = {f["path"]: f for f in summary["files"]}
    for rel in hostile:
        assert status[rel]["status"] == "rejected", rel
        assert status[rel]["reason"], rel
    assert {f["status"] for p, f in status.items() if p not in hostile} == {"accepted"}
    assert leftovers(data) == []
    counts = views_readable(data)
    assert counts["placements"] > 0
    assert json.loads(ingest(data).stdout)["changed"] is False  # and it is stable


def test_the_ingest_of_an_empty_raw_dir_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    summary = json.loads(ingest(data).stdout)
    assert summary["files"] == [] and summary["changed"] is False
    assert not (data / "curated").exists() or not any((data / "curated").iterdir())


def test_a_formula_in_a_delivered_employer_name_reaches_exports_neutralised(
    tmp_path: Path,
) -> None:
    """Ingest a formula as employer name; the employer xlsx shows it as text ("'=...")."""
    from openpyxl import load_workbook

    from commands.main import main

    formula = FORMULAS[0]
    study = generated_region(tmp_path / "study", scale=0.2)
    data = tmp_path / "data"
    copy_waves(study, data / "raw", range(2017, 2018))
    placements = next((data / "raw" / REGION / "2017").glob("placements.*"))
    raw = read_raw(placements, load_instrument("placements"))
    frame = raw.frame.copy()
    frame["employer_name"] = formula
    placements.unlink()
    frame.to_csv(placements.with_suffix(".csv"), index=False)
    ingest(data)
    kvk = str(frame["employer_kvk"].iloc[0])
    out = tmp_path / "employer.xlsx"
    assert (
        main(["export", "employer", "--data-dir", str(data), "--employer", kvk, "--out", str(out)])
        == 0
    )
    cells = [
        str(v)
        for ws in load_workbook(out)
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v
    ]
    assert "'" + formula in cells
    assert formula not in cells
