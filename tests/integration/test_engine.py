"""The engine on a real database: limits, timeouts, recovery, retries, stop and events."""

import logging
import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from testament.bootstrap import build_context
from testament.domain.errors import QuotaExceeded
from testament.domain.execution import Execution, ExecutionStatus, Outcome, RecordStatus
from testament.engine import queue, worker
from testament.services import executions as ex
from testament.services import keys, scores, workspaces
from testament.services import test_cases as tc
from testament.services.events import ExecutionFinished, ExecutionQueued, ExecutionStarted, RecordAdded
from tests.conftest import wait_for
from tests.integration.conftest import Engine


def publish_http(engine: Engine, name: str, urls: list[str], retries: int = 0, **kw: Any) -> str:
    steps = [
        {"name": f"step {i + 1}", "request": {"url": url}, "expect": {"status": 200}}
        for i, url in enumerate(urls)
    ]
    view = tc.create_test_case(
        engine.ctx,
        engine.principal,
        kind="http",
        name=name,
        content={"steps": steps},
        publish=True,
        retries=retries,
        **kw,
    )
    return view.test_case.id


def start(engine: Engine, case_id: str) -> str:
    return ex.start_execution(engine.ctx, engine.principal, test_case_id=case_id).executions[0].id


def get(engine: Engine, execution_id: str) -> Execution:
    return ex.get_execution(engine.ctx, engine.principal, execution_id)


def finished(engine: Engine, execution_id: str, timeout_s: float = 30) -> Execution:
    result: Execution = wait_for(
        lambda: (x := get(engine, execution_id)).status.is_terminal and x, timeout_s=timeout_s
    )
    return result


def records(engine: Engine, execution_id: str) -> list[ex.Record]:
    return list(ex.list_records(engine.ctx, engine.principal, execution_id, limit=1000).items)


def test_a_workspace_never_runs_more_than_its_running_limit(make_engine: Any, target: Any) -> None:
    engine = make_engine(max_running_executions=2, workers=4).start()
    case = publish_http(engine, "slow", [f"{target.url}/slow?ms=600"])
    ids = [start(engine, case) for _ in range(5)]
    peak = 0

    def all_done() -> bool:
        nonlocal peak
        # one query, one snapshot: reading executions one by one could see an old one still
        # RUNNING and its successor already RUNNING, a moment that never existed
        statuses = [x.status for x in ex.list_executions(engine.ctx, engine.principal, limit=100).items]
        peak = max(peak, statuses.count(ExecutionStatus.RUNNING))
        return all(s.is_terminal for s in statuses)

    wait_for(all_done, timeout_s=30, interval_s=0.02)
    assert peak == 2
    assert {get(engine, i).status for i in ids} == {ExecutionStatus.PASSED}


def test_a_start_over_the_queue_limit_is_refused_and_writes_nothing(make_engine: Any, target: Any) -> None:
    engine = make_engine(max_queued_executions=3)  # no executor: everything stays queued
    case = publish_http(engine, "ok", [f"{target.url}/ok"])
    for _ in range(3):
        start(engine, case)
    with pytest.raises(QuotaExceeded) as refused:
        start(engine, case)
    assert refused.value.limit == 3
    assert len(ex.list_executions(engine.ctx, engine.principal).items) == 3


def test_an_execution_longer_than_the_maximum_duration_fails_with_a_timeout_record(
    make_engine: Any, target: Any
) -> None:
    engine = make_engine(max_duration_s=1.0).start()
    case = publish_http(engine, "too slow", [f"{target.url}/slow?ms=300"] * 10)

    execution = finished(engine, start(engine, case))

    assert execution.status == ExecutionStatus.FAILED
    assert "maximum duration of 1 s" in execution.reason
    last = records(engine, execution.id)[-1]
    assert last.record["event"] == "timeout"
    assert last.record["max_duration_s"] == 1.0


def test_a_failed_attempt_is_retried_and_a_later_pass_is_flaky(make_engine: Any, target: Any) -> None:
    engine = make_engine().start()
    key = socket.gethostname() + "-" + str(id(engine))
    case = publish_http(engine, "flaky", [f"{target.url}/flaky/{key}?fail=1"], retries=2)

    execution = finished(engine, start(engine, case))

    assert (execution.status, execution.attempt, execution.flaky) == (ExecutionStatus.PASSED, 2, True)
    by_attempt = [(r.attempt, r.status) for r in records(engine, execution.id)]
    assert by_attempt == [(1, "FAILED"), (1, "INFO"), (2, "PASSED")]


