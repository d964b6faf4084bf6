"""Run the generated suites with Great Expectations: one context per process.

GX start-up (import, context, data source) is paid once per process; suites are built once
per instrument. `validate_rows` runs one GX validation over all rows of one instrument (all
files of an ingest at once) and maps failing rows back to value-free reasons. What may be
stored (`RowValidation.summary`) holds counts only: no values, no row indices.
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
from dwt.validation.prepare import prepare
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
    raw: Any = None  # GX's ExpectationSuiteValidationResult; never store it in data/curated


class Validator:
    """Validates typed frames of any instrument; suites are built once and reused."""

    def __init__(self, study: Study | None = None) -> None:
        self.study = study or load_study()
        self._row_suites: dict[str, gx.ExpectationSuite] = {}
        self._file_suites: dict[str, gx.ExpectationSuite] = {}
        self._batch_definitions: dict[str, Any] = {}

    @property
    def context(self) -> Any:
        return gxcontext.gx_context()

    def row_suite(self, instrument: Instrument) -> gx.ExpectationSuite:
        if instrument.name not in self._row_suites:
            self._row_suites[instrument.name] = build_suite(instrument, self.study)
        return self._row_suites[instrument.name]

    def file_suite(self, instrument: Instrument) -> gx.ExpectationSuite:
        if instrument.name not in self._file_suites:
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
        result = self._validate(f"{instrument.name}.rows", frame, suite, ROW_RESULT_FORMAT)
        _raise_on_errors(result.results)
        reasons = _reasons_per_row(result.results, typed.index, parse_reasons)
        return RowValidation(reasons, _summary(instrument, len(typed), result.results), result)

    def validate_file(self, frame: pd.DataFrame, instrument: Instrument) -> list[str]:
        """Reasons to reject a whole file: missing required columns, no data rows."""
        return self.validate_files([frame], instrument)[0]

    def validate_files(self, frames: list[pd.DataFrame], instrument: Instrument) -> list[list[str]]:
        """File-level reasons for every file of one instrument, in one GX run."""
        if not frames:
            return []
        table = files_table(frames, instrument)
        suite = self.file_suite(instrument)
        result = self._validate(f"{instrument.name}.files", table, suite, ROW_RESULT_FORMAT)
        _raise_on_errors(result.results)
        reasons = _reasons_per_row(result.results, table.index, None)
        return [list(r) for r in reasons.to_list()]

    def _validate(
        self, asset_name: str, frame: pd.DataFrame, suite: Any, result_format: dict[str, Any]
    ) -> Any:
        batch = self._batch_definition(asset_name).get_batch(batch_parameters={"dataframe": frame})
        return batch.validate(suite, result_format=result_format)

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


def _reasons_per_row(
    results: list[Any], index: pd.Index, parse_reasons: pd.Series | None
) -> pd.Series:
    positions: list[int] = []
    labels: list[str] = []
    columns: list[str] = []
    for r in results:
        if r.success:
            continue
        failing = r.result.get("unexpected_index_list") or []
        meta = r.expectation_config.meta
        positions.extend(int(p) for p in failing)
        labels.extend([meta["reason"]] * len(failing))
        columns.extend([meta["column"]] * len(failing))
    unparsed = _unparsed_columns(parse_reasons)
    per_row: list[list[str]] = [[] for _ in range(len(index))]
    for pos, reason, column in zip(positions, labels, columns, strict=True):
        # results come in suite (schema) order; a reason twice for one row (both ends of a
        # window) is kept once
        if reason not in per_row[pos] and column not in unparsed.get(pos, ()):
            per_row[pos].append(reason)
    return pd.Series(per_row, index=index, dtype=object)


def _unparsed_columns(parse_reasons: pd.Series | None) -> dict[int, set[str]]:
    """Row position -> columns named by its parse reasons ("<column>: <rule>")."""
    if parse_reasons is None:
        return {}
    return {
        pos: {reason.split(":", 1)[0] for reason in reasons}
        for pos, reasons in enumerate(parse_reasons.to_list())
        if isinstance(reasons, list | tuple) and reasons
    }


def _summary(instrument: Instrument, rows: int, results: list[Any]) -> dict[str, Any]:
    from great_expectations import __version__

    return {
        "instrument": instrument.name,
        "rows": rows,
        "great_expectations": __version__,
        "expectations": [
            {
                "expectation": r.expectation_config.type,
                "column": (r.expectation_config.meta or {}).get("column"),
                "reason": (r.expectation_config.meta or {}).get("reason"),
                "success": bool(r.success),
                "element_count": int(r.result.get("element_count") or 0),
                "unexpected_count": int(r.result.get("unexpected_count") or 0),
            }
            for r in results
        ],
    }
