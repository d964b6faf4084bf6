"""The SVG canvas the charts are saved with: matplotlib's own, with its text measurements kept.

matplotlib measures every text (tick labels, axis labels, legend entries) several times per
chart: once for the constrained layout, again while drawing, each time with a new renderer, so
its own per-renderer cache starts empty for every chart. The measurements depend only on the
string, the font properties and the dpi (the SVG renderer draws no pixels, uses no hinting), and
every chart uses one font at a few sizes, so they are kept for the process here (valid because
every chart is drawn under `style.RC`: the font settings a measurement also depends on do not
change within a process). The renderer is matplotlib's `RendererSVG` otherwise: the SVG bytes
are the same as `FigureCanvasSVG`'s.

Imported lazily (by `figures.svg`): it imports matplotlib.
"""

from __future__ import annotations

import codecs
import functools
from typing import Any

from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.textpath import TextToPath

# Text sizes (font properties x string) of one run's charts: a few thousand at most.
MEASURED = 8192
_TEXT_TO_PATH = TextToPath()


@functools.lru_cache(maxsize=MEASURED)
def _text_size(text: str, prop: FontProperties, ismath: Any) -> tuple[float, float, float]:
    # What RendererSVG.get_text_width_height_descent returns: its TextToPath measures with no
    # hinting at 72 dpi, whatever the renderer.
    return _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath)


@functools.lru_cache(maxsize=MEASURED)
def _font_height(prop: FontProperties, dpi: float) -> tuple[float | None, float | None, float]:
    """(ascent, descent, line gap) of the font, as `Text._get_layout` computes them itself when
    the renderer has no `_get_font_height_metrics` (the same tables, the same arithmetic)."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    sfnt_table: Any = font.get_sfnt_table  # typed per table name; the names vary here
    possible = [
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ]
    for table_name, linegap_key, ascent_key, descent_key in possible:
        table = sfnt_table(table_name)
        if table is None:
            continue
        fontsize = prop.get_size_in_points()
        units_per_em = sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * fontsize * dpi / 72
        return (
            table[ascent_key] * scale,
            -table[descent_key] * scale,
            table[linegap_key] * scale,
        )
    return None, None, 0.0  # Text._get_layout then measures "lp" itself


class _Renderer(RendererSVG):
    """RendererSVG whose text measurements come from the process-wide caches above."""

    def __init__(self, figure: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._figure = figure

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        return _text_size(s, prop.copy(), ismath)  # a copy: FontProperties is mutable

    def _get_font_height_metrics(
        self, prop: FontProperties
    ) -> tuple[float | None, float | None, float]:
        # Text._get_layout uses the figure's dpi at the time of the call (72 while saving).
        return _font_height(prop.copy(), self._figure.dpi)


class Canvas(FigureCanvasSVG):
    """A figure's canvas that saves SVG with `_Renderer` (`figure.savefig(..., format="svg")`)."""

    def print_svg(
        self,
        filename: Any,
        *,
        bbox_inches_restore: Any = None,
        metadata: Any = None,
        **_figure_options: Any,
    ) -> None:
        # FigureCanvasSVG.print_svg (matplotlib 3.11), with the renderer class replaced.
        # print_figure hands a canvas outside matplotlib every option it has (dpi, facecolor,
        # edgecolor, orientation); it has set them on the figure already, as for its own.
        fh: Any
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            w, h = width * 72, height * 72
            renderer: Any = MixedModeRenderer(
                self.figure,
                width,
                height,
                dpi,
                _Renderer(self.figure, w, h, fh, image_dpi=dpi, metadata=metadata),
                bbox_inches_restore=bbox_inches_restore,
            )
            self.figure.draw(renderer)
            renderer.finalize()