def test_a_failure_after_every_attempt_ends_failed_with_the_last_attempts_outcome(
    make_engine: Any, target: Any
) -> None:
    engine = make_engine().start()
    case = publish_http(engine, "always fails", [f"{target.url}/flaky/never-{id(engine)}?fail=99"], retries=1)

    execution = finished(engine, start(engine, case))

    assert (execution.status, execution.attempt, execution.flaky) == (ExecutionStatus.FAILED, 2, False)
    assert execution.records_failed == 2


def test_a_stopped_execution_keeps_what_it_recorded(make_engine: Any, target: Any) -> None:
    engine = make_engine().start()
    case = publish_http(engine, "long", [f"{target.url}/slow?ms=400"] * 10)
    execution_id = start(engine, case)
    wait_for(lambda: get(engine, execution_id).records_total >= 1)

    ex.stop_execution(engine.ctx, engine.principal, execution_id)
    execution = finished(engine, execution_id)

    assert execution.status == ExecutionStatus.STOPPED
    kept = records(engine, execution_id)
    assert 1 <= len([r for r in kept if r.status == "PASSED"]) < 10
    assert kept[-1].record["event"] == "stopped"


def test_a_queued_execution_stops_at_once(make_engine: Any, target: Any) -> None:
    engine = make_engine()  # no executor
    execution_id = start(engine, publish_http(engine, "never runs", [f"{target.url}/ok"]))

    stopped = ex.stop_execution(engine.ctx, engine.principal, execution_id)

    assert stopped.status == ExecutionStatus.STOPPED
    assert get(engine, execution_id).finished_at is not None


def dead_owner() -> str:
    """An owner on this host and in this process space whose process no longer exists."""
    host, _pid, space, suffix = queue.make_owner().split(":")
    return f"{host}:999999999:{space}:{suffix}"


def _claim_as_a_dead_worker(engine: Engine, owner: str) -> str:
    execution_id = start(engine, publish_http(engine, f"lost {owner}", ["http://127.0.0.1:9/never"]))
    job = queue.claim_next(engine.ctx, owner)
    assert job is not None and job.execution.id == execution_id
    queue.append_record(engine.ctx, execution_id, owner, "step 1", queue.RecordStatus.PASSED, {"n": 1})
    return execution_id


def test_an_execution_whose_worker_process_died_is_queued_to_run_its_attempt_again(make_engine: Any) -> None:
    engine = make_engine()
    owner = dead_owner()  # no such pid on this host
    execution_id = _claim_as_a_dead_worker(engine, owner)

    assert queue.recover_lost(engine.ctx) == [execution_id]

    execution = get(engine, execution_id)
    assert execution.status == ExecutionStatus.QUEUED
    assert (execution.attempt, execution.max_attempts) == (1, 1)
    assert (execution.recoveries, execution.interruptions) == (1, 1)
    kept = records(engine, execution_id)
    assert [(r.observation_id, r.attempt, r.interrupted) for r in kept] == [
        ("step 1", 1, True),
        ("recovery", 1, True),
    ]
    assert kept[1].record["event"] == "worker_lost"


def test_an_execution_lost_more_often_than_allowed_ends_error_with_a_record_why(make_engine: Any) -> None:
    engine = make_engine(max_recoveries=0)
    execution_id = _claim_as_a_dead_worker(engine, dead_owner())

    queue.recover_lost(engine.ctx)

    execution = get(engine, execution_id)
    assert execution.status == ExecutionStatus.ERROR
    assert records(engine, execution_id)[-1].status == "ERROR"


