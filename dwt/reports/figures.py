"""Kaplan–Meier figures (matplotlib, Agg): inline SVG for HTML, PNG for PDF.

Reproducible bytes: a fixed `svg.hashsalt` (matplotlib otherwise salts element ids with a
random value), no Date in SVG metadata, no Software in PNG metadata, and text kept as text in
SVG (`svg.fonttype: none`) so the browser's fonts draw it and the file stays small.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from dwt.reports.model import Figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

COLOURS = ("#1f5f99", "#c8602a", "#3c8d4f", "#8a4f9e", "#a08a1e", "#5a6b78")
# R(t) and E(t) often coincide for months: dashes keep the line underneath visible.
LINESTYLES = ("-", "--", "-.", ":")
RC: dict[str, Any] = {
    "svg.hashsalt": "dwt-duurzaam-werkt",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}
SIZE_INCHES = (7.2, 3.6)
MONTH_TICKS = (0, 12, 24, 36, 48, 60)


def _draw(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import PercentFormatter

    fig = MplFigure(figsize=SIZE_INCHES, layout="constrained")
    ax = fig.add_subplot()
    longest = 0.0
    for i, s in enumerate(figure.series):
        colour = COLOURS[i % len(COLOURS)]
        months = list(s.months)
        ax.fill_between(months, s.low, s.high, step="post", color=colour, alpha=0.15, lw=0)
        style = LINESTYLES[i % len(LINESTYLES)]
        ax.step(months, s.survival, where="post", color=colour, lw=1.8, ls=style, label=s.label)
        longest = max(longest, months[-1])
    limit = next((t for t in MONTH_TICKS if t >= longest), MONTH_TICKS[-1])
    ax.set_xlim(0, max(limit, 36))
    ax.set_xticks([t for t in MONTH_TICKS if t <= max(limit, 36)])
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Maanden sinds start plaatsing")
    ax.set_ylabel("Deel van de plaatsingen")
    ax.legend(loc="lower left", frameon=False)
    return fig


def svg(figure: Figure) -> str:
    """The figure as an inline `<svg>` element (no XML prolog), identical for identical input."""
    import matplotlib

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = _draw(figure)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png(figure: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes, identical for identical input."""
    import matplotlib

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        fig = _draw(figure)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
