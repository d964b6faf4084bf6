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
class Figure:
    title: str
    series: tuple[Series, ...]
    caption: str
    not_drawn: tuple[str, ...] = ()  # groups left out because they hold fewer than k placements
    kind: str = "figure"


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

    @property
    def threshold(self) -> int:
        """The smallest count shown (k, raised by the rounding rule): what the wording cites."""
        return int(self.release.rounding.threshold) if self.release is not None else self.k
