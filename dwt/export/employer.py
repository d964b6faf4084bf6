"""`dwt export employer`: the summary an arbeidsdeskundige hands to ONE employer (xlsx + pdf).

What it reads, and why it is safe:
- one employer's directory entry, through the `EmployerLookup` the command hands it (it never
  sees the restricted zone itself, so never another employer, a contact note or the quarantine);
- the research zone through `views.connect(zone)`, filtered on that employer_id;
- the region's measure shares from the snapshot's release (`dwt.release`), the same decision
  the reports show.
What it shows: the employer's placements (no participant ids), its own survey answers, and its
employees' answers only as means over at least k respondents, else "te weinig respondenten".
File names carry the employer_id (pseudonym); the employer's name and KvK appear only inside.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.errors import ConfigError, NoCuratedData, UnknownEmployer
from dwt.export.safe_cells import neutralise_formula
from dwt.files import write_atomic
from dwt.reports import text as t
from dwt.reports.model import Paragraph, Report, Section, Table
from dwt.schema import load_study, measure_columns
from dwt.zones import EmployerEntry, EmployerLookup, ResearchZone

if TYPE_CHECKING:
    import duckdb

DEFAULT_FOLDER = Path("reports") / "werkgevers"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip entries get a fixed time, so equal input -> equal bytes
SHEETS = (
    "Samenvatting", "Plaatsingen", "Vragenlijst werkgever",
    "Werknemers (geaggregeerd)", "Maatregelen", "Gesprekken",
)  # fmt: skip
# Excel caps sheet names at 31 characters, so the employees' sheet is "Werknemers (geaggregeerd)"
# rather than "Vragenlijst werknemers (geaggregeerd)".


DirectoryEntry = EmployerEntry  # the entry a summary is about


# ---------------------------------------------------------------- the employer's own entry


def normalise_kvk(text: str) -> str:
    """8 digits, left-padded (a KvK number may lose its leading zero); ConfigError otherwise."""
    digits = str(text).strip()
    if not re.fullmatch(r"\d{1,8}", digits):
        raise ConfigError(f"--employer takes a KvK number of up to 8 digits (got {text!r})")
    return digits.zfill(8)


# ---------------------------------------------------------------- research zone


def advisor_employers(con: duckdb.DuckDBPyConnection, advisor: str) -> list[str]:
    """employer_ids with at least one contact registered by `advisor` (sorted)."""
    rows = con.execute(
        "SELECT DISTINCT employer_id FROM contacts WHERE advisor_code = ? ORDER BY employer_id",
        [advisor],
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] is not None]


def reference_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Region -> reference date of its latest ingested wave."""
    rows = con.execute("SELECT region, max(wave) FROM placement_history GROUP BY region").fetchall()
    return {str(r): load_study().reference_date(int(w)) for r, w in rows if r is not None}


