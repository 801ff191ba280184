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
    assert execution["attempt"] == 2
    assert [r["seq"] for r in after] == list(range(1, len(after) + 1))  # nothing missing, nothing doubled
    assert after[: len(before)] == before  # what was recorded before the crash is untouched
    recovery = [r for r in after if r["observation_id"] == "recovery"]
    assert len(recovery) == 1 and recovery[0]["record"]["event"] == "worker_lost"
    assert [r["observation_id"] for r in after if r["attempt"] == 2] == [f"step {i}" for i in range(1, 7)]


def test_a_graceful_shutdown_hands_a_running_execution_back_to_the_queue(
    installation: Installation, target: Any
) -> None:
    headers, execution_id = _start_slow_execution(installation, target, steps=4, ms=300, recorded=1)
    installation.stop()  # SIGTERM: the server shuts down cleanly

    installation.serve()
    with httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10) as api:
        execution = wait_finished(api, execution_id, timeout_s=60)
        records = api.get(f"/executions/{execution_id}/records", params={"limit": 1000}).json()["items"]

    assert (execution["status"], execution["attempt"]) == ("PASSED", 2)
    [handed_back] = [r for r in records if r["observation_id"] == "recovery"]
    assert handed_back["record"]["event"] == "worker_shutdown"
