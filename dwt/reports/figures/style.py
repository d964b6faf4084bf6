"""What every chart shares: rc settings, colours, sizes, Dutch tick labels, mark ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.artist import Artist

INK = "#1d2329"  # the text colour of the HTML's body
COLOURS = ("#1f5f99", "#c8602a", "#3c8d4f", "#8a4f9e", "#a08a1e", "#5a6b78")
# R(t) and E(t) often coincide for months: dashes keep the line underneath visible.
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "D", "s", "^")
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
    # Not black: matplotlib then writes the colour on every <text> of the SVG. fpdf2 paints text
    # without a fill in its current fill colour (a table heading's pale blue), the browser black.
    "text.color": INK,
    "axes.labelcolor": INK,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
}
WIDTH_INCHES = 7.2
SIZE_INCHES = (WIDTH_INCHES, 3.6)
ROW_INCHES = 0.26  # one category row of a forest or dot chart


def rows_height(rows: int, legend: bool = False) -> float:
    """Height of a chart with one row per category: room for the axis, and the legend."""
    return max(1.9, 0.95 + (0.35 if legend else 0.0) + ROW_INCHES * rows)


def dutch(value: float, digits: int = 2) -> str:
    """A tick label the Dutch way: decimal comma, no trailing zeros ("0,5", "2")."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


class Marks:
    """Gives each data artist of one chart a unique id `mark-<n>` (its SVG group's id)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *artists: Artist | Sequence[Artist]) -> None:
        for item in artists:
            for artist in item if isinstance(item, Sequence) else [item]:
                self.count += 1
                artist.set_gid(f"mark-{self.count}")
