"""`dwt report` on a tiny two-zone lake: files, wording, disclosure, reproducibility, privacy.

The lake (tests/reports_lake.py) is written once per module; reports are rendered into two
separate folders so byte-identity is checked on real re-runs, not on a cached object.
"""

from __future__ import annotations

import html as html_text
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.reports_lake import HAAG, MG, SNAPSHOT, WB, LakePaths, secrets, write_lake

from commands.main import main
from dwt.zones import ResearchZone
from flows.report import run_reports

REGIONS = ("haaglanden", "midden-gelderland", "west-brabant")


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LakePaths:
    return write_lake(tmp_path_factory.mktemp("lake"))


@pytest.fixture(scope="module")
def runs(lake: LakePaths, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Two full runs of the latest reports and one as of wave 2018."""
    out = []
    for name, as_of in (("first", None), ("second", None), ("asof2018", 2018)):
        folder = tmp_path_factory.mktemp(name)
        summary = run_reports(ResearchZone(lake.curated), folder, 5, as_of=as_of)
        out.append({"dir": folder, **summary})
    return out


def html(run: dict[str, Any], stem: str) -> str:
    return (run["dir"] / f"{stem}.html").read_text(encoding="utf-8")


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def figures_of(page: str, chart: str) -> list[str]:
    """The `<figure>` elements of one chart kind, as HTML text."""
    return re.findall(rf'<figure class="chart chart-{chart}[^"]*">(.*?)</figure>', page, re.S)


def test_writes_a_report_per_region_an_overview_and_an_index_named_by_region_and_wave(
    runs: list[dict[str, Any]],
) -> None:
    names = sorted(p.name for p in runs[0]["dir"].iterdir())
    expected = sorted(
        [f"duurzaamheid-{r}-2019.{ext}" for r in (*REGIONS, "overzicht") for ext in ("html", "pdf")]
        + ["index.html", "cijfers-veilig.json", "vrijgave.json"]  # the release's figures and record
    )
    assert names == expected


def test_the_index_links_every_report_relatively(runs: list[dict[str, Any]]) -> None:
    index = (runs[0]["dir"] / "index.html").read_text(encoding="utf-8")
    for r in (*REGIONS, "overzicht"):
        assert f'href="duurzaamheid-{r}-2019.html"' in index
        assert f'href="duurzaamheid-{r}-2019.pdf"' in index
    # One click: the region's own name is the link to its report.
    for code, name in ((HAAG, "Haaglanden"), (WB, "West-Brabant"), (MG, "Midden-Gelderland")):
        assert f'<a class="report" href="duurzaamheid-{code}-2019.html">{name}</a>' in index


@pytest.mark.parametrize("region", [*REGIONS, "overzicht"])
def test_html_is_self_contained_without_any_url_or_external_file(
    runs: list[dict[str, Any]], region: str
) -> None:
    page = html(runs[0], f"duurzaamheid-{region}-2019")
    assert not re.search(r"(https?:|ftp:)//", page)
    assert " src=" not in page and "<link" not in page and "<script" not in page
    # Only references inside the page: SVG clip paths url(#id), links and <use> to #anchors.
    assert not re.search(r"url\((?!#)", page)
    assert all(ref.startswith("#") for ref in re.findall(r'href="([^"]*)"', page))


def test_html_has_the_dutch_headings_lectors_read(runs: list[dict[str, Any]]) -> None:
    page = html(runs[0], "duurzaamheid-haaglanden-2019")
    for heading in (
        "Werving", "Respons per meting", "Kenmerken van plaatsingen en werknemers",
        "Duurzaamheid van plaatsingen", "Factoren die samenhangen met duurzaamheid",
        "Werkvermogen, tevredenheid en gezondheid", "Maatregelen van werkgevers",
        "Monitoring door de arbeidsdeskundige", "De regio naast alle regio&#39;s",
        "Bijlage: datakwaliteit", "Behoud bij dezelfde werkgever R(t)",
        "Duurzame arbeidsparticipatie E(t)", "Kaplan–Meiercurve",
    ):  # fmt: skip
        assert heading in page, heading
    assert '<html lang="nl">' in page


@pytest.mark.parametrize("ext", ["html", "pdf"])
def test_the_same_lake_gives_byte_identical_reports(runs: list[dict[str, Any]], ext: str) -> None:
    first, second = runs[0]["dir"], runs[1]["dir"]
    for r in (*REGIONS, "overzicht"):
        name = f"duurzaamheid-{r}-2019.{ext}"
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_small_groups_show_below_the_threshold_and_a_region_below_it_gets_no_curve(
    runs: list[dict[str, Any]],
) -> None:
    haag = html(runs[0], f"duurzaamheid-{HAAG}-2019")
    wajong = re.search(r"<td>Wajong</td><td class=\"num\">([^<]*)</td>", haag)
    # midpoint-6 with k = 5 shows counts from 7 on (5 and 6 would round to 3)
    assert wajong is not None and wajong.group(1) == "&lt;7"
    haag_km = figures_of(haag, "km")
    assert len(haag_km) == 1 and "<svg" in haag_km[0]  # R(t), E(t) for its 30 placements
    west = html(runs[0], f"duurzaamheid-{WB}-2019")
    (west_km,) = figures_of(west, "km")
    assert "<svg" not in west_km
    assert "Niet getekend (minder dan 7 plaatsingen)" in west_km
    # Its only chart is the regions side by side, where West-Brabant itself is left out.
    assert west.count("<svg") == 1
    dots = figures_of(west, "dots")[-1]
    assert "West-Brabant" not in dots[: dots.index("</svg>")]
    assert "Niet getekend: 2 regio&#39;s zonder getoonde schatting" in dots
    overview = html(runs[0], "duurzaamheid-overzicht-2019")
    per_region = [f for f in figures_of(overview, "km") if "per regio" in f]
    svg = per_region[0][: per_region[0].index("</svg>")]
    assert "Haaglanden" in svg and "West-Brabant" not in svg


def pdf_alt_texts(data: bytes) -> list[str]:
    """The /Alt entries of a PDF's structure tree, in order (fpdf2 writes one per image)."""
    out = []
    for m in re.finditer(rb"/Alt\s*(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)", data):
        token = m.group(1)
        if token.startswith(b"<"):
            raw = bytes.fromhex(token[1:-1].decode("ascii"))
        else:
            raw = re.sub(rb"\\([()\\])", rb"\1", token[1:-1])
        out.append(
            raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
        )
    return out


@pytest.mark.parametrize("region", [*REGIONS, "overzicht"])
def test_every_chart_of_the_html_is_in_the_pdf_with_the_same_alt_text_caption_and_labels(
    runs: list[dict[str, Any]], region: str
) -> None:
    """No drift between the renderers: the same charts in the same order, drawn from one SVG."""
    stem = f"duurzaamheid-{region}-2019"
    page = html(runs[0], stem)
    pdf = runs[0]["dir"] / f"{stem}.pdf"
    alts = [html_text.unescape(a) for a in re.findall(r'<svg[^>]*aria-label="([^"]*)"', page)]
    assert alts == pdf_alt_texts(pdf.read_bytes())
    words = " ".join(pdf_text(pdf).split())
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)
    assert len(captions) >= 6  # every chart has a caption, drawn or not
    for caption in captions:
        title = html_text.unescape(caption).split(". ", 1)[0]
        assert title in words, title
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):  # the chart's own words and ticks
        for label in re.findall(r"<text[^>]*>([^<]+)</text>", svg):
            assert html_text.unescape(label).strip() in words, label


