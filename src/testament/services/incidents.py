"""Incidents: raise, list, read, change and delete defects, and link them to step results.

Who may do what: anyone who can read sees incidents; testers (EXECUTE) raise, change and
link them, as they do when a step fails; managers and admins (DELETE) delete them. An
incident's assignee is a user of the workspace; its project is one of the workspace's (the
default project unless named).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.attachments import Comment, Holder, checked_comment
from testament.domain.errors import Conflict, InvalidInput, NotFound
from testament.domain.incidents import Incident, IncidentChange
from testament.domain.model import Project
from testament.domain.users import User
from testament.kit.ids import new_id
from testament.services import blobs, read_side
from testament.services.context import AppContext
from testament.services.executions import manual
from testament.services.paging import Page, Window, check_limit, decode_cursor, make_page, offset_page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository, owned_by
from testament.store.tables import attachments, executions, incident_comments, incident_links, incidents

__all__ = [
    "COMMENTS",
    "INCIDENTS",
    "INCIDENT_LINKS",
    "IncidentView",
    "Link",
    "add_comment",
    "delete_incident",
    "get_incident",
    "incident_counts",
    "incidents_of_runs",
    "link_step",
    "list_comments",
    "list_incidents",
    "query_comments",
    "query_incidents",
    "query_step_links",
    "raise_incident",
    "step_links",
    "unlink_step",
    "update_incident",
]


@dataclass(frozen=True)
class Link:
    incident_id: str
    step_result_id: str
    execution_id: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    assignee: str | None  # the assignee's user name
    links: Sequence[Link]


def _assignee(session: Session, principal: Principal, change: IncidentChange) -> None:
    user_id = change.assignee_id
    users = Repository(session, User, principal.workspace_id, "user")
    if isinstance(user_id, str) and users.find(user_id.lower()) is None:
        raise InvalidInput("assignee_id", f"must be the id of a user of this workspace, not {user_id}")


def _project(session: Session, principal: Principal, project_id: str | None) -> str:
    wanted = (project_id or principal.workspace_id).lower()
    if Repository(session, Project, principal.workspace_id, "project").find(wanted) is None:
        raise InvalidInput("project_id", f"must be the id of a project of this workspace, not {project_id}")
    return wanted


def _view(session: Session, incident: Incident) -> IncidentView:
    assignee = session.get(User, incident.assignee_id) if incident.assignee_id else None
    rows = session.execute(
        select(incident_links)
        .where(incident_links.c.incident_id == incident.id)
        .order_by(incident_links.c.created_at)
    ).all()
    return IncidentView(incident, assignee.name if assignee else None, [Link(*r) for r in rows])


def _mine(session: Session, principal: Principal) -> Repository[Incident]:
    return Repository(session, Incident, principal.workspace_id, "incident")


def _load(session: Session, principal: Principal, incident_id: str) -> Incident:
    incident = _mine(session, principal).find(incident_id.lower())
    if incident is None:  # named as asked, not as the key lowercases it
        raise NotFound("incident", incident_id)
    return incident


def raise_incident(
    app: AppContext,
    principal: Principal,
    change: IncidentChange,
    *,
    project_id: str | None = None,
    step_result_ids: Sequence[str] = (),
) -> IncidentView:
    """A new incident, numbered next in the workspace, linked to the given step results."""
    principal.require(Permission.EXECUTE)
    steps = [manual.find_step_result(app, principal, s) for s in step_result_ids]
    now = app.clock()
    try:
        with app.uow() as uow:
            _assignee(uow.session, principal, change)
            number = (
                uow.session.scalar(
                    select(func.max(incidents.c.number)).where(*_mine(uow.session, principal).owned())
                )
                or 0
            ) + 1
            incident = Incident.raise_new(
                id=new_id(),
                workspace_id=principal.workspace_id,
                project_id=_project(uow.session, principal, project_id),
                number=number,
                by=principal.user_name,
                now=now,
                change=change,
            )
            uow.session.add(incident)
            uow.session.flush()
            for run, step in steps:
                _insert_link(uow.session, principal, incident.id, step.id, run.execution.id, now)
            view = _view(uow.session, incident)
            uow.commit()
    except IntegrityError:  # another incident took the number first
        raise Conflict("another incident was raised at the same moment; try again") from None
    return view


def _insert_link(
    session: Session, principal: Principal, incident_id: str, step_id: str, execution_id: str, now: datetime
) -> None:
    session.execute(
        incident_links.insert().values(
            incident_id=incident_id,
            step_result_id=step_id,
            execution_id=execution_id,
            created_by=principal.user_name,
            created_at=now,
        )
    )


def list_incidents(
    app: AppContext,
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    status: str | None = None,
) -> Page[IncidentView]:
    """The workspace's incidents, newest first, optionally only those of one status."""
    principal.require(Permission.READ)
    check_limit(limit)
    of_status = [] if status is None else [func.lower(incidents.c.status) == status.lower()]
    before = decode_cursor(app.cursors, "incidents", cursor)
    with app.db.reading() as session:
        rows = _mine(session, principal).keyset(
            incidents.c.id, None if before is None else str(before), limit, *of_status, descending=True
        )
        found = [_view(session, i) for i in rows]
    return make_page(app.cursors, "incidents", found, limit, key=lambda v: v.incident.id)


