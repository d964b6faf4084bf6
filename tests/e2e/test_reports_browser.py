"""The reports looked at as a person would: HTML in headless Chromium, PDF pages as images.

Each page is rendered to PNG and must not be blank (enough non-white pixels). Needs the
system tools scripts/install-system-deps.sh installs (chromium, pdftoppm); they are not
optional, so a missing tool fails the test rather than skipping it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.reports_lake import write_lake
from matplotlib import image

from dwt.reports import sections
from dwt.reports.html import render_report
from dwt.reports.model import Report, Section
from dwt.zones import ResearchZone
from flows.report import run_reports

pytestmark = pytest.mark.slow
# A blank white page has 0; a page of report text and a figure has several percent.
MIN_INK_SHARE = 0.01
REGIONS = ("haaglanden", "midden-gelderland", "west-brabant")
# Run in Chromium on a copy of a report (the reports themselves hold no script): per chart its
# box on the page, its role and alt text, and its data marks (`mark-<n>` groups) with the
# shapes inside them that have a non-empty bounding box and lie inside the chart's box.
PROBE = """
<pre id="dwt-probe"></pre>
<script>
const charts = [...document.querySelectorAll("figure.chart")].map((f) => {
  const svg = f.querySelector("svg");
  const caption = f.querySelector("figcaption").textContent;
  if (!svg) return {drawn: false, caption};
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('g[id*="mark-"]')];
  const shapes = marks.flatMap((m) => [...m.querySelectorAll("path, use, rect")]);
  const inside = shapes.filter((s) => {
    const b = s.getBBox(), r = s.getBoundingClientRect();
    return (b.width > 0 || b.height > 0) && r.right >= box.left - 1 && r.left <= box.right + 1
      && r.bottom >= box.top - 1 && r.top <= box.bottom + 1;
  });
  return {
    drawn: true, caption, role: svg.getAttribute("role"), label: svg.getAttribute("aria-label"),
    title: svg.querySelector("title") ? svg.querySelector("title").textContent : null,
    x: box.left + window.scrollX, y: box.top + window.scrollY, width: box.width,
    height: box.height, paths: svg.querySelectorAll("path").length, marks: marks.length,
    painted: inside.length,
  };
});
document.getElementById("dwt-probe").textContent = JSON.stringify(
  {height: document.documentElement.scrollHeight, charts});
</script>
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lake = write_lake(tmp_path_factory.mktemp("lake"))
    out = tmp_path_factory.mktemp("reports")
    return {"dir": out, **run_reports(ResearchZone(lake.curated), out, 5)}


def ink_share(png: Path) -> float:
    """Share of pixels that are not (near) white."""
    pixels = np.asarray(image.imread(str(png)))[..., :3]
    return float((pixels.min(axis=-1) < 0.92).mean())


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is missing: run scripts/install-system-deps.sh"
    return found


def headless(profile: Path, *args: str) -> str:
    done = subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", *args,
        ],
        check=True, capture_output=True, timeout=120, text=True,
    )  # fmt: skip
    return done.stdout


def screenshot(page: Path, png: Path, profile: Path, height: int = 2000) -> None:
    headless(
        profile, f"--screenshot={png}", f"--window-size=1280,{height}", page.resolve().as_uri()
    )


