"""PDF rendering (fpdf2) of the same document tree the HTML shows.

Byte-identical for the same lake: the creation date is the as-of wave's reference date (not the
clock), charts are the deterministic SVGs the HTML shows (fpdf2 draws them as vector graphics),
and fpdf2 derives the file ID from the content.
The font is the DejaVu Sans matplotlib ships, so the PDF looks the same on every machine and
the Dutch characters (–, ≥, ë, ×) are available.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dwt.reports import figures
from dwt.reports.model import Figure, Paragraph, Report, Table

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"
# The family the charts' SVG text names (matplotlib's font.family): fpdf2 draws it with this font.
CHART_FONT = "DejaVu Sans"
BLUE = (31, 95, 153)
GREY = (74, 85, 96)
PAGE_WIDTH_MM = 180  # A4 minus 15 mm margins
LINE_MM = 4.6


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def creation_date(as_of: int) -> dt.datetime:
    """A fixed creation date: the reference date of the as-of wave, never the clock."""
    return dt.datetime(as_of, 12, 31, tzinfo=dt.UTC)


def _document(title: str, as_of: int) -> FPDF:
    from fpdf import FPDF

    class ReportPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, size=8)
            self.set_text_color(*GREY)
            self.cell(0, 6, f"{title} · pagina {self.page_no()}/{{nb}}", align="C")

    pdf = ReportPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, "", str(font_dir() / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(font_dir() / "DejaVuSans-Bold.ttf"))
    pdf.add_font(CHART_FONT, "", str(font_dir() / "DejaVuSans.ttf"))
    pdf.set_creation_date(creation_date(as_of))
    pdf.set_title(title)
    pdf.set_author("Duurzaam Werk(t) — NVvA en Arbeidsdeskundig Kennis Centrum")
    pdf.set_creator("dwt")
    pdf.set_lang("nl")
    return pdf


def _cover(pdf: FPDF, report: Report) -> None:
    pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*BLUE)
    pdf.cell(0, 6, "Duurzaam Werk(t) · NVvA en Arbeidsdeskundig Kennis Centrum", new_x="LMARGIN",
             new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(0, 9, report.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 7, report.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(0, 0, 0)
    for label, value in report.cover:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(64, 6, label)
        pdf.set_font(FONT, "", 8 if len(value) > 40 else 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.8)
    pdf.line(15, pdf.get_y(), 195, pdf.get_y())
    pdf.set_line_width(0.2)
    pdf.set_draw_color(185, 199, 211)
    pdf.ln(6)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > 240:  # keep a heading with what follows it
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, "B", 13)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(0, 5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _col_widths(pdf: FPDF, block: Table) -> tuple[float, ...]:
    """Natural column widths (longest cell; headings may wrap between words), in mm.

    Scaled down proportionally when the table would be wider than the page.
    """
    pad = 2 * pdf.c_margin + 1.5
    size = pdf.font_size_pt
    pdf.set_font(FONT, "B", size)  # headings are bold: measure their words in bold
    words = [[pdf.get_string_width(w) for w in str(h).split()] or [0.0] for h in block.columns]
    pdf.set_font(FONT, "", size)
    widths, minima = [], []
    for i, heading_words in enumerate(words):
        cells = [pdf.get_string_width(str(row[i])) for row in block.rows] or [0.0]
        widths.append(max(max(heading_words), max(cells)) + pad)
        minima.append(max(heading_words) + pad)  # never break a heading inside a word
    total, floor = sum(widths), sum(minima)
    if total > PAGE_WIDTH_MM and floor < PAGE_WIDTH_MM:
        # Shrink only what each column has beyond its minimum, proportionally.
        share = (PAGE_WIDTH_MM - floor) / (total - floor)
        widths = [m + (w - m) * share for w, m in zip(widths, minima, strict=True)]
    elif total > PAGE_WIDTH_MM:
        widths = [w * PAGE_WIDTH_MM / total for w in widths]
    return tuple(widths)


def _lines(pdf: FPDF, width: float, text: str) -> int:
    """How many lines `text` takes in a cell of `width` (one unless it must wrap)."""
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return 1
    lines = pdf.multi_cell(width, LINE_MM, text, dry_run=True, output="LINES")
    return len(lines) if isinstance(lines, list) else 1


def _cell_lines(pdf: FPDF, cells: tuple[str, ...], widths: tuple[float, ...]) -> tuple[int, ...]:
    """How many lines each cell of a row takes (in the current font)."""
    return tuple(_lines(pdf, w, c) for w, c in zip(widths, cells, strict=True))


def _row(pdf: FPDF, cells: tuple[str, ...], widths: tuple[float, ...], align: tuple[str, ...],
         heading: bool, lines: tuple[int, ...] | None = None) -> float:  # fmt: skip
    """One table row at the cursor (cells wrap when needed); returns its height.

    `lines`: each cell's line count (`_cell_lines`), when the caller measured them already.
    """
    x0, y0 = pdf.l_margin, pdf.get_y()
    lines = lines if lines is not None else _cell_lines(pdf, cells, widths)
    height = max(lines) * LINE_MM
    if heading:
        pdf.set_fill_color(238, 243, 247)
        pdf.rect(x0, y0, sum(widths), height, style="F")
    x = x0
    for w, c, a, n in zip(widths, cells, align, lines, strict=True):
        pdf.set_xy(x, y0)
        if n == 1:
            pdf.cell(w, LINE_MM, c, align=a)
        else:
            pdf.multi_cell(w, LINE_MM, c, align=a)
        x += w
    pdf.line(x0, y0 + height, x0 + sum(widths), y0 + height)
    pdf.set_xy(x0, y0 + height)
    return height


def _table(pdf: FPDF, block: Table) -> None:
    """A table drawn cell by cell (fpdf2's table() is several times slower for the same look)."""
    size = 8.5 if len(block.columns) <= 5 else 7.5
    if pdf.get_y() > pdf.page_break_trigger - 4 * LINE_MM:
        pdf.add_page()
    if block.caption:
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(0, 5, block.caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", size)
    widths = _col_widths(pdf, block)
    align = tuple("R" if i in block.numeric else "L" for i in range(len(block.columns)))
    columns = tuple(str(c) for c in block.columns)

    def heading() -> None:
        pdf.set_font(FONT, "B", size)
        _row(pdf, columns, widths, align, heading=True)
        pdf.set_font(FONT, "", size)

    heading()
    for row in block.rows:
        cells = tuple(str(c) for c in row)
        lines = _cell_lines(pdf, cells, widths)  # measured once: wrapping a cell is costly
        if pdf.get_y() + max(lines) * LINE_MM > pdf.page_break_trigger:
            pdf.add_page()
            heading()  # repeat the column headings on the new page
        _row(pdf, cells, widths, align, heading=False, lines=lines)
    if block.note:
        pdf.ln(0.8)
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 4, block.note, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _figure(pdf: FPDF, block: Figure, drawing: str | None) -> None:
    """The chart as vector graphics (the very SVG the HTML inlines), alt text, its caption."""
    if drawing is not None:
        width_pt, height_pt = _svg_size(drawing)
        width = float(PAGE_WIDTH_MM)
        height = width * height_pt / width_pt
        room = pdf.page_break_trigger - pdf.t_margin - 12  # a page, less the caption's lines
        if height > room:  # a tall chart (many rows) is scaled down to fit one page
            width, height = width * room / height, room
        if pdf.get_y() + height + 10 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_fill_color(0, 0, 0)  # what an SVG element without a fill would be painted in
        pdf.image(
            io.BytesIO(drawing.encode("utf-8")),
            w=width,
            h=height,
            alt_text=block.alt or block.title,
        )
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4.2, block.full_caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _svg_size(drawing: str) -> tuple[float, float]:
    """Width and height (pt) that matplotlib wrote on the `<svg>` element."""
    head = drawing[: drawing.index(">")]
    width = head.split('width="', 1)[1].split("pt", 1)[0]
    height = head.split('height="', 1)[1].split("pt", 1)[0]
    return float(width), float(height)


def render_pdf(
    report: Report,
    snapshot: str,
    k: int,
    as_of: int,
    drawings: Mapping[Figure, str] | None = None,
) -> bytes:
    """The report as PDF bytes, identical for identical input.

    `drawings` (`figures.svgs`): the charts already drawn for the HTML, so each is drawn once.
    """
    drawings = drawings if drawings is not None else figures.svgs(report)
    pdf = _document(report.title, as_of)
    _cover(pdf, report)
    for section in report.sections:
        _heading(pdf, section.title)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                _paragraph(pdf, block)
            elif isinstance(block, Table):
                _table(pdf, block)
            else:
                _figure(pdf, block, drawings.get(block))
    pdf.set_font(FONT, "", 7.5)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4, f"Gemaakt met dwt uit gegevensbestand (snapshot) {snapshot}.",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())
