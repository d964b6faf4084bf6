"""Rules derived from the schemas: which checks, on which GX column, with which reason."""

from __future__ import annotations

import pytest

from dwt.schema import Column, Instrument, instruments, load_instrument
from dwt.validation.rules import When, row_rules

INSTRUMENTS = [i.name for i in instruments()]


def _instrument(*columns: Column) -> Instrument:
    return Instrument(name="t", title={}, grain="", key=(), columns=columns)


def _by_reason(name: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for rule in row_rules(load_instrument(name)):
        out.setdefault(rule.reason, []).append(rule)
    return out


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_restricted_and_identifier_values_are_never_a_rule_target(name: str) -> None:
    instrument = load_instrument(name)
    hidden = {c.name for c in instrument.columns if not c.in_research_zone}
    for rule in row_rules(instrument):
        assert rule.target not in hidden
        assert not {rule.params.get("column_A"), rule.params.get("column_B")} & hidden


@pytest.mark.parametrize("name", INSTRUMENTS)
def test_every_reason_starts_with_its_column(name: str) -> None:
    for rule in row_rules(load_instrument(name)):
        assert rule.reason.startswith(f"{rule.column}: ")


def test_a_bsn_gets_a_presence_and_an_elfproef_flag_a_kvk_only_presence() -> None:
    rules = _by_reason("placements")
    assert [(r.target, r.params) for r in rules["bsn: required"]] == [
        ("bsn__present", {"value_set": [True]})
    ]
    assert [r.target for r in rules["bsn: fails 11-proef"]] == ["bsn__elfproef"]
    assert [r.target for r in rules["employer_kvk: required"]] == ["employer_kvk__present"]
    assert not any(r.target.startswith("employer_kvk__elfproef") for v in rules.values() for r in v)


def test_an_optional_bsn_is_checked_only_for_the_elfproef() -> None:
    reasons = set(_by_reason("contacts"))
    assert "bsn: fails 11-proef" in reasons
    assert "bsn: required" not in reasons


def test_required_iff_gives_a_required_and_a_must_be_empty_rule() -> None:
    rules = _by_reason("placements")
    (required,) = rules["end_reason: required"]
    (empty,) = rules["end_reason: must be empty when end_date is empty"]
    assert (required.kind, required.when) == ("not_null", When("end_date", "present"))
    assert (empty.kind, empty.when) == ("null", When("end_date", "absent"))
    (level,) = rules["job_coach_level: required when job_coach is not geen"]
    assert level.when == When("job_coach", "not_in", ("geen",))
    (no_level,) = rules["job_coach_level: must be empty when job_coach is geen"]
    assert no_level.when == When("job_coach", "in", ("geen",))


def test_absent_if_gives_a_must_be_empty_rule_for_each_buddy_item() -> None:
    instrument = load_instrument("employee_survey")
    buddy_items = [c.name for c in instrument.columns if c.absent_if]
    assert len(buddy_items) == 6
    for name in buddy_items:
        (rule,) = _by_reason("employee_survey")[
            f"{name}: must be empty when buddy_present is false"
        ]
        assert (rule.kind, rule.when) == ("null", When("buddy_present", "equals", (False,)))


def test_wave_dependent_date_bounds_compare_with_per_row_bound_columns() -> None:
    rules = _by_reason("placements")
    (after,) = rules["start_date: after reference date"]
    assert after.params == {"column_A": "start_date__max", "column_B": "start_date"}
    (before,) = rules["end_date: before start_date"]
    assert before.params == {"column_A": "end_date", "column_B": "start_date"}
    fieldwork = _by_reason("employee_survey")["response_date: outside fieldwork window"]
    assert [r.params for r in fieldwork] == [
        {"column_A": "response_date", "column_B": "response_date__min"},
        {"column_A": "response_date__max", "column_B": "response_date"},
    ]


def test_a_column_bound_on_a_number_compares_with_that_column() -> None:
    (rule,) = _by_reason("employer_survey")["employees_target_group: above employees_total"]
    assert rule.kind == "a_ge_b"
    assert rule.params == {"column_A": "employees_total", "column_B": "employees_target_group"}


def test_numeric_minimum_and_maximum_are_separate_rules_with_their_own_reason() -> None:
    rules = _by_reason("placements")
    assert [r.params for r in rules["hours_per_week: below minimum"]] == [{"min_value": 1}]
    assert [r.params for r in rules["hours_per_week: above maximum"]] == [{"max_value": 40}]


def test_a_code_list_is_checked_through_its_known_codes_flag() -> None:
    (rule,) = _by_reason("contacts")["signals: unknown code"]
    assert (rule.target, rule.params) == ("signals__known", {"value_set": [True]})


def test_a_pattern_becomes_a_regex_rule() -> None:
    (rule,) = _by_reason("contacts")["advisor_code: does not match pattern"]
    assert rule.params == {"regex": "^AD-[0-9]{3}$"}


def test_a_column_without_constraints_has_no_rules() -> None:
    free = Column(name="x", type="boolean", zone="research")
    assert row_rules(_instrument(free)) == []


def test_an_unsupported_condition_in_a_schema_is_an_error() -> None:
    odd = Column(name="x", type="integer", zone="research", absent_if={"column": "y", "gt": 3})
    with pytest.raises(ValueError, match="unsupported row condition"):
        row_rules(_instrument(odd))
