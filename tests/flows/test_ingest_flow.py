"""The `ingest` flow under the session's Prefect test harness: tasks, artifact, logs."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from helpers.deliveries import contact, employee_answer, make_bsn, make_kvk, placement, write_csv

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


async def _events(flow_run_id: object) -> list[dict[str, Any]]:
    """The dwt.delivery.* events related to one flow run (the events API may lag a little)."""
    from prefect.client.orchestration import get_client

    body = {
        "filter": {
            "event": {"prefix": ["dwt.delivery."]},
            "related": {"resources_in_roles": [[f"prefect.flow-run.{flow_run_id}", "flow-run"]]},
        },
        "limit": 50,
    }
    for _ in range(30):
        async with get_client() as client:
            response = await client._client.post("/events/filter", json=body)
            response.raise_for_status()
        found = list(response.json()["events"])
        if len(found) >= 2:
            return found
        await asyncio.sleep(1)
    return found


async def _artifacts(flow_run_id: object) -> list[dict[str, Any]]:
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
    return list(response.json())


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
    by_type: dict[str, list[dict[str, Any]]] = {}
    for artifact in artifacts:
        by_type.setdefault(artifact["type"], []).append(artifact)
    [markdown] = by_type["markdown"]
    summary = str(markdown["data"])
    assert "employer_survey.csv | rejected" in summary
    assert "no data rows" in summary
    # the table artifact: one row per file with its status and counts
    [table] = by_type["table"]
    rows = {r["path"].split("/")[-1]: r for r in json.loads(table["data"])}
    assert rows["placements.csv"] == {
        "path": f"{REGION}/2019/placements.csv", "status": "accepted", "rows": 6, "curated": 6,
        "quarantined": 0, "reason": None,
    }  # fmt: skip
    assert rows["employee_survey.csv"]["quarantined"] == 1  # person 99 is unknown
    assert rows["employer_survey.csv"]["status"] == "rejected"
    # progress artifacts of the long stages, each at 100 % once the run is done
    progress = {a["key"]: a["data"] for a in by_type["progress"]}
    assert progress == {
        "ingest-reading-files": 100.0, "ingest-validating": 100.0,
        "ingest-curating-regions": 100.0,
    }  # fmt: skip
    summary += json.dumps(artifacts)
    # an event per rejected file and per file with quarantined rows, counts and reasons only
    events = asyncio.run(_events(state.state_details.flow_run_id))
    got = sorted((e["event"], e["resource"]["prefect.resource.name"]) for e in events)
    assert got == [
        ("dwt.delivery.quarantined", f"{REGION}/2019/employee_survey.csv"),
        ("dwt.delivery.rejected", f"{REGION}/2019/employer_survey.csv"),
    ]
    summary += json.dumps(events)

    identifiers = [make_bsn(n) for n in (*range(1, 7), 99)] + [make_kvk(0), make_kvk(1)]
    identifiers += ["Persoon1 Achternaam1", "Werkgever0 BV", "Gesprek met Persoon1"]
    logs = caplog.text
    for ident in identifiers:
        assert ident not in summary
        assert ident not in logs

    again = ingest(data_dir=str(tmp_path))
    assert not again["changed"]
    assert {f["status"] for f in again["files"]} == {"unchanged", "rejected"}


async def _task_run_names(flow_run_id: object) -> list[str]:
    from prefect.client.orchestration import get_client

    body = {
        "flow_runs": {"id": {"any_": [str(flow_run_id)]}},
        "limit": 200,
        "offset": 0,
        "sort": "EXPECTED_START_TIME_ASC",
    }
    async with get_client() as client:
        response = await client._client.post("/task_runs/filter", json=body)
        response.raise_for_status()
    return [str(t["name"]) for t in response.json()]


def test_the_flow_runs_the_same_sequence_as_the_plain_steps_and_builds_the_same_lake(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.lake_runs import digest_but_run_ids

    from dwt.config import Settings
    from flows.ingest import ingest, run_ingest

    monkeypatch.setenv("DWT_PSEUDONYM_KEY", "flow-test-key-not-secret")
    flowed, plain = tmp_path / "flow", tmp_path / "plain"
    for data in (flowed, plain):
        _deliveries(data / "raw")
        _deliveries_elsewhere(data / "raw")

    state = ingest(data_dir=str(flowed), return_state=True)
    assert state.is_completed()
    run_ingest(Settings(data_dir=plain), b"flow-test-key-not-secret")
    assert digest_but_run_ids(flowed) == digest_but_run_ids(plain)

    names = asyncio.run(_task_run_names(state.state_details.flow_run_id))
    # curation is a step of its own per affected region (named for it), between stage and commit
    assert {"curate-haaglanden", "curate-west-brabant"} <= set(names)
    order = [n.rsplit("-", 1)[0] if not n.startswith("curate-") else "curate" for n in names]
    assert order.index("stage") < order.index("curate") < order.index("commit")
    # one read task per instrument delivered, not one per file (five files, two placements)
    assert sorted(n for n in names if n.startswith("read-")) == [
        "read-contacts", "read-employee_survey", "read-employer_survey", "read-placements"
    ]  # fmt: skip


def _deliveries_elsewhere(raw: Path) -> None:
    w = raw / "haaglanden" / "2019"
    write_csv(w / "placements.csv", "placements", [placement(n, 7) for n in range(20, 24)])
