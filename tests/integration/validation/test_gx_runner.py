"""The GX runner: one context per process, file-level reasons, quiet runs, stored summaries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from helpers.gx_frames import clean_rows, typed_frame

from dwt.schema import load_instrument
from dwt.validation import gxcontext
from dwt.validation.runner import ValidationRunError, Validator, write_results

PLACEMENTS = load_instrument("placements")


def test_validators_without_a_project_share_the_open_gx_context(validator: Validator) -> None:
    typed = typed_frame("placements", clean_rows("placements", 2))
    validator.validate_rows(typed, PLACEMENTS)
    opened = gxcontext.contexts_created
    other = Validator()
    other.validate_rows(typed, PLACEMENTS)
    other.validate_file(typed, PLACEMENTS)
    assert other.context is validator.context
    assert gxcontext.contexts_created == opened  # GX's start-up is not paid again


def test_a_validator_of_another_lake_opens_that_lakes_project(
    validator: Validator, tmp_path: Path
) -> None:
    typed = typed_frame("placements", clean_rows("placements", 2))
    mine = Validator(project=tmp_path / ".gx")
    assert mine.validate_rows(typed, PLACEMENTS).summary["rows"] == 2
    assert (tmp_path / ".gx" / "great_expectations.yml").is_file()
    assert "placements.rows" in (tmp_path / ".gx" / "great_expectations.yml").read_text()
    shutil.rmtree(tmp_path / ".gx")  # a lake removed under a running process
    assert validator.validate_rows(typed, PLACEMENTS).summary["rows"] == 2


def test_a_validator_builds_each_suite_once(validator: Validator) -> None:
    assert validator.row_suite(PLACEMENTS) is validator.row_suite(PLACEMENTS)
    assert validator.file_suite(PLACEMENTS) is validator.file_suite(PLACEMENTS)


def test_validation_prints_no_progress_bars(
    validator: Validator, capfd: pytest.CaptureFixture[str]
) -> None:
    typed = typed_frame("placements", clean_rows("placements", 2, hours_per_week=60.0))
    validator.validate_rows(typed, PLACEMENTS)
    out, err = capfd.readouterr()
    assert "Calculating Metrics" not in out + err
    assert "%|" not in err


def test_a_file_missing_a_required_column_is_rejected_with_its_name(
    validator: Validator,
) -> None:
    typed = typed_frame("placements", clean_rows("placements")).drop(columns=["gender", "bsn"])
    assert sorted(validator.validate_file(typed, PLACEMENTS)) == [
        "missing required column: bsn", "missing required column: gender",
    ]  # fmt: skip


def test_a_file_without_data_rows_is_rejected(validator: Validator) -> None:
    typed = typed_frame("placements", [])
    assert validator.validate_file(typed, PLACEMENTS) == ["no data rows"]


def test_a_complete_file_is_not_rejected(validator: Validator) -> None:
    typed = typed_frame("placements", clean_rows("placements"))
    assert validator.validate_file(typed, PLACEMENTS) == []


def test_an_empty_frame_validates_to_no_reasons(validator: Validator) -> None:
    validation = validator.validate_rows(typed_frame("placements", []), PLACEMENTS)
    assert validation.reasons.empty
    assert validation.summary["rows"] == 0


def test_an_expectation_that_cannot_run_stops_validation_without_quoting_values(
    validator: Validator,
) -> None:
    typed = typed_frame("placements", clean_rows("placements"))
    # a date where a number belongs: GX cannot compare it with the range's bounds
    typed["hours_per_week"] = pd.Series([pd.Timestamp("2018-03-01")], dtype=object)
    with pytest.raises(ValidationRunError) as raised:
        validator.validate_rows(typed, PLACEMENTS)
    assert "2018" not in str(raised.value)
    assert "hours_per_week: below minimum" in str(raised.value)


def test_write_results_stores_the_summary_as_json_in_the_given_folder(
    validator: Validator, tmp_path: Path
) -> None:
    typed = typed_frame("placements", clean_rows("placements", 3, birth_year=1900))
    summary = validator.validate_rows(typed, PLACEMENTS).summary
    path = write_results(summary, tmp_path / "restricted" / "gx")
    assert path.parent == tmp_path / "restricted" / "gx"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored == summary
    failing = [e for e in stored["expectations"] if e["unexpected_count"]]
    assert [(e["reason"], e["unexpected_count"]) for e in failing] == [
        ("birth_year: below minimum", 3)
    ]
    assert "111222333" not in path.read_text(encoding="utf-8")


def test_a_column_that_failed_parsing_gets_no_second_reason_from_gx(
    validator: Validator,
) -> None:
    # parse emptied an unknown contract type and an unreadable birth year
    typed = typed_frame("placements", clean_rows("placements", 3, contract_type=None))
    typed.index = pd.Index([4, 5, 6])
    parse_reasons = pd.Series(
        [["contract_type: unknown code"], [], ["birth_year: not an integer"]], index=[4, 5, 6]
    )
    validation = validator.validate_rows(typed, PLACEMENTS, parse_reasons)
    assert validation.reasons.to_list() == [
        [], ["contract_type: required"], ["contract_type: required"],
    ]  # fmt: skip
    assert (
        validator.validate_rows(typed, PLACEMENTS).reasons.to_list()
        == [["contract_type: required"]] * 3
    )


def test_parse_reasons_must_match_the_rows(validator: Validator) -> None:
    typed = typed_frame("placements", clean_rows("placements", 2))
    with pytest.raises(ValueError, match="one entry per row"):
        validator.validate_rows(typed, PLACEMENTS, pd.Series([[]]))


def test_gx_keeps_no_validated_frame_after_a_run(validator: Validator) -> None:
    """GX's execution engine caches every batch it loaded; a whole delivery's prepared frame
    stayed in memory through curation until the runner dropped it."""
    import gc
    import weakref

    typed = typed_frame("placements", clean_rows("placements", 3))
    validator.validate_rows(typed, PLACEMENTS)
    validator.validate_file(typed, PLACEMENTS)
    source = validator.context.data_sources.get(gxcontext.DATASOURCE)
    manager = source.get_execution_engine().batch_manager
    assert manager.batch_data_cache == {}
    assert dict(manager.batch_cache) == {}
    # and nothing else holds the frames GX was given
    frames = [o for o in gc.get_objects() if isinstance(o, pd.DataFrame) and len(o) == 3]
    refs = [weakref.ref(f) for f in frames]
    del frames
    gc.collect()
    held = [r() for r in refs if r() is not None and r() is not typed]
    assert not any(type(x).__name__ == "PandasBatchData" for h in held for x in gc.get_referrers(h))
