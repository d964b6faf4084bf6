"""One template for HTML and PDF? Measures WeasyPrint (HTML -> PDF) against the fpdf2 renderer.

    python -m bench.pdf_engines CURATED [--rounds 3]

For every report of the lake's release (regions and overview), after a warm-up round that pays
imports and font loading: the seconds to draw the charts (shared by both ways), to render the
fpdf2 PDF, and to render the report's own HTML to PDF with WeasyPrint; and whether two renders
of the same report give the same bytes. Prints one JSON object.

WeasyPrint is not a dependency of dwt (bench/NOTES.md says why): run this with it importable,
e.g. `pip install --target /tmp/wp weasyprint==70.0` (and its pure-Python dependencies) and
`PYTHONPATH=/tmp/wp`. It needs the system's pango (Debian: libpango-1.0-0, libpangoft2-1.0-0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path
from typing import Any

# WeasyPrint's print layout: A4 with the fpdf2 renderer's margins, DejaVu Sans from matplotlib
# (the HTML itself names no file, so the font is given here), a fixed creation date.
PRINT_CSS = """
@page {{ size: A4; margin: 15mm 15mm 18mm; }}
@font-face {{ font-family: "DejaVu Sans"; src: url("{regular}"); }}
@font-face {{ font-family: "DejaVu Sans"; font-weight: bold; src: url("{bold}"); }}
body {{ max-width: none; padding: 0; font-size: 9.5pt; }}
figure svg {{ width: 100%; height: auto; }}
"""


def _weasyprint_pdf(page: str, css: Any, as_of: int) -> bytes:
    import weasyprint

    meta = f'<meta name="dcterms.created" content="{as_of}-12-31T00:00:00Z">'
    document = weasyprint.HTML(string=page.replace("<head>", "<head>\n" + meta, 1))
    return bytes(document.write_pdf(stylesheets=[css], uncompressed_pdf=False))


def measure(curated: Path, rounds: int) -> dict[str, Any]:
    import weasyprint

    from dwt.reports.build import build_reports
    from dwt.reports.figures import svgs
    from dwt.reports.html import render_report
    from dwt.reports.pdf import font_dir, render_pdf
    from dwt.zones import ResearchZone

    report_set = build_reports(ResearchZone(curated), 5)
    reports = {**report_set.regions, "overzicht": report_set.overview}
    css = weasyprint.CSS(
        string=PRINT_CSS.format(
            regular=(font_dir() / "DejaVuSans.ttf").as_uri(),
            bold=(font_dir() / "DejaVuSans-Bold.ttf").as_uri(),
        )
    )
    snap, k, as_of = report_set.snapshot, report_set.threshold, report_set.as_of
    out: dict[str, Any] = {"weasyprint": weasyprint.__version__, "reports": {}}
    for round_ in range(rounds + 1):  # round 0 is the warm-up
        for name, report in reports.items():
            if report is None:
                continue
            t0 = time.perf_counter()
            drawings = svgs(report)
            t1 = time.perf_counter()
            page = render_report(report, snap, k, drawings)
            t2 = time.perf_counter()
            fpdf = render_pdf(report, snap, k, as_of, drawings)
            t3 = time.perf_counter()
            weasy = _weasyprint_pdf(page, css, as_of)
            t4 = time.perf_counter()
            if round_ == 0:
                continue
            row = out["reports"].setdefault(
                name, {"charts": len(drawings), "draw_s": [], "html_s": [], "fpdf2_s": [],
                       "weasyprint_s": [], "fpdf2_sha": set(), "weasyprint_sha": set(),
                       "fpdf2_kib": len(fpdf) // 1024, "weasyprint_kib": len(weasy) // 1024}
            )  # fmt: skip
            row["draw_s"].append(t1 - t0)
            row["html_s"].append(t2 - t1)
            row["fpdf2_s"].append(t3 - t2)
            row["weasyprint_s"].append(t4 - t3)
            row["fpdf2_sha"].add(hashlib.sha256(fpdf).hexdigest())
            row["weasyprint_sha"].add(hashlib.sha256(weasy).hexdigest())
    for row in out["reports"].values():
        for key in ("draw_s", "html_s", "fpdf2_s", "weasyprint_s"):
            row[key] = round(statistics.median(row[key]), 3)
        for engine in ("fpdf2", "weasyprint"):
            hashes = sorted(row.pop(f"{engine}_sha"))
            row[f"{engine}_same_bytes"] = len(hashes) == 1
            row[f"{engine}_sha256"] = hashes[0][:16]  # compare across processes and machines
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("curated", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.curated, args.rounds), indent=1))


if __name__ == "__main__":
    main()
