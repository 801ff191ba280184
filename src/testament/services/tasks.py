"""Tasks: titled lists of steps (a test case or a plan each) that candidates take (see
domain/tasks.py). A task's candidates and their test instances are services/candidates.py and
services/test_instances.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import Conflict, InvalidInput, NotFound
from testament.domain.tasks import UNLIMITED, Task, TaskStep, check_labels, check_tags
from testament.kit.ids import new_id
from testament.services import read_side, references
from testament.services.context import AppContext
from testament.services.read_side import Selection, View
from testament.store import tables as t
from testament.store.repository import Repository
from testament.store.tables import task_steps, tasks

__all__ = [
    "TASKS",
    "StepSpec",
    "TaskView",
    "check_text",
    "create_task",
    "delete_task",
    "get_task",
    "load_step",
    "load_task",
    "query_tasks",
    "refuse_if_in_a_task",
]


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


def check_text(field_name: str, value: Any, *, maximum: int = 200, required: bool = True) -> str:
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
        check_text(f"steps[{i}].title", spec.title)
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
            title=check_text("title", title),
            created_at=now,
            updated_at=now,
            folder=check_text("folder", folder, required=False),
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


def load_task(session: Session, principal: Principal, task_id: str) -> Task:
    return Repository(session, Task, principal.workspace_id, "task").get(task_id)


def load_step(session: Session, task: Task, step_id: str) -> TaskStep:
    """One step of a task."""
    step = session.get(TaskStep, step_id)
    if step is None or step.task_id != task.id:
        raise NotFound("task step", step_id)
    return step


def refuse_if_in_a_task(
    session: Session, what: str, *, test_case_id: str | None = None, plan_id: str | None = None
) -> None:
    """A test case or plan a task step names stays: its test instances are records."""
    named = task_steps.c.test_case_id == test_case_id if test_case_id else task_steps.c.plan_id == plan_id
    title = session.execute(
        select(tasks.c.title).join(task_steps, task_steps.c.task_id == tasks.c.id).where(named)
    ).scalar()
    if title is not None:
        raise Conflict(f"{what} is a step of task {title!r}; delete the task first")


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
        task = load_task(session, principal, task_id)
        return TaskView(task, _steps_of(session, [task.id])[task.id])


def query_tasks(
    app: AppContext, principal: Principal, selection: Selection, *, title_contains: str | None = None
) -> tuple[list[TaskView], int]:
    """Tasks newest first, optionally whose title contains a text (ignoring case)."""
    window = read_side.window(TASKS, selection)
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
        uow.session.delete(load_task(uow.session, principal, task_id))
        uow.commit()


TASKS = View({"id": t.tasks.c.id, "title": t.tasks.c.title, "created_at": t.tasks.c.created_at})
