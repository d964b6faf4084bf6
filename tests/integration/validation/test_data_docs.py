"""GX Data Docs per ingest (issue 14): built by GX itself into the restricted zone, a page per
instrument of the ingest, linked from the run summary and the run log, agreeing with the GX
count summaries beside them, and holding no identifier (bytes scanned)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import privacy as scan
from helpers.deliveries import tree_digest

from dwt.config import Settings
from dwt.generate import generate_study
from dwt.ingest.manifest import RunResult, summary_markdown
from flows.ingest_sequence import run_ingest

KEY = b"data-docs-test-key-0123"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    root = tmp_path_factory.mktemp("datadocs")
    generate_study(root / "raw", seed=3, scale=0.3, faults=True)
    return root, run_ingest(Settings(data_dir=root), KEY)  # the flow's own validator


def _text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _pages(site: Path) -> dict[str, Path]:
    """instrument -> its page (validations/dwt/<instrument>/rows/<run>/<time>/<batch>.html)."""
    pages = sorted((site / "validations").rglob("*.html"))
    return {p.relative_to(site / "validations").parts[1]: p for p in pages}


def test_the_run_summary_and_run_log_link_the_site_in_the_restricted_zone(ingested: Any) -> None:
    root, result = ingested
    link = result.summary["data_docs"]
    assert link == f"restricted/gx/docs/{result.summary['run_id']}/index.html"
    assert (root / link).is_file()
    (log,) = (root / "runs").glob(f"{result.summary['run_id']}*.json")
    assert json.loads(log.read_text(encoding="utf-8"))["data_docs"] == link
    assert link in summary_markdown(result.summary)


def test_one_page_per_instrument_of_the_ingest_agreeing_with_the_gx_summaries(
    ingested: Any,
) -> None:
    root, result = ingested
    site = (root / result.summary["data_docs"]).parent
    accepted = {f["path"].rsplit("/", 1)[-1].split(".")[0]
                for f in result.summary["files"] if f["status"] == "accepted"}  # fmt: skip
    pages = _pages(site)
    assert set(pages) == accepted
    failed_somewhere = False
    for instrument, page in pages.items():
        summary = json.loads((root / "restricted" / "gx" / f"{instrument}.json").read_text())
        expectations = summary["expectations"]
        failed = sum(not e["success"] for e in expectations)
        failed_somewhere |= failed > 0
        text = _text(page)
        assert f"Evaluated Expectations {len(expectations)} " in text, instrument
        assert f"Unsuccessful Expectations {failed} " in text, instrument
        assert ("Status: Failed" in text) == (failed > 0), instrument
    assert failed_somewhere  # the faulty study's row faults show up as failed expectations


def test_the_site_holds_no_identifier(ingested: Any) -> None:
    root, result = ingested
    site = (root / result.summary["data_docs"]).parent
    identifiers = scan.identifiers_of(root / "raw")
    assert all(identifiers[k] for k in ("bsn", "name", "employer_kvk"))
    blobs = scan.blobs(site) | scan.blobs(root / ".gx")
    assert len(blobs) > len(_pages(site))
    assert scan.leaks(blobs, identifiers) == []


def test_an_ingest_with_nothing_new_builds_no_site_and_keeps_the_last(ingested: Any) -> None:
    root, _ = ingested
    before = tree_digest(root / "restricted" / "gx" / "docs")
    again = run_ingest(Settings(data_dir=root), KEY)
    assert not again.changed and again.summary["data_docs"] is None
    assert tree_digest(root / "restricted" / "gx" / "docs") == before


def test_a_run_id_whose_suffix_reads_as_a_utc_offset_still_gets_its_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dateutil reads "20261202T203349Z-7089ad" as a time at UTC-70:89, which GX's page
    renderer compared and crashed on (one run id in a few thousand: a flaky commit)."""
    from helpers.deliveries import placement, write_csv

    import flows.ingest_sequence

    run_id = "20261202T203349Z-7089ad"
    monkeypatch.setattr(flows.ingest_sequence, "new_run_id", lambda: run_id)
    raw = tmp_path / "raw" / "haaglanden" / "2019"
    write_csv(raw / "placements.csv", "placements", [placement(n, 7) for n in range(1, 5)])
    result = run_ingest(Settings(data_dir=tmp_path), KEY)
    assert result.summary["run_id"] == run_id
    site = tmp_path / "restricted" / "gx" / "docs" / run_id
    assert list(_pages(site)) == ["placements"]


def test_a_data_folder_given_as_a_relative_path_gets_its_site_where_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `dwt ingest --data-dir data` (and the default, `data`): GX read the relative site folder
    # against its own project folder, built no page where the ingest looked, and failed.
    generate_study(tmp_path / "lake" / "raw", seed=3, scale=0.1)
    monkeypatch.chdir(tmp_path)
    result = run_ingest(Settings(data_dir=Path("lake")), KEY)  # raised ValidationRunError
    link = result.summary["data_docs"]
    assert (tmp_path / "lake" / link).is_file()
    assert _pages((tmp_path / "lake" / link).parent)
    assert not list((tmp_path / "lake").rglob("lake/restricted*")), "a site under GX's project"
