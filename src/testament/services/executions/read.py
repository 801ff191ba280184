"""Reading executions and their records."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput
from testament.domain.execution import Execution, ExecutionStatus
from testament.kit.clock import as_utc
from testament.kit.ids import id_floor
from testament.services.context import AppContext
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.test_cases.tags import tagged
from testament.store.repository import Repository, owned_by
from testament.store.tables import execution_records, executions

__all__ = ["Record", "get_execution", "list_executions", "list_records", "load_execution"]


@dataclass(frozen=True)
class Record:
    execution_id: str
    seq: int
    attempt: int
    observation_id: str
    status: str
    timestamp: datetime
    record: dict[str, Any]
    interrupted: bool = False  # written by a run that was cut short and run again


def load_execution(session: Session, principal: Principal, ident: str, *, lock: bool = False) -> Execution:
    """An execution of the workspace by id; `lock` holds the row (PostgreSQL) against a concurrent claim."""
    return Repository(session, Execution, principal.workspace_id, "execution").get(ident, lock=lock)


def get_execution(app: AppContext, principal: Principal, execution_id: str) -> Execution:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        execution = load_execution(session, principal, execution_id)
        return execution


def list_executions(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    test_case_id: str | None = None,
    status: ExecutionStatus | Sequence[ExecutionStatus] | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tag: str | None = None,
    plan_run_id: str | None = None,
) -> Page[Execution]:
    """Newest first. `since`/`until` bound the time it was queued; `tag` is `key` or `key=value`
    on its test case."""
    principal.require(Permission.READ)
    check_limit(limit)
    before = decode_cursor(app.cursors, "executions", cursor)
    query = select(Execution).where(owned_by(executions, principal.workspace_id))
    if test_case_id:
        query = query.where(executions.c.test_case_id == test_case_id)
    if isinstance(status, ExecutionStatus):
        query = query.where(executions.c.status == status)
    elif status:
        query = query.where(executions.c.status.in_(list(status)))
    if kind:
        query = query.where(executions.c.kind == kind)
    since, until = _instant("since", since), _instant("until", until)
    if since:  # an id (UUIDv7) is made after its queued_at: the id bound is safe and uses the index
        query = query.where(executions.c.queued_at >= since, executions.c.id >= id_floor(since))
    if until:
        query = query.where(executions.c.queued_at < until)
    if plan_run_id:
        query = query.where(executions.c.plan_run_id == plan_run_id)
    if before:
        query = query.where(executions.c.id < before)
    if tag:  # its test case's tag rows, by index; a retired test case's executions count too
        query = query.where(tagged(executions.c.test_case_id, principal.workspace_id, tag))
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(executions.c.id.desc()).limit(limit + 1)))
    return make_page(app.cursors, "executions", rows, limit, key=lambda e: e.id)


def _instant(field: str, moment: datetime | None) -> datetime | None:
    """A time filter in UTC; a value without an offset is taken as UTC."""
    if moment is None:
        return None
    try:
        return as_utc(moment)
    except (OverflowError, ValueError):
        raise InvalidInput(field, "is outside the range of representable times") from None


def list_records(
    app: AppContext,
    principal: Principal,
    execution_id: str,
    *,
    limit: int = 100,
    cursor: str | None = None,
    status: str | Sequence[str] | None = None,
    after_seq: int | None = None,
) -> Page[Record]:
    """Records in the order they were written; a page at any depth is one index range scan.
    `after_seq` starts after a record the caller has seen, so a follower reads only what is new."""
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, f"records:{execution_id}", cursor)
    query = select(execution_records).where(execution_records.c.execution_id == execution_id)
    if isinstance(status, str):
        query = query.where(execution_records.c.status == status.upper())
    elif status:
        query = query.where(execution_records.c.status.in_([s.upper() for s in status]))
    if after is not None:
        if not isinstance(after, int):
            raise InvalidInput("cursor", "is not a records cursor")
        query = query.where(execution_records.c.seq > after)
    if after_seq is not None:
        query = query.where(execution_records.c.seq > after_seq)
    with app.db.reading() as session:
        load_execution(session, principal, execution_id)
        rows = session.execute(query.order_by(execution_records.c.seq).limit(limit + 1)).all()
    records = [
        Record(
            r.execution_id,
            r.seq,
            r.attempt,
            r.observation_id,
            r.status,
            as_utc(r.timestamp),
            r.record,
            r.interrupted,
        )
        for r in rows
    ]
    return make_page(app.cursors, f"records:{execution_id}", records, limit, key=lambda r: r.seq)
