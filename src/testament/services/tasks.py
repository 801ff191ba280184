"""Tasks, candidates and test instances (see domain/tasks.py for the life of an instance).

A candidate starting a step starts the step's test case or plan as one batch of executions;
the test instance follows that batch, and completes when the batch's last execution ends
(services/endings.py).
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from testament.domain.json_values import check_json_object
from testament.domain.tasks import (
    UNLIMITED,
    Candidate,
    CandidateKind,
    InstanceStatus,
    Task,
    TaskStep,
    TestInstance,
    check_labels,
    check_tags,
)
from testament.kit.ids import new_id
from testament.kit.sentinels import UNSET
from testament.services import callbacks, executions, references
from testament.services.context import AppContext
from testament.services.paging import Window, offset_page
from testament.store.repository import Repository, owned_by
from testament.store.tables import candidates, task_steps, tasks, test_instances

__all__ = [
    "CandidateFields",
    "InstanceView",
    "StepSpec",
    "TaskView",
    "add_candidate",
    "candidates_with_instances",
    "create_task",
    "delete_candidate",
    "delete_task",
    "get_candidate",
    "get_instance",
    "get_task",
    "load_instance_view",
    "query_candidates",
    "query_instances",
    "query_tasks",
    "resetup_instance",
    "set_ignored",
    "start_step",
    "update_candidate",
]

CALLBACK_RESOURCES = ("basic", "detailed")


# ---------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class StepSpec:
    title: str
    test_case_id: str | None = None
    plan_id: str | None = None
    active: bool = True
    attempt_limit: int = 1


@dataclass(frozen=True)
class TaskView:
    task: Task
    steps: Sequence[TaskStep]


def _text(field_name: str, value: Any, *, maximum: int = 200, required: bool = True) -> str:
    if not isinstance(value, str) or len(value) > maximum or (required and not value.strip()):
        rule = (
            f"must be a text of 1 to {maximum} characters"
            if required
            else f"must be a text of at most {maximum}"
        )
        raise InvalidInput(field_name, rule)
    return value.strip() if required else value


def _check_window(after: datetime | None, before: datetime | None) -> None:
    if after is not None and before is not None and after >= before:
        raise InvalidInput("active_before", "must be after active_after")


def _check_steps(session: Session, principal: Principal, specs: Sequence[StepSpec]) -> list[StepSpec]:
    """The steps as given, each naming its test case or plan by id (given by id or name)."""
    if not specs:
        raise InvalidInput("steps", "a task needs at least one step")
    if len(specs) > 100:
        raise InvalidInput("steps", "a task has at most 100 steps")
    checked = []
    for i, spec in enumerate(specs):
        _text(f"steps[{i}].title", spec.title)
        if (spec.test_case_id is None) == (spec.plan_id is None):
            raise InvalidInput(f"steps[{i}]", "name exactly one of test_case_id and plan_id")
        if spec.attempt_limit != UNLIMITED and not 1 <= spec.attempt_limit <= 1000:
            raise InvalidInput(f"steps[{i}].attempt_limit", "must be 1 to 1000, or -1 for no limit")
        checked.append(_by_id(session, principal, f"steps[{i}]", spec))
    return checked


def _by_id(session: Session, principal: Principal, field: str, spec: StepSpec) -> StepSpec:
    """The step naming its test case or plan by id, whichever way it was named."""
    if spec.test_case_id is not None:
        named, ref = references.TEST_CASE, spec.test_case_id
        return replace(
            spec, test_case_id=references.resolve(session, principal, named, f"{field}.test_case_id", ref)
        )
    assert spec.plan_id is not None
    return replace(
        spec,
        plan_id=references.resolve(session, principal, references.PLAN, f"{field}.plan_id", spec.plan_id),
    )


def create_task(
    app: AppContext,
    principal: Principal,
    *,
    title: str,
    steps: Sequence[StepSpec],
    folder: str = "",
    labels: list[str] | None = None,
    tags: dict[str, str] | None = None,
    active: bool = True,
    active_after: datetime | None = None,
    active_before: datetime | None = None,
) -> TaskView:
    principal.require(Permission.WRITE)
    _check_window(active_after, active_before)
    now = app.clock()
    with app.uow() as uow:
        steps = _check_steps(uow.session, principal, steps)
        task = Task(
            id=new_id(),
            workspace_id=principal.workspace_id,
            title=_text("title", title),
            created_at=now,
            updated_at=now,
            folder=_text("folder", folder, required=False),
            labels=check_labels("labels", labels or []),
            tags=check_tags("tags", tags or {}),
            active=active,
            active_after=active_after,
            active_before=active_before,
        )
        uow.session.add(task)
        made = [
            TaskStep(
                id=new_id(),
                task_id=task.id,
                position=n,
                title=spec.title.strip(),
                test_case_id=spec.test_case_id,
                plan_id=spec.plan_id,
                active=spec.active,
                attempt_limit=spec.attempt_limit,
            )
            for n, spec in enumerate(steps)
        ]
        uow.session.add_all(made)
        uow.commit()
    return TaskView(task, made)


def _load_task(session: Session, principal: Principal, task_id: str) -> Task:
    return Repository(session, Task, principal.workspace_id, "task").get(task_id)


def _steps_of(session: Session, task_ids: Sequence[str]) -> dict[str, list[TaskStep]]:
    """The steps of several tasks, in order, in one query."""
    found: dict[str, list[TaskStep]] = {ident: [] for ident in task_ids}
    rows = session.scalars(
        select(TaskStep).where(task_steps.c.task_id.in_(task_ids)).order_by(task_steps.c.position)
    )
    for step in rows:
        found[step.task_id].append(step)
    return found


def get_task(app: AppContext, principal: Principal, task_id: str) -> TaskView:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        task = _load_task(session, principal, task_id)
        return TaskView(task, _steps_of(session, [task.id])[task.id])


def query_tasks(
    app: AppContext, principal: Principal, window: Window, *, title_contains: str | None = None
) -> tuple[list[TaskView], int]:
    """Tasks newest first, optionally whose title contains a text (ignoring case)."""
    principal.require(Permission.READ)
    titled = (
        [func.lower(tasks.c.title).contains(title_contains.lower(), autoescape=True)]
        if title_contains
        else []
    )
    with app.db.reading() as session:
        rows, total = Repository(session, Task, principal.workspace_id, "task").offset_page(
            window, tasks.c.id.desc(), *titled
        )
        steps = _steps_of(session, [t.id for t in rows])
        return [TaskView(t, steps[t.id]) for t in rows], total


def delete_task(app: AppContext, principal: Principal, task_id: str) -> None:
    """A task goes with its candidates and test instances; the executions stay."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        uow.session.delete(_load_task(uow.session, principal, task_id))
        uow.commit()


