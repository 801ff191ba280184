"""Kill the server with SIGKILL in the middle of a run; after a restart the execution ends
correctly and every record written before the crash is still there."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path), heartbeat_s=0.5, lease_s=5)
    yield inst
    inst.stop()


def _start_slow_execution(
    installation: Installation, target: Any, *, steps: int, ms: int, recorded: int
) -> tuple[dict[str, str], str]:
    """Serve a fresh workspace, start an HTTP case of `steps` slow steps and return (headers,
    execution id) once `recorded` records are written, so the run is caught in the middle."""
    workspace = installation.cli_json("workspace", "create", "crash")["id"]
    token = installation.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    url = installation.serve()
    headers = {"Authorization": f"Bearer {token}"}
    slow = {"url": f"{target.url}/slow?ms={ms}"}
    case_body = {
        "kind": "http",
        "name": "slow",
        "content": {"steps": [{"name": f"step {i}", "request": slow} for i in range(1, steps + 1)]},
        "publish": True,
    }
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=10) as api:
        case = api.post("/test-cases", json=case_body)
        execution_id = api.post("/executions", json={"test_case_id": case.json()["id"]}).json()["id"]
        wait_for(lambda: api.get(f"/executions/{execution_id}").json()["records"]["total"] >= recorded)
    return headers, execution_id


def test_an_execution_survives_a_killed_server_without_losing_a_record(
    installation: Installation, target: Any
) -> None:
    headers, execution_id = _start_slow_execution(installation, target, steps=6, ms=400, recorded=2)
    with httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10) as api:
        before = api.get(f"/executions/{execution_id}/records").json()["items"]

    installation.kill()
    installation.serve()  # same data, a new process

    with httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10) as api:
        execution = wait_finished(api, execution_id, timeout_s=60)
        after = api.get(f"/executions/{execution_id}/records", params={"limit": 1000}).json()["items"]

    assert execution["status"] == "PASSED"
    assert (execution["attempt"], execution["max_attempts"], execution["interruptions"]) == (1, 1, 1)
    assert [r["seq"] for r in after] == list(range(1, len(after) + 1))  # nothing missing, nothing doubled
    assert [_unmarked(r) for r in after[: len(before)]] == [_unmarked(r) for r in before]  # kept as written
    assert all(r["interrupted"] for r in after[: len(before)])
    recovery = [r for r in after if r["observation_id"] == "recovery"]
    assert len(recovery) == 1 and recovery[0]["record"]["event"] == "worker_lost"
    assert [r["observation_id"] for r in after if not r["interrupted"]] == [f"step {i}" for i in range(1, 7)]


def _unmarked(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "interrupted"}


def test_a_clean_shutdown_mid_run_is_an_interruption_not_a_retry(
    installation: Installation, target: Any
) -> None:
    headers, execution_id = _start_slow_execution(installation, target, steps=4, ms=300, recorded=1)
    installation.stop()  # SIGTERM: the server shuts down cleanly, handing the execution back

    installation.serve()
    with httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10) as api:
        execution = wait_finished(api, execution_id, timeout_s=60)
        records = api.get(f"/executions/{execution_id}/records", params={"limit": 1000}).json()["items"]

    # the test case has no retries: one attempt of one, run twice because the first run was cut short
    assert (execution["status"], execution["flaky"]) == ("PASSED", False)
    assert (execution["attempt"], execution["max_attempts"], execution["interruptions"]) == (1, 1, 1)
    assert {r["attempt"] for r in records} == {1}
    cut_short = [r for r in records if r["interrupted"]]
    steps = [r["observation_id"] for r in cut_short[:-1]]
    assert 1 <= len(steps) < 4 and steps == [f"step {i}" for i in range(1, len(steps) + 1)]
    handed_back = cut_short[-1]
    assert (handed_back["observation_id"], handed_back["record"]["event"]) == ("recovery", "worker_shutdown")
    assert handed_back["record"]["action"] == "attempt 1 runs again from its start"
    assert records[: len(cut_short)] == cut_short  # the cut-short run's records come first, as written
    rerun = [r["observation_id"] for r in records if not r["interrupted"]]
    assert rerun == [f"step {i}" for i in range(1, 5)]
    assert execution["score"]["scoreboard"]["noOfQuestions"] == 4  # scored on the run that finished
    assert execution["score"]["scoreboard"]["pointsAchieved"] == 4
