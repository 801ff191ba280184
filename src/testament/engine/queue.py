"""The durable queue: claim, lease, record, finish, recover. Every step is one short write
transaction, so readers see records while an execution runs and a crash loses nothing that
was reported; a run's last record goes with its end (engine/worker.py holds each record back
until the run's next write, at most LINGER_S).

On SQLite every write transaction holds the database's one write lock, which starts, claims
and ends of every process share: what can be read or worked out before it (which workspaces
to try, a version's content, a scoreboard) is, and the hot statements are built once."""

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from testament.domain.execution import MANUAL_KIND, Execution, ExecutionStatus, Outcome, RecordStatus
from testament.domain.requirements import satisfiable_keys
from testament.kit.clock import as_utc
from testament.kit.ids import new_id
from testament.services import blobs, endings, scores, workers
from testament.services.context import AppContext, UnitOfWork
from testament.services.events import ExecutionQueued, ExecutionStarted, RecordAdded
from testament.services.executions.artifacts import artifact_file_name, store_artifact
from testament.store.tables import execution_records, execution_slots, executions, test_case_versions

__all__ = [
    "Job",
    "Known",
    "LeaseLost",
    "PendingRecord",
    "add_artifact",
    "append_record",
    "claim_next",
    "finish",
    "make_owner",
    "next_attempt",
    "record_in",
    "recover_lost",
    "release_interrupted",
    "renew_lease",
    "renew_leases",
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
class PendingRecord:
    """A run's record not written yet: it is written with the run's next write, which for its
    last record is the end (one write transaction fewer per run)."""

    observation_id: str
    status: RecordStatus
    record: Any
    at: datetime

    def as_scored(self) -> tuple[str, str, Any]:
        return self.observation_id, self.status.value, self.record


@dataclass(frozen=True)
class Known:
    """What a run's worker knows of its execution at its end, so the end reads nothing before
    its write: the claimed execution, the attempt running, how many records are stored in all
    and of that attempt (a run's records are written by its lease holder alone)."""

    execution: Execution
    attempt: int
    records_total: int
    stored_this_attempt: int
    in_instance: bool


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one claimed execution."""

    execution: Execution
    content: Any
    in_instance: bool = False  # its batch is a test instance's (endings.is_instance_batch)


def claim_next(
    app: AppContext, owner: str, kinds: frozenset[str] | None = None, labels: Mapping[str, str] | None = None
) -> Job | None:
    """Take a queued execution of one of `kinds` (None: any kind; a worker claims only what it
    has runners for) whose requirements its `labels` meet (domain/requirements.py; None: no
    labels, so only executions that require none), in a workspace below its running cap: the
    workspace with the fewest running executions first, then the oldest queued, so a workspace's
    backlog never holds up another's single execution. The cap is the workspace's slot rows: a
    claim takes a free one, skipping those other claims hold, so concurrent claims do not queue
    on one workspace row."""
    cap = app.settings.max_running_executions
    takeable = _takeable(kinds, labels or {})
    # Which workspaces to try is read first, outside the write transaction: most claims find
    # nothing (every start and every finish wakes idle workers in each process), and an empty
    # one then costs a read, not SQLite's write lock. What the read saw is checked again under
    # the write: the slot is locked and the execution still QUEUED, or the next one is tried.
    with app.db.reading() as session:
        candidates = _workspaces_in_turn(session, cap, takeable)
    if not candidates:
        return None
    with app.uow() as uow:
        for workspace_id in candidates:
            slot_no = _free_slot(uow, workspace_id, cap)
            if slot_no is None:
                continue  # its free slots are being taken by other claims right now
            execution = _oldest_queued(uow, workspace_id, takeable)
            if execution is None:
                continue  # other workers took them meanwhile; the slot stays free
            _start(uow, execution, owner, slot_no)
            break
        else:
            return None
    with app.db.reading() as session:  # neither ever changes: no need to hold the write lock
        content = session.execute(
            _CONTENT, {"b_case_id": execution.test_case_id, "b_version": execution.test_case_version}
        ).scalar_one()
        in_instance = endings.is_instance_batch(session, execution)
    return Job(execution, content, in_instance)


class _Takeable:
    """What a worker can take (`_takeable`), as the statements of its claims, built once per worker
    (building one is much of what a claim costs): the workspaces it could claim from, and a
    workspace's oldest execution it can run."""

    def __init__(self, where: list[ColumnElement[bool]]) -> None:
        self.turns = _turns_statement(where)
        self.oldest = (
            select(executions)
            .where(
                executions.c.workspace_id == bindparam("b_workspace_id"),
                executions.c.status == ExecutionStatus.QUEUED,
                *where,
            )
            .order_by(executions.c.queued_at, executions.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )


_TAKEABLE: dict[tuple[frozenset[str] | None, frozenset[tuple[str, str]]], _Takeable] = {}


def _takeable(kinds: frozenset[str] | None, labels: Mapping[str, str]) -> _Takeable:
    """Which queued executions this worker can run: of its kinds, requiring only labels it has
    (one key per subset of its labels: a simple IN on both SQLite and PostgreSQL)."""
    key = (kinds, frozenset(labels.items()))
    if (found := _TAKEABLE.get(key)) is None:
        where: list[ColumnElement[bool]] = [executions.c.requirement_key.in_(satisfiable_keys(labels))]
        if kinds is not None:
            where.append(executions.c.kind.in_(kinds))
        found = _TAKEABLE.setdefault(key, _Takeable(where))
    return found


def _turns_statement(takeable: list[ColumnElement[bool]]) -> Any:
    """Workspaces with queued work this worker can take: each one's oldest such execution and
    its running count. Read off the index of queued executions by workspace, one probe per
    workspace with queued work (a skip scan): a backlog of thousands costs no more than one
    queued execution."""
    queued = executions.c.status == ExecutionStatus.QUEUED
    heads = select(select(func.min(executions.c.workspace_id)).where(queued).scalar_subquery().label("id"))
    walk = heads.cte("workspaces_with_queued", recursive=True)
    later = executions.alias("later")
    walk = walk.union_all(
        select(
            select(func.min(later.c.workspace_id))
            .where(later.c.status == ExecutionStatus.QUEUED, later.c.workspace_id > walk.c.id)
            .scalar_subquery()
        ).where(walk.c.id.is_not(None))
    )
    oldest = select(executions.c.queued_at).where(queued, executions.c.workspace_id == walk.c.id, *takeable)
    running = (
        select(func.count())
        .select_from(execution_slots)
        .where(execution_slots.c.workspace_id == walk.c.id, execution_slots.c.execution_id.is_not(None))
    )
    return select(
        walk.c.id,
        oldest.order_by(executions.c.queued_at, executions.c.id).limit(1).scalar_subquery().label("oldest"),
        running.scalar_subquery().label("running"),
    ).where(walk.c.id.is_not(None))


def _workspaces_in_turn(session: Session, cap: int, takeable: _Takeable) -> list[str]:
    """Workspaces with queued work below their cap: fewest running first, then the oldest queued."""
    rows = session.execute(takeable.turns).all()
    waiting = [r for r in rows if r.oldest is not None and r.running < cap]
    waiting.sort(key=lambda r: (r.running, as_utc(r.oldest), r.id))
    return [r.id for r in waiting[:CANDIDATES]]


# The statements of every claim, record and finish, built once: building one anew is much of
# what a short statement costs in Python.
_FREE_SLOT = (
    select(execution_slots.c.slot_no)
    .where(
        execution_slots.c.workspace_id == bindparam("b_workspace_id"),
        execution_slots.c.execution_id.is_(None),
        execution_slots.c.slot_no < bindparam("b_cap"),
    )
    .order_by(execution_slots.c.slot_no)
    .limit(1)
    .with_for_update(skip_locked=True)  # SQLite: its one writer at a time needs no lock
)
_TAKE_SLOT = (
    update(execution_slots)
    .where(
        execution_slots.c.workspace_id == bindparam("b_workspace_id"),
        execution_slots.c.slot_no == bindparam("b_slot"),
    )
    .values(execution_id=bindparam("b_execution_id"))
)
_HELD_SLOTS = (
    select(func.count())
    .select_from(execution_slots)
    .where(
        execution_slots.c.workspace_id == bindparam("b_workspace_id"),
        execution_slots.c.execution_id.is_not(None),
    )
)
_FREE_SLOT_OF = (
    update(execution_slots)
    .where(execution_slots.c.execution_id == bindparam("b_execution_id"))
    .values(execution_id=None)
)
_CONTENT = select(test_case_versions.c.content).where(
    test_case_versions.c.test_case_id == bindparam("b_case_id"),
    test_case_versions.c.version == bindparam("b_version"),
)
_HOLDER = (  # the execution as held by `owner` (fencing), for an UPDATE's WHERE
    executions.c.id == bindparam("b_execution_id"),
    executions.c.status == ExecutionStatus.RUNNING,
    executions.c.lease_owner == bindparam("b_owner"),
)
_HELD_ROW = select(executions).where(*_HOLDER).with_for_update()
_FIELDS = tuple(column.name for column in executions.c)
_EXECUTION = select(executions).where(executions.c.id == bindparam("b_execution_id"))
_RENEW = (
    update(executions)
    .where(
        executions.c.id.in_(bindparam("b_ids", expanding=True)),
        executions.c.status == ExecutionStatus.RUNNING,
        executions.c.lease_owner == bindparam("b_owner"),
    )
    .values(lease_expires_at=bindparam("b_expires"))
    .returning(executions.c.id, executions.c.stop_requested)
)
_RECORD = execution_records.insert()  # its values given at each call
_COUNTED = {  # a record's counters, by what its status adds
    added: update(executions)
    .where(*_HOLDER)
    .values(
        records_total=executions.c.records_total + 1,
        **{column: executions.c[column] + 1 for column in extra},
    )
    .returning(executions.c.records_total, executions.c.attempt, executions.c.workspace_id)
    for added, extra in {
        "passed": ("records_passed",),
        "failed": ("records_failed",),
        "other": (),
    }.items()
}


def _free_slot(uow: UnitOfWork, workspace_id: str, cap: int) -> int | None:
    """Lock a free slot of the workspace (below the cap: slots above a lowered cap are not given
    out again), making one when it has none free. None when none is free to this claim."""
    params = {"b_workspace_id": workspace_id, "b_cap": cap}
    slot_no = uow.session.execute(_FREE_SLOT, params).scalar()
    if slot_no is None and _add_slot(uow, workspace_id, cap):
        slot_no = uow.session.execute(_FREE_SLOT, params).scalar()
    return slot_no


def _add_slot(uow: UnitOfWork, workspace_id: str, cap: int) -> bool:
    """Make the workspace's next slot if it has fewer than the cap; whether it did. Slots are
    made one at a time as claims need them (a workspace has as many as it ever ran at once, not
    its cap, which may be raised to thousands), so they are numbered 0, 1, … without gaps."""
    have = uow.session.execute(
        select(func.count())
        .select_from(execution_slots)
        .where(execution_slots.c.workspace_id == workspace_id, execution_slots.c.slot_no < cap)
    ).scalar_one()
    if have >= cap:
        return False
    dialect: Any = sqlite if uow.app.db.is_sqlite else postgresql
    uow.session.execute(  # a claim elsewhere making the same one leaves this free for that claim
        dialect.insert(execution_slots)
        .values(workspace_id=workspace_id, slot_no=have)
        .on_conflict_do_nothing()
    )
    return True


def _oldest_queued(uow: UnitOfWork, workspace_id: str, takeable: _Takeable) -> Execution | None:
    row = uow.session.execute(takeable.oldest, {"b_workspace_id": workspace_id}).first()
    return _detached(row) if row is not None else None


def _detached(row: Any) -> Execution:
    """An execution read without the ORM, for the hot path of a claim and a finish: no identity
    map, no flush (most of what those cost). Its rules are still the domain's; `_write_back`
    saves it, in the transaction that read it under a lock."""
    return Execution(**row._mapping)


def _snapshot(execution: Execution) -> dict[str, Any]:
    return {name: getattr(execution, name) for name in _FIELDS}


_WRITE_BACKS: dict[frozenset[str], Any] = {}


def _write_back(uow: UnitOfWork, execution: Execution, before: dict[str, Any]) -> None:
    """Write what changed in `execution` since `before` (one statement per set of columns,
    built once)."""
    changed = {name: value for name in _FIELDS if (value := getattr(execution, name)) != before[name]}
    if not changed:
        return
    columns = frozenset(changed)
    if (statement := _WRITE_BACKS.get(columns)) is None:
        statement = _WRITE_BACKS.setdefault(
            columns,
            update(executions)
            .where(executions.c.id == bindparam("b_id"))
            .values(
                {name: bindparam(f"b_{name}", type_=executions.c[name].type) for name in sorted(columns)}
            ),
        )
    uow.session.execute(statement, {"b_id": execution.id, **{f"b_{k}": v for k, v in changed.items()}})


def _release_slot(uow: UnitOfWork, execution: Execution) -> bool:
    """Free the execution's running slot; whether its workspace was at its cap until now (only
    then may the freed slot let another worker claim what it could not)."""
    held = uow.session.execute(_HELD_SLOTS, {"b_workspace_id": execution.workspace_id}).scalar_one()
    uow.session.execute(_FREE_SLOT_OF, {"b_execution_id": execution.id})
    return int(held) >= uow.app.settings.max_running_executions


def _start(uow: UnitOfWork, execution: Execution, owner: str, slot_no: int) -> None:
    settings = uow.app.settings
    lease, limit = timedelta(seconds=settings.lease_s), timedelta(seconds=settings.max_duration_s)
    queued = _snapshot(execution)
    execution.start(owner, uow.app.clock(), lease, limit)
    execution.waiting_for = None  # a worker took it
    _write_back(uow, execution, queued)
    uow.session.execute(
        _TAKE_SLOT,
        {"b_workspace_id": execution.workspace_id, "b_slot": slot_no, "b_execution_id": execution.id},
    )
    uow.emit(ExecutionStarted(execution.workspace_id, execution.id, execution.attempt))
    uow.commit()


def _held(uow: UnitOfWork, execution_id: str, owner: str) -> Execution:
    execution = uow.session.get(Execution, execution_id, with_for_update=True)
    if execution is None or execution.status != ExecutionStatus.RUNNING or execution.lease_owner != owner:
        raise LeaseLost(execution_id)
    return execution


def renew_lease(app: AppContext, execution_id: str, owner: str) -> bool:
    """Extend the lease. Returns whether a stop was requested. Raises LeaseLost."""
    renewed = renew_leases(app, [execution_id], owner)
    if execution_id not in renewed:
        raise LeaseLost(execution_id)
    return renewed[execution_id]


def renew_leases(app: AppContext, execution_ids: list[str], owner: str) -> dict[str, bool]:
    """Extend the leases `owner` still holds among `execution_ids`, in one UPDATE that checks
    each is still this owner's (as Execution.renew_lease does). Returns, for each one renewed,
    whether a stop was requested; one left out was lost."""
    expires = app.clock() + timedelta(seconds=app.settings.lease_s)
    with app.uow() as uow:
        rows = uow.session.execute(_RENEW, {"b_ids": execution_ids, "b_owner": owner, "b_expires": expires})
        renewed = {row.id: bool(row.stop_requested) for row in rows}
        uow.commit()
        return renewed


def _append(
    uow: UnitOfWork,
    execution: Execution,
    observation_id: str,
    status: RecordStatus,
    record: Any,
    at: datetime | None = None,
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
            timestamp=at or uow.app.clock(),
            record=record,
        )
    )
    uow.emit(RecordAdded(execution.workspace_id, execution.id, seq, status.value))
    return seq


def record_in(
    uow: UnitOfWork, execution: Execution, observation_id: str, status: RecordStatus, record: Any
) -> int:
    """Append a record in a change the caller holds the execution in and commits (not a run's:
    a worker's records go through `append_record`, which checks its lease)."""
    return _append(uow, execution, observation_id, status, record)


def append_record(
    app: AppContext,
    execution_id: str,
    owner: str,
    observation_id: str,
    status: RecordStatus,
    record: Any,
    at: datetime | None = None,
) -> int:
    """One record of a run, committed before it returns. The execution's counters are bumped in
    one UPDATE that also checks the lease (fencing: a worker that lost it writes nothing) and
    hands back the record's sequence number and attempt; no ORM load of the execution, which
    cost most of a record's time."""
    added = {RecordStatus.PASSED: "passed", RecordStatus.FAILED: "failed", RecordStatus.ERROR: "failed"}
    with app.uow() as uow:
        held = uow.session.execute(
            _COUNTED[added.get(status, "other")], {"b_execution_id": execution_id, "b_owner": owner}
        ).first()
        if held is None:
            raise LeaseLost(execution_id)
        seq = int(held.records_total)
        uow.session.execute(
            _RECORD,
            {
                "execution_id": execution_id,
                "seq": seq,
                "attempt": held.attempt,
                "observation_id": observation_id[:200],
                "status": status.value,
                "timestamp": at or app.clock(),
                "record": record,
            },
        )
        uow.emit(RecordAdded(held.workspace_id, execution_id, seq, status.value))
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
    where = artifact_file_name(app, execution_id, name)
    with blobs.kept(app, blobs.chunks_of(data), where) as blob, app.uow() as uow:
        execution = _held(uow, execution_id, owner)
        artifact = store_artifact(uow, execution, name, blob, media_type, record_seq)
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
    app: AppContext,
    execution_id: str,
    owner: str,
    outcome: Outcome,
    record: dict[str, Any] | None = None,
    pending: PendingRecord | None = None,
    known: Known | None = None,
) -> Execution:
    """End a run, writing first its `pending` record, then `record` (why it ended so, when not
    by its runner's verdict). What can be worked out before taking the write lock is (the
    scoreboard, from the records only this lease holder writes, and `known`); the write then
    checks the lease, writes the end and frees the running slot."""
    ahead = _before_finish(app, known, pending) if record is None and known is not None else None
    with app.uow() as uow:
        row = uow.session.execute(_HELD_ROW, {"b_execution_id": execution_id, "b_owner": owner}).first()
        if row is None:
            raise LeaseLost(execution_id)
        execution = _detached(row)
        running = _snapshot(execution)
        if pending is not None:
            _append(uow, execution, pending.observation_id, pending.status, pending.record, pending.at)
        if record is not None:
            status = RecordStatus.FAILED if outcome.status != ExecutionStatus.STOPPED else RecordStatus.INFO
            _append(uow, execution, "execution", status, record)
        execution.finish(outcome, app.clock())
        frees_capacity = _release_slot(uow, execution)
        if ahead is not None and (ahead.attempt, ahead.records_total) == (
            execution.attempt,
            execution.records_total,
        ):
            execution.scoreboard = ahead.scoreboard
        else:
            endings.score(uow, execution)
        _write_back(uow, execution, running)  # before `settle`, which reads the batch's executions
        in_instance = known.in_instance if known is not None else None
        endings.settle(uow, execution, frees_capacity=frees_capacity, in_instance=in_instance)
        uow.commit()
        return execution


