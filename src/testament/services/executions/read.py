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
from testament.domain.model import Artifact
from testament.kit.clock import as_utc
from testament.kit.ids import id_floor
from testament.services.context import AppContext
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.services.test_cases.tags import tagged
from testament.store.repository import Repository, owned_by
from testament.store.tables import (
    artifacts,
    environments,
    execution_records,
    executions,
    plan_runs,
    test_cases,
)

__all__ = [
    "Record",
    "RunRow",
    "RunView",
    "follow_run",
    "get_execution",
    "list_executions",
    "list_records",
    "list_runs",
    "load_execution",
    "read_run",
    "records_before",
]


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
    query = _filtered(
        app,
        principal,
        cursor,
        test_case_id=test_case_id,
        status=status,
        kind=kind,
        since=since,
        until=until,
        tag=tag,
        plan_run_id=plan_run_id,
    )
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(executions.c.id.desc()).limit(limit + 1)))
    return make_page(app.cursors, "executions", rows, limit, key=lambda e: e.id)


def _filtered(
    app: AppContext,
    principal: Principal,
    cursor: str | None,
    *,
    test_case_id: str | None = None,
    status: ExecutionStatus | Sequence[ExecutionStatus] | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tag: str | None = None,
    plan_run_id: str | None = None,
) -> Any:
    """The workspace's executions with the filters of list_executions (a select, not run)."""
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
    return query


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


# --- the web UI's read models: the runs list and one run's page ----------------------------


@dataclass(frozen=True)
class RunRow:
    """One execution as the runs list shows it, with its test case's name."""

    execution: Execution
    test_case_name: str


def list_runs(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    test_case_id: str | None = None,
    status: ExecutionStatus | Sequence[ExecutionStatus] | None = None,
    plan_id: str | None = None,
    tag: str | None = None,
    environment_id: str | None = None,
    started_by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[RunRow]:
    """Executions newest first with list_executions' filters, and: of a plan's runs (`plan_id`),
    in an environment, started by a user (who created it); each with its test case's name
    (one batched lookup per page)."""
    principal.require(Permission.READ)
    check_limit(limit)
    query = _filtered(
        app, principal, cursor, test_case_id=test_case_id, status=status, since=since, until=until, tag=tag
    )
    if plan_id:
        query = query.where(
            executions.c.plan_run_id.in_(
                select(plan_runs.c.id).where(
                    owned_by(plan_runs, principal.workspace_id), plan_runs.c.plan_id == plan_id
                )
            )
        )
    if environment_id:
        query = query.where(executions.c.environment_id == environment_id)
    if started_by:
        query = query.where(executions.c.created_by == started_by)
    with app.db.reading() as session:
        rows = list(session.scalars(query.order_by(executions.c.id.desc()).limit(limit + 1)))
        names = _names(session, test_cases, {e.test_case_id for e in rows})
    page = make_page(app.cursors, "executions", rows, limit, key=lambda e: e.id)
    return Page([RunRow(e, names.get(e.test_case_id, e.test_case_id)) for e in page.items], page.next_cursor)


def _names(session: Session, table: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = session.execute(select(table.c.id, table.c.name).where(table.c.id.in_(ids)))
    return {row.id: row.name for row in found}


@dataclass(frozen=True)
class RunView:
    """One execution as its page shows it first: the last `window` records (in order), whether
    earlier ones exist, their artifacts and the names it refers to (its counts are its own)."""

    execution: Execution
    test_case_name: str
    environment_name: str | None
    records: list[Record]
    earlier: bool
    artifacts: list[Artifact]


def _record(row: Any) -> Record:
    return Record(
        row.execution_id,
        row.seq,
        row.attempt,
        row.observation_id,
        row.status,
        as_utc(row.timestamp),
        row.record,
        row.interrupted,
    )


def read_run(app: AppContext, principal: Principal, execution_id: str, *, window: int = 100) -> RunView:
    """An execution with its last `window` records: bounded, whatever the number of records."""
    principal.require(Permission.READ)
    check_limit(window)
    with app.db.reading() as session:
        execution = load_execution(session, principal, execution_id)
        newest = session.execute(
            select(execution_records)
            .where(execution_records.c.execution_id == execution.id)
            .order_by(execution_records.c.seq.desc())
            .limit(window + 1)
        ).all()
        records = [_record(r) for r in reversed(newest[:window])]
        query = select(Artifact).where(artifacts.c.execution_id == execution.id)
        if len(newest) > window:  # only the window's, and those of no record
            query = query.where((artifacts.c.record_seq >= records[0].seq) | artifacts.c.record_seq.is_(None))
        found = list(session.scalars(query.order_by(artifacts.c.id).limit(1000)))
        case_names = _names(session, test_cases, {execution.test_case_id})
        env_names = _names(session, environments, {execution.environment_id} - {None})  # type: ignore[arg-type]
    return RunView(
        execution,
        case_names.get(execution.test_case_id, execution.test_case_id),
        env_names.get(execution.environment_id) if execution.environment_id else None,
        records,
        len(newest) > window,
        found,
    )


def records_before(
    app: AppContext, principal: Principal, execution_id: str, before_seq: int, *, limit: int = 100
) -> tuple[list[Record], bool, list[Artifact]]:
    """The `limit` records just before `before_seq` (in order), whether there are earlier ones,
    and their artifacts: the page's "load earlier"."""
    principal.require(Permission.READ)
    check_limit(limit)
    with app.db.reading() as session:
        load_execution(session, principal, execution_id)
        rows = session.execute(
            select(execution_records)
            .where(execution_records.c.execution_id == execution_id, execution_records.c.seq < before_seq)
            .order_by(execution_records.c.seq.desc())
            .limit(limit + 1)
        ).all()
        records = [_record(r) for r in reversed(rows[:limit])]
        found = (
            list(
                session.scalars(
                    select(Artifact)
                    .where(
                        artifacts.c.execution_id == execution_id,
                        artifacts.c.record_seq >= records[0].seq,
                        artifacts.c.record_seq < before_seq,
                    )
                    .order_by(artifacts.c.id)
                )
            )
            if records
            else []
        )
    return records, len(rows) > limit, found


def follow_run(
    app: AppContext, principal: Principal, execution_id: str, after_seq: int, *, limit: int = 100
) -> tuple[Execution, list[Record], list[Artifact]]:
    """One poll of a run followed live: the execution as it is now, up to `limit` records
    written after `after_seq` (in order) and their artifacts, read in one transaction."""
    principal.require(Permission.READ)
    check_limit(limit)
    with app.db.reading() as session:
        execution = load_execution(session, principal, execution_id)
        rows = session.execute(
            select(execution_records)
            .where(execution_records.c.execution_id == execution_id, execution_records.c.seq > after_seq)
            .order_by(execution_records.c.seq)
            .limit(limit)
        ).all()
        records = [_record(r) for r in rows]
        found = (
            list(
                session.scalars(
                    select(Artifact)
                    .where(
                        artifacts.c.execution_id == execution_id,
                        artifacts.c.record_seq > after_seq,
                        artifacts.c.record_seq <= records[-1].seq,
                    )
                    .order_by(artifacts.c.id)
                )
            )
            if records
            else []
        )
    return execution, records, found
