"""The reports looked at as a person would: HTML in headless Chromium, PDF pages as images.

Each page is rendered to PNG and must not be blank (enough non-white pixels). Needs the
system tools scripts/install-system-deps.sh installs (chromium, pdftoppm); they are not
optional, so a missing tool fails the test rather than skipping it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.reports_lake import write_lake
from matplotlib import image

from dwt.zones import ResearchZone
from flows.report import run_reports

pytestmark = pytest.mark.slow
# A blank white page has 0; a page of report text and a figure has several percent.
MIN_INK_SHARE = 0.01


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


def screenshot(page: Path, png: Path, profile: Path) -> None:
    subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={png}",
            "--window-size=1280,2000", page.resolve().as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


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


def test_the_region_report_shows_its_curve_in_the_browser(
    reports: dict[str, Any], tmp_path: Path
) -> None:
    """The Kaplan–Meier figure is drawn: its orange E(t) line (no other orange on the page)."""
    page = reports["dir"] / "duurzaamheid-haaglanden-2019.html"
    png = tmp_path / "haaglanden.png"
    # Tall window: the figure sits below the cover, recruitment and characteristics.
    subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
            "--window-size=1280,5200", page.resolve().as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pixels = np.asarray(image.imread(str(png)))[..., :3]
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    orange = (red > 0.7) & (green > 0.3) & (green < 0.45) & (blue < 0.25)
    assert int(orange.sum()) > 300


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
