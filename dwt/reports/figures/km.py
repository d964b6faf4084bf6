"""Kaplan–Meier curves: R(t) and E(t) of a group, or R(t) of every region, with 95% bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dwt.reports.figures.style import COLOURS, LINESTYLES, SIZE_INCHES, Marks
from dwt.reports.model import Figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

MONTH_TICKS = (0, 12, 24, 36, 48, 60)


def draw(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import PercentFormatter

    fig = MplFigure(figsize=SIZE_INCHES, layout="constrained")
    ax = fig.add_subplot()
    mark = Marks()
    longest = 0.0
    for i, s in enumerate(figure.series):
        colour = COLOURS[i % len(COLOURS)]
        months = list(s.months)
        band = ax.fill_between(months, s.low, s.high, step="post", color=colour, alpha=0.15, lw=0)
        style = LINESTYLES[i % len(LINESTYLES)]
        lines = ax.step(
            months, s.survival, where="post", color=colour, lw=1.8, ls=style, label=s.label
        )
        mark(band, lines)
        longest = max(longest, months[-1])
    limit = next((t for t in MONTH_TICKS if t >= longest), MONTH_TICKS[-1])
    ax.set_xlim(0, max(limit, 36))
    ax.set_xticks([t for t in MONTH_TICKS if t <= max(limit, 36)])
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Maanden sinds start plaatsing")
    ax.set_ylabel(figure.axis or "Deel van de plaatsingen")
    ax.legend(loc="lower left", frameon=False)
    return fig
