"""`dwt metrics` and `dwt query` as a user runs them, over a tiny lake in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.analytics_lake import d, lake_of_size, write_history, write_table

from commands.main import main

A, B = "haaglanden", "west-brabant"
HORIZON_KEYS = {"estimate", "ci_low", "ci_high", "at_risk"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Region A: 40 placements, region B: 7 (so B's small counts must be protected)."""
    curated = tmp_path / "curated"
    write_history(curated, lake_of_size(A, 40) + lake_of_size(B, 7, wave=2019))
    contacts = []
    for i in range(23):
        contacts.append(
            {
                "region": A, "wave": 2018 + i % 2, "contact_id": f"c{i}", "employer_id": "E1",
                "contact_date": d("2018-05-01"),
                "contact_type": "interview" if i % 7 else "focusgroep",
                "risk_level": ["groen", "oranje", "rood"][i % 3],
                # One empty cell (a NULL list, as the ingest stores it).
                "signals": None if i == 5 else ["werkdruk"] if i % 4 else ["conflict", "prive"],
            }
        )  # fmt: skip
    write_table(curated, "contacts", contacts)
    survey = [
        {"region": A, "wave": 2018, "participant_id": f"Pha{i}", "work_ability": i % 10,
         "job_satisfaction": 1 + i % 5, "health": 2 + i % 3}
        for i in range(0, 30, 2)
    ]  # fmt: skip
    write_table(curated, "employee_survey", survey)
    return tmp_path


