"""The `ingest` flow under the session's Prefect test harness: tasks, artifact, logs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from deliveries import contact, employee_answer, make_bsn, make_kvk, placement, write_csv

REGION = "west-brabant"


def _deliveries(raw: Path) -> None:
    w = raw / REGION / "2019"
    write_csv(w / "placements.csv", "placements", [placement(n, n % 2) for n in range(1, 7)])
    write_csv(
        w / "employee_survey.csv",
        "employee_survey",
        [employee_answer(n, 2019) for n in range(1, 5)] + [employee_answer(99, 2019)],
    )
    write_csv(w / "contacts.csv", "contacts", [contact(0, 2019, person=1), contact(1, 2019)])
    (w / "employer_survey.csv").write_bytes(b"kvk_nummer,invuldatum\n")  # no data rows


async def _artifacts(flow_run_id: object) -> list[str]:
    from prefect.client.orchestration import get_client

    # Plain REST call: this pinned server rejects the client's null `limit`/`sort` defaults.
    body = {
        "artifacts": {"flow_run_id": {"any_": [str(flow_run_id)]}},
        "limit": 50,
        "offset": 0,
        "sort": "CREATED_DESC",
    }
    async with get_client() as client:
        response = await client._client.post("/artifacts/filter", json=body)
        response.raise_for_status()
    return [str(a["data"]) for a in response.json()]


def test_ingest_flow_runs_tasks_and_publishes_a_summary_without_identifiers(
    prefect_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from flows.ingest import ingest

    _deliveries(tmp_path / "raw")
    monkeypatch.setenv("DWT_PSEUDONYM_KEY", "flow-test-key-not-secret")
    caplog.set_level(logging.DEBUG)

    state = ingest(data_dir=str(tmp_path), return_state=True)
    assert state.is_completed()
    result = state.result()
    statuses = {f["path"].split("/")[-1]: f["status"] for f in result["files"]}
    assert statuses == {
        "contacts.csv": "accepted",
        "employee_survey.csv": "accepted",
        "employer_survey.csv": "rejected",
        "placements.csv": "accepted",
    }
    assert result["exit_code"] == 1

    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    assert len(artifacts) == 1
    summary = artifacts[0]
    assert "employer_survey.csv | rejected" in summary
    assert "no data rows" in summary

    identifiers = [make_bsn(n) for n in (*range(1, 7), 99)] + [make_kvk(0), make_kvk(1)]
    identifiers += ["Persoon1 Achternaam1", "Werkgever0 BV", "Gesprek met Persoon1"]
    logs = caplog.text
    for ident in identifiers:
        assert ident not in summary
        assert ident not in logs

    again = ingest(data_dir=str(tmp_path))
    assert not again["changed"]
    assert {f["status"] for f in again["files"]} == {"unchanged", "rejected"}
