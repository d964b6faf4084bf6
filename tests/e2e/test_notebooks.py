"""The notebooks in notebooks/ run, top to bottom, against a freshly ingested synthetic lake.

The lake is built once per module as a user builds it: `generate_study` writes raw deliveries,
the `ingest` flow (on the session's Prefect test server) curates them. Each notebook then runs
in a fresh kernel (nbclient, the venv's `python3` kernel) with DWT_DATA_DIR pointing at it.
Notebooks are committed without outputs; a test holds that, so no figure from a real lake
can slip into git.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# cookiecutter-data-science: <number>.<version>-<initials>-<kebab-description>.ipynb
NAME = re.compile(r"^\d+\.\d+-[a-z]+-[a-z0-9]+(-[a-z0-9]+)*\.ipynb$")
EXPLORE = REPO / "notebooks" / "1.0-dwt-explore-curated-lake.ipynb"
RETENTION = REPO / "notebooks" / "2.0-dwt-reproduce-retention-figure.ipynb"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, prefect_api: str) -> Iterator[Path]:
    """A small synthetic study, generated and ingested; yields the data dir."""
    from dwt.generate import generate_study
    from flows.ingest import ingest

    data_dir = tmp_path_factory.mktemp("notebook-lake")
    key_file = data_dir / "test.key"
    key_file.write_text("dwt-notebook-test-key-not-secret\n")
    generate_study(data_dir / "raw", seed=1, scale=0.3, faults=False)
    summary = ingest(data_dir=str(data_dir), key_file=str(key_file))
    assert summary["exit_code"] == 0, summary
    yield data_dir


def execute(path: Path, data_dir: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run a notebook in a fresh kernel (which inherits DWT_DATA_DIR); returns it executed."""
    monkeypatch.setenv("DWT_DATA_DIR", str(data_dir))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=180, resources={"metadata": {"path": workdir}}
    )
    client.execute()
    return notebook


def outputs(notebook: Any) -> list[Any]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def html_tables(notebook: Any) -> list[str]:
    return [o["data"]["text/html"] for o in outputs(notebook) if "text/html" in o.get("data", {})]


def test_there_are_at_least_two_notebooks_named_by_the_house_convention() -> None:
    assert len(NOTEBOOKS) >= 2
    assert [p.name for p in NOTEBOOKS if not NAME.match(p.name)] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "a notebook without code cells"
    assert [c.outputs for c in code if c.outputs] == []
    assert [c.execution_count for c in code if c.execution_count is not None] == []


def test_explore_notebook_runs_and_shows_non_empty_tables_of_the_lake(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dwt.analytics.views import connect

    notebook = execute(EXPLORE, lake, tmp_path, monkeypatch)

    tables = html_tables(notebook)
    assert len(tables) == 4, "row counts, per region, per wave and contracts should all render"
    per_region = tables[1]
    regions = connect(lake / "curated").sql("SELECT DISTINCT region FROM placements").fetchall()
    assert regions
    assert all(f">{region}<" in per_region for (region,) in regions)


def test_retention_notebook_redraws_the_curve_from_the_published_metrics(
    lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dwt.analytics.metrics import compute_metrics
    from dwt.zones import ResearchZone

    notebook = execute(RETENTION, lake, tmp_path, monkeypatch)

    pooled = compute_metrics(ResearchZone(lake / "curated"))["all"]
    text = "".join(o.get("text", "") for o in outputs(notebook) if o["output_type"] == "stream")
    assert f"{pooled['placements']} placements, {pooled['events']['retention']} ended" in text
    images = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the R(t) figure"
    assert len(html_tables(notebook)) == 1, "the table of R at the horizons"
