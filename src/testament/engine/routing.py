"""Executions no live worker can take say so, instead of waiting silently.

A sweep (run by every executor's reaper) groups the queued executions by kind and requirements
and asks whether some live, claiming worker of the fleet (services/workers.py), or the sweeping
executor itself, has that kind and labels meeting them (domain/requirements.py). Each execution
no one can take gets `waiting_for` (shown by the API) and one INFO record (event `no_worker`),
once; both are cleared when a worker that can take it appears (the record stays as history).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update

from testament.domain import requirements
from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, RecordStatus
from testament.engine import queue
from testament.services import workers as fleet
from testament.services.context import AppContext
from testament.store.tables import executions, workers

__all__ = ["Capability", "note_waiting"]

MARK_BATCH = 500


@dataclass(frozen=True)
class Capability:
    """What one worker can run: its kinds (None: every kind) and its labels."""

    kinds: frozenset[str] | None
    labels: Mapping[str, str]

    def can_take(self, kind: str, requires: Mapping[str, str]) -> bool:
        return (self.kinds is None or kind in self.kinds) and requirements.satisfies(self.labels, requires)


def note_waiting(app: AppContext, itself: Capability | None = None) -> None:
    """Mark the queued executions no live worker can take, and clear those one now can."""
    capabilities = [*_live_workers(app), *([itself] if itself else [])]
    queued = (executions.c.status == ExecutionStatus.QUEUED, executions.c.kind != MANUAL_KIND)
    with app.db.reading() as session:
        groups = session.execute(
            select(executions.c.kind, executions.c.requirement_key).where(*queued).distinct()
        ).all()
    for kind, key in groups:
        requires = json.loads(key) if key else {}
        same = (*queued, executions.c.kind == kind, executions.c.requirement_key == key)
        if any(c.can_take(kind, requires) for c in capabilities):
            _clear(app, same)
        else:
            _mark(app, same, requirements.describe(kind, requires))


def _live_workers(app: AppContext) -> list[Capability]:
    """The workers that claim now: alive, and neither draining nor stopped."""
    now = app.clock()
    with app.db.reading() as session:
        rows = session.execute(
            select(workers.c.kinds, workers.c.labels, workers.c.state, workers.c.last_heartbeat_at).where(
                workers.c.state == "running"
            )
        ).all()
    return [
        Capability(frozenset(r.kinds), dict(r.labels))
        for r in rows
        if fleet.liveness(r.state, r.last_heartbeat_at, now, fleet.dead_after_s(app.settings)) == "alive"
    ]


def _mark(app: AppContext, same: tuple[ColumnElement[bool], ...], why: str) -> None:
    """Say why each of these waits, with one record each: only those not yet marked, a batch
    per transaction (a backlog of thousands is marked once, in a few short writes)."""
    unmarked = (
        select(Execution)
        .where(*same, executions.c.waiting_for.is_(None))
        .order_by(executions.c.id)
        .limit(MARK_BATCH)
        .with_for_update(skip_locked=True)  # those another sweep marks right now are its to mark
    )
    while True:
        with app.uow() as uow:
            batch = uow.session.scalars(unmarked).all()
            for execution in batch:
                execution.waiting_for = why
                record = {"event": "no_worker", "reason": why}
                queue.record_in(uow, execution, "routing", RecordStatus.INFO, record)
            uow.commit()
        if len(batch) < MARK_BATCH:
            return


def _clear(app: AppContext, same: tuple[ColumnElement[bool], ...]) -> None:
    marked = select(executions.c.id).where(*same, executions.c.waiting_for.is_not(None)).limit(1)
    with app.db.reading() as session:
        if session.execute(marked).first() is None:
            return
    with app.uow() as uow:
        uow.session.execute(update(executions).where(*same).values(waiting_for=None))
        uow.commit()
