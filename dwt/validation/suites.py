"""GX 1.x expectation suites generated from the schemas.

Every expectation comes from a `rules.Rule` and carries `meta = {"reason", "column"}`, so a
failing expectation maps straight to a value-free quarantine reason. Row conditions are GX
`Condition` objects (the string form with `condition_parser="pandas"` is deprecated since
GX 1.9); GX turns them into `DataFrame.query` filters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dwt.schema import Instrument, Study
from dwt.validation.gxcontext import gx_context, import_gx
from dwt.validation.rules import Rule, When, date_bound_tokens, row_rules

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd
    from great_expectations.expectations import Expectation
    from great_expectations.expectations.row_conditions import Condition


def build_suite(instrument: Instrument, study: Study) -> gx.ExpectationSuite:
    """The row-level suite of an instrument, one expectation per schema rule."""
    gx = import_gx()
    gx_context()  # a suite can only be built inside an active context
    _check_date_tokens(instrument, study)
    suite = gx.ExpectationSuite(name=f"dwt.{instrument.name}.rows")
    rules = row_rules(instrument)
    for rule in rules:
        suite.add_expectation(expectation_for(rule))
    # GX silently drops an expectation equal to one already in the suite (meta ignored):
    # that would lose a reason, so two rules must never collapse into one.
    if len(suite.expectations) != len(rules):
        raise ValueError(f"{instrument.name}: two schema rules give the same expectation")
    return suite


def file_expectations(instrument: Instrument) -> list[Expectation]:
    """Whole-file checks over a *files table* (one row per delivered file, see
    `files_table`): every required column delivered, at least one data row. One GX run then
    checks every file of an instrument at once instead of paying GX's overhead per file."""
    gx = import_gx()
    expectations: list[Expectation] = [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column=header_flag(name),
            value_set=[True],
            meta={"reason": f"missing required column: {name}", "column": header_flag(name)},
        )
        for name in instrument.required_columns
    ]
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=FILE_ROWS, min_value=1, meta={"reason": "no data rows", "column": FILE_ROWS}
        )
    )
    return expectations


FILE_ROWS = "file__rows"


def header_flag(column: str) -> str:
    return f"file__has__{column}"


def files_table(frames: list[pd.DataFrame], instrument: Instrument) -> pd.DataFrame:
    """One row per file: which required headers it delivered and how many data rows.

    Only headers and row counts: GX never sees a value of the files it judges.
    """
    import pandas as pd

    table: dict[str, list[bool] | list[int]] = {
        header_flag(name): [name in f.columns for f in frames]
        for name in instrument.required_columns
    }
    table[FILE_ROWS] = [len(f) for f in frames]
    return pd.DataFrame(table)


def build_file_suite(instrument: Instrument) -> gx.ExpectationSuite:
    gx = import_gx()
    gx_context()
    suite = gx.ExpectationSuite(name=f"dwt.{instrument.name}.file")
    for expectation in file_expectations(instrument):
        suite.add_expectation(expectation)
    return suite


def expectation_for(rule: Rule) -> Expectation:
    """The GX expectation that checks one rule."""
    E = import_gx().expectations
    meta = {"reason": rule.reason, "column": rule.column}
    extra: dict[str, Any] = {}
    if rule.when is not None:
        extra["row_condition"] = _condition(rule.when)
    if rule.kind == "not_null":
        return E.ExpectColumnValuesToNotBeNull(column=rule.target, meta=meta, **extra)
    if rule.kind == "null":
        return E.ExpectColumnValuesToBeNull(column=rule.target, meta=meta, **extra)
    if rule.kind == "in_set":
        return E.ExpectColumnValuesToBeInSet(column=rule.target, meta=meta, **rule.params, **extra)
    if rule.kind == "between":
        return E.ExpectColumnValuesToBeBetween(
            column=rule.target, meta=meta, **rule.params, **extra
        )
    if rule.kind == "regex":
        return E.ExpectColumnValuesToMatchRegex(
            column=rule.target, meta=meta, **rule.params, **extra
        )
    if rule.kind == "a_ge_b":
        return E.ExpectColumnPairValuesAToBeGreaterThanB(
            **rule.params, or_equal=True, ignore_row_if="either_value_is_missing", meta=meta,
            **extra,
        )  # fmt: skip
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def _condition(when: When) -> Condition:
    from great_expectations.expectations.row_conditions import Column

    col = Column(when.column)
    values = list(when.values)
    if when.op == "present":
        return col.is_not_null()
    if when.op == "absent":
        return col.is_null()
    if when.op == "in":
        return col.is_in(values)
    if when.op == "not_in":
        # an empty cell is "unknown", not "not in": it must not switch a rule on
        return col.is_not_null() & col.is_not_in(values)
    if when.op == "equals":
        return col == values[0]
    raise ValueError(f"unknown row condition {when.op!r}")


def _check_date_tokens(instrument: Instrument, study: Study) -> None:
    # Fail when the suite is built, not halfway through an ingest, on a misspelt token.
    for col in instrument.columns:
        for token in date_bound_tokens(col).values():
            study.date_bound(token, study.first_wave)
