"""Tasks and candidates (TestInvite): tasks, their candidates and test instances, each instance
with its scoreboard (points, questions, sections, dimensions and effects, as the TestInvite
surface serves them).

    GET /tasks                                      tasks, newest first (?q= filters the title)
    GET /tasks/{task_id}                            a task: its steps, candidates and instances
    GET /tasks/{task_id}/instances/{instance_id}    an instance's scoreboard and executions
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from testament.domain.errors import InvalidInput, NotFound
from testament.domain.scoring import with_numeric_effects
from testament.domain.tasks import TaskStep
from testament.services import candidates, plans, tasks, test_instances
from testament.services.read_side import Selection
from testament.services.test_cases import get_test_case
from testament.web.render import render
from testament.web.session import Viewer, WebUser

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 25
TASK_LIMIT = 200  # candidates and instances shown on a task's page


@dataclass(frozen=True)
class Score:
    """A scoreboard as the pages show it (with_numeric_effects: as the TestInvite surface serves it)."""

    overall: dict[str, Any]
    sections: list[dict[str, Any]]
    dimensions: list[dict[str, Any]]
    effects: list[dict[str, Any]]

    @classmethod
    def of(cls, board: dict[str, Any] | None) -> "Score | None":
        served = with_numeric_effects(board)
        if served is None:
            return None
        return cls(
            served["scoreboard"],
            list(served.get("sections") or []),
            list(served.get("dimensions") or []),
            list(served.get("effects") or []),
        )


def _target_name(user: WebUser, step: TaskStep) -> str:
    """The name of what a step runs (a test case or a plan), or its id if it is gone."""
    try:
        if step.test_case_id:
            return get_test_case(user.ctx, user.principal, step.test_case_id, retired=True).test_case.name
        return plans.get_plan(user.ctx, user.principal, step.plan_id or "").name
    except NotFound:
        return step.test_case_id or step.plan_id or "—"


def _offset(page: str | None) -> int:
    if page is None or page == "":
        return 0
    if not page.isdigit() or int(page) < 1 or int(page) > 100_000:
        raise InvalidInput("page", "must be a page number from 1")
    return (int(page) - 1) * PAGE_SIZE


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, user: Viewer, q: str | None = None, page: str | None = None) -> HTMLResponse:
    query = (q or "").strip()[:200]
    offset = _offset(page)
    found, total = tasks.query_tasks(
        user.ctx, user.principal, Selection(limit=PAGE_SIZE, offset=offset), title_contains=query or None
    )
    number = offset // PAGE_SIZE + 1
    more = offset + len(found) < total
    next_url = (
        "/tasks?" + urlencode({**({"q": query} if query else {}), "page": number + 1}) if more else None
    )
    return render(
        request,
        "tasks/list.html",
        title="Tasks",
        nav="/tasks",
        found=found,
        total=total,
        q=query,
        next_url=next_url,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: str, user: Viewer) -> HTMLResponse:
    view = tasks.get_task(user.ctx, user.principal, task_id)
    people, people_total = candidates.query_candidates(
        user.ctx, user.principal, view.task.id, Selection(limit=TASK_LIMIT)
    )
    instances, instances_total = test_instances.query_instances(
        user.ctx, user.principal, view.task.id, Selection(limit=TASK_LIMIT)
    )
    started = test_instances.candidates_with_instances(user.ctx, user.principal, [c.id for c in people])
    steps = {s.id: s for s in view.steps}
    counts = Counter(i.instance.status.value for i in instances)
    return render(
        request,
        "tasks/task.html",
        title=view.task.title,
        nav="/tasks",
        view=view,
        people=people,
        people_total=people_total,
        started=started,
        instances=[(i, steps.get(i.instance.step_id), Score.of(i.instance.scoreboard)) for i in instances],
        instances_total=instances_total,
        counts=sorted(counts.items()),
        targets={s.id: _target_name(user, s) for s in view.steps},
        limit=TASK_LIMIT,
    )


@router.get("/tasks/{task_id}/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(request: Request, task_id: str, instance_id: str, user: Viewer) -> HTMLResponse:
    found = test_instances.get_instance(user.ctx, user.principal, task_id, instance_id)
    progress = test_instances.instance_progress(user.ctx, user.principal, task_id, instance_id)
    view = tasks.get_task(user.ctx, user.principal, task_id)
    step = next((s for s in view.steps if s.id == found.instance.step_id), None)
    return render(
        request,
        "tasks/instance.html",
        title=f"Test instance of {found.task.title}",
        nav="/tasks",
        found=found,
        step=step,
        executions=progress.executions,
        score=Score.of(progress.scoreboard),
        sealed=found.instance.scoreboard is not None,
    )