# ---------------------------------------------------------------------------------- candidates


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
        candidate.fullname = None if fields.fullname is None else _text("fullname", fields.fullname)
    if fields.email is not UNSET:
        email = fields.email
        if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
            raise InvalidInput("email", "must be an email address")
        candidate.email = email
    if fields.group is not UNSET:
        candidate.group = _text("group", fields.group or "", required=False)
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
        external_id = _text("externalId", external_id)
    if candidate_kind is CandidateKind.USER:
        if user_name is None:
            raise InvalidInput("id", "a user candidate names the user (their key's user name)")
        user_name = _text("id", user_name)
    elif user_name is not None:
        raise InvalidInput("id", "only a user candidate names a user")
    now = app.clock()
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # two adds of one external id cannot both pass
        task = _load_task(uow.session, principal, task_id)
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


def _load_candidate(session: Session, principal: Principal, task_id: str, candidate_id: str) -> Candidate:
    mine = Repository(session, Candidate, principal.workspace_id, "candidate")
    return mine.get(candidate_id, such_that=lambda c: c.task_id == task_id)


def get_candidate(app: AppContext, principal: Principal, task_id: str, candidate_id: str) -> Candidate:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _load_candidate(session, principal, task_id, candidate_id)


def query_candidates(
    app: AppContext, principal: Principal, task_id: str, window: Window
) -> tuple[list[Candidate], int]:
    """A task's candidates in creation order, in a query window (over the candidates table)."""
    principal.require(Permission.READ)
    found = select(Candidate).where(candidates.c.task_id == task_id)
    with app.db.reading() as session:
        _load_task(session, principal, task_id)
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
        candidate = _load_candidate(uow.session, principal, task_id, candidate_id)
        _apply_fields(candidate, fields, allow_local=app.settings.callback_allow_local)
        if add_labels is not None or remove_labels is not None:
            added = check_labels("labels.add", [] if add_labels is None else add_labels)
            removed = set(check_labels("labels.remove", [] if remove_labels is None else remove_labels))
            candidate.labels = [x for x in dict.fromkeys([*candidate.labels, *added]) if x not in removed]
        candidate.updated_at = app.clock()
        uow.commit()
        return candidate


