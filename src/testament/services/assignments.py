"""Assignments (a test case given to a person, in a package) and their runs.

An assignment keeps at most one incomplete run: starting it again returns the open one.
Testers run only the assignments given to them; managers and admins run any.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal, require_may_run_assignment
from testament.domain.errors import InvalidInput
from testament.domain.execution import Execution, ExecutionStatus
from testament.domain.manual import RunStatus
from testament.domain.model import Assignment
from testament.kit.ids import new_id
from testament.services import executions, read_side, references
from testament.services.context import AppContext
from testament.services.executions import manual
from testament.services.paging import offset_page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository, owned_by
from testament.store.tables import assignments, test_cases
from testament.store.tables import executions as executions_table

__all__ = [
    "ASSIGNMENTS",
    "RUNS",
    "AssignmentRun",
    "AssignmentSummary",
    "ManualRunRow",
    "create_assignment",
    "delete_assignment",
    "get_assignment",
    "list_assignment_runs",
    "list_assignments",
    "list_manual_runs",
    "query_assignment_runs",
    "query_assignments",
    "query_runs",
    "start_assignment_run",
    "summarize_assignments",
    "update_assignment",
]


@dataclass(frozen=True)
class AssignmentRun:
    execution: Execution
    created: bool  # False when the assignment's open run was returned


def _assignments(session: Session, principal: Principal) -> Repository[Assignment]:
    return Repository(session, Assignment, principal.workspace_id, "assignment")


def create_assignment(
    app: AppContext, principal: Principal, *, package_id: str, test_case_id: str, assignee: str
) -> Assignment:
    """`package_id` and `test_case_id` name them by id or name."""
    principal.require(Permission.WRITE)
    if not 1 <= len(assignee) <= 200:
        raise InvalidInput("assignee", "must be a user name, 1 to 200 characters")
    with app.uow() as uow:
        package_id = references.resolve(uow.session, principal, references.PACKAGE, "package_id", package_id)
        test_case_id = references.resolve(
            uow.session, principal, references.TEST_CASE, "test_case_id", test_case_id
        )
        assignment = Assignment(
            new_id(),
            principal.workspace_id,
            package_id,
            test_case_id,
            assignee,
            principal.user_name,
            app.clock(),
        )
        uow.session.add(assignment)
        uow.commit()
    return assignment


def get_assignment(app: AppContext, principal: Principal, assignment_id: str) -> Assignment:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _assignments(session, principal).get(assignment_id)


def list_assignments(
    app: AppContext, principal: Principal, *, package_id: str | None = None, assignee: str | None = None
) -> list[Assignment]:
    principal.require(Permission.READ)
    where: list[ColumnElement[bool]] = []
    if package_id:
        where.append(assignments.c.package_id == package_id)
    if assignee:
        where.append(assignments.c.assignee == assignee)
    with app.db.reading() as session:
        return list(
            session.scalars(_assignments(session, principal).select(*where).order_by(assignments.c.id))
        )


def start_assignment_run(
    app: AppContext, principal: Principal, assignment_id: str, *, tester: str | None = None
) -> AssignmentRun:
    """A new run of the assignment's test case (its published version), or its open run.
    `tester` runs it on someone's behalf, which needs the right to run any assignment."""
    assignment = get_assignment(app, principal, assignment_id)
    require_may_run_assignment(principal, assignment.assignee)
    if tester and tester != principal.user_name:
        principal.require(Permission.RUN_ANY_ASSIGNMENT)
    started = executions.start_execution(
        app,
        principal,
        test_case_id=assignment.test_case_id,
        assignment_id=assignment.id,
        run=executions.RunDetails(run_by=tester),
    )
    return AssignmentRun(started.executions[0], created=not started.replayed)


def list_assignment_runs(app: AppContext, principal: Principal, assignment_id: str) -> list[Execution]:
    get_assignment(app, principal, assignment_id)
    with app.db.reading() as session:
        return list(
            session.scalars(
                select(Execution)
                .where(executions_table.c.assignment_id == assignment_id)
                .order_by(executions_table.c.id)
            )
        )


def query_assignment_runs(
    app: AppContext, principal: Principal, assignment_id: str, selection: Selection
) -> tuple[list[Execution], int]:
    """An assignment's runs in a surface's query window (over the executions table)."""
    window = read_side.window(RUNS, selection)
    get_assignment(app, principal, assignment_id)
    runs = select(Execution).where(executions_table.c.assignment_id == assignment_id)
    with app.db.reading() as session:
        return offset_page(session, runs, window, executions_table.c.id)


