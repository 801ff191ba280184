"""/api/v1/tasks: tests given to candidates and scored (candidates and their test instances
are served by the TestInvite-compatible surface at /testinvite)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.services import tasks
from testament.services.read_side import Selection

router = APIRouter(tags=["tasks"])


class StepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    test_case_id: str | None = None
    plan_id: str | None = None
    active: bool = True
    attempt_limit: int = Field(
        default=1, description="instances a candidate may make of this step; -1: no limit"
    )


class TaskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    folder: str = Field(default="", max_length=200)
    labels: list[str] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    active: bool = True
    active_after: AwareDatetime | None = Field(default=None, description="with a time zone (Z or +hh:mm)")
    active_before: AwareDatetime | None = None
    steps: list[StepBody] = Field(min_length=1, description="each names a test case or a plan")


class StepPublic(BaseModel):
    id: str
    title: str
    test_case_id: str | None
    plan_id: str | None
    active: bool
    attempt_limit: int


class TaskPublic(BaseModel):
    id: str
    title: str
    folder: str
    labels: list[str]
    tags: dict[str, str]
    active: bool
    active_after: datetime | None
    active_before: datetime | None
    created_at: datetime
    steps: list[StepPublic]

    @classmethod
    def of(cls, view: tasks.TaskView) -> "TaskPublic":
        t = view.task
        return cls(
            id=t.id,
            title=t.title,
            folder=t.folder,
            labels=t.labels,
            tags=t.tags,
            active=t.active,
            active_after=t.active_after,
            active_before=t.active_before,
            created_at=t.created_at,
            steps=[
                StepPublic(
                    id=s.id,
                    title=s.title,
                    test_case_id=s.test_case_id,
                    plan_id=s.plan_id,
                    active=s.active,
                    attempt_limit=s.attempt_limit,
                )
                for s in view.steps
            ],
        )


@router.post("/tasks", status_code=201, operation_id="createTask", summary="Create a task")
def create_task(body: TaskBody, ctx: Ctx, principal: CurrentPrincipal) -> TaskPublic:
    """A test given to candidates: steps that each name a test case or a plan, active within an optional
    time window. Its candidates and their test instances are served by the TestInvite surface
    (/testinvite). Testers, managers and admins may call it."""
    steps = [tasks.StepSpec(**s.model_dump()) for s in body.steps]
    fields = body.model_dump(exclude={"steps"})
    return TaskPublic.of(tasks.create_task(ctx, principal, steps=steps, **fields))


class TaskList(BaseModel):
    items: list[TaskPublic]
    total: int = Field(description="how many tasks match, on every page")


@router.get("/tasks", operation_id="listTasks", summary="List tasks")
def list_tasks(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    title: str | None = None,
) -> TaskList:
    """Tasks, newest first, with their total; `title` matches a part of the title, ignoring case. Any
    role may call it."""
    found, total = tasks.query_tasks(
        ctx, principal, Selection(limit=limit, offset=offset), title_contains=title
    )
    return TaskList(items=[TaskPublic.of(t) for t in found], total=total)


@router.get("/tasks/{task_id}", operation_id="getTask", summary="Get a task")
def get_task(task_id: str, ctx: Ctx, principal: CurrentPrincipal) -> TaskPublic:
    """A task with its steps. Any role may call it."""
    return TaskPublic.of(tasks.get_task(ctx, principal, task_id))


@router.delete("/tasks/{task_id}", status_code=204, operation_id="deleteTask", summary="Delete a task")
def delete_task(task_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """A task goes with its candidates and test instances; their executions stay. Managers and admins may
    call it."""
    tasks.delete_task(ctx, principal, task_id)
    return Response(status_code=204)
