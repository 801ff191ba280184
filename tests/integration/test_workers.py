"""The fleet on a real database: a worker claims only its kinds; liveness follows its
heartbeats; a key sees every worker but only its own workspace's executions on them."""

from datetime import timedelta
from typing import Any

from testament.domain.access import Role
from testament.engine import queue
from testament.kit.clock import utcnow
from testament.services import executions as ex
from testament.services import keys, workers, workspaces
from testament.services import test_cases as tc
from tests.integration.conftest import Engine


def _registration(owner: str, kinds: tuple[str, ...] = ("http",)) -> workers.Registration:
    return workers.Registration(owner, "host-a", 4242, kinds, {"browser": "chromium"}, 2, "0.1.0")


def _start(engine: Engine, kind: str, name: str) -> str:
    content = (
        {"steps": [{"name": "one", "request": {"url": "http://127.0.0.1:9/"}}]} if kind == "http" else {}
    )
    case = tc.create_test_case(
        engine.ctx, engine.principal, kind=kind, name=name, content=content, publish=True
    )
    return ex.start_execution(engine.ctx, engine.principal, test_case_id=case.test_case.id).executions[0].id


def test_a_worker_claims_only_its_kinds_even_behind_older_work(make_engine: Any) -> None:
    engine = make_engine()
    noop = _start(engine, "noop", "older, no runner on this worker")
    http = _start(engine, "http", "newer")

    job = queue.claim_next(engine.ctx, "w1", frozenset({"http"}))
    assert job is not None and job.execution.id == http
    assert queue.claim_next(engine.ctx, "w1", frozenset({"http"})) is None
    anyone = queue.claim_next(engine.ctx, "w2")
    assert anyone is not None and anyone.execution.id == noop


def test_liveness_follows_the_heartbeat_and_the_sign_off(make_engine: Any) -> None:
    engine = make_engine(lease_s=5.0, heartbeat_s=1.0)
    now = utcnow()
    engine.ctx.clock = lambda: now
    worker_id = workers.register(engine.ctx, _registration("w1"))

    def seen(after: timedelta) -> list[tuple[str, str]]:
        engine.ctx.clock = lambda: now + after
        return [(w.id, w.liveness) for w in workers.list_workers(engine.ctx, engine.principal)]

    assert seen(timedelta(seconds=4)) == [(worker_id, "alive")]
    assert seen(timedelta(seconds=6)) == [(worker_id, "dead")]  # no heartbeat within the lease
    workers.heartbeat(engine.ctx, worker_id, "draining")
    assert seen(timedelta(seconds=7)) == [(worker_id, "alive")]
    workers.sign_off(engine.ctx, worker_id)
    assert seen(timedelta(seconds=8)) == [(worker_id, "stopped")]
    assert seen(workers.SHOWN_FOR + timedelta(seconds=9)) == []  # long gone: no longer listed


def test_a_key_sees_every_worker_but_only_its_own_executions_on_them(make_engine: Any) -> None:
    engine = make_engine()
    worker_id = workers.register(engine.ctx, _registration("w1"))
    execution_id = _start(engine, "http", "ours")
    assert queue.claim_next(engine.ctx, "w1", frozenset({"http"})) is not None
    other_ws = workspaces.create_workspace(engine.ctx, "other")
    other = keys.authenticate_token(
        engine.ctx, keys.create_key(engine.ctx, other_ws.id, Role.VIEWER, "someone").token
    )

    [ours] = workers.list_workers(engine.ctx, engine.principal)
    [theirs] = workers.list_workers(engine.ctx, other)
    assert (ours.id, ours.kinds, ours.labels) == (worker_id, ["http"], {"browser": "chromium"})
    assert [(x.id, x.test_case_name) for x in ours.executions] == [(execution_id, "ours")]
    assert theirs.id == worker_id and theirs.executions == []