@dataclass(frozen=True)
class _Ahead:
    """The scoreboard a finish worked out before its write, as of `records_total` records of
    `attempt` (checked again under the write)."""

    attempt: int
    records_total: int
    scoreboard: dict[str, Any]


def _before_finish(app: AppContext, known: Known, pending: PendingRecord | None) -> _Ahead:
    also = [pending.as_scored()] if pending is not None else []
    scored = (
        replace(known.execution, attempt=known.attempt)
        if known.execution.attempt != known.attempt
        else known.execution
    )
    with app.db.reading() as session:  # reads only what it has not kept: records stored, a new version's plan
        scoreboard = scores.scoreboard_of(session, scored, also, stored=known.stored_this_attempt > 0)
    return _Ahead(known.attempt, known.records_total + len(also), scoreboard)


def recover_lost(app: AppContext) -> list[str]:
    """Executions whose worker died: queue them to run their attempt again from its start, or
    end them ERROR.

    A worker is dead when its lease expired; or at once when it was a process on this host that
    no longer exists (a server restarted after a crash); or when it is a registered worker whose
    heartbeats stopped (services/workers.py, seconds rather than a lease). Taking an execution
    back frees its running slot and changes its lease owner, so the dead worker's late writes are
    refused should it wake. Returns the ids handled.
    """
    now = app.clock()
    with app.db.reading() as session:
        rows = session.execute(
            select(executions.c.id, executions.c.lease_owner, executions.c.lease_expires_at).where(
                executions.c.status == ExecutionStatus.RUNNING, executions.c.kind != MANUAL_KIND
            )
        ).all()
        owners = {r.lease_owner for r in rows if r.lease_owner}
        silent = workers.dead_owners(session, app.settings, owners, now)
    _free_stale_slots(app)
    lost = [r.id for r in rows if _is_lost(r.lease_expires_at, r.lease_owner, now, silent)]
    handled = []
    seen_owner = {r.id: r.lease_owner for r in rows}
    for execution_id in lost:
        with app.uow() as uow:
            execution = uow.session.get(Execution, execution_id, with_for_update=True)
            if execution is None or execution.status != ExecutionStatus.RUNNING:
                continue
            if execution.lease_owner != seen_owner[execution_id] or not _lost(execution, app.clock(), silent):
                continue  # taken up again meanwhile by a live worker: not ours to recover
            _take_back(uow, execution, "worker_lost", _why_lost(execution.lease_owner, silent))
            uow.commit()
            handled.append(execution_id)
    return handled