def query_incidents(
    app: AppContext, principal: Principal, selection: Selection
) -> tuple[list[IncidentView], int]:
    """The workspace's incidents in a surface's query window (over the incidents table)."""
    window = read_side.window(INCIDENTS, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        found, total = _mine(session, principal).offset_page(window, incidents.c.id)
        return [_view(session, i) for i in found], total


def get_incident(app: AppContext, principal: Principal, incident_id: str) -> IncidentView:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _view(session, _load(session, principal, incident_id))


def update_incident(
    app: AppContext, principal: Principal, incident_id: str, change: IncidentChange
) -> IncidentView:
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        incident = _load(uow.session, principal, incident_id)
        _assignee(uow.session, principal, change)
        incident.update(change, by=principal.user_name, now=app.clock())
        uow.session.flush()
        view = _view(uow.session, incident)
        uow.commit()
    return view


def delete_incident(app: AppContext, principal: Principal, incident_id: str) -> None:
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        incident = _load(uow.session, principal, incident_id)
        held = [attachments.c.holder == Holder.INCIDENT.value, attachments.c.holder_id == incident.id]
        kept_files = list(uow.session.scalars(select(attachments.c.path).where(*held)))
        uow.session.execute(incidents.delete().where(incidents.c.id == incident.id))
        # its files' rows; comments and links go with it (foreign keys)
        uow.session.execute(attachments.delete().where(*held))
        uow.commit()
    blobs.delete_blobs(app, kept_files)


def link_step(
    app: AppContext, principal: Principal, incident_id: str, step_result_id: str
) -> tuple[Link, bool]:
    """Link an incident to a step result; the link, and whether it is new."""
    principal.require(Permission.EXECUTE)
    run, step = manual.find_step_result(app, principal, step_result_id)
    with app.uow() as uow:
        incident = _load(uow.session, principal, incident_id)
        existing = next(
            (link for link in _view(uow.session, incident).links if link.step_result_id == step.id), None
        )
        if existing is not None:
            return existing, False
        _insert_link(uow.session, principal, incident.id, step.id, run.execution.id, app.clock())
        link = next(link for link in _view(uow.session, incident).links if link.step_result_id == step.id)
        uow.commit()
    return link, True


def unlink_step(app: AppContext, principal: Principal, incident_id: str, step_result_id: str) -> None:
    principal.require(Permission.EXECUTE)
    with app.uow() as uow:
        incident = _load(uow.session, principal, incident_id)
        gone = uow.session.execute(
            incident_links.delete().where(
                incident_links.c.incident_id == incident.id, incident_links.c.step_result_id == step_result_id
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound("incident link", f"{incident_id} on step result {step_result_id}")
        uow.commit()


def step_links(
    app: AppContext, principal: Principal, step_result_id: str, window: Window | None = None
) -> tuple[list[Link], int]:
    """The incidents linked to a step result (a surface's query window over the links)."""
    manual.find_step_result(app, principal, step_result_id)
    window = window or Window(limit=1000)
    linked = select(incident_links).where(incident_links.c.step_result_id == step_result_id)
    if window.where is not None:
        linked = linked.where(window.where)
    with app.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(linked.subquery())) or 0
        rows = session.execute(
            linked.order_by(*window.order_by, incident_links.c.created_at, incident_links.c.incident_id)
            .limit(window.limit)
            .offset(window.offset)
        ).all()
    return [Link(*r) for r in rows], total


def incident_counts(session: Session, step_result_ids: Sequence[str]) -> dict[str, int]:
    """How many incidents each step result is linked to (those with none are left out)."""
    if not step_result_ids:
        return {}
    rows = session.execute(
        select(incident_links.c.step_result_id, func.count())
        .where(incident_links.c.step_result_id.in_(list(step_result_ids)))
        .group_by(incident_links.c.step_result_id)
    ).all()
    return {str(step): int(n) for step, n in rows}


def incidents_of_runs(
    app: AppContext,
    principal: Principal,
    *,
    test_case_id: str | None = None,
    assignment_id: str | None = None,
) -> list[IncidentView]:
    """The incidents linked to step results of a test case's (or an assignment's) runs, oldest first."""
    principal.require(Permission.READ)
    runs = select(executions.c.id).where(owned_by(executions, principal.workspace_id))
    if test_case_id is not None:
        runs = runs.where(executions.c.test_case_id == test_case_id)
    if assignment_id is not None:
        runs = runs.where(executions.c.assignment_id == assignment_id)
    linked = select(incident_links.c.incident_id).where(incident_links.c.execution_id.in_(runs))
    with app.db.reading() as session:
        found = session.scalars(
            _mine(session, principal).select(incidents.c.id.in_(linked)).order_by(incidents.c.id)
        )
        return [_view(session, i) for i in found]


def add_comment(app: AppContext, principal: Principal, incident_id: str, body: object) -> Comment:
    """A comment on an incident (testers and up)."""
    principal.require(Permission.EXECUTE)
    text = checked_comment(body)
    now = app.clock()
    with app.uow() as uow:
        incident = _load(uow.session, principal, incident_id)
        comment = Comment(new_id(), incident.id, text, principal.user_name, principal.user_name, now, now)
        uow.session.add(comment)
        uow.commit()
    return comment


def list_comments(
    app: AppContext, principal: Principal, incident_id: str, window: Window | None = None
) -> tuple[list[Comment], int]:
    """An incident's comments, oldest first (a surface's query window over the comments table)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        incident = _load(session, principal, incident_id)
        found = select(Comment).where(incident_comments.c.incident_id == incident.id)
        return offset_page(session, found, window or Window(limit=1000), incident_comments.c.id)


COMMENTS = View(
    {
        "id": t.incident_comments.c.id,
        "body": t.incident_comments.c.body,
        "created_at": t.incident_comments.c.created_at,
    }
)
INCIDENTS = View(
    {
        "id": t.incidents.c.id,
        "summary": t.incidents.c.summary,
        "description": t.incidents.c.description,
        "number": t.incidents.c.number,
        "status": t.incidents.c.status,
        "priority": t.incidents.c.priority,
        "type": t.incidents.c.type,
        "resolution": t.incidents.c.resolution,
        "project_id": t.incidents.c.project_id,
        "assignee_id": t.incidents.c.assignee_id,
        "created_by": t.incidents.c.created_by,
        "created_at": t.incidents.c.created_at,
        "updated_at": t.incidents.c.updated_at,
    }
)
INCIDENT_LINKS = View(
    {
        "incident_id": t.incident_links.c.incident_id,
        "step_result_id": t.incident_links.c.step_result_id,
    }
)


def query_comments(
    app: AppContext, principal: Principal, incident_id: str, selection: Selection
) -> tuple[list[Comment], int]:
    return list_comments(app, principal, incident_id, read_side.window(COMMENTS, selection))


def query_step_links(
    app: AppContext, principal: Principal, step_result_id: str, selection: Selection
) -> tuple[list[Link], int]:
    return step_links(app, principal, step_result_id, read_side.window(INCIDENT_LINKS, selection))
