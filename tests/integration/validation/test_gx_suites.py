"""The GX suites hold exactly what the schemas imply, and nothing else."""

from __future__ import annotations

from collections import Counter

import pytest

from dwt.schema import instruments, load_instrument, load_study
from dwt.validation.rules import row_rules
from dwt.validation.suites import build_file_suite, build_suite

INSTRUMENTS = [i.name for i in instruments()]


def _expectations(name: str) -> list[tuple[str, str, str]]:
    suite = build_suite(load_instrument(name), load_study())
    return [(e.expectation_type, e.meta["column"], e.meta["reason"]) for e in suite.expectations]


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_the_suite_has_one_expectation_per_schema_rule_each_with_its_reason(name: str) -> None:
    got = Counter((column, reason) for _, column, reason in _expectations(name))
    want = Counter((r.column, r.reason) for r in row_rules(load_instrument(name)))
    assert got == want


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_every_required_column_has_a_required_expectation(name: str) -> None:
    got = {(kind, reason) for kind, _, reason in _expectations(name)}
    for col in load_instrument(name).columns:
        if not col.required:
            continue
        # identifiers reach GX only as a presence flag, hence in-set {True} there
        kind = "expect_column_values_to_be_in_set" if col.is_identifier else (
            "expect_column_values_to_not_be_null"
        )  # fmt: skip
        assert (kind, f"{col.name}: required") in got


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_every_code_column_has_an_in_set_expectation_with_the_schema_codes(name: str) -> None:
    suite = build_suite(load_instrument(name), load_study())
    in_set = {
        e.column: e.value_set
        for e in suite.expectations
        if e.expectation_type == "expect_column_values_to_be_in_set"
    }
    for col in load_instrument(name).columns:
        if col.type == "code":
            assert list(in_set[col.name]) == list(col.codes)
        if col.type == "code_list":
            assert list(in_set[f"{col.name}__known"]) == [True]


def test_the_conditional_rules_use_row_conditions_on_the_other_column() -> None:
    suite = build_suite(load_instrument("placements"), load_study())
    conditioned = {
        (e.expectation_type, e.column, repr(e.row_condition))
        for e in suite.expectations
        if e.row_condition is not None
    }
    assert conditioned == {
        ("expect_column_values_to_not_be_null", "end_reason", "end_date IS NOT NULL"),
        ("expect_column_values_to_be_null", "end_reason", "end_date IS NULL"),
        (
            "expect_column_values_to_not_be_null",
            "job_coach_level",
            "(job_coach IS NOT NULL AND job_coach NOT_IN (geen))",
        ),
        ("expect_column_values_to_be_null", "job_coach_level", "job_coach IN (geen)"),
    }


def test_no_expectation_names_an_identifier_or_restricted_column() -> None:
    for name in INSTRUMENTS:
        instrument = load_instrument(name)
        hidden = {c.name for c in instrument.columns if not c.in_research_zone}
        suite = build_suite(instrument, load_study())
        for e in suite.expectations:
            kwargs = e.configuration.kwargs
            named = {kwargs.get(k) for k in ("column", "column_A", "column_B")}
            assert not named & hidden, (name, e.expectation_type, named & hidden)


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_the_file_suite_checks_required_columns_and_at_least_one_row(name: str) -> None:
    suite = build_file_suite(load_instrument(name))
    reasons = sorted(e.meta["reason"] for e in suite.expectations)
    want = [f"missing required column: {c}" for c in load_instrument(name).required_columns]
    assert reasons == sorted([*want, "no data rows"])