def test_a_live_workers_unexpired_lease_is_left_alone(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    execution_id = _claim_as_a_dead_worker(engine, queue.make_owner())  # this very process: alive

    assert queue.recover_lost(engine.ctx) == []
    assert get(engine, execution_id).status == ExecutionStatus.RUNNING


def test_a_worker_that_lost_its_lease_cannot_write_records(make_engine: Any) -> None:
    engine = make_engine()
    owner = dead_owner()
    execution_id = _claim_as_a_dead_worker(engine, owner)
    queue.recover_lost(engine.ctx)

    with pytest.raises(queue.LeaseLost):
        queue.append_record(engine.ctx, execution_id, owner, "late", queue.RecordStatus.PASSED, {})


def test_domain_events_are_published_in_order_after_commit(make_engine: Any, target: Any) -> None:
    engine = make_engine()
    seen: list[Any] = []
    for event_type in (ExecutionQueued, ExecutionStarted, RecordAdded, ExecutionFinished):
        engine.ctx.bus.subscribe(event_type, seen.append)
    engine.start()

    execution = finished(engine, start(engine, publish_http(engine, "events", [f"{target.url}/ok"] * 2)))

    mine = [type(e).__name__ for e in seen if e.execution_id == execution.id]
    assert mine == ["ExecutionQueued", "ExecutionStarted", "RecordAdded", "RecordAdded", "ExecutionFinished"]


def test_lease_expiry_recovers_an_execution_from_another_host(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    execution_id = _claim_as_a_dead_worker(engine, "another-host:1:x")
    assert queue.recover_lost(engine.ctx) == []  # its lease still runs

    later = engine.ctx.clock() + timedelta(seconds=61)
    engine.ctx.clock = lambda: later
    assert queue.recover_lost(engine.ctx) == [execution_id]


def test_a_saturated_workspace_does_not_starve_another(make_engine: Any, target: Any) -> None:
    from testament.domain.access import Role

    engine = make_engine(max_running_executions=1)
    busy_case = publish_http(engine, "busy", [f"{target.url}/ok"])
    owner = queue.make_owner()
    for _ in range(20):
        start(engine, busy_case)
    assert queue.claim_next(engine.ctx, owner) is not None  # the busy workspace is now at its limit
    other = workspaces.create_workspace(engine.ctx, "other")
    other_principal = keys.authenticate_token(
        engine.ctx, keys.create_key(engine.ctx, other.id, Role.ADMIN).token
    )
    other_case = tc.create_test_case(
        engine.ctx, other_principal, kind="noop", name="quiet", content={}, publish=True
    ).test_case.id
    waiting = ex.start_execution(engine.ctx, other_principal, test_case_id=other_case).executions[0].id

    job = queue.claim_next(engine.ctx, owner)

    assert job is not None and job.execution.id == waiting


def test_recovery_leaves_alone_an_execution_a_live_worker_took_up_meanwhile(make_engine: Any) -> None:
    engine = make_engine(lease_s=60)
    execution_id = _claim_as_a_dead_worker(engine, dead_owner())
    queue.recover_lost(engine.ctx)  # back in the queue, to run attempt 1 again
    live_owner = queue.make_owner()
    assert queue.claim_next(engine.ctx, live_owner) is not None

    assert queue.recover_lost(engine.ctx) == []
    execution = get(engine, execution_id)
    assert (execution.status, execution.lease_owner, execution.attempt) == (
        ExecutionStatus.RUNNING,
        live_owner,
        1,
    )


def test_one_thread_renews_every_running_lease_of_a_pool_and_a_lost_one_stops_its_run(
    make_engine: Any, target: Any, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(heartbeat_s=0.2, lease_s=30.0, workers=3).start()
    case = publish_http(engine, "slow", [f"{target.url}/slow?ms=2500"])
    ids = [start(engine, case) for _ in range(3)]
    wait_for(lambda: all(get(engine, i).status == ExecutionStatus.RUNNING for i in ids), timeout_s=10)
    first = {i: get(engine, i).lease_expires_at for i in ids}
    wait_for(lambda: all(get(engine, i).lease_expires_at != first[i] for i in ids), timeout_s=5)
    assert engine.executor is not None
    leases = engine.executor._leases  # the pool's one renewing thread holds the three runs' leases
    assert leases.is_alive() and set(leases._due) == set(ids)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("heartbeat")]  # none per run
    with engine.ctx.uow() as uow:  # another owner took one of them meanwhile (as recovery would)
        execution = uow.session.get(Execution, ids[0])
        assert execution is not None
        execution.lease_owner = "another worker"
        uow.commit()
    with caplog.at_level(logging.WARNING, logger="testament.engine.worker"):
        assert {finished(engine, i).status for i in ids[1:]} == {ExecutionStatus.PASSED}
        wait_for(lambda: f"stopping {ids[0]}: lease lost" in caplog.text, timeout_s=5)
    lost = get(engine, ids[0])
    assert (lost.status, lost.lease_owner, lost.records_total) == (
        ExecutionStatus.RUNNING,
        "another worker",
        0,
    )


def test_an_end_wakes_other_workers_only_when_it_frees_a_slot_of_a_workspace_at_its_cap(
    make_engine: Any,
) -> None:
    engine = make_engine(max_running_executions=2)
    heard: list[ExecutionFinished] = []
    engine.ctx.bus.subscribe(ExecutionFinished, heard.append)
    case = tc.create_test_case(
        engine.ctx, engine.principal, kind="noop", name="n", content={}, publish=True
    ).test_case.id
    for _ in range(3):
        start(engine, case)
    owner = queue.make_owner()

    def claim() -> str:
        job = queue.claim_next(engine.ctx, owner)
        assert job is not None
        return job.execution.id

    def finish(execution_id: str) -> bool:
        queue.finish(engine.ctx, execution_id, owner, Outcome(ExecutionStatus.PASSED))
        return heard[-1].frees_capacity

    assert finish(claim()) is False  # 1 of 2 running: whoever is idle could claim already
    running = [claim(), claim()]  # 2 of 2: the queue waits for a slot
    assert finish(running[0]) is True
    assert finish(running[1]) is False


class _RecordsThenWaits:
    """Records one step, then works on without writing anything for `wait_s`."""

    kind = "noop"

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s

    def run(self, content: Any, ctx: Any) -> Outcome:
        ctx.record("first", RecordStatus.PASSED, {"n": 1})
        time.sleep(self.wait_s)
        return Outcome(ExecutionStatus.PASSED)


def _write_transactions(engine: Engine) -> list[int]:
    """Counts, as they happen, the write transactions begun on the engine's database."""
    begun: list[int] = []

    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("testament_write"):
            begun.append(1)

    event.listen(engine.ctx.db.engine, "begin", on_begin)
    return begun


def test_a_runs_last_record_is_written_with_its_end_in_one_write(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "runner_for", lambda kind: _RecordsThenWaits(0))
    engine = make_engine(heartbeat_s=5.0, lease_s=30.0).start()  # no lease renewal in between
    case = tc.create_test_case(
        engine.ctx, engine.principal, kind="noop", name="n", content={}, publish=True
    ).test_case.id
    begun = _write_transactions(engine)
    execution_id = start(engine, case)
    done = finished(engine, execution_id)
    assert done.status == ExecutionStatus.PASSED
    assert [(r.seq, r.observation_id) for r in records(engine, execution_id)] == [(1, "first")]
    assert done.records_total == done.records_passed == 1
    assert len(begun) == 3  # the start, the claim, and the end with its record


def test_a_record_held_back_is_written_soon_when_its_run_writes_nothing_more(
    make_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "runner_for", lambda kind: _RecordsThenWaits(3.0))
    engine = make_engine().start()
    case = tc.create_test_case(
        engine.ctx, engine.principal, kind="noop", name="n", content={}, publish=True
    ).test_case.id
    execution_id = start(engine, case)
    wait_for(lambda: get(engine, execution_id).status == ExecutionStatus.RUNNING, timeout_s=10)
    began = time.monotonic()
    wait_for(lambda: records(engine, execution_id), timeout_s=2, interval_s=0.01)
    assert time.monotonic() - began < 1.0  # LINGER_S, not the run's 3 s
    assert get(engine, execution_id).status == ExecutionStatus.RUNNING
    assert finished(engine, execution_id).records_total == 1


def test_the_scoreboard_worked_out_before_the_end_is_the_one_its_stored_records_give(
    make_engine: Any, target: Any
) -> None:
    # The end scores from what the worker knows (records held back, stored ones read only when
    # there are some) before its write: checked against a scoring of the records stored after.
    engine = make_engine().start()
    key = f"{socket.gethostname()}-{id(engine)}"
    three = publish_http(
        engine, "three", [f"{target.url}/ok", f"{target.url}/ok", f"{target.url}/flaky/{key}?fail=99"]
    )
    retried = publish_http(
        engine, "retried", [f"{target.url}/ok", f"{target.url}/flaky/{key}-2?fail=1"], retries=1
    )
    ended = [finished(engine, start(engine, case)) for case in (three, retried)]
    assert [(x.status, x.attempt) for x in ended] == [
        (ExecutionStatus.FAILED, 1),
        (ExecutionStatus.PASSED, 2),
    ]
    with engine.ctx.db.reading() as session:
        for execution in ended:
            assert execution.scoreboard == scores.scoreboard_of(session, execution)
    points = [(x.scoreboard or {})["scoreboard"]["pointsAchieved"] for x in ended]
    assert points == [2.0, 2.0]  # two of three steps; both steps of the attempt that passed


def test_an_execution_no_one_announced_is_found_by_polling(make_engine: Any, target: Any) -> None:
    # Wake-ups can be lost (a datagram, a NOTIFY sent while the listener was reconnecting):
    # idle workers still look every poll_s.
    engine = make_engine(poll_s=0.3).start()
    assert engine.executor is not None
    if engine.executor._listener is not None:  # on PostgreSQL: hear no NOTIFY at all
        engine.executor._listener.close()
    unheard = build_context(engine.ctx.settings, run_migrations=False)  # a bus no worker listens to
    try:
        case = publish_http(engine, "unannounced", [f"{target.url}/ok"])
        queued_at = time.monotonic()
        execution_id = ex.start_execution(unheard, engine.principal, test_case_id=case).executions[0].id
        assert finished(engine, execution_id, timeout_s=10).status == ExecutionStatus.PASSED
        assert time.monotonic() - queued_at < 5  # a poll or so, not the lease or the reaper
    finally:
        unheard.db.dispose()