def employer_rows(
    con: duckdb.DuckDBPyConnection, table: str, employer_id: str, order: str
) -> list[dict[str, Any]]:
    cur = con.execute(
        f"SELECT * FROM {table} WHERE employer_id = ? ORDER BY {order}", [employer_id]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def employee_answers(
    con: duckdb.DuckDBPyConnection, employer_id: str
) -> dict[int, list[dict[str, Any]]]:
    """Employee-survey rows per wave of people whose placement at this employer ran that year."""
    cols = ", ".join(f"s.{c}" for c in load_study().employee_summary_items)
    rows = con.execute(
        f"SELECT DISTINCT s.wave, s.participant_id, {cols} FROM employee_survey s "
        "JOIN placements p ON p.participant_id = s.participant_id AND p.region = s.region "
        "WHERE p.employer_id = ? AND p.start_date <= make_date(CAST(s.wave AS INTEGER), 12, 31) "
        "AND (p.end_date IS NULL OR p.end_date >= make_date(CAST(s.wave AS INTEGER), 1, 1)) "
        "ORDER BY s.wave, s.participant_id",
        [employer_id],
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for wave, _pid, *values in rows:
        out.setdefault(int(wave), []).append(
            dict(zip(load_study().employee_summary_items, values, strict=True))
        )
    return out


def interview_codes(con: duckdb.DuckDBPyConnection, employer_id: str) -> list[tuple[Any, ...]]:
    """(wave, factor, code, valence, segments) coded in this employer's own conversations:
    documents with this one employer (a focus group of several employers is not attributed to
    one, as in the interview figures). Codes only: segment texts stay in the restricted zone."""
    rows = con.execute(
        "WITH docs AS (SELECT region, wave, interview_ref FROM interviews "
        "  GROUP BY region, wave, interview_ref "
        "  HAVING count(DISTINCT employer_id) = 1 AND any_value(employer_id) = ?) "
        "SELECT s.wave, s.factor, s.code, s.valence, count(*) FROM interview_segments s "
        "JOIN docs d USING (region, wave, interview_ref) "
        "GROUP BY ALL ORDER BY s.wave, s.factor, s.code, s.valence",
        [employer_id],
    ).fetchall()
    return [tuple(r) for r in rows]


def interviews_table(rows: list[tuple[Any, ...]]) -> Table:
    """Per wave and code: how often it was coded bevorderend, belemmerend and neutraal."""
    from dwt.schema import load_code_system

    system = load_code_system("code_system")
    counts: dict[tuple[int, str, str], dict[str, int]] = {}
    for wave, factor, code, valence, n in rows:
        counts.setdefault((int(wave), str(factor), str(code)), {})[str(valence)] = int(n)
    order = {c.code: i for i, c in enumerate(system.codes)}
    body = tuple(
        (
            str(wave),
            system.node(factor).label.get("nl", factor),
            system.node(code).label.get("nl", code) if code != factor else "–",
            *(str(by.get(v, 0)) for v in ("bevorderend", "belemmerend", "neutraal")),
        )
        for (wave, factor, code), by in sorted(
            counts.items(), key=lambda kv: (kv[0][0], order.get(kv[0][2], len(order)))
        )
    )
    return Table(
        ("Meting", "Factor", "Code", "Bevorderend", "Belemmerend", "Neutraal"),
        body or (("–", "geen gecodeerde gesprekken", "", "", "", ""),),
        numeric=(3, 4, 5),
    )


# ---------------------------------------------------------------- the summary as tables


def _months(start: dt.date, stop: dt.date) -> float:
    return (stop - start).days / load_study().month_days


def placements_table(rows: list[dict[str, Any]], refs: dict[str, dt.date]) -> Table:
    """One row per placement: no ids, no personal attributes beyond the contract."""
    out = []
    for i, p in enumerate(rows, start=1):
        end = p["end_date"]
        stop = end or refs.get(p["region"], load_study().reference_date(load_study().last_wave))
        out.append(
            (
                str(i),
                p["start_date"].isoformat(),
                end.isoformat() if end else "",
                t.code_label("placements", "contract_type", p["contract_type"]),
                t.number(_months(p["start_date"], stop), 1),
                "beëindigd" if end else "loopt",
            )
        )
    return Table(
        ("Nr.", "Startdatum", "Einddatum", "Contractvorm", "Duur (maanden)", "Stand"),
        tuple(out),
        note="Duur: tot de einddatum, of tot de peildatum zolang de plaatsing loopt.",
        numeric=(0, 4),
    )


def _answer(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return t.number(value, 1)
    return str(value)


def employer_survey_table(rows: list[dict[str, Any]]) -> Table:
    """Questions down, waves across: the employer's own answers."""
    waves = [str(r["wave"]) for r in rows]
    names = [*load_study().employer_summary_items, *(c for c in measure_columns())]
    body = [
        (t.column_label("employer_survey", n), *(_answer(r.get(n)) for r in rows)) for n in names
    ]
    return Table(("Vraag", *waves), tuple(body), numeric=tuple(range(1, len(waves) + 1)))


def employee_aggregate_table(
    answers: dict[int, list[dict[str, Any]]], k: int, rounding: Any = None
) -> Table:
    """Means per wave over at least k respondents; otherwise "te weinig respondenten". The
    number of respondents is shown as the release shows counts ("<t" or rounded)."""
    from dwt.release import rounding_for

    rule = rounding if rounding is not None else rounding_for(k)
    rows = []
    for wave in sorted(answers):
        group = answers[wave]
        cells = []
        for item in load_study().employee_summary_items:
            values = [float(r[item]) for r in group if r[item] is not None]
            cells.append(t.number(sum(values) / len(values), 1) if len(values) >= k else t.TOO_FEW)
        n = len(group)
        rows.append((str(wave), t.count(rule.shown(n)), *cells))
    labels = tuple(
        t.column_label("employee_survey", i) for i in load_study().employee_summary_items
    )
    return Table(
        ("Meting", "Respondenten", *labels),
        tuple(rows),
        note=f"Gemiddelden over de werknemers van deze werkgever, alleen bij ten minste {k} "
        "respondenten; nooit antwoorden van één werknemer.",
        numeric=tuple(range(1, len(labels) + 2)),
    )


def measures_table(rows: list[dict[str, Any]], safe: dict[str, Any], region: str) -> Table:
    """Per wave and measure: this employer's answer beside the region's (safe) share."""
    measures = (safe.get("regions", {}).get(region) or {}).get("measures", {})
    body = []
    for r in rows:
        w = str(r["wave"])
        for m in measure_columns():
            share = ((measures.get(w) or {}).get(m) or {}).get("share")
            body.append((w, t.measure_label(m), _answer(r.get(m)), t.percent(share)))
    return Table(
        ("Meting", "Maatregel", "Deze werkgever", "Werkgevers in de regio"),
        tuple(body),
        note="Regio: aandeel van de werkgevers die de vragenlijst invulden; “–” bij te weinig "
        "werkgevers.",
        numeric=(3,),
    )


@dataclass(frozen=True)
class Summary:
    entry: DirectoryEntry
    report: Report  # the same tables, laid out by the report PDF renderer
    sheets: dict[str, Table]
    as_of: int


def build_summary(
    con: duckdb.DuckDBPyConnection,
    entry: DirectoryEntry,
    safe: dict[str, Any],
    k: int,
    snapshot: str,
) -> Summary:
    refs = reference_dates(con)
    placements = employer_rows(con, "placements", entry.employer_id, "start_date, placement_id")
    survey = employer_rows(con, "employer_survey", entry.employer_id, "wave")
    advisors = con.execute(
        "SELECT DISTINCT advisor_code FROM contacts WHERE employer_id = ? ORDER BY 1",
        [entry.employer_id],
    ).fetchall()
    region = entry.regions[0]
    as_of = max((d.year for r, d in refs.items() if r in entry.regions), default=0)
    ongoing = sum(1 for p in placements if p["end_date"] is None)
    summary = Table(
        ("", ""),
        (
            ("Werkgever", entry.employer_name),
            ("KvK-nummer", entry.employer_kvk),
            ("Regio", ", ".join(t.region_name(r) for r in entry.regions)),
            ("Arbeidsdeskundige(n)", ", ".join(str(a[0]) for a in advisors) or "–"),
            ("Plaatsingen", str(len(placements))),
            ("waarvan lopend", str(ongoing)),
            ("Stand na meting", str(as_of)),
            ("Gegevensbestand (snapshot)", snapshot),
        ),
    )
    sheets = {
        SHEETS[0]: summary,
        SHEETS[1]: placements_table(placements, refs),
        SHEETS[2]: employer_survey_table(survey),
        SHEETS[3]: employee_aggregate_table(employee_answers(con, entry.employer_id), k),
        SHEETS[4]: measures_table(survey, safe, region),
        SHEETS[5]: interviews_table(interview_codes(con, entry.employer_id)),
    }
    report = Report(
        stem=file_stem(entry.employer_id),
        title=f"Duurzaam Werk(t) — {entry.employer_name}",
        subtitle="Samenvatting voor de werkgever: plaatsingen, vragenlijsten en maatregelen",
        cover=tuple((a, b) for a, b in summary.rows),
        sections=tuple(
            Section(name, (*_intro(name, k), table)) for name, table in list(sheets.items())[1:]
        ),
    )
    return Summary(entry, report, sheets, as_of)


def _intro(sheet: str, k: int) -> tuple[Paragraph, ...]:
    if sheet == SHEETS[3]:
        return (Paragraph(f"Alleen gemiddelden over ten minste {k} werknemers worden getoond."),)
    if sheet == SHEETS[5]:
        return (
            Paragraph(
                "Factoren die de onderzoekers codeerden in de gesprekken met uw organisatie "
                "(interviews en werkplekobservaties): hoe vaak een code als bevorderend, "
                "belemmerend of neutraal is gecodeerd. Alleen codes, geen tekst uit de gesprekken."
            ),
        )
    return ()


def file_stem(employer_id: str) -> str:
    """Named by the pseudonym: no KvK or name in a file name."""
    return f"werkgever-{employer_id}"


# ---------------------------------------------------------------- writers


def _cell(value: str) -> str:
    return neutralise_formula(value)


def xlsx_bytes(summary: Summary) -> bytes:
    """The workbook, deterministic: fixed document properties and fixed zip entry times."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in summary.sheets.items():
        ws = wb.create_sheet(name)
        header = name != SHEETS[0]
        if header:
            ws.append([_cell(c) for c in table.columns])
            for cell in ws[1]:
                cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([_cell(c) for c in row])
        if table.note:
            ws.append([])
            ws.append([_cell(table.note)])
        for i, width in enumerate(_widths(table), start=1):
            ws.column_dimensions[_column_letter(i)].width = width
    fixed = dt.datetime(summary.as_of or 2000, 12, 31)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = wb.properties.lastModifiedBy = "dwt"
    wb.properties.title = "Duurzaam Werk(t) — samenvatting werkgever"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _fixed_zip_times(buffer.getvalue())


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i))


def _widths(table: Table) -> list[float]:
    cols = len(table.columns)
    return [min(60.0, 2 + max([len(str(r[i])) for r in (table.columns, *table.rows)]))
            for i in range(cols)]  # fmt: skip


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite a zip with every entry dated ZIP_EPOCH (zipfile stamps the wall clock)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write_summary(summary: Summary, xlsx_path: Path, k: int, snapshot: str) -> list[Path]:
    """The xlsx at `xlsx_path` and the PDF beside it (same stem)."""
    from dwt.reports.pdf import render_pdf

    pdf_path = xlsx_path.with_suffix(".pdf")
    write_atomic(xlsx_path, xlsx_bytes(summary))
    write_atomic(pdf_path, render_pdf(summary.report, snapshot, k, summary.as_of or 2000))
    return [xlsx_path, pdf_path]


# ---------------------------------------------------------------- summaries


def _safe_metrics(zone: ResearchZone, k: int) -> dict[str, Any]:
    from dwt.release import build_release, rounding_for

    try:
        return build_release(zone, rounding_for(k)).safe
    except NoCuratedData:
        return {"regions": {}}


def export_employers(
    zone: ResearchZone, k: int, entries: list[EmployerEntry], out_for: dict[str, Path]
) -> list[Path]:
    """One summary per entry, written to `out_for[employer_id]`."""
    from dwt.analytics.views import connect

    snapshot = zone.snapshot_id()
    safe = _safe_metrics(zone, k)
    con = connect(zone)
    written: list[Path] = []
    try:
        for entry in entries:
            summary = build_summary(con, entry, safe, k, snapshot)
            written += write_summary(summary, out_for[entry.employer_id], k, snapshot)
    finally:
        con.close()
    return written


def entries_for_advisor(
    zone: ResearchZone, lookup: EmployerLookup, advisor: str
) -> list[EmployerEntry]:
    """The directory entries of every employer `advisor` registered a contact with."""
    from dwt.analytics.views import connect

    con = connect(zone)
    try:
        ids = advisor_employers(con, advisor)
    finally:
        con.close()
    if not ids:
        raise UnknownEmployer(f"no employers with contacts by advisor {advisor!r}")
    entries = [lookup.by_id(employer_id) for employer_id in ids]
    return [e for e in entries if e is not None]


def entry_for_kvk(lookup: EmployerLookup, text: str) -> EmployerEntry:
    """The directory entry of the employer with this KvK number (as typed by the user)."""
    kvk = normalise_kvk(text)
    entry = lookup.by_kvk(kvk)
    if entry is None:
        raise UnknownEmployer(f"unknown KvK number {kvk}: no employer in the directory")
    return entry
