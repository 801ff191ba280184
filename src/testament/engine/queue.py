"""The durable queue: claim, lease, record, finish, recover. Every step is one short write
transaction, so readers see records while an execution runs and a crash loses nothing
that was reported."""

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, Outcome, RecordStatus
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services import endings
from testament.services.artifacts import store_artifact
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import ExecutionQueued, ExecutionStarted, RecordAdded
from testament.store.tables import execution_records, executions, test_case_versions

__all__ = [
    "Job",
    "LeaseLost",
    "add_artifact",
    "append_record",
    "claim_next",
    "finish",
    "make_owner",
    "next_attempt",
    "recover_lost",
    "release_interrupted",
    "renew_lease",
]

CANDIDATES = 16


class LeaseLost(Exception):
    """This worker no longer holds the execution (it was recovered elsewhere or finished)."""


def _process_space() -> str:
    """Which boot and PID namespace this process lives in: PIDs compare only within one."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return "unknown"
    return f"{boot}-{namespace}"


def make_owner() -> str:
    """A lease owner names its host, process space and PID, so a restarted server can tell
    its dead predecessor at once instead of waiting for the lease to run out."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_space()}:{new_id()[-12:]}"


def owner_is_dead(owner: str) -> bool:
    host, pid_text, space, *_ = [*owner.split(":"), "", ""]
    here = _process_space()
    if host != socket.gethostname() or space != here or here == "unknown" or not pid_text.isdigit():
        return False  # another machine's or container's: only its lease expiry tells
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one claimed execution."""

    execution: Execution
    content: Any


def claim_next(app: AppContext, owner: str, kinds: frozenset[str] | None = None) -> Job | None:
    """Take the oldest queued execution whose workspace is under its running limit, of one of
    `kinds` (None: any kind): a worker claims only what it has runners for."""
    limit = app.settings.max_running_executions
    with app.uow() as uow:
        saturated = (  # workspaces at their running limit must not hide everyone else's work
            select(executions.c.workspace_id)
            .where(executions.c.status == ExecutionStatus.RUNNING, executions.c.kind != MANUAL_KIND)
            .group_by(executions.c.workspace_id)
            .having(func.count() >= limit)
        )
        queued = select(executions.c.id, executions.c.workspace_id).where(
            executions.c.status == ExecutionStatus.QUEUED, executions.c.workspace_id.not_in(saturated)
        )
        if kinds is not None:
            queued = queued.where(executions.c.kind.in_(kinds))
        candidates = uow.session.execute(
            queued.order_by(executions.c.queued_at, executions.c.id).limit(CANDIDATES)
        ).all()
        busy = _running_counts(uow, {c.workspace_id for c in candidates})
        for candidate in candidates:
            if busy.get(candidate.workspace_id, 0) >= limit:
                continue
            uow.lock_workspace(candidate.workspace_id)  # then count again: exact under the lock
            if _running_counts(uow, {candidate.workspace_id}).get(candidate.workspace_id, 0) >= limit:
                continue
            execution = uow.session.get(Execution, candidate.id, with_for_update={"skip_locked": True})
            if execution is None or execution.status != ExecutionStatus.QUEUED:
                continue  # another worker took it
            return _start(uow, execution, owner)
    return None


def _running_counts(uow: UnitOfWork, workspace_ids: set[str]) -> dict[str, int]:
    if not workspace_ids:
        return {}
    rows = uow.session.execute(
        select(executions.c.workspace_id, func.count())
        .where(
            executions.c.status == ExecutionStatus.RUNNING,
            executions.c.kind != MANUAL_KIND,  # a person's run in progress takes no worker
            executions.c.workspace_id.in_(workspace_ids),
        )
        .group_by(executions.c.workspace_id)
    ).all()
    return {workspace_id: count for workspace_id, count in rows}


def _start(uow: UnitOfWork, execution: Execution, owner: str) -> Job:
    settings = uow.app.settings
    lease, limit = timedelta(seconds=settings.lease_s), timedelta(seconds=settings.max_duration_s)
    execution.start(owner, uow.app.clock(), lease, limit)
    content = uow.session.execute(
        select(test_case_versions.c.content).where(
            test_case_versions.c.test_case_id == execution.test_case_id,
            test_case_versions.c.version == execution.test_case_version,
        )
    ).scalar_one()
    uow.emit(ExecutionStarted(execution.workspace_id, execution.id, execution.attempt))
    uow.commit()
    return Job(execution, content)


def _held(uow: UnitOfWork, execution_id: str, owner: str) -> Execution:
    execution = uow.session.get(Execution, execution_id, with_for_update=True)
    if execution is None or execution.status != ExecutionStatus.RUNNING or execution.lease_owner != owner:
        raise LeaseLost(execution_id)
    return execution


def renew_lease(app: AppContext, execution_id: str, owner: str) -> bool:
    """Extend the lease. Returns whether a stop was requested. Raises LeaseLost."""
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        execution.renew_lease(owner, app.clock(), timedelta(seconds=app.settings.lease_s))
        stop = execution.stop_requested
        uow.commit()
        return stop


def _append(
    uow: UnitOfWork,
    execution: Execution,
    observation_id: str,
    status: RecordStatus,
    record: Any,
) -> int:
    execution.records_total += 1
    if status == RecordStatus.PASSED:
        execution.records_passed += 1
    elif status in (RecordStatus.FAILED, RecordStatus.ERROR):
        execution.records_failed += 1
    seq = execution.records_total
    uow.session.execute(
        execution_records.insert().values(
            execution_id=execution.id,
            seq=seq,
            attempt=execution.attempt,
            observation_id=observation_id[:200],
            status=status.value,
            timestamp=uow.app.clock(),
            record=record,
        )
    )
    uow.emit(RecordAdded(execution.workspace_id, execution.id, seq, status.value))
    return seq


def append_record(
    app: AppContext, execution_id: str, owner: str, observation_id: str, status: RecordStatus, record: Any
) -> int:
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        seq = _append(uow, execution, observation_id, status, record)
        uow.commit()
        return seq


def add_artifact(
    app: AppContext,
    execution_id: str,
    owner: str,
    name: str,
    data: bytes,
    media_type: str,
    record_seq: int | None,
) -> str:
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        artifact = store_artifact(uow, execution, name, data, media_type, record_seq)
        uow.commit()
    return artifact.id


def next_attempt(app: AppContext, execution_id: str, owner: str, reason: str) -> int:
    """Record why an attempt failed and begin the next one; returns its number."""
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        _append(
            uow,
            execution,
            "attempt",
            RecordStatus.INFO,
            {"event": "retry", "attempt": execution.attempt, "reason": reason},
        )
        execution.next_attempt()
        attempt = execution.attempt
        uow.commit()
        return attempt


def finish(
    app: AppContext, execution_id: str, owner: str, outcome: Outcome, record: dict[str, Any] | None = None
) -> Execution:
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        if record is not None:
            status = RecordStatus.FAILED if outcome.status != ExecutionStatus.STOPPED else RecordStatus.INFO
            _append(uow, execution, "execution", status, record)
        execution.finish(outcome, app.clock())
        endings.ended(uow, execution)
        uow.commit()
        return execution


def recover_lost(app: AppContext) -> list[str]:
    """Executions whose worker died: queue them to run their attempt again from its start, or
    end them ERROR.

    A worker is dead when its lease expired, or at once when it was a process on this host
    that no longer exists (a server restarted after a crash). Returns the ids handled.
    """
    now = app.clock()
    with app.db.reading() as session:
        rows = session.execute(
            select(executions.c.id, executions.c.lease_owner, executions.c.lease_expires_at).where(
                executions.c.status == ExecutionStatus.RUNNING, executions.c.kind != MANUAL_KIND
            )
        ).all()
    lost = [r.id for r in rows if _is_lost(r.lease_expires_at, r.lease_owner, now)]
    handled = []
    seen_owner = {r.id: r.lease_owner for r in rows}
    for execution_id in lost:
        with app.uow() as uow:
            execution = uow.session.get(Execution, execution_id, with_for_update=True)
            if execution is None or execution.status != ExecutionStatus.RUNNING:
                continue
            if execution.lease_owner != seen_owner[execution_id] or not _lost(execution, app.clock()):
                continue  # taken up again meanwhile by a live worker: not ours to recover
            _take_back(
                uow, execution, "worker_lost", "the worker running this execution stopped renewing its lease"
            )
            uow.commit()
            handled.append(execution_id)
    return handled


def _is_lost(lease_expires_at: datetime | None, owner: str | None, now: datetime) -> bool:
    return lease_expires_at is None or as_utc(lease_expires_at) < now or owner_is_dead(owner or "")


def _lost(execution: Execution, now: datetime) -> bool:
    return _is_lost(execution.lease_expires_at, execution.lease_owner, now)


def release_interrupted(app: AppContext, execution_id: str, owner: str, why: str) -> None:
    """This worker is shutting down mid-run: hand the execution back to the queue now,
    rather than leave it RUNNING until its lease runs out."""
    with app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        _take_back(uow, execution, "worker_shutdown", why, worker_lost=False)
        uow.commit()


def _take_back(
    uow: UnitOfWork, execution: Execution, event: str, reason: str, *, worker_lost: bool = True
) -> None:
    """Queue an interrupted execution again to run its attempt from the start, or end it
    (ERROR, or STOPPED when a stop was asked for), with a record saying what happened and
    why. When it runs again, the cut-short run's records (this one included) are marked
    interrupted: they stay readable, and scores and summaries read the run that follows."""
    attempt, owner = execution.attempt, execution.lease_owner
    requeued = execution.interrupt(uow.app.clock(), uow.app.settings.max_recoveries, worker_lost=worker_lost)
    record = {
        "event": event,
        "attempt": attempt,
        "worker": owner,
        "action": f"attempt {attempt} runs again from its start" if requeued else "gave up",
        "reason": reason if requeued else f"{reason}; {execution.reason}",
        "interruptions": execution.interruptions,
    }
    status = RecordStatus.INFO if requeued else RecordStatus.ERROR
    _append(uow, execution, "recovery", status, record)
    if requeued:
        _mark_interrupted(uow, execution)
        uow.emit(ExecutionQueued(execution.workspace_id, execution.id))
    else:
        endings.ended(uow, execution)


def _mark_interrupted(uow: UnitOfWork, execution: Execution) -> None:
    """The records of the run just cut short: its attempt's, apart from earlier cut-short runs'."""
    uow.session.execute(
        update(execution_records)
        .where(
            execution_records.c.execution_id == execution.id,
            execution_records.c.attempt == execution.attempt,
            execution_records.c.interrupted.is_(False),
        )
        .values(interrupted=True)
    )
