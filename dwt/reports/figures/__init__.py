"""Report charts (matplotlib, Agg): one SVG per chart, inlined in the HTML and embedded as vector
graphics in the PDF (fpdf2 draws the same SVG), so both documents show the very same drawing.

Chart kinds (`Figure.chart`): `km` Kaplan–Meier steps with bands (`km.py`); `forest` hazard
ratios on a log axis and `dots` percentages with intervals per category (`intervals.py`);
`lines` means per wave with a band, one panel per item, and `bars` percentages per wave
(`waves.py`); `diverging` two opposite shares per category, left and right of zero
(`intervals.py`). Every chart draws only the points its `Figure` holds with a value: a suppressed
estimate is None in the safe tree and gets no mark (sections.py says so in the caption).

Reproducible bytes: a fixed `svg.hashsalt` (matplotlib otherwise salts element ids with a
random value), no RDF metadata (date, software) in the SVG, and text kept as text
(`svg.fonttype: none`): the browser draws it in its DejaVu Sans (or a fallback), the PDF in the
DejaVu Sans it embeds, and the file stays small.
Every data mark carries an id `mark-<n>` so a test (or a reader's tool) can tell marks from
axes and grid.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from dwt.reports.figures.style import RC
from dwt.reports.model import CHARTS, Figure, Report

_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure


def _drawer(chart: str) -> Callable[[Figure], MplFigure]:
    from dwt.reports.figures import intervals, km, waves

    drawers: dict[str, Callable[[Figure], MplFigure]] = {
        "km": km.draw,
        "forest": intervals.forest,
        "dots": intervals.dots,
        "lines": waves.lines,
        "bars": waves.bars,
        "diverging": intervals.diverging,
    }
    if chart not in CHARTS:
        raise ValueError(f"unknown chart kind {chart!r}")
    return drawers[chart]


def draw(figure: Figure) -> MplFigure:
    """The matplotlib figure of a chart (call inside `matplotlib.rc_context(RC)`)."""
    if not figure.drawn:
        raise ValueError(f"nothing to draw in {figure.title!r}")
    return _drawer(figure.chart)(figure)


def svg(figure: Figure) -> str:
    """The figure as an `<svg>` element (no XML prolog, no metadata), identical for identical
    input."""
    import matplotlib

    from dwt.reports.figures.canvas import Canvas

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = draw(figure)
        Canvas(fig)  # matplotlib's SVG canvas, with text measurements kept (canvas.py)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return _SVG_METADATA.sub("", text[text.index("<svg") :])


def drawn(report: Report) -> list[Figure]:
    """The report's figures that have something to draw, in reading order."""
    return [
        block
        for section in report.sections
        for block in section.blocks
        if isinstance(block, Figure) and block.drawn
    ]


def svgs(report: Report, drawn_before: dict[Figure, str] | None = None) -> dict[Figure, str]:
    """Every drawn figure of the report as SVG, drawn once for both the HTML and the PDF.

    `drawn_before`: the charts a run has drawn so far (`ReportSet.drawings`), filled in here.
    A chart several reports show (the regions compared, in every region report and the
    overview) is then drawn once per run: a figure is its data, so equal figures draw the same.
    """
    cache = drawn_before if drawn_before is not None else {}
    figures = drawn(report)
    for figure in figures:
        if figure not in cache:
            cache[figure] = svg(figure)
    return {figure: cache[figure] for figure in figures}