def candidates_with_instances(
    app: AppContext, principal: Principal, candidate_ids: Sequence[str]
) -> set[str]:
    """Which of these candidates have started a step (TestInvite's `loggedIn`)."""
    principal.require(Permission.READ)
    if not candidate_ids:
        return set()
    with app.db.reading() as session:
        return set(
            session.scalars(
                select(test_instances.c.candidate_id)
                .where(
                    owned_by(test_instances, principal.workspace_id),
                    test_instances.c.candidate_id.in_(list(candidate_ids)),
                )
                .distinct()
            )
        )


def delete_candidate(app: AppContext, principal: Principal, task_id: str, candidate_id: str) -> None:
    """Only a candidate who never started a step can be deleted: instances are records."""
    principal.require(Permission.DELETE)
    with app.uow() as uow:
        candidate = _load_candidate(uow.session, principal, task_id, candidate_id)
        if uow.session.scalar(
            select(test_instances.c.id).where(test_instances.c.candidate_id == candidate.id)
        ):
            raise Forbidden(f"candidate {candidate.id} has test instances and cannot be deleted")
        uow.session.delete(candidate)
        uow.commit()


# ---------------------------------------------------------------------------------- instances


@dataclass(frozen=True)
class InstanceView:
    instance: TestInstance
    candidate: Candidate
    task: Task


def _view(session: Session, instance: TestInstance) -> InstanceView:
    candidate = session.get(Candidate, instance.candidate_id)
    task = session.get(Task, instance.task_id)
    assert candidate is not None and task is not None  # instances go with both
    return InstanceView(instance, candidate, task)


def _may_start_for(principal: Principal, candidate: Candidate) -> None:
    """Anyone who may execute starts steps for `temp` candidates (machines, outsiders); a
    `user` candidate's steps are theirs, or a manager's or admin's to start for them."""
    principal.require(Permission.EXECUTE)
    theirs = candidate.kind is CandidateKind.USER and candidate.user_name != principal.user_name
    if theirs and not principal.can(Permission.RUN_ANY_ASSIGNMENT):
        raise Forbidden(
            f"candidate {candidate.id} is {candidate.user_name}; "
            f"role {principal.role.value} starts only its own steps"
        )


def _start_batch(app: AppContext, principal: Principal, step: TaskStep, candidate: Candidate) -> str:
    variables = {"candidate_id": candidate.id, "candidate_external_id": candidate.external_id or ""}
    started = executions.start_execution(
        app, principal, test_case_id=step.test_case_id, plan_id=step.plan_id, variables=variables
    )
    return started.executions[0].batch_id


def start_step(
    app: AppContext, principal: Principal, task_id: str, candidate_id: str, step_id: str
) -> tuple[InstanceView, bool]:
    """The candidate's open instance of the step (False), or a new one (True): a first take,
    a retake within the step's attempt limit (earlier takes become ignored), or a RESETUP
    instance resumed with new executions (returned as not new)."""
    with app.uow() as uow:
        uow.lock_workspace(principal.workspace_id)  # one open instance per candidate and step
        task = _load_task(uow.session, principal, task_id)
        candidate = _load_candidate(uow.session, principal, task_id, candidate_id)
        _may_start_for(principal, candidate)
        step = uow.session.get(TaskStep, step_id)
        if step is None or step.task_id != task.id:
            raise NotFound("task step", step_id)
        taken = list(
            uow.session.scalars(
                select(TestInstance)
                .where(test_instances.c.candidate_id == candidate.id, test_instances.c.step_id == step.id)
                .order_by(test_instances.c.id)
            )
        )
        current = taken[-1] if taken else None
        if current is not None and current.status is InstanceStatus.STARTED:
            return _view(uow.session, current), False
        task.require_open(app.clock())
        if not candidate.active:
            raise Forbidden(f"candidate {candidate.id} is not active")
        if not step.active:
            raise Forbidden(f"step {step.title!r} is not active")
        batch_id = _start_batch(app, principal, step, candidate)
        if current is not None and current.status is InstanceStatus.RESETUP:
            current.resume(batch_id)
            uow.commit()
            return _view(uow.session, current), False
        if step.attempt_limit != UNLIMITED and len(taken) >= step.attempt_limit:
            raise Forbidden(
                f"candidate {candidate.id} has used all {step.attempt_limit} attempt(s) "
                f"at step {step.title!r}"
            )
        for earlier in taken:
            earlier.ignored = True  # superseded by the retake
        instance = TestInstance(
            id=new_id(),
            workspace_id=principal.workspace_id,
            task_id=task.id,
            step_id=step.id,
            candidate_id=candidate.id,
            status=InstanceStatus.STARTED,
            created_at=app.clock(),
            batch_id=batch_id,
        )
        uow.session.add(instance)
        uow.commit()
        return _view(uow.session, instance), True