def metrics_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["metrics", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_json_has_the_documented_shape(data_dir: Path, capsys) -> None:
    m = metrics_json(capsys, "--data-dir", str(data_dir))
    assert set(m["regions"]) == {A, B}
    region = m["regions"][A]
    for key in (
        "reference_date", "placements", "participants", "employers", "retention", "sustained",
        "median_days", "curve", "sustained_curve", "factors", "trajectories", "response",
        "recruitment", "monitoring", "measures", "cox",
    ):  # fmt: skip
        assert key in region, key
        assert key in m["all"] or key in ("reference_date", "recruitment"), key
    assert set(region["retention"]) == {"12", "24", "36"}
    assert set(region["retention"]["12"]) == HORIZON_KEYS
    assert set(region["curve"][0]) == {"days", "survival", "ci_low", "ci_high", "at_risk"}
    assert region["placements"] == 40 and m["all"]["placements"] == 47
    assert set(region["response"]["employee_survey"]) == {str(w) for w in range(2017, 2021)}
    assert region["recruitment"]["participants_met"] is False
    assert region["monitoring"]["contacts"]["2018"]["total"] == 12
    assert region["trajectories"]["work_ability"]["2018"]["n"] == 15


def test_metrics_json_is_deterministic(data_dir: Path, capsys) -> None:
    assert main(["metrics", "--data-dir", str(data_dir), "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["metrics", "--data-dir", str(data_dir), "--json"]) == 0
    assert capsys.readouterr().out == first
    assert "NaN" not in first and "Infinity" not in first


def test_region_flag_limits_the_output(data_dir: Path, capsys) -> None:
    m = metrics_json(capsys, "--data-dir", str(data_dir), "--region", B)
    assert list(m["regions"]) == [B]
    assert m["all"]["placements"] == 7


def test_text_summary_names_each_region(data_dir: Path, capsys) -> None:
    assert main(["metrics", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert A in out and B in out and "retention R(t)" in out


SMALL_OK_KEYS = {"df", "reference_wave", "employers_target", "participants_target", "disclosure"}


def small_counts(tree: Any, k: int, path: tuple = ()) -> list[tuple]:
    """Every int 1..k-1 in the JSON, except integers that are not counts (df, years, targets)."""
    found = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key not in SMALL_OK_KEYS:
                found += small_counts(value, k, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            found += small_counts(value, k, (*path, i))
    elif isinstance(tree, int) and not isinstance(tree, bool) and 1 <= tree < k:
        found.append(path)
    return found


def test_safe_output_shows_no_count_below_k(data_dir: Path, capsys) -> None:
    raw = metrics_json(capsys, "--data-dir", str(data_dir))
    assert small_counts(raw, 5), "the fixture must hold small counts for this test to mean much"
    safe = metrics_json(capsys, "--data-dir", str(data_dir), "--safe")
    assert small_counts(safe, 5) == []
    assert '"<7"' in json.dumps(safe)  # midpoint-6: shown from 7 on
    assert safe["disclosure"]["rounding"] == "midpoint6"
    assert safe["disclosure"]["attacker"]["passed"] is True


def test_safe_output_hides_estimates_and_curves_of_small_groups(data_dir: Path, capsys) -> None:
    safe = metrics_json(capsys, "--data-dir", str(data_dir), "--safe")
    level = safe["regions"][B]["factors"]["job_coach"]["levels"]["intern"]
    assert level["n"] == "<7"
    assert level["retention"]["12"]["estimate"] is None and level["retention"]["12"]["suppressed"]
    a = safe["regions"][A]
    assert a["retention"]["12"]["estimate"] is not None  # 40 placements: shown
    # The curve comes from the rounded risk table: it starts at the rounded count (40 -> 39)
    # and stops before fewer than 7 remain at risk.
    assert a["curve"] and all(p["at_risk"] >= 7 for p in a["curve"])
    assert a["curve"][0]["at_risk"] == a["placements"] == 39


def test_safe_output_protects_a_small_region_against_the_pooled_total(
    data_dir: Path, capsys
) -> None:
    # B has 7 placements, but its factor levels are small; whatever is hidden in B, the
    # placements of A, B and all must not allow solving a hidden count by subtraction.
    safe = metrics_json(capsys, "--data-dir", str(data_dir), "--safe")
    for f, factor in safe["regions"][B]["factors"].items():
        cells = [lv["n"] for lv in factor["levels"].values()] + [factor["n_missing"]]
        hidden = [c for c in cells if not isinstance(c, int)]
        total_visible = isinstance(safe["regions"][B]["placements"], int)
        assert not (total_visible and len(hidden) == 1), f


def test_metrics_on_an_empty_lake_exits_1_with_a_clear_message(tmp_path: Path, capsys) -> None:
    assert main(["metrics", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"no curated data under {tmp_path / 'curated'}: run dwt ingest first" in err


def test_unknown_region_is_a_usage_error(data_dir: Path, capsys) -> None:
    assert main(["metrics", "--data-dir", str(data_dir), "--region", "atlantis"]) == 2


def test_query_prints_a_table_and_csv(data_dir: Path, capsys) -> None:
    sql = "SELECT region, count(*) AS n FROM placements GROUP BY region ORDER BY region"
    assert main(["query", "--data-dir", str(data_dir), sql, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["region,n", f"{A},40", f"{B},7"]
    assert main(["query", "--data-dir", str(data_dir), "DESCRIBE placements"]) == 0
    assert "start_date" in capsys.readouterr().out


@pytest.mark.parametrize(
    "sql",
    [
        "DROP VIEW placements",
        "INSERT INTO placements SELECT * FROM placements",
        "COPY placements TO 'out.csv'",
        "SELECT 1; DROP VIEW placements",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO 'out.csv'",
        "ATTACH 'other.duckdb'",
        "SET enable_external_access = true",
    ],
)
def test_query_refuses_anything_but_one_read_only_statement(
    data_dir: Path, capsys, sql: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["query", "--data-dir", str(data_dir), sql]) == 2
    assert "refused" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_query_cannot_read_files_outside_the_curated_lake(
    data_dir: Path, capsys, tmp_path: Path
) -> None:
    secret = tmp_path / "restricted.csv"
    secret.write_text("bsn\n123456782\n")
    assert main(["query", "--data-dir", str(data_dir), f"SELECT * FROM read_csv('{secret}')"]) == 2
    captured = capsys.readouterr()
    assert "123456782" not in captured.out
