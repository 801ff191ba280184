"""Routing: a worker claims only executions of its kinds whose requirements its labels meet;
an execution no live worker can take says so, once, until one that can take it appears."""

import time
from typing import Any

import pytest
from sqlalchemy import insert, select

from testament.domain.errors import InvalidInput
from testament.domain.execution import ExecutionStatus
from testament.domain.requirements import requirement_key
from testament.engine import queue, routing
from testament.kit.ids import new_id
from testament.services import executions as ex
from testament.services import plans, suites, workers
from testament.services import test_cases as tc
from testament.store.tables import execution_records, executions
from tests.integration.conftest import Engine

CHROMIUM = {"browser": "chromium"}


def _case(engine: Engine, name: str, requires: dict[str, str] | None = None, kind: str = "noop") -> str:
    content: dict[str, Any] = {} if kind == "noop" else {"steps": []}
    view = tc.create_test_case(
        engine.ctx, engine.principal, kind=kind, name=name, content=content, publish=True, requires=requires
    )
    return view.test_case.id


def _start(engine: Engine, case_id: str) -> str:
    return ex.start_execution(engine.ctx, engine.principal, test_case_id=case_id).executions[0].id


def _claim(engine: Engine, **worker: Any) -> str | None:
    job = queue.claim_next(engine.ctx, queue.make_owner(), worker.get("kinds"), worker.get("labels"))
    return job.execution.id if job else None


def _execution(engine: Engine, execution_id: str) -> Any:
    with engine.ctx.db.reading() as session:
        return session.execute(select(executions).where(executions.c.id == execution_id)).one()


def _no_worker_records(engine: Engine, execution_id: str) -> list[dict[str, Any]]:
    with engine.ctx.db.reading() as session:
        records = session.scalars(
            select(execution_records.c.record).where(execution_records.c.execution_id == execution_id)
        ).all()
    return [r for r in records if r.get("event") == "no_worker"]


def test_a_worker_claims_only_what_its_labels_satisfy(make_engine: Any) -> None:
    engine = make_engine()
    wanted = _start(engine, _case(engine, "needs chromium", CHROMIUM))

    assert _claim(engine) is None  # no labels
    assert _claim(engine, labels={"browser": "firefox"}) is None
    assert _claim(engine, labels={"os": "linux"}) is None
    assert _claim(engine, labels={"browser": "chromium", "os": "linux"}) == wanted


def test_an_execution_that_requires_nothing_is_taken_by_any_worker_of_its_kind(make_engine: Any) -> None:
    engine = make_engine()
    plain = _start(engine, _case(engine, "plain"))

    assert _claim(engine, kinds=frozenset({"http"}), labels=CHROMIUM) is None  # not its kind
    assert _claim(engine, kinds=frozenset({"noop"}), labels=CHROMIUM) == plain


def test_requirements_are_checked_and_the_bad_field_named(make_engine: Any) -> None:
    engine = make_engine()
    with pytest.raises(InvalidInput) as bad_value:
        _case(engine, "bad", {"browser": 3})  # type: ignore[dict-item]
    with pytest.raises(InvalidInput) as bad_name:
        _case(engine, "bad", {"has space": "x"})
    assert bad_value.value.field == "requires.browser"
    assert bad_name.value.field == "requires"


def test_a_plan_machine_requires_over_its_test_cases(make_engine: Any) -> None:
    engine = make_engine()
    case = _case(engine, "browser case", {"browser": "chromium", "os": "linux"})
    suite = suites.create_suite(engine.ctx, engine.principal, name="s", test_case_ids=[case])
    machines = [
        {"name": "firefox box", "suite_ids": [suite.id], "requires": {"browser": "firefox"}},
        {"name": "any box", "suite_ids": [suite.id]},
    ]
    plan = plans.create_plan(engine.ctx, engine.principal, name="p", suite_ids=[], machines=machines)
    started = ex.start_execution(engine.ctx, engine.principal, plan_id=plan.id).executions
    by_machine = {x.machine: x for x in started}

    assert by_machine["firefox box"].requires == {"browser": "firefox", "os": "linux"}  # the machine wins
    assert by_machine["any box"].requires == {"browser": "chromium", "os": "linux"}
    assert _claim(engine, labels={"browser": "firefox", "os": "linux"}) == by_machine["firefox box"].id
    assert _claim(engine, labels={"browser": "firefox", "os": "linux"}) is None


