"""The process's one Great Expectations context (lazy; GX costs seconds to import).

Everything GX-related asks `gx_context()`: the import, the context and its pandas data source
are paid for once per process, with progress bars and usage statistics off.

The context is a file-system one (`FileDataContext`) whose project folder lies beside the two
zones (`<data>/.gx/`, `project_dir`): its `great_expectations.yml` holds only configuration (the
data source and its asset names, never a value). It is not inside `restricted/`, because GX
rewrites that file itself whenever an asset is added, and nothing may write a zone outside the
lake's commit (a run killed mid-way must leave the zone byte for byte as it was). Its stores are
in memory, so GX writes nothing else there: validation results live as long as the ingest that
produced them, and the Data Docs site of an ingest is built into the ingest's staged restricted
zone (`dwt.validation.datadocs`), committed with everything else.

GX 1.x keeps one "active" context per process (its project manager), so a process has one
project open at a time: a validator naming its lake's project opens it (an ingest of another
lake in the same process pays for a second context), one naming none uses the open one. A
process that validates outside an ingest (a notebook, a unit test) and names no project gets
one in a temporary folder, removed when the process ends.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
from pathlib import Path
from typing import Any

from dwt.files import write_atomic
from dwt.imports import imports_without_gc

DATASOURCE = "dwt"
PROJECT = ".gx"  # beside the zones, under the data dir

_IN_MEMORY = {"class_name": "InMemoryStoreBackend"}
# The whole GX configuration, written once when the project folder is new. Stores in memory:
# nothing of a run (results, suites) is persisted by GX outside the ingest's own commit.
PROJECT_CONFIG: dict[str, Any] = {
    "config_version": 4.0,
    "plugins_directory": None,
    "config_variables_file_path": None,
    "stores": {
        name: {"class_name": cls, "store_backend": dict(_IN_MEMORY)}
        for name, cls in (
            ("expectations_store", "ExpectationsStore"),
            ("validation_results_store", "ValidationResultsStore"),
            ("checkpoint_store", "CheckpointStore"),
            ("validation_definition_store", "ValidationDefinitionStore"),
        )
    },
    "expectations_store_name": "expectations_store",
    "validation_results_store_name": "validation_results_store",
    "checkpoint_store_name": "checkpoint_store",
    "data_docs_sites": {},  # a site per ingest is configured while it is built
    "analytics_enabled": False,
    # tqdm bars on stderr would clutter non-interactive runs and their logs
    "progress_bars": {"globally": False, "metric_calculations": False},
    "fluent_datasources": {},
}

_lock = threading.Lock()
_context: Any = None
_root: Path | None = None  # the open context's project folder
contexts_created = 0  # how often this process opened a GX context (tests count it)


def project_dir(data_dir: Path) -> Path:
    """The GX project folder of a lake (configuration only)."""
    return Path(data_dir) / PROJECT


def import_gx() -> Any:
    """Import great_expectations with usage statistics off (set before GX reads it), the
    cyclic garbage collector paused while it imports (`imports_without_gc`)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    loaded = sys.modules.get("great_expectations")
    if loaded is not None:
        return loaded
    with imports_without_gc():  # only the first import: a freeze later would keep a run's data
        import great_expectations

    return great_expectations


def gx_context(project: Path | None = None) -> Any:
    """The process's file-system GX context, created on first use in `project` (a folder).

    Later calls without a project return the open one. A call naming another project (the
    ingest of another lake in the same process), or finding the open project's folder gone,
    opens that project instead: GX writes its configuration back to the folder it was opened
    in, and must never write into another lake's (or a deleted) folder.
    """
    global _context, _root, contexts_created
    with _lock:
        wanted = None if project is None else Path(project).resolve()
        if _context is not None and _root is not None:
            gone = not (_root / "great_expectations.yml").is_file()
            if gone or (wanted is not None and wanted != _root):
                _context = None
        if _context is None:
            root = wanted or _temporary_project()
            gx = import_gx()
            _write_config(root)
            context = gx.get_context(mode="file", context_root_dir=str(root))
            try:
                context.data_sources.get(DATASOURCE)
            except KeyError:
                context.data_sources.add_pandas(DATASOURCE)
            _context, _root = context, root
            contexts_created += 1
        return _context


def _temporary_project() -> Path:
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="dwt-gx-")).resolve()
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _write_config(project: Path) -> None:
    import yaml

    config = project / "great_expectations.yml"
    if not config.exists():
        text = yaml.safe_dump(copy.deepcopy(PROJECT_CONFIG), sort_keys=False)
        write_atomic(config, text.encode())
