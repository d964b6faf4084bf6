"""Estimates with intervals per category, one row each: forest plot and dot-and-interval chart.

Forest (`forest`): Cox hazard ratios on a log axis around 1 (no difference from the reference).
Dots (`dots`): percentages (0–100%) per factor level or per region, one marker per series
(R(12), R(24)) slightly apart on the same row. A point without a value gets no mark; a row whose
points all lack a value is still labelled, so the reader sees that it is left out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dwt.reports.figures.style import COLOURS, MARKERS, WIDTH_INCHES, Marks, dutch, rows_height
from dwt.reports.model import Figure, Point

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

HR_TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 10.0, 20.0)


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _interval(
    ax: Axes, mark: Marks, p: Point, y: float, colour: str, marker: str, label: str | None
) -> None:
    """One estimate at row `y`: its interval as a line, the estimate as a marker."""
    if p.value is None or not math.isfinite(p.value):
        return
    if p.low is not None and p.high is not None and _finite(p.low, p.high):
        mark(ax.hlines(y, p.low, p.high, color=colour, lw=1.6))
    mark(ax.plot([p.value], [y], marker=marker, ls="none", color=colour, ms=6, label=label))


def forest(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import FixedLocator, NullLocator

    points = figure.values[0].points
    fig = MplFigure(figsize=(WIDTH_INCHES, rows_height(len(points))), layout="constrained")
    ax = fig.add_subplot()
    mark = Marks()
    rows = list(range(len(points), 0, -1))
    for y, p in zip(rows, points, strict=True):
        _interval(ax, mark, p, y, COLOURS[0], "s", None)
    ax.axvline(1.0, color="#4a5560", lw=0.9, ls="--")
    shown = [
        v
        for p in points
        for v in (p.value, p.low, p.high)
        if v is not None and _finite(v) and v > 0
    ]
    low, high = min([*shown, 1.0]) / 1.25, max([*shown, 1.0]) * 1.25
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ticks = [t for t in HR_TICKS if low <= t <= high]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(ticks, [dutch(t) for t in ticks])
    ax.set_yticks(rows, [p.category for p in points])
    ax.set_ylim(0.4, len(points) + 0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(figure.axis or "Hazard ratio (logaritmische schaal)")
    return fig


def dots(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import PercentFormatter

    categories = [p.category for p in figure.values[0].points]
    several = len(figure.values) > 1
    size = (WIDTH_INCHES, rows_height(len(categories), legend=several))
    fig = MplFigure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    mark = Marks()
    rows = list(range(len(categories), 0, -1))
    step = 0.3 / max(len(figure.values) - 1, 1)
    for i, values in enumerate(figure.values):
        offset = (i - (len(figure.values) - 1) / 2) * step if several else 0.0
        labelled = False
        for y, p in zip(rows, values.points, strict=True):
            label = values.label if not labelled and p.value is not None else None
            labelled = labelled or label is not None
            _interval(
                ax, mark, p, y - offset, COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)], label
            )
    ax.set_xlim(0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_yticks(rows, categories)
    ax.set_ylim(0.4, len(categories) + 0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(figure.axis)
    if several:
        ax.legend(
            loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(figure.values), frameon=False
        )
    return fig


def diverging(figure: Figure) -> MplFigure:
    """Two shares per category drawn to opposite sides of zero: the first series to the right,
    the second to the left (e.g. factors named bevorderend / belemmerend). Axis in percent."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import FuncFormatter

    right, left = figure.values[0], figure.values[1]
    categories = [p.category for p in right.points]
    fig = MplFigure(figsize=(WIDTH_INCHES, rows_height(len(categories), legend=True)),
                    layout="constrained")  # fmt: skip
    ax = fig.add_subplot()
    mark = Marks()
    rows = list(range(len(categories), 0, -1))
    for sign, values, colour in ((1.0, right, COLOURS[2]), (-1.0, left, COLOURS[1])):
        labelled = False
        for y, p in zip(rows, values.points, strict=True):
            if p.value is None or not math.isfinite(p.value):
                continue
            label = None if labelled else values.label
            labelled = True
            mark(ax.barh([y], [sign * p.value], height=0.6, color=colour, label=label))
    ax.axvline(0.0, color="#4a5560", lw=0.9)
    ax.set_xlim(-1.0, 1.0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v) * 100:.0f}%"))
    ax.set_yticks(rows, categories)
    ax.set_ylim(0.4, len(categories) + 0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(figure.axis)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    return fig
