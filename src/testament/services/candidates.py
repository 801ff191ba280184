"""Candidates: whom a task is given to, each with a ticket and an invitation code (TestInvite's
candidates). Their test instances are services/test_instances.py."""

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, Forbidden, InvalidInput
from testament.domain.json_values import check_json_object
from testament.domain.tasks import Candidate, CandidateKind, check_labels, check_tags
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import callbacks, read_side, tasks
from testament.services.context import AppContext
from testament.services.paging import offset_page
from testament.services.read_side import Selection, View
from testament.services.tasks import check_text
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import candidates, test_instances

__all__ = [
    "CANDIDATES",
    "CandidateFields",
    "add_candidate",
    "delete_candidate",
    "get_candidate",
    "labelled",
    "load_candidate",
    "query_candidates",
    "update_candidate",
]

CALLBACK_RESOURCES = ("basic", "detailed")


@dataclass(frozen=True)
class CandidateFields:
    """What a candidate's creation or update sets; UNSET leaves a field as it is."""

    fullname: Any = UNSET
    email: Any = UNSET
    group: Any = UNSET
    labels: Any = UNSET
    tags: Any = UNSET
    active: Any = UNSET
    callback_url: Any = UNSET
    callback_params: Any = UNSET
    callback_resource: Any = UNSET


def _apply_fields(candidate: Candidate, fields: CandidateFields, *, allow_local: bool) -> None:
    if fields.fullname is not UNSET:
        candidate.fullname = None if fields.fullname is None else check_text("fullname", fields.fullname)
    if fields.email is not UNSET:
        email = fields.email
        if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
            raise InvalidInput("email", "must be an email address")
        candidate.email = email
    if fields.group is not UNSET:
        candidate.group = check_text("group", fields.group or "", required=False)
    if fields.labels is not UNSET:
        candidate.labels = check_labels("labels", fields.labels)
    if fields.tags is not UNSET:
        candidate.tags = check_tags("tags", fields.tags)
    if fields.active is not UNSET:
        if not isinstance(fields.active, bool):
            raise InvalidInput("active", "must be true or false")
        candidate.active = fields.active
    _apply_callback(candidate, fields, allow_local)


def _apply_callback(candidate: Candidate, fields: CandidateFields, allow_local: bool) -> None:
    if fields.callback_url is not UNSET:
        url = fields.callback_url
        checked = (
            None
            if url is None
            else callbacks.check_callback_url("callback.url", url, allow_local=allow_local)
        )
        candidate.callback_url = checked
    if fields.callback_params is not UNSET:
        candidate.callback_params = check_json_object("callback.params", fields.callback_params, 16 * 1024)
    if fields.callback_resource is not UNSET:
        if fields.callback_resource not in CALLBACK_RESOURCES:
            raise InvalidInput("callback.resource", "must be basic or detailed")
        candidate.callback_resource = fields.callback_resource


def _invitation_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10))


def add_candidate(
    app: AppContext,
    principal: Principal,
    task_id: str,
    *,
    kind: str,
    external_id: str | None = None,
    user_name: str | None = None,
    fields: CandidateFields = CandidateFields(),
) -> Candidate:
    """Give the task to a candidate: a ticket and an invitation code. A `user` candidate names
    its user; any candidate may carry the client's own external id, unique within the task."""
    principal.require(Permission.WRITE)
    try:
        candidate_kind = CandidateKind(kind)
    except ValueError:
        raise InvalidInput("kind", "must be user or temp") from None
    if external_id is not None:
        external_id = check_text("externalId", external_id)
    if candidate_kind is CandidateKind.USER:
        if user_name is None:
            raise InvalidInput("id", "a user candidate names the user (their key's user name)")
        user_name = check_text("id", user_name)
    elif user_name is not None:
        raise InvalidInput("id", "only a user candidate names a user")
    now = app.clock()
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # two adds of one external id cannot both pass
        task = tasks.load_task(uow.session, principal, task_id)
        if external_id is not None and uow.session.scalar(
            select(candidates.c.id).where(
                candidates.c.task_id == task.id, candidates.c.external_id == external_id
            )
        ):
            raise Conflict(f"task {task.id} already has a candidate with external id {external_id!r}")
        candidate = Candidate(
            id=new_id(),
            workspace_id=principal.workspace_id,
            task_id=task.id,
            kind=candidate_kind,
            ticket_id=new_id(),
            invitation_code=_invitation_code(),
            created_at=now,
            updated_at=now,
            external_id=external_id,
            user_name=user_name,
            created_by=principal.user_name,
        )
        _apply_fields(candidate, fields, allow_local=app.settings.callback_allow_local)
        uow.session.add(candidate)
        uow.commit()
    return candidate


