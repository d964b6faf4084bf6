"""Self-contained HTML (jinja2): styles inline, figures as inline SVG, no external references.

The SVG's namespace and RDF metadata are dropped: inline SVG in HTML needs neither, and the
page then holds no URL at all, so nothing can trigger a network request. Each chart is a
`<figure>`: the SVG with `role="img"`, its alt text as `aria-label` and `<title>`, and a
`<figcaption>` with the same caption the PDF prints.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwt.reports import figures
from dwt.reports.model import Figure, Report

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SVG_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
# Element ids and the references to them (clip paths, markers): prefixed per figure, because a
# page holds several matplotlib SVGs and each of them numbers its groups from 1.
_SVG_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


@functools.cache
def environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def inline_svg(figure: Figure, number: int = 1, drawing: str | None = None) -> str:
    """The figure (or its `drawing`, `figures.svg`) as an accessible `<svg>` with no URLs.

    Namespaces are dropped; ids get the prefix `fig<number>-`; the root says `role="img"`,
    carries the alt text as `aria-label` and, as its first child, a `<title>`.
    """
    text = _SVG_XMLNS.sub("", drawing if drawing is not None else figures.svg(figure))
    text = _SVG_IDS.sub(lambda m: f"{m.group(1)}fig{number}-{m.group(2)}", text)
    alt = html.escape(figure.alt or figure.title, quote=True)
    head = text.index(">") + 1  # end of the <svg ...> start tag
    return f'{text[: head - 1]} role="img" aria-label="{alt}">\n <title>{alt}</title>{text[head:]}'


def render_report(
    report: Report, snapshot: str, k: int, drawings: Mapping[Figure, str] | None = None
) -> str:
    """The report as one self-contained page; `drawings` (`figures.svgs`) saves drawing twice."""
    drawings = drawings if drawings is not None else figures.svgs(report)
    svgs = {
        block: inline_svg(block, i, drawings[block])
        for i, block in enumerate(figures.drawn(report), 1)
    }
    template = environment().get_template("report.html.j2")
    return template.render(report=report, svgs=svgs, snapshot=snapshot, k=k)


def render_index(rows: Sequence[dict[str, Any]], as_of: int, snapshot: str) -> str:
    """The index page: one row per report with links to its HTML and PDF (relative)."""
    template = environment().get_template("index.html.j2")
    return template.render(rows=rows, as_of=as_of, snapshot=snapshot)
