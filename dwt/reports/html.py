"""Self-contained HTML (jinja2): styles inline, figures as inline SVG, no external references.

The SVG's namespace and RDF metadata are dropped: inline SVG in HTML needs neither, and the
page then holds no URL at all, so nothing can trigger a network request.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.reports import figures
from dwt.reports.model import Figure, Report

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


@functools.cache
def environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def inline_svg(figure: Figure) -> str:
    """The figure as an `<svg>` element with no URLs in it (namespaces, RDF metadata)."""
    text = _SVG_METADATA.sub("", figures.svg(figure))
    return _SVG_XMLNS.sub("", text)


def render_report(report: Report, snapshot: str, k: int) -> str:
    svgs = {
        block: inline_svg(block)
        for section in report.sections
        for block in section.blocks
        if isinstance(block, Figure) and block.series
    }
    template = environment().get_template("report.html.j2")
    return template.render(report=report, svgs=svgs, snapshot=snapshot, k=k)


def render_index(rows: Sequence[dict[str, Any]], as_of: int, snapshot: str) -> str:
    """The index page: one row per report with links to its HTML and PDF (relative)."""
    template = environment().get_template("index.html.j2")
    return template.render(rows=rows, as_of=as_of, snapshot=snapshot)
