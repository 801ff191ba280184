"""Workers woken through the database, and the running cap across worker processes: real
`testament serve --no-workers` and `testament worker` processes on one database.

A start and a stop are NOTIFYs on PostgreSQL, datagrams to each worker's socket on SQLite: with
polling set to 30 s (so polling cannot be what wakes anyone) a queued execution starts, and a stop
reaches a running one, within 1 s. The cap holds across processes on either database."""

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from testament.domain.execution import ExecutionStatus
from testament.store.tables import executions
from tests.conftest import wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url

POLL_S = 30  # far longer than any wait below: only a wake-up can wake a worker in time


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(
        tmp_path / "data", fresh_database_url(tmp_path), poll_s=POLL_S, heartbeat_s=20, lease_s=60
    )
    yield inst
    inst.stop()


def _api(installation: Installation, workspace_name: str) -> httpx.Client:
    workspace = installation.cli_json("workspace", "create", workspace_name)["id"]
    token = installation.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10)


def _slow_case(api: httpx.Client, target: Any, *, steps: int, ms: int) -> str:
    slow = {"url": f"{target.url}/slow?ms={ms}"}
    content = {"steps": [{"name": f"step {i}", "request": slow} for i in range(steps)]}
    response = api.post(
        "/test-cases", json={"kind": "http", "name": "slow", "content": content, "publish": True}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _start(api: httpx.Client, test_case_id: str) -> str:
    response = api.post("/executions", json={"test_case_id": test_case_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def test_a_queued_execution_starts_on_a_worker_within_a_second_of_its_start(
    installation: Installation, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    installation.worker("--concurrency", "2")
    with _api(installation, "wake-ups") as api:
        case = _slow_case(api, target, steps=1, ms=10)
        for _ in range(5):  # each while the worker idles: its threads wait on a 30 s poll
            execution = wait_finished(api, _start(api, case), timeout_s=10)
            assert execution["status"] == "PASSED"
            assert _seconds(execution["started_at"], execution["queued_at"]) < 1.0


def test_a_stop_through_the_api_reaches_a_run_on_a_worker_within_a_second(
    installation: Installation, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    installation.worker("--concurrency", "2")
    with _api(installation, "stops") as api:
        case = _slow_case(api, target, steps=100, ms=100)  # 10 s unless stopped
        execution_id = _start(api, case)
        wait_for(lambda: api.get(f"/executions/{execution_id}").json()["status"] == "RUNNING", timeout_s=5)
        asked = time.monotonic()
        assert api.post(f"/executions/{execution_id}/stop").status_code == 200

        wait_for(lambda: api.get(f"/executions/{execution_id}").json()["status"] == "STOPPED", timeout_s=1.5)
        # the lease renewal (every 20 s here) cannot have carried it: the wake-up did
        assert time.monotonic() - asked < 1.0


def test_the_running_cap_holds_across_two_worker_processes(tmp_path: Path, target: Any) -> None:
    database = fresh_database_url(tmp_path)
    installation = Installation(
        tmp_path / "data", database, poll_s=0.2, heartbeat_s=0.5, lease_s=5, max_running_executions=3
    )
    try:
        installation.serve(None, "--no-workers")
        installation.worker("--concurrency", "2")
        installation.worker("--concurrency", "2")
        with _api(installation, "capped") as api:
            case = _slow_case(api, target, steps=2, ms=150)
            started = [_start(api, case) for _ in range(12)]
            peak, owners = _watch_running(database, lambda: _all_finished(api, started))
    finally:
        installation.stop()

    assert peak == 3  # the cap, never passed by 4 threads asking; reached only with both processes
    assert len(owners) == 2


def _all_finished(api: httpx.Client, execution_ids: list[str]) -> bool:
    return all(wait_finished(api, x, timeout_s=60)["status"] == "PASSED" for x in execution_ids)


def _watch_running(database: str, finish: Any) -> tuple[int, set[str]]:
    """The most executions RUNNING at one moment and the workers that held them, sampled until
    `finish()` returns."""
    engine = create_engine(database)
    peak, owners, done = 0, set(), threading.Event()

    def sample() -> None:
        nonlocal peak
        with engine.connect() as conn:
            while not done.is_set():
                rows = conn.execute(
                    select(executions.c.lease_owner).where(executions.c.status == ExecutionStatus.RUNNING)
                ).all()
                conn.rollback()
                peak = max(peak, len(rows))
                owners.update(row.lease_owner for row in rows)
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        assert finish()
    finally:
        done.set()
        sampler.join()
        engine.dispose()
    return peak, owners
