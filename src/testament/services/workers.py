"""The fleet: worker processes register here, heartbeat and sign off; any key lists them.

A worker's running executions are not stored with it: they are the RUNNING executions whose
lease owner is the worker's owner, read when the fleet is listed. Every key sees every worker
(its host, kinds, labels and liveness: what the deployment can run), but only its own
workspace's executions on them.

Liveness, one rule (`liveness`): `stopped` once the worker signed off; `dead` when its last
heartbeat is older than `dead_after_s` (five missed beats of `beat_s`, 5 s by default), the bound
after which the queue takes its executions up again (`dead_owners`), well before their leases
run out; `alive` otherwise. A worker that stopped or died more than `SHOWN_FOR` ago
is no longer listed.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from testament.config import Settings
from testament.domain.access import Permission, Principal
from testament.domain.execution import ExecutionStatus
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services.context import AppContext
from testament.store.repository import owned_by
from testament.store.tables import executions, test_cases, workers

__all__ = [
    "LIVENESS",
    "SHOWN_FOR",
    "Registration",
    "RunningExecution",
    "WorkerView",
    "beat_s",
    "dead_after_s",
    "dead_owners",
    "heartbeat",
    "list_workers",
    "liveness",
    "register",
    "sign_off",
]

LIVENESS = ("alive", "dead", "stopped")
SHOWN_FOR = timedelta(hours=24)
MISSED_BEATS = 5  # a worker is dead after this many: one slow write is not a death


def beat_s(settings: Settings) -> float:
    """How often a worker says it is alive: at least every second, so that its death is known
    (and its executions taken up) within seconds, whatever the executions' lease."""
    return min(settings.heartbeat_s, 1.0)


def dead_after_s(settings: Settings) -> float:
    return MISSED_BEATS * beat_s(settings)


@dataclass(frozen=True)
class Registration:
    """What a worker says about itself when it starts."""

    owner: str  # the lease owner it claims executions as
    host: str
    pid: int
    kinds: tuple[str, ...]
    labels: dict[str, str]
    concurrency: int
    version: str


@dataclass(frozen=True)
class RunningExecution:
    id: str
    test_case_id: str
    test_case_name: str


@dataclass(frozen=True)
class WorkerView:
    id: str
    host: str
    pid: int
    kinds: list[str]
    labels: dict[str, str]
    concurrency: int
    version: str
    state: str  # running | draining | stopped, as the worker last said
    liveness: str
    started_at: datetime
    last_heartbeat_at: datetime
    stopped_at: datetime | None
    executions: list[RunningExecution] = field(default_factory=list)


def register(app: AppContext, registration: Registration) -> str:
    """Add a starting worker to the fleet; returns its id."""
    worker_id, now = new_id(), app.clock()
    with app.uow() as uow:
        uow.session.execute(
            insert(workers).values(
                id=worker_id,
                owner=registration.owner,
                host=registration.host[:255],
                pid=registration.pid,
                kinds=list(registration.kinds),
                labels=registration.labels,
                concurrency=registration.concurrency,
                version=registration.version[:64],
                state="running",
                started_at=now,
                last_heartbeat_at=now,
            )
        )
        uow.commit()
    return worker_id


def heartbeat(app: AppContext, worker_id: str, state: str = "running") -> None:
    """The worker is alive, and running or draining."""
    _update(app, worker_id, state=state, last_heartbeat_at=app.clock())


def sign_off(app: AppContext, worker_id: str) -> None:
    """The worker has stopped: it claims nothing more and has handed back what it ran."""
    now = app.clock()
    _update(app, worker_id, state="stopped", last_heartbeat_at=now, stopped_at=now)


def _update(app: AppContext, worker_id: str, **values: Any) -> None:
    with app.uow() as uow:
        uow.session.execute(update(workers).where(workers.c.id == worker_id).values(**values))
        uow.commit()


def liveness(state: str, last_heartbeat_at: datetime, now: datetime, dead_after: float) -> str:
    if state == "stopped":
        return "stopped"
    if as_utc(last_heartbeat_at) < now - timedelta(seconds=dead_after):
        return "dead"
    return "alive"


def list_workers(app: AppContext, principal: Principal) -> list[WorkerView]:
    """The fleet, oldest first, each worker with the caller's workspace's executions it runs."""
    principal.require(Permission.READ)
    now = app.clock()
    with app.db.reading() as session:
        rows = session.execute(
            select(workers)
            .where(workers.c.last_heartbeat_at >= now - SHOWN_FOR)
            .order_by(workers.c.started_at)
        ).all()
        running = _running_in_workspace(session, principal.workspace_id, [r.owner for r in rows])
    return [
        WorkerView(
            id=r.id,
            host=r.host,
            pid=r.pid,
            kinds=list(r.kinds),
            labels=dict(r.labels),
            concurrency=r.concurrency,
            version=r.version,
            state=r.state,
            liveness=liveness(r.state, r.last_heartbeat_at, now, dead_after_s(app.settings)),
            started_at=r.started_at,
            last_heartbeat_at=r.last_heartbeat_at,
            stopped_at=r.stopped_at,
            executions=running.get(r.owner, []),
        )
        for r in rows
    ]


def _running_in_workspace(
    session: Session, workspace_id: str, owners: list[str]
) -> dict[str, list[RunningExecution]]:
    """The workspace's RUNNING executions held by these lease owners, by owner."""
    if not owners:
        return {}
    rows = session.execute(
        select(executions.c.id, executions.c.lease_owner, executions.c.test_case_id, test_cases.c.name)
        .join(test_cases, test_cases.c.id == executions.c.test_case_id)
        .where(
            owned_by(executions, workspace_id),
            executions.c.status == ExecutionStatus.RUNNING,
            executions.c.lease_owner.in_(owners),
        )
        .order_by(executions.c.id)
    ).all()
    by_owner: dict[str, list[RunningExecution]] = {}
    for row in rows:
        by_owner.setdefault(row.lease_owner, []).append(RunningExecution(row.id, row.test_case_id, row.name))
    return by_owner


def dead_owners(session: Session, settings: Settings, owners: set[str], now: datetime) -> set[str]:
    """Those of these lease owners that are registered workers known dead or signed off: what
    they hold is theirs no more. An owner that never registered (a server's own pool) is not
    among them; only its lease's expiry tells."""
    if not owners:
        return set()
    silent_since = now - timedelta(seconds=dead_after_s(settings))
    rows = session.execute(
        select(workers.c.owner).where(
            workers.c.owner.in_(owners),
            (workers.c.state == "stopped") | (workers.c.last_heartbeat_at < silent_since),
        )
    )
    return set(rows.scalars())
