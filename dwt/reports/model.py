"""The report as a document tree that both renderers (HTML, PDF) lay out the same way.

Everything in it is already safe to show (disclosure control applied) and already worded and
formatted in Dutch, so the renderers make no decisions about content: they only place it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    note: str = ""
    # Column indexes holding numbers (right-aligned by both renderers).
    numeric: tuple[int, ...] = ()
    kind: str = "table"


@dataclass(frozen=True)
class Series:
    """One drawn Kaplan–Meier curve: step points in months with the 95% band."""

    label: str
    months: tuple[float, ...]
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


@dataclass(frozen=True)
class Point:
    """One shown estimate of a category (a factor level, a wave, a region) with its interval.

    `value` None: the safe tree does not show it (suppressed, hidden, not delivered), so no mark
    is drawn for it. `low`/`high` None: no interval is known (then no interval line either).
    """

    category: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Values:
    """A named row of estimates over the same categories: one marker, bar or line series.

    `panel` puts series in small multiples side by side (each its own scale), e.g. the three
    trajectory items; `scale` is the panel's value range (low, high) when it is fixed.
    """

    label: str
    points: tuple[Point, ...]
    panel: str = ""
    scale: tuple[float, float] | None = None


# What a chart draws: Kaplan–Meier steps; hazard ratios on a log axis (forest plot);
# percentages with intervals per category (dot-and-interval); means per wave with a band
# (line-with-band, one panel per item); percentages per wave (bars); two opposite shares per
# category, one to each side of zero (diverging bars).
CHARTS = ("km", "forest", "dots", "lines", "bars", "diverging")


@dataclass(frozen=True)
class Figure:
    """One chart: what it draws (already safe), its Dutch caption and alt text.

    `not_drawn` names what was left out (a group under the threshold, a suppressed estimate,
    a survey not delivered) and `omitted` is the sentence saying so, worded by `sections`.
    The numbers of every chart are in a `Table` beside it: the figure never holds the only copy.
    """

    title: str
    series: tuple[Series, ...] = ()  # chart "km"
    caption: str = ""
    not_drawn: tuple[str, ...] = ()
    chart: str = "km"
    values: tuple[Values, ...] = ()  # every other chart
    alt: str = ""
    omitted: str = ""
    axis: str = ""  # the value axis label
    kind: str = "figure"

    @property
    def drawn(self) -> bool:
        """Whether there is at least one mark to draw (else only the caption is shown)."""
        if self.chart == "km":
            return bool(self.series)
        return any(p.value is not None for v in self.values for p in v.points)

    @property
    def full_caption(self) -> str:
        """The caption both renderers print under the chart: title, caption, what is left out."""
        return " ".join(part for part in (f"{self.title}.", self.caption, self.omitted) if part)


Block = Paragraph | Table | Figure


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    anchor: str = ""


@dataclass(frozen=True)
class Report:
    """One output document (a region, or the overview of all regions)."""

    stem: str  # file name without extension, e.g. duurzaamheid-haaglanden-2019
    title: str
    subtitle: str
    cover: tuple[tuple[str, str], ...]  # label, value pairs on the cover
    sections: tuple[Section, ...]
    region: str | None = None


@dataclass(frozen=True)
class ReportSet:
    """Every report of one run, plus what the index page needs."""

    as_of: int
    snapshot: str
    k: int
    regions: dict[str, Report] = field(default_factory=dict)
    overview: Report | None = None
    timings: dict[str, Any] = field(default_factory=dict)
    release: Any = None  # the dwt.release.decide.Release every figure of these reports came from
    # The charts drawn so far in this run, as SVG (`figures.svgs`): one drawing per chart, even
    # when several reports show it. Not part of the model: it starts empty and is never compared.
    drawings: dict[Figure, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def threshold(self) -> int:
        """The smallest count shown (k, raised by the rounding rule): what the wording cites."""
        return int(self.release.rounding.threshold) if self.release is not None else self.k