def test_the_cover_names_the_snapshot_in_html_and_pdf(runs: list[dict[str, Any]]) -> None:
    assert SNAPSHOT in html(runs[0], f"duurzaamheid-{HAAG}-2019")
    text = pdf_text(runs[0]["dir"] / f"duurzaamheid-{HAAG}-2019.pdf")
    assert SNAPSHOT[:40] in text.replace("\n", "")


def test_a_survey_that_was_not_delivered_is_reported_as_niet_geleverd(
    runs: list[dict[str, Any]],
) -> None:
    assert "niet geleverd" in html(runs[0], f"duurzaamheid-{HAAG}-2019")


def test_as_of_gives_the_report_as_it_stood_after_that_wave(runs: list[dict[str, Any]]) -> None:
    earlier = runs[2]["dir"]
    assert sorted(p.name for p in earlier.glob("*.html"))[0] == "duurzaamheid-haaglanden-2018.html"
    then = html(runs[2], f"duurzaamheid-{HAAG}-2018")
    now = html(runs[0], f"duurzaamheid-{HAAG}-2019")
    assert "2017–2018" in then and "2017–2019" in now
    assert "2018-12-31" in then
    # Wave 2019 ended four placements: the 12-month retention estimate moves.
    r12 = re.compile(r"<td>Behoud bij dezelfde werkgever R\(t\)</td><td class=\"num\">([^<]*)<")
    assert r12.search(then) and r12.search(now)
    assert r12.search(then).group(1) != r12.search(now).group(1)  # type: ignore[union-attr]


def test_no_identifier_from_the_restricted_zone_reaches_any_report(
    runs: list[dict[str, Any]],
) -> None:
    for run in runs:
        for path in sorted(run["dir"].iterdir()):
            blobs = [path.read_bytes()]
            if path.suffix == ".pdf":
                blobs.append(pdf_text(path).encode("utf-8"))
            for secret in secrets():
                for blob in blobs:
                    assert secret.encode("utf-8") not in blob, (path.name, secret)


def test_dwt_report_cli_writes_one_region_and_refuses_an_unknown_one(
    lake: LakePaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    args = ["report", "--data-dir", str(lake.data_dir), "--out", str(out)]
    assert main([*args, "--region", WB, "--format", "html"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"duurzaamheid-{WB}-2019.html"]
    assert main([*args, "--region", "atlantis"]) == 2
    assert "atlantis" in capsys.readouterr().err
    assert main([*args, "--format", "docx"]) == 2


def test_dwt_report_on_an_empty_lake_exits_1_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    assert "dwt ingest" in capsys.readouterr().err