def probe(page: Path, tmp_path: Path) -> dict[str, Any]:
    """What Chromium laid out for every chart of `page` (run on a copy with the probe added)."""
    copy = tmp_path / f"probe-{page.name}"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    dom = headless(tmp_path / "profile", "--window-size=1280,2000", "--dump-dom",
                   copy.resolve().as_uri())  # fmt: skip
    found = re.search(r'<pre id="dwt-probe">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), f"the probe did not run on {page.name}"
    return dict(json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")))


def coloured_pixels(png: Path, chart: dict[str, Any]) -> int:
    """Pixels of the chart's box in a colour (the marks' blue, orange, green), not grey/black."""
    pixels = np.asarray(image.imread(str(png)))[..., :3]
    x, y = int(chart["x"]), int(chart["y"])
    box = pixels[y : y + int(chart["height"]), x : x + int(chart["width"])]
    return int((box.max(axis=-1) - box.min(axis=-1) > 0.25).sum())


def assert_drawn(chart: dict[str, Any], name: str) -> None:
    assert chart["role"] == "img" and chart["label"] and chart["title"] == chart["label"], name
    assert chart["width"] > 200 and chart["height"] > 80, (name, chart["caption"])
    assert chart["paths"] > 0 and chart["marks"] > 0, (name, chart["caption"])
    assert chart["painted"] > 0, (name, chart["caption"])


def test_every_html_report_renders_to_a_page_that_is_not_blank(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    pages = sorted(reports["dir"].glob("*.html"))
    assert len(pages) == 5  # three regions, the overview, the index
    for page in pages:
        png = tmp_path / f"{page.stem}.png"
        screenshot(page, png, tmp_path / "profile")
        assert png.exists(), page.name
        assert ink_share(png) > MIN_INK_SHARE, page.name


@pytest.mark.parametrize("region", REGIONS)
def test_a_region_report_has_at_least_five_charts_and_each_is_drawn_or_says_why_not(
    reports: dict[str, Any], tmp_path: Path, region: str
) -> None:
    page = reports["dir"] / f"duurzaamheid-{region}-2019.html"
    charts = probe(page, tmp_path)["charts"]
    assert len(charts) >= 5, region
    for chart in charts:
        if chart["drawn"]:
            assert_drawn(chart, region)
        else:  # nothing could be shown (too few placements, respondents, contacts)
            assert "Niet getekend" in chart["caption"], (region, chart["caption"])


def test_the_full_region_report_draws_at_least_five_charts_in_colour(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    """Haaglanden (30 placements): curves, factor levels, trajectories, response, risk, regions."""
    page = reports["dir"] / "duurzaamheid-haaglanden-2019.html"
    found = probe(page, tmp_path)
    drawn = [c for c in found["charts"] if c["drawn"]]
    assert len(drawn) >= 5
    png = tmp_path / "haaglanden.png"
    screenshot(page, png, tmp_path / "profile", height=int(found["height"]))
    for chart in drawn:
        assert_drawn(chart, "haaglanden")
        assert coloured_pixels(png, chart) > 150, chart["caption"]


def test_the_overview_draws_retention_per_region_side_by_side(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    page = reports["dir"] / "duurzaamheid-overzicht-2019.html"
    charts = probe(page, tmp_path)["charts"]
    (regions,) = [
        c for c in charts if c["caption"].startswith("Behoud na 12 en 24 maanden per regio")
    ]
    assert_drawn(regions, "overzicht")
    assert "Haaglanden" in regions["label"] and "Alle regio's" in regions["label"]


def test_a_forest_plot_of_hazard_ratios_is_drawn_in_the_browser(tmp_path: Path) -> None:
    """The tiny lake fits no Cox model, so the forest plot is checked on a hand-made safe block."""
    cox = {
        "fitted": True,
        "reference": {"job_coach": "geen", "contract_type": "tijdelijk"},
        "hazard_ratios": {
            "job_coach=extern": {"hr": 0.62, "ci_low": 0.31, "ci_high": 1.24},
            "job_coach=intern": {"hr": 0.8, "ci_low": 0.45, "ci_high": 1.41},
            "contract_type=vast": {"hr": 1.9, "ci_low": 1.1, "ci_high": 3.3},
        },
        "suppressed_terms": 1,
    }
    section = Section("Factoren", (sections.cox_figure(cox, 7),), "factoren")
    page = tmp_path / "forest.html"
    page.write_text(render_report(Report("f", "T", "S", (), (section,)), "snap", 7))
    (chart,) = probe(page, tmp_path)["charts"]
    assert_drawn(chart, "forest")
    assert chart["marks"] == 6  # three hazard ratios, each a marker and an interval line
    assert "Niet getekend: 1 vergelijking" in chart["caption"]


def test_every_pdf_page_renders_to_an_image_that_is_not_blank(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: run scripts/install-system-deps.sh"
    pdfs = sorted(reports["dir"].glob("*.pdf"))
    assert len(pdfs) == 4
    for pdf in pdfs:
        prefix = tmp_path / pdf.stem
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(prefix)], check=True)
        pages = sorted(tmp_path.glob(f"{pdf.stem}-*.png"))
        assert len(pages) >= 2, pdf.name
        for png in pages:
            assert ink_share(png) > MIN_INK_SHARE / 2, png.name
