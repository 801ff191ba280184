"""A worker process that dies (SIGKILL) or freezes (SIGSTOP) mid-run, with real processes on one
database: another worker takes its execution up within 10 s of its last heartbeat (the lease, 60 s
here, has far to run), its running slot is free at once, and a frozen worker that wakes has its
late writes refused."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

from testament.store.tables import executions, workers
from tests.conftest import wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url

TAKEN_UP_WITHIN_S = 10.0
STEPS, STEP_MS = 40, 100  # a run of 4 s, each step a record


@pytest.fixture
def database(tmp_path: Path) -> str:
    return fresh_database_url(tmp_path)


@pytest.fixture
def installation(tmp_path: Path, database: str) -> Iterator[Installation]:
    inst = Installation(tmp_path / "data", database, lease_s=60, heartbeat_s=5, max_running_executions=1)
    yield inst
    inst.stop()


def _api(installation: Installation) -> httpx.Client:
    workspace = installation.cli_json("workspace", "create", "dead workers")["id"]
    token = installation.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    return httpx.Client(
        base_url=installation.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _slow_case(api: httpx.Client, target: Any) -> str:
    slow = {"url": f"{target.url}/slow?ms={STEP_MS}"}
    content = {"steps": [{"name": f"step {i}", "request": slow} for i in range(STEPS)]}
    case = api.post("/test-cases", json={"kind": "http", "name": "slow", "content": content, "publish": True})
    assert case.status_code == 201, case.text
    return str(case.json()["id"])


def _start(api: httpx.Client, case_id: str) -> str:
    started = api.post("/executions", json={"test_case_id": case_id})
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def _owner(database: str, execution_id: str) -> str | None:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(executions.c.lease_owner).where(executions.c.id == execution_id)
            ).scalar()
    finally:
        engine.dispose()


def _last_heartbeat(database: str, owner: str) -> datetime:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            beat = conn.execute(
                select(workers.c.last_heartbeat_at).where(workers.c.owner == owner)
            ).scalar_one()
    finally:
        engine.dispose()
    return beat if beat.tzinfo else beat.replace(tzinfo=UTC)


def _first_worker_runs_it(
    installation: Installation, database: str, api: httpx.Client, target: Any
) -> tuple[subprocess.Popen[bytes], str, str, str]:
    """Worker A runs a slow execution (holding the cap of 1), a second one waits; then worker B
    joins. Returns A, A's lease owner, and the two executions."""
    first, _ = installation.worker("--concurrency", "1")
    case = _slow_case(api, target)
    running = _start(api, case)
    owner = wait_for(lambda: _owner(database, running), timeout_s=10)
    waiting = _start(api, case)
    installation.worker("--concurrency", "1")
    wait_for(lambda: any(r["status"] == "PASSED" for r in _records(api, running)), timeout_s=10)
    return first, owner, running, waiting


def _records(api: httpx.Client, execution_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/executions/{execution_id}/records", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _taken_up(database: str, execution_ids: list[str], dead_owner: str) -> bool:
    owners = [_owner(database, x) for x in execution_ids]
    return any(o is not None and o != dead_owner for o in owners)


def test_a_killed_workers_execution_is_taken_up_within_10_s_of_its_last_heartbeat(
    installation: Installation, database: str, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    with _api(installation) as api:
        first, owner, running, waiting = _first_worker_runs_it(installation, database, api, target)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        last_beat = _last_heartbeat(database, owner)

        # the slot the dead worker held is free: another worker runs one of the two at once
        wait_for(lambda: _taken_up(database, [running, waiting], owner), timeout_s=15, interval_s=0.1)
        taken_after_s = (datetime.now(UTC) - last_beat).total_seconds()
        assert taken_after_s < TAKEN_UP_WITHIN_S

        for execution_id in (running, waiting):
            assert wait_finished(api, execution_id, timeout_s=60)["status"] == "PASSED"
        recovered = api.get(f"/executions/{running}").json()
        assert recovered["interruptions"] == 1
        recovery = next(r for r in _records(api, running) if r["observation_id"] == "recovery")
        # on its own host its missing process tells first; elsewhere, its silent heartbeats
        assert recovery["record"]["reason"].endswith(("no longer exists", "stopped its heartbeats"))


def test_a_frozen_worker_that_wakes_has_its_late_writes_refused(
    installation: Installation, database: str, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    with _api(installation) as api:
        first, owner, running, waiting = _first_worker_runs_it(installation, database, api, target)
        os.killpg(first.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: _taken_up(database, [running, waiting], owner), timeout_s=15, interval_s=0.1)
            taken_after_s = (datetime.now(UTC) - _last_heartbeat(database, owner)).total_seconds()
            assert taken_after_s < TAKEN_UP_WITHIN_S
        finally:
            os.killpg(first.pid, signal.SIGCONT)  # it wakes mid-run, its lease owner changed
        time.sleep(1.5)  # it tries its next writes

        for execution_id in (running, waiting):
            assert wait_finished(api, execution_id, timeout_s=60)["status"] == "PASSED"
        kept = _records(api, running)
        run_again = [r for r in kept if not r["interrupted"]]
        assert [r["observation_id"] for r in run_again] == [f"step {i}" for i in range(STEPS)]
        assert api.get(f"/executions/{running}").json()["interruptions"] == 1
        recovery = next(r for r in kept if r["observation_id"] == "recovery")
        assert recovery["record"]["reason"].endswith("stopped its heartbeats")  # alive, but silent
        assert first.poll() is None  # alive again, and it wrote nothing into another's run
