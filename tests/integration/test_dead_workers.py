"""A registered worker whose heartbeats stopped is known dead within seconds: its executions are
taken up again without waiting for their leases, its running slots are freed at once, and its
late writes are refused."""

from datetime import timedelta
from typing import Any

import pytest

from testament.domain.execution import ExecutionStatus
from testament.engine import queue
from testament.services import workers
from tests.integration.conftest import Engine
from tests.integration.test_engine import get, publish_http, records, start

ELSEWHERE = "another-host:1:x:worker"  # only its heartbeats tell whether it lives


def _registered(engine: Engine, owner: str) -> str:
    registration = workers.Registration(
        owner=owner, host="another-host", pid=1, kinds=("http",), labels={}, concurrency=1, version="t"
    )
    return workers.register(engine.ctx, registration)


def _claimed_by(engine: Engine, owner: str) -> str:
    execution_id = start(engine, publish_http(engine, "held", ["http://127.0.0.1:9/never"]))
    job = queue.claim_next(engine.ctx, owner)
    assert job is not None and job.execution.id == execution_id
    return execution_id


def _later(engine: Engine, seconds: float) -> None:
    moment = engine.ctx.clock() + timedelta(seconds=seconds)
    engine.ctx.clock = lambda: moment


def test_a_silent_workers_execution_is_taken_up_long_before_its_lease_runs_out(make_engine: Any) -> None:
    engine = make_engine(lease_s=60, max_running_executions=1)
    _registered(engine, ELSEWHERE)
    execution_id = _claimed_by(engine, ELSEWHERE)
    waiting = start(engine, publish_http(engine, "waits for the slot", ["http://127.0.0.1:9/never"]))
    assert queue.claim_next(engine.ctx, "live-host:2:y:worker") is None  # the cap of 1 is held

    _later(engine, workers.dead_after_s(engine.ctx.settings) + 0.5)  # the lease has 59 s left

    assert queue.recover_lost(engine.ctx) == [execution_id]
    execution = get(engine, execution_id)
    assert (execution.status, execution.lease_owner) == (ExecutionStatus.QUEUED, None)
    recovery = records(engine, execution_id)[-1].record
    assert (recovery["event"], recovery["worker"]) == ("worker_lost", ELSEWHERE)
    assert "heartbeats" in recovery["reason"]
    job = queue.claim_next(engine.ctx, "live-host:2:y:worker")  # its slot is free at once
    assert job is not None and job.execution.id in (execution_id, waiting)
    with pytest.raises(queue.LeaseLost):  # the dead worker, waking, writes nothing
        queue.append_record(engine.ctx, execution_id, ELSEWHERE, "late", queue.RecordStatus.PASSED, {})


def test_a_beating_worker_keeps_its_executions(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    worker_id = _registered(engine, ELSEWHERE)
    execution_id = _claimed_by(engine, ELSEWHERE)
    _later(engine, workers.dead_after_s(engine.ctx.settings) + 0.5)
    workers.heartbeat(engine.ctx, worker_id)

    assert queue.recover_lost(engine.ctx) == []
    assert get(engine, execution_id).status == ExecutionStatus.RUNNING


def test_a_signed_off_workers_leftover_is_taken_up_at_once(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    worker_id = _registered(engine, ELSEWHERE)
    execution_id = _claimed_by(engine, ELSEWHERE)
    workers.sign_off(engine.ctx, worker_id)

    assert queue.recover_lost(engine.ctx) == [execution_id]


def test_an_unregistered_owner_waits_for_its_lease(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    execution_id = _claimed_by(engine, ELSEWHERE)  # a server's own pool registers no worker
    _later(engine, 30)

    assert queue.recover_lost(engine.ctx) == []
    assert get(engine, execution_id).status == ExecutionStatus.RUNNING