def load_candidate(session: Session, principal: Principal, task_id: str, candidate_id: str) -> Candidate:
    mine = Repository(session, Candidate, principal.workspace_id, "candidate")
    return mine.get(candidate_id, such_that=lambda c: c.task_id == task_id)


def get_candidate(app: AppContext, principal: Principal, task_id: str, candidate_id: str) -> Candidate:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return load_candidate(session, principal, task_id, candidate_id)


def query_candidates(
    app: AppContext, principal: Principal, task_id: str, selection: Selection
) -> tuple[list[Candidate], int]:
    """A task's candidates in creation order, in a query window (over the candidates table)."""
    window = read_side.window(CANDIDATES, selection)
    principal.require(Permission.READ)
    found = select(Candidate).where(candidates.c.task_id == task_id)
    with app.db.reading() as session:
        tasks.load_task(session, principal, task_id)
        return offset_page(session, found, window, candidates.c.id)


def update_candidate(
    app: AppContext,
    principal: Principal,
    task_id: str,
    candidate_id: str,
    fields: CandidateFields,
    *,
    add_labels: Any = None,
    remove_labels: Any = None,
) -> Candidate:
    principal.require(Permission.WRITE)
    with app.uow() as uow:
        candidate = load_candidate(uow.session, principal, task_id, candidate_id)
        _apply_fields(candidate, fields, allow_local=app.settings.callback_allow_local)
        if add_labels is not None or remove_labels is not None:
            added = check_labels("labels.add", [] if add_labels is None else add_labels)
            removed = set(check_labels("labels.remove", [] if remove_labels is None else remove_labels))
            candidate.labels = [x for x in dict.fromkeys([*candidate.labels, *added]) if x not in removed]
        candidate.updated_at = app.clock()
        uow.commit()
        return candidate


def delete_candidate(app: AppContext, principal: Principal, task_id: str, candidate_id: str) -> None:
    """Only a candidate who never started a step can be deleted: instances are records."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        candidate = load_candidate(uow.session, principal, task_id, candidate_id)
        if uow.session.scalar(
            select(test_instances.c.id).where(test_instances.c.candidate_id == candidate.id)
        ):
            raise Forbidden(f"candidate {candidate.id} has test instances and cannot be deleted")
        uow.session.delete(candidate)
        uow.commit()


def labelled(session: Session, task_id: str, label: str) -> list[str]:
    """The ids of a task's candidates that carry a label (labels are a JSON list, which SQLite
    and PostgreSQL search differently: it is looked for here)."""
    rows = session.execute(
        select(candidates.c.id, candidates.c.labels).where(candidates.c.task_id == task_id)
    )
    return [ident for ident, labels in rows if label in (labels or [])]


CANDIDATES = View(
    {
        "id": t.candidates.c.id,
        "ticket_id": t.candidates.c.ticket_id,
        "external_id": t.candidates.c.external_id,
        "fullname": t.candidates.c.fullname,
        "email": t.candidates.c.email,
        "code": t.candidates.c.invitation_code,
        "group": t.candidates.c.group_name,
        "created_at": t.candidates.c.created_at,
    }
)
