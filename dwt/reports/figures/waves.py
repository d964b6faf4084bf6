"""Figures per wave: means with a 95% band (`lines`, one panel per item) and shares (`bars`).

A wave without a shown value gets no mark: a line is only drawn between consecutive shown waves,
its band likewise; a shown wave alone between gaps is a marker with an interval bar.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dwt.reports.figures.style import COLOURS, MARKERS, WIDTH_INCHES, Marks, dutch

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from dwt.reports.model import Figure, Point

LINES_HEIGHT = 2.7
BARS_HEIGHT = 2.9


def _shown(p: Point) -> bool:
    return p.value is not None and math.isfinite(p.value)


def _runs(points: tuple[Point, ...]) -> list[list[int]]:
    """Indexes of consecutive shown points."""
    runs: list[list[int]] = []
    for i, p in enumerate(points):
        if not _shown(p):
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def lines(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure

    panels = figure.values
    fig = MplFigure(figsize=(WIDTH_INCHES, LINES_HEIGHT), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    mark = Marks()
    for i, (ax, values) in enumerate(zip(axes, panels, strict=True)):
        colour = COLOURS[i % len(COLOURS)]
        for run in _runs(values.points):
            pts = [values.points[j] for j in run]
            lows = [p.low if p.low is not None else p.value for p in pts]
            highs = [p.high if p.high is not None else p.value for p in pts]
            if len(run) > 1:
                mark(ax.fill_between(run, lows, highs, color=colour, alpha=0.18, lw=0))
            else:
                mark(ax.vlines(run, lows, highs, color=colour, lw=1.6))
            mark(
                ax.plot(
                    run,
                    [p.value for p in pts],
                    color=colour,
                    lw=1.8,
                    marker=MARKERS[i % len(MARKERS)],
                    ms=4.5,
                )
            )
        ax.set_xticks(range(len(values.points)), [p.category for p in values.points])
        ax.set_xlim(-0.4, len(values.points) - 0.6)
        if values.scale is not None:
            ax.set_ylim(*values.scale)
        ax.yaxis.set_major_formatter(lambda v, _pos: dutch(v, 1))
        ax.set_title(values.panel or values.label, fontsize=9)
        ax.set_xlabel("Meting")
    return fig


def bars(figure: Figure) -> MplFigure:
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import PercentFormatter

    series = figure.values
    categories = [p.category for p in series[0].points]
    fig = MplFigure(figsize=(WIDTH_INCHES, BARS_HEIGHT), layout="constrained")
    ax = fig.add_subplot()
    mark = Marks()
    width = 0.8 / len(series)
    top = 1.0
    for i, values in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(categories))]
        shown = [(x, p) for x, p in zip(xs, values.points, strict=True) if _shown(p)]
        if not shown:
            continue
        heights = [float(p.value) for _, p in shown if p.value is not None]
        container = ax.bar(
            [x for x, _ in shown],
            heights,
            width=width * 0.92,
            color=COLOURS[i % len(COLOURS)],
            label=values.label,
        )
        mark(list(container.patches))
        for (x, _), h in zip(shown, heights, strict=True):
            ax.annotate(
                f"{dutch(100 * h, 0)}%",
                (x, h),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
        top = max(top, *heights)
    ax.set_xticks(range(len(categories)), categories)
    ax.set_xlim(-0.6, len(categories) - 0.4)
    ax.set_ylim(0, top * 1.12)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(axis="x", visible=False)
    ax.set_axisbelow(True)
    ax.set_ylabel(figure.axis)
    ax.set_xlabel("Meting")
    if len(series) > 1:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(series), frameon=False)
    return fig
