"""Test instances: a candidate's take of a task's step (see domain/tasks.py for its life).

A candidate starting a step starts the step's test case or plan as one batch of executions;
the test instance follows that batch, and completes when the batch's last execution ends
(services/endings.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, Forbidden
from testament.domain.execution import Execution
from testament.domain.scoring import merge_scoreboards
from testament.domain.tasks import (
    UNLIMITED,
    Candidate,
    CandidateKind,
    InstanceStatus,
    Task,
    TaskStep,
    TestInstance,
)
from testament.kit.ids import new_id
from testament.services import candidates, executions, read_side, scores, tasks
from testament.services.context import AppContext
from testament.services.paging import offset_page
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository, owned_by
from testament.store.tables import candidates as candidate_table
from testament.store.tables import executions as executions_table
from testament.store.tables import test_instances

__all__ = [
    "TEST_INSTANCES",
    "InstanceProgress",
    "InstanceView",
    "candidates_with_instances",
    "get_instance",
    "instance_progress",
    "load_instance_view",
    "query_instances",
    "resetup_instance",
    "set_ignored",
    "start_step",
]


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
        task = tasks.load_task(uow.session, principal, task_id)
        candidate = candidates.load_candidate(uow.session, principal, task_id, candidate_id)
        _may_start_for(principal, candidate)
        step = tasks.load_step(uow.session, task, step_id)
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


@dataclass(frozen=True)
class InstanceProgress:
    """An instance's current executions (its batch, oldest first) and its scoreboard: the sealed
    one once complete, else the one its executions add up to so far (as its completion will)."""

    executions: Sequence[Execution]
    scoreboard: dict[str, Any] | None


def instance_progress(
    app: AppContext, principal: Principal, task_id: str, instance_id: str
) -> InstanceProgress:
    principal.require(Permission.READ)
    with app.db.reading() as session:
        instance = _load_instance(session, principal, task_id, instance_id)
        batch = list(
            session.scalars(
                select(Execution)
                .where(
                    owned_by(executions_table, principal.workspace_id),
                    executions_table.c.batch_id == instance.batch_id,
                )
                .order_by(executions_table.c.id)
            )
        )
        if instance.scoreboard is not None:
            return InstanceProgress(batch, instance.scoreboard)
        boards = [
            x.scoreboard if x.scoreboard is not None else scores.scoreboard_of(session, x) for x in batch
        ]
    board = boards[0] if len(boards) == 1 else merge_scoreboards(boards) if boards else None
    return InstanceProgress(batch, board)


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
        .join(candidate_table, candidate_table.c.id == test_instances.c.candidate_id)
        .where(test_instances.c.task_id == task_id)
    )


def query_instances(
    app: AppContext, principal: Principal, task_id: str, selection: Selection, *, label: str | None = None
) -> tuple[list[InstanceView], int]:
    """A task's test instances in creation order, filtered in SQL. A label filter first
    finds the task's candidates that carry the label, then filters instances by them."""
    window = read_side.window(TEST_INSTANCES, selection)
    principal.require(Permission.READ)
    with app.db.reading() as session:
        tasks.load_task(session, principal, task_id)
        found = _instances(task_id)
        if label is not None:
            found = found.where(
                test_instances.c.candidate_id.in_(candidates.labelled(session, task_id, label))
            )
        rows, total = offset_page(session, found, window, test_instances.c.id)
        return [_view(session, i) for i in rows], total


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


# a test instance beside its candidate (the instances are read joined to their candidates)
TEST_INSTANCES = View(
    {
        **{
            name: column
            for name, column in candidates.CANDIDATES.fields.items()
            if name not in ("id", "created_at")
        },
        "id": t.test_instances.c.id,
        "candidate_id": t.test_instances.c.candidate_id,
        "step_id": t.test_instances.c.step_id,
        "status": t.test_instances.c.status,
        "created_at": t.test_instances.c.created_at,
    }
)
