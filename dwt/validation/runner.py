"""Run the generated suites with Great Expectations: one context per process.

GX start-up (import, context, data source) is paid once per process; suites are built once
per instrument. `validate_rows` runs one GX validation over the rows of one instrument (all
files of an ingest at once: a page of the ingest's Data Docs per instrument, named by the waves
it holds) and maps failing rows back to value-free reasons.
What may be stored (`RowValidation.summary`) holds counts only: no values, no row indices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dwt.errors import ValidationRunError
from dwt.files import write_atomic
from dwt.schema import Instrument, Study, load_study
from dwt.validation import gxcontext
from dwt.validation.prepare import WAVE_COLUMN, prepare
from dwt.validation.suites import build_file_suite, build_suite, files_table

if TYPE_CHECKING:
    import great_expectations as gx

# COMPLETE gives every failing row's index. Values are excluded (GX sees no identifiers
# anyway) and partial_unexpected_count=0 skips GX's per-value tallies, which cost time.
ROW_RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}


@dataclass(frozen=True)
class RowValidation:
    reasons: pd.Series  # index = the typed frame's index; a list of reasons per row
    summary: dict[str, Any]  # counts per expectation; safe to store (restricted zone)
    # GX's ExpectationSuiteValidationResult of the run, as (batch id, result): what the Data Docs
    # show. Never store them in data/curated.
    results: tuple[tuple[str, Any], ...] = ()


class Validator:
    """Validates typed frames of any instrument; suites are built once and reused."""

    def __init__(self, study: Study | None = None, project: Path | None = None) -> None:
        """`project`: the GX project folder the process's context opens, if it is the first
        (`gxcontext.project_dir(restricted zone)`; see `dwt.validation.gxcontext`)."""
        self.study = study or load_study()
        self.project = project
        self._row_suites: dict[str, gx.ExpectationSuite] = {}
        self._file_suites: dict[str, gx.ExpectationSuite] = {}
        self._batch_definitions: dict[str, Any] = {}
        self._opened: Any = None  # the GX context the batch definitions belong to

    @property
    def context(self) -> Any:
        context = gxcontext.gx_context(self.project)
        if context is not self._opened:  # another project: its own assets
            self._opened = context
            self._batch_definitions.clear()
        return context

    def row_suite(self, instrument: Instrument) -> gx.ExpectationSuite:
        if instrument.name not in self._row_suites:
            self.context  # noqa: B018 (the context opens this validator's project first)
            self._row_suites[instrument.name] = build_suite(instrument, self.study)
        return self._row_suites[instrument.name]

    def file_suite(self, instrument: Instrument) -> gx.ExpectationSuite:
        if instrument.name not in self._file_suites:
            self.context  # noqa: B018 (the context opens this validator's project first)
            self._file_suites[instrument.name] = build_file_suite(instrument)
        return self._file_suites[instrument.name]

    def validate_rows(
        self,
        typed: pd.DataFrame,
        instrument: Instrument,
        parse_reasons: pd.Series | None = None,
    ) -> RowValidation:
        """One GX run over all rows; reasons per row of `typed` (empty list when clean).

        With `parse_reasons` (lists, aligned with `typed` by position), a column that already
        failed parsing in a row gets no GX reason there: parsing emptied it, so "required" or
        a range reason would only repeat the parse reason ("an unknown code is not also
        required").
        """
        if parse_reasons is not None and len(parse_reasons) != len(typed):
            raise ValueError("parse_reasons must have one entry per row of typed")
        suite = self.row_suite(instrument)
        if typed.empty:
            empty = pd.Series([], index=typed.index, dtype=object)
            return RowValidation(empty, _summary(instrument, 0, []))
        frame = prepare(typed, instrument, self.study)
        # One GX run over every row (per wave would cost a run each: five times the time of a
        # first load of five waves). A yearly ingest holds one wave: its page is the wave's.
        asset = f"{instrument.name}.rows{_waves_label(typed)}"
        batch_id, result = self._validate(asset, frame, suite, ROW_RESULT_FORMAT)
        _raise_on_errors(result.results)
        reasons = _reasons_per_row(_failing_rows(result.results), typed.index, parse_reasons)
        summary = _summary(instrument, len(typed), [result])
        return RowValidation(reasons, summary, ((batch_id, result),))

    def validate_file(self, frame: pd.DataFrame, instrument: Instrument) -> list[str]:
        """Reasons to reject a whole file: missing required columns, no data rows."""
        return self.validate_files([frame], instrument)[0]

    def validate_files(self, frames: list[pd.DataFrame], instrument: Instrument) -> list[list[str]]:
        """File-level reasons for every file of one instrument, in one GX run."""
        if not frames:
            return []
        table = files_table(frames, instrument)
        suite = self.file_suite(instrument)
        _, result = self._validate(f"{instrument.name}.files", table, suite, ROW_RESULT_FORMAT)
        _raise_on_errors(result.results)
        reasons = _reasons_per_row(_failing_rows(result.results), table.index, None)
        return [list(r) for r in reasons.to_list()]

    def _validate(
        self, asset_name: str, frame: pd.DataFrame, suite: Any, result_format: dict[str, Any]
    ) -> tuple[str, Any]:
        batch = self._batch_definition(asset_name).get_batch(batch_parameters={"dataframe": frame})
        try:
            return str(batch.id), batch.validate(suite, result_format=result_format)
        finally:
            _forget_batch(batch)

    def _batch_definition(self, asset_name: str) -> Any:
        if asset_name not in self._batch_definitions:
            source = self.context.data_sources.get(gxcontext.DATASOURCE)
            try:
                asset = source.get_asset(asset_name)
            except LookupError:
                asset = source.add_dataframe_asset(asset_name)
            try:
                definition = asset.get_batch_definition("all rows")
            except KeyError:
                definition = asset.add_batch_definition_whole_dataframe("all rows")
            self._batch_definitions[asset_name] = definition
        return self._batch_definitions[asset_name]


def write_results(summary: dict[str, Any], folder: Path) -> Path:
    """Write a validation summary as JSON into `folder` (the caller's restricted folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{summary['instrument']}.gx.json"
    return write_atomic(path, (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())


def _forget_batch(batch: Any) -> None:
    """Drop a validated batch from GX's caches. The data source's execution engine keeps every
    batch it loaded, data and all, for as long as the context lives: after an ingest's row
    validation that was the whole prepared frame (~190 MiB for a 1.3-million-row delivery),
    held through curation."""
    manager = batch.data.execution_engine.batch_manager
    manager.batch_data_cache.pop(batch.id, None)
    manager.batch_cache.pop(batch.id, None)


def _raise_on_errors(results: list[Any]) -> None:
    for r in results:
        if _raised(r.exception_info):
            meta = r.expectation_config.meta or {}
            # GX's message could quote data; name only the expectation and its reason
            raise ValidationRunError(
                f"{r.expectation_config.type} ({meta.get('reason')}) could not be evaluated"
            )


def _raised(info: Any) -> bool:
    # GX 1.24 reports a failed metric as {metric_id: {"raised_exception": True, ...}};
    # an expectation-level error uses the flat form {"raised_exception": True, ...}.
    if not isinstance(info, dict):
        return False
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _waves_label(typed: pd.DataFrame) -> str:
    """The waves of an ingest's rows as ".2019" or ".2017-2021" ("" outside an ingest)."""
    if WAVE_COLUMN not in typed.columns or typed.empty:
        return ""
    waves = sorted({int(w) for w in typed[WAVE_COLUMN].unique()})
    return f".{waves[0]}" if len(waves) == 1 else f".{waves[0]}-{waves[-1]}"


def _failing_rows(results: list[Any]) -> dict[int, list[tuple[str, str]]]:
    """Row position -> (reason, column) of every failing expectation, in suite order."""
    failing: dict[int, list[tuple[str, str]]] = {}
    for r in results:
        if r.success:
            continue
        meta = r.expectation_config.meta
        for p in r.result.get("unexpected_index_list") or []:
            failing.setdefault(int(p), []).append((meta["reason"], meta["column"]))
    return failing


def _reasons_per_row(
    failing: dict[int, list[tuple[str, str]]], index: pd.Index, parse_reasons: pd.Series | None
) -> pd.Series:
    from dwt.tables import lists_per_row

    unparsed = _unparsed_columns(parse_reasons)
    gained: dict[int, list[str]] = {}
    for pos, found in failing.items():
        kept: list[str] = []
        for reason, column in found:
            # results come in suite (schema) order; a reason twice for one row (both ends of
            # a window) is kept once
            if reason not in kept and column not in unparsed.get(pos, ()):
                kept.append(reason)
        if kept:
            gained[pos] = kept
    return lists_per_row(gained, index)


def _unparsed_columns(parse_reasons: pd.Series | None) -> dict[int, set[str]]:
    """Row position -> columns named by its parse reasons ("<column>: <rule>")."""
    if parse_reasons is None:
        return {}
    return {
        pos: {reason.split(":", 1)[0] for reason in reasons}
        for pos, reasons in enumerate(parse_reasons.to_list())
        if isinstance(reasons, list | tuple) and reasons
    }


def _summary(instrument: Instrument, rows: int, runs: list[Any]) -> dict[str, Any]:
    """Counts per expectation of the run (none for an empty frame)."""
    from great_expectations import __version__

    entries = [
        {
            "expectation": r.expectation_config.type,
            "column": (r.expectation_config.meta or {}).get("column"),
            "reason": (r.expectation_config.meta or {}).get("reason"),
            "success": bool(r.success),
            "element_count": int(r.result.get("element_count") or 0),
            "unexpected_count": int(r.result.get("unexpected_count") or 0),
        }
        for run in runs
        for r in run.results
    ]
    return {
        "instrument": instrument.name,
        "rows": rows,
        "great_expectations": __version__,
        "expectations": entries,
    }
