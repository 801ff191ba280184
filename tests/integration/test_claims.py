"""Which execution a claim takes: the workspace with the fewest running first, then the oldest
queued; the running cap is the workspace's slots, taken on a claim and freed when a run ends,
is handed back or is recovered."""

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select, update

from testament.domain.access import Principal, Role
from testament.domain.execution import ExecutionStatus, Outcome
from testament.engine import queue
from testament.services import executions as ex
from testament.services import keys, workspaces
from testament.services import test_cases as tc
from testament.store.tables import execution_slots, executions
from tests.integration.conftest import Engine


def _workspace(engine: Engine, name: str) -> Principal:
    workspace = workspaces.create_workspace(engine.ctx, name)
    return keys.authenticate_token(engine.ctx, keys.create_key(engine.ctx, workspace.id, Role.ADMIN).token)


def _queue(engine: Engine, principal: Principal, count: int) -> list[str]:
    case = tc.create_test_case(
        engine.ctx, principal, kind="noop", name=f"case {count}", content={}, publish=True
    ).test_case.id
    return [
        ex.start_execution(engine.ctx, principal, test_case_id=case).executions[0].id for _ in range(count)
    ]


def _claim(engine: Engine, owner: str) -> str | None:
    job = queue.claim_next(engine.ctx, owner)
    return job.execution.id if job else None


def _held_slots(engine: Engine) -> int:
    with engine.ctx.db.reading() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(execution_slots)
                .where(execution_slots.c.execution_id.is_not(None))
            ).scalar_one()
        )


def test_a_single_execution_is_not_held_up_by_another_workspaces_backlog_of_a_thousand(
    make_engine: Any,
) -> None:
    engine = make_engine(max_running_executions=2000, max_queued_executions=2000)
    owner = queue.make_owner()
    busy = _queue(engine, engine.principal, 1000)
    assert [_claim(engine, owner) for _ in range(3)] == busy[:3]  # the oldest first, in turn
    quiet = _queue(engine, _workspace(engine, "quiet"), 1)

    assert _claim(engine, owner) == quiet[0]  # fewest running first: 0 against 3
    assert _claim(engine, owner) == busy[3]


def test_workspaces_below_their_cap_take_turns_by_how_many_they_run(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=10)
    owner = queue.make_owner()
    first = _queue(engine, engine.principal, 4)
    second = _queue(engine, _workspace(engine, "second"), 4)

    claimed = [_claim(engine, owner) for _ in range(4)]

    assert claimed == [first[0], second[0], first[1], second[1]]  # ties go to the oldest queued


def test_the_cap_is_the_slots_a_finished_run_frees_one(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=2)
    owner = queue.make_owner()
    queued = _queue(engine, engine.principal, 4)
    assert [_claim(engine, owner) for _ in range(3)] == [*queued[:2], None]
    assert _held_slots(engine) == 2

    queue.finish(engine.ctx, queued[0], owner, Outcome(ExecutionStatus.PASSED, ""))

    assert _held_slots(engine) == 1
    assert [_claim(engine, owner) for _ in range(2)] == [queued[2], None]


def test_a_run_handed_back_frees_its_slot(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=1)
    owner = queue.make_owner()
    queued = _queue(engine, engine.principal, 2)
    assert _claim(engine, owner) == queued[0]

    queue.release_interrupted(engine.ctx, queued[0], owner, "shutting down")

    assert _claim(engine, owner) == queued[0]  # queued again, and its slot free for it


def test_recovery_frees_a_slot_whose_execution_ended_without_freeing_it(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=1)
    owner = queue.make_owner()
    queued = _queue(engine, engine.principal, 2)
    assert _claim(engine, owner) == queued[0]
    with engine.ctx.uow() as uow:  # ended as a process that knows no slots would end it
        uow.session.execute(
            update(executions).where(executions.c.id == queued[0]).values(status=ExecutionStatus.PASSED)
        )
        uow.commit()
    assert _claim(engine, owner) is None

    queue.recover_lost(engine.ctx)

    assert _claim(engine, owner) == queued[1]


def test_a_lowered_cap_gives_out_no_slot_above_it(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=3)
    owner = queue.make_owner()
    queued = _queue(engine, engine.principal, 4)
    assert [_claim(engine, owner) for _ in range(3)] == queued[:3]
    engine.ctx.settings = engine.ctx.settings.model_copy(update={"max_running_executions": 2})
    queue.finish(engine.ctx, queued[2], owner, Outcome(ExecutionStatus.PASSED, ""))  # it held slot 2

    assert _claim(engine, owner) is None  # still 2 running: at the new cap


def _on_postgresql(engine: Engine) -> None:
    if engine.ctx.db.is_sqlite:  # one writer at a time there: nothing to wait on but the database
        pytest.skip("tier PostgreSQL is off: row locks need it (set TESTAMENT_TEST_DATABASE_URL)")


def test_a_claim_does_not_wait_for_a_start_holding_the_workspace_lock(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=5)
    _on_postgresql(engine)
    queued = _queue(engine, engine.principal, 1)
    locked, release = threading.Event(), threading.Event()

    def start_in_progress() -> None:  # as a start (quota checks) holds it until its commit
        with engine.ctx.uow() as uow:
            uow.lock_workspace(engine.principal.workspace_id)
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=start_in_progress)
    holder.start()
    try:
        assert locked.wait(10)
        began = time.monotonic()
        claimed = _claim(engine, queue.make_owner())  # its first slot too: made under the lock
        waited = time.monotonic() - began
    finally:
        release.set()
        holder.join()

    assert claimed == queued[0]
    assert waited < 1.0


def test_a_claim_takes_another_slot_while_a_concurrent_claim_holds_one(make_engine: Any) -> None:
    engine = make_engine(max_running_executions=5)
    _on_postgresql(engine)
    queued = _queue(engine, engine.principal, 2)
    owner = queue.make_owner()
    assert _claim(engine, owner) == queued[0]
    queue.finish(engine.ctx, queued[0], owner, Outcome(ExecutionStatus.PASSED, ""))  # slot 0 made and free
    with engine.ctx.db.writer() as other, other.begin():  # a claim in another process, mid-way
        other.execute(select(execution_slots).where(execution_slots.c.slot_no == 0).with_for_update())
        began = time.monotonic()
        claimed = queue.claim_next(engine.ctx, owner)
        waited = time.monotonic() - began

    assert claimed is not None and claimed.execution.id == queued[1]
    assert waited < 1.0
    with engine.ctx.db.reading() as session:
        held = session.execute(
            select(execution_slots.c.slot_no).where(execution_slots.c.execution_id == queued[1])
        ).scalar_one()
    assert held == 1  # the locked slot was skipped, not waited for