def query_runs(app: AppContext, principal: Principal, selection: Selection) -> tuple[list[Execution], int]:
    """The workspace's manual runs in a surface's query window (over the executions table)."""
    window = read_side.window(RUNS, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        runs = Repository(session, Execution, principal.workspace_id, "manual execution")
        return runs.offset_page(window, executions_table.c.id, executions_table.c.kind == "manual")


@dataclass(frozen=True)
class AssignmentSummary:
    """What a list of assignments shows beside each: its test case's name and the status of
    its newest run (None before the first)."""

    name: str
    status: RunStatus | None
    run_id: str | None = None  # its newest run


def summarize_assignments(
    app: AppContext, principal: Principal, assignment_ids: Sequence[str]
) -> dict[str, AssignmentSummary]:
    """Each assignment's summary, in three queries however many there are."""
    principal.require(Permission.READ)
    ids = list(assignment_ids)
    with app.db.reading() as session:
        names = dict(
            session.execute(
                select(assignments.c.id, test_cases.c.name)
                .join(test_cases, test_cases.c.id == assignments.c.test_case_id)
                .where(assignments.c.id.in_(ids), owned_by(assignments, principal.workspace_id))
            ).all()
        )
        newest = dict(
            session.execute(
                select(executions_table.c.assignment_id, func.max(executions_table.c.id))
                .where(executions_table.c.assignment_id.in_(ids))
                .group_by(executions_table.c.assignment_id)
            ).all()
        )
        statuses: dict[str, str] = dict(
            session.execute(
                select(executions_table.c.id, manual.run_status_column(str)).where(
                    executions_table.c.id.in_(list(newest.values()))
                )
            ).all()
        )
    return {
        ident: AssignmentSummary(
            name,
            RunStatus(statuses[newest[ident]]) if ident in newest else None,
            newest.get(ident),
        )
        for ident, name in names.items()
    }


@dataclass(frozen=True)
class ManualRunRow:
    """A manual run as a list shows it: its test case's name, its assignment's assignee (None
    for a run started without one) and the status `derive_status` gives it."""

    execution: Execution
    name: str
    assignee: str | None
    status: RunStatus


def list_manual_runs(
    app: AppContext, principal: Principal, *, completed: bool, limit: int = 50
) -> list[ManualRunRow]:
    """The workspace's open (`completed=False`) or completed manual runs, newest first, in one query."""
    principal.require(Permission.READ)
    state = RUNS.fields["completed"]
    query = (
        select(Execution, test_cases.c.name, assignments.c.assignee, manual.run_status_column(str))
        .join(test_cases, test_cases.c.id == executions_table.c.test_case_id)
        .outerjoin(assignments, assignments.c.id == executions_table.c.assignment_id)
        .where(
            owned_by(executions_table, principal.workspace_id),
            executions_table.c.kind == "manual",
            state if completed else ~state,
        )
        .order_by(executions_table.c.id.desc())
        .limit(limit)
    )
    with app.db.reading() as session:
        return [
            ManualRunRow(execution, name, assignee, RunStatus(status))
            for execution, name, assignee, status in session.execute(query).all()
        ]


def query_assignments(
    app: AppContext, principal: Principal, selection: Selection
) -> tuple[list[Assignment], int]:
    """The workspace's assignments in a surface's query window (over the assignments table)."""
    window = read_side.window(ASSIGNMENTS, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _assignments(session, principal).offset_page(window, assignments.c.id)


def update_assignment(
    app: AppContext,
    principal: Principal,
    assignment_id: str,
    *,
    assignee: str | None = None,
    package_id: str | None = None,
) -> Assignment:
    """Give an assignment to someone else or move it to another package."""
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        assignment = _assignments(uow.session, principal).get(assignment_id)
        if assignee is not None and not 1 <= len(assignee) <= 200:
            raise InvalidInput("assignee", "must be a user name, 1 to 200 characters")
        if assignee is not None:
            assignment.assignee = assignee
        if package_id is not None:
            assignment.package_id = references.resolve(
                uow.session, principal, references.PACKAGE, "package_id", package_id
            )
        uow.commit()
        return assignment


def delete_assignment(app: AppContext, principal: Principal, assignment_id: str) -> None:
    """Delete an assignment and its runs (each run as deleting an execution does)."""
    principal.require(Permission.DELETE)
    get_assignment(app, principal, assignment_id)
    for run in list_assignment_runs(app, principal, assignment_id):
        executions.delete_execution(app, principal, run.id)
    with app.uow() as uow:
        uow.session.execute(assignments.delete().where(assignments.c.id == assignment_id))
        uow.commit()


_RUN_BY = func.coalesce(t.executions.c.run_by, t.executions.c.created_by)


def _user_id_of(user_name: ColumnElement[Any]) -> ColumnElement[Any]:
    """The id of the run's workspace user of that name (to filter and order on a user's id)."""
    return (
        select(t.users.c.id)
        .where(t.users.c.workspace_id == t.executions.c.workspace_id, t.users.c.name == user_name)
        .scalar_subquery()
    )


# A run's status is the one `derive_status` gives (in the domain's words, RunStatus values).
RUNS = View(
    {
        "id": t.executions.c.id,
        "test_case_id": t.executions.c.test_case_id,
        "test_case_version": t.executions.c.test_case_version,
        "assignment_id": t.executions.c.assignment_id,
        "created_at": t.executions.c.queued_at,
        "actual_duration": t.executions.c.actual_duration,
        "last_updated_at": func.coalesce(
            t.executions.c.finished_at, t.executions.c.started_at, t.executions.c.queued_at
        ),
        "created_by": t.executions.c.created_by,
        "created_by_id": _user_id_of(t.executions.c.created_by),
        "run_by": _RUN_BY,
        "run_by_id": _user_id_of(_RUN_BY),
        "completed": t.executions.c.status.not_in([ExecutionStatus.QUEUED, ExecutionStatus.RUNNING]),
        "status": manual.run_status_column(str),
    }
)


ASSIGNMENTS = View(
    {
        "id": t.assignments.c.id,
        "test_case_id": t.assignments.c.test_case_id,
        "package_id": t.assignments.c.package_id,
        "assignee": t.assignments.c.assignee,
        "created_by": t.assignments.c.created_by,
        "created_at": t.assignments.c.created_at,
    }
)
