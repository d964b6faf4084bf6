"""Great Expectations Data Docs of one ingest, built by GX into a folder of the restricted zone.

One page per instrument and wave (one GX validation each, `runner.Validator.validate_rows`),
and GX's index listing them. GX only ever saw the value-safe frame of `prepare`: identifier
flags, no identifiers, names or notes, so its pages cannot show one (tests/e2e/test_privacy.py
scans every byte of the site).

GX 1.x pitfalls handled here:
- `Batch.validate()` neither stores its result nor gives it a run id; a page is rendered only
  for a result in the context's validation results store, so each result is stored under a
  `ValidationResultIdentifier` with the ingest's run (name = run id, time = its timestamp).
- The site builder catches every rendering error and only logs it: a page can be missing
  while `build_data_docs()` reports success. The pages are counted afterwards.
- The site's folder is set only while building and restored afterwards: GX writes its whole
  configuration back to `great_expectations.yml` when a data source changes, and must never
  write the staged path of one ingest there.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dwt.errors import ValidationRunError
from dwt.validation import gxcontext

SITE = "dwt-ingest"
INDEX = "index.html"


def site_config(folder: Path) -> dict[str, Any]:
    """A local Data Docs site in `folder` with validation pages only (no suite pages)."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(folder)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "site_section_builders": {"expectations": "0", "profiling": "0"},
    }  # fmt: skip


def run_time(run_id: str) -> datetime:
    """The time in a run id (`20240131T120000Z-1a2b3c`, see `dwt.ingest.manifest.new_run_id`);
    now when the id has none."""
    try:
        return datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)


def build_data_docs(pages: list[tuple[str, Any]], folder: Path, run_id: str) -> Path | None:
    """Build the Data Docs of these validation results, (batch id, result) as
    `RowValidation.results` holds them, into `folder`; the index page's path, or None when
    there is nothing to show (no rows were validated)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    if not pages:
        return None
    context = gxcontext.gx_context()
    store = context.validation_results_store
    # GX reads a run name as a date if dateutil can (page titles): a run id whose random
    # suffix looks like a UTC offset ("...Z-7089ad": -70:89) then crashes its renderer. A
    # name starting with a word is never a date.
    run = RunIdentifier(run_name=f"ingest-{run_id}", run_time=run_time(run_id))
    _clear(store)  # the store is in memory: only this ingest's results are in the site
    for batch_id, result in pages:
        result = copy.copy(result)
        result.meta = {**(result.meta or {}), "run_id": run, "validation_time": run.run_time}
        suite = ExpectationSuiteIdentifier(name=result.suite_name)
        key = ValidationResultIdentifier(suite, run, batch_identifier=batch_id)
        store.set(key, result)
    sites = copy.deepcopy(context.variables.data_docs_sites)
    # GX reads a relative site folder against its project folder, not the working directory:
    # `dwt ingest --data-dir data` built its pages under the GX project and then failed.
    site = Path(folder).resolve()
    context.variables.data_docs_sites = {SITE: site_config(site)}
    try:
        context.build_data_docs(site_names=[SITE])
    finally:
        context.variables.data_docs_sites = sites
        _clear(store)
    built = len(list((site / "validations").rglob("*.html")))
    index = Path(folder) / INDEX
    if built != len(pages) or not (site / INDEX).is_file():
        raise ValidationRunError(
            f"GX built {built} of {len(pages)} Data Docs pages in {folder} (see GX's log)"
        )
    return index


def _clear(store: Any) -> None:
    for key in store.list_keys():
        store.remove_key(key)