def _load_instance(session: Session, principal: Principal, task_id: str, instance_id: str) -> TestInstance:
    mine = Repository(session, TestInstance, principal.workspace_id, "test instance")
    return mine.get(instance_id, such_that=lambda i: i.task_id == task_id)


def load_instance_view(app: AppContext, workspace_id: str, instance_id: str) -> InstanceView:
    """An instance for the server's own use (a callback being delivered), not a caller's."""
    with app.db.reading() as session:
        instance = Repository(session, TestInstance, workspace_id, "test instance").get(instance_id)
        return _view(session, instance)


def get_instance(app: AppContext, principal: Principal, task_id: str, instance_id: str) -> InstanceView:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return _view(session, _load_instance(session, principal, task_id, instance_id))


def resetup_instance(app: AppContext, principal: Principal, task_id: str, instance_id: str) -> InstanceView:
    """Reopen a COMPLETE instance for another attempt (a manager's or admin's call)."""
    principal.require(Permission.RUN_ANY_ASSIGNMENT)
    with app.uow() as uow:
        instance = _load_instance(uow.session, principal, task_id, instance_id)
        latest = uow.session.scalar(
            select(func.max(test_instances.c.id)).where(
                test_instances.c.candidate_id == instance.candidate_id,
                test_instances.c.step_id == instance.step_id,
            )
        )
        if latest != instance.id or instance.ignored:
            raise Conflict(
                f"test instance {instance.id} was superseded by a retake; re-set up the latest one"
            )
        instance.resetup()
        uow.commit()
        return _view(uow.session, instance)


def set_ignored(
    app: AppContext, principal: Principal, task_id: str, instance_id: str, ignored: bool
) -> InstanceView:
    """Exclude an instance from reports (or include it again)."""
    principal.require(Permission.RUN_ANY_ASSIGNMENT)
    with app.uow() as uow:
        instance = _load_instance(uow.session, principal, task_id, instance_id)
        instance.ignored = ignored
        uow.commit()
        return _view(uow.session, instance)


def _instances(task_id: str) -> Select[Any]:
    """A task's instances, each beside its candidate (a filter may name the candidate's columns)."""
    return (
        select(TestInstance)
        .join(candidates, candidates.c.id == test_instances.c.candidate_id)
        .where(test_instances.c.task_id == task_id)
    )


def query_instances(
    app: AppContext, principal: Principal, task_id: str, window: Window, *, label: str | None = None
) -> tuple[list[InstanceView], int]:
    """A task's test instances in creation order, filtered in SQL. A label filter first
    finds the task's candidates that carry the label (labels are a JSON list, which SQLite
    and PostgreSQL search differently), then filters instances by them."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        _load_task(session, principal, task_id)
        found = _instances(task_id)
        if label is not None:
            found = found.where(test_instances.c.candidate_id.in_(_labelled(session, task_id, label)))
        rows, total = offset_page(session, found, window, test_instances.c.id)
        return [_view(session, i) for i in rows], total


def _labelled(session: Session, task_id: str, label: str) -> list[str]:
    rows = session.execute(
        select(candidates.c.id, candidates.c.labels).where(candidates.c.task_id == task_id)
    )
    return [ident for ident, labels in rows if label in (labels or [])]