def _why_lost(owner: str | None, silent: set[str]) -> str:
    if owner in silent:
        return "the worker running this execution stopped its heartbeats"
    if owner_is_dead(owner or ""):
        return "the worker process running this execution no longer exists"
    return "the worker running this execution stopped renewing its lease"


def _free_stale_slots(app: AppContext) -> None:
    """Free slots held by executions no longer running (a run ended by a process of an older
    version, which knew no slots): the slots are the cap, and a stale one would lower it for good."""
    not_running = (
        execution_slots.c.execution_id.is_not(None),
        execution_slots.c.execution_id.not_in(
            select(executions.c.id).where(executions.c.status == ExecutionStatus.RUNNING)
        ),
    )
    with app.db.reading() as session:
        stale = session.execute(select(execution_slots.c.slot_no).where(*not_running).limit(1)).first()
    if stale is not None:
        with app.uow() as uow:
            uow.session.execute(update(execution_slots).where(*not_running).values(execution_id=None))
            uow.commit()


def _is_lost(lease_expires_at: datetime | None, owner: str | None, now: datetime, silent: set[str]) -> bool:
    return (
        lease_expires_at is None
        or as_utc(lease_expires_at) < now
        or owner in silent
        or owner_is_dead(owner or "")
    )


def _lost(execution: Execution, now: datetime, silent: set[str]) -> bool:
    return _is_lost(execution.lease_expires_at, execution.lease_owner, now, silent)


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
    frees_capacity = _release_slot(uow, execution)
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
        endings.ended(uow, execution, frees_capacity=frees_capacity)


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