def test_an_execution_no_live_worker_can_take_says_so_once_until_one_can(make_engine: Any) -> None:
    engine = make_engine()
    waiting = _start(engine, _case(engine, "needs chromium", CHROMIUM))
    plain = _start(engine, _case(engine, "plain"))
    server_pool = routing.Capability(None, {})  # the server's own executor: every kind, no labels

    routing.note_waiting(engine.ctx, server_pool)
    routing.note_waiting(engine.ctx, server_pool)

    why = "no live worker has kind 'noop' and labels browser=chromium"
    assert _execution(engine, waiting).waiting_for == why
    assert _no_worker_records(engine, waiting) == [{"event": "no_worker", "reason": why}]  # once
    assert _execution(engine, plain).waiting_for is None

    registration = workers.Registration("w1", "host", 1, ("noop",), CHROMIUM, 1, "test")
    worker_id = workers.register(engine.ctx, registration)
    routing.note_waiting(engine.ctx, server_pool)
    assert _execution(engine, waiting).waiting_for is None  # a worker that can take it appeared

    workers.sign_off(engine.ctx, worker_id)
    routing.note_waiting(engine.ctx, server_pool)
    assert _execution(engine, waiting).waiting_for == why
    assert len(_no_worker_records(engine, waiting)) == 2  # waiting again is told again


def _queue_copies(engine: Engine, template_id: str, count: int, requires: dict[str, str]) -> None:
    """`count` more queued executions like the template, with these requirements."""
    row = dict(_execution(engine, template_id)._mapping)
    key = requirement_key(requires)
    rows = [{**row, "id": new_id(), "requires": requires, "requirement_key": key} for _ in range(count)]
    with engine.ctx.uow() as uow:
        uow.session.execute(insert(executions), rows)
        uow.commit()


def test_a_claim_past_ten_thousand_queued_executions_it_cannot_take_stays_cheap(make_engine: Any) -> None:
    engine = make_engine(max_queued_executions=20000)
    wanted = _start(engine, _case(engine, "needs chromium", CHROMIUM))
    _queue_copies(engine, wanted, 10000, {"browser": "firefox"})  # queued after it: only firefox
    assert _claim(engine, labels=CHROMIUM) == wanted

    timings = []
    for _ in range(5):
        began = time.perf_counter()
        assert _claim(engine, labels=CHROMIUM) is None  # 10,000 queued, none it may take
        timings.append(time.perf_counter() - began)
    began = time.perf_counter()
    assert _claim(engine, labels={"browser": "firefox"}) is not None
    taken = time.perf_counter() - began

    median_ms, taken_ms = sorted(timings)[2] * 1000, taken * 1000
    print(f"claim past 10,000 it cannot take: {median_ms:.1f} ms; one it can: {taken_ms:.1f} ms")
    assert sorted(timings)[2] < 0.5  # bounded: a scan of the queue index, not a claim per row
    with engine.ctx.db.reading() as session:
        running = session.execute(
            select(executions.c.id).where(executions.c.status == ExecutionStatus.RUNNING)
        ).all()
    assert len(running) == 2


def test_a_backlog_no_worker_can_take_is_marked_once_in_batches(make_engine: Any) -> None:
    engine = make_engine(max_queued_executions=5000)
    first = _start(engine, _case(engine, "needs chromium", CHROMIUM))
    _queue_copies(engine, first, 1200, CHROMIUM)  # more than two batches
    server_pool = routing.Capability(None, {})

    began = time.perf_counter()
    routing.note_waiting(engine.ctx, server_pool)
    took = time.perf_counter() - began
    routing.note_waiting(engine.ctx, server_pool)

    with engine.ctx.db.reading() as session:
        unmarked = session.scalars(select(executions.c.id).where(executions.c.waiting_for.is_(None))).all()
        records = session.scalars(
            select(execution_records.c.record).where(execution_records.c.observation_id == "routing")
        ).all()
    print(f"marked 1,201 queued executions no worker can take in {took * 1000:.0f} ms")
    assert unmarked == []
    assert len(records) == 1201  # one each, the second sweep added none
