"""/api/v1/executions and /api/v1/plan-runs"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from testament.api.deps import Ctx, CurrentPrincipal
from testament.api.errors import raises
from testament.api.schemas import (
    FILE,
    ArtifactPublic,
    ExecutionPublic,
    ExecutionStart,
    ExecutionStarted,
    Items,
    Page,
    PlanRunPublic,
    PlanRunSummary,
    RecordPublic,
)
from testament.domain.errors import InvalidInput, NotFound, QuotaExceeded
from testament.domain.execution import ExecutionStatus, plan_run_status
from testament.domain.manual import RunFields
from testament.domain.reruns import RerunScope
from testament.services import executions as svc
from testament.services import plan_runs, references, run_configs
from testament.services.blobs import download_headers
from testament.services.executions import artifacts as artifact_svc
from testament.services.executions import manual

router = APIRouter()


def _answer(model: BaseModel, status_code: int) -> Response:
    """`model` as JSON, made in the endpoint's own worker thread. A sync endpoint that returns the
    model has FastAPI validate it again in a second thread-pool hop, which costs a hot route
    (starting an execution) more than the JSON itself; the bytes are the same (by alias, as
    FastAPI writes them), and the route's `response_model` keeps its OpenAPI document."""
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )


@router.post(
    "/executions",
    status_code=201,
    response_model=ExecutionStarted,
    tags=["executions"],
    operation_id="startExecution",
    summary="Start an execution",
    responses={
        200: {
            "model": ExecutionStarted,
            "description": "the client token matched an earlier start, which is returned",
        },
        **raises(NotFound, QuotaExceeded),  # NotFound: the test case or plan it names
    },
)
def start_execution(body: ExecutionStart, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Start a published test case (one execution per data set) or a plan (a plan run), given by id or
    name; with `plan_id`, `run_config` runs only the part that a saved configuration selects. The same
    `client_token` and target within 24 hours start once: the earlier start is answered again, with 200
    and `replayed: true`. Testers, managers and admins may call it."""
    start: dict[str, Any] = {
        "client_token": body.client_token,
        "environment_id": body.environment_id,
        "variables": body.variables,
    }
    if body.run_config is not None:
        if body.plan_id is None:
            raise InvalidInput("run_config", "applies to a plan: give plan_id with it")
        started = run_configs.start_partial_run(
            ctx, principal, plan_id=body.plan_id, config=body.run_config, **start
        )
    else:
        started = svc.start_execution(
            ctx, principal, test_case_id=body.test_case_id, plan_id=body.plan_id, **start
        )
    executions = [ExecutionPublic.of(x) for x in started.executions]
    if started.plan_run is not None:
        plan_status = plan_run_status([x.status for x in started.executions])
        answer = ExecutionStarted(
            id=started.plan_run.id,
            status=plan_status.value,
            plan_run_id=started.plan_run.id,
            replayed=started.replayed,
            executions=executions,
        )
    else:
        first = executions[0]
        answer = ExecutionStarted(
            id=first.id,
            status=first.status,
            plan_run_id=None,
            replayed=started.replayed,
            executions=executions,
        )
    return _answer(answer, 200 if started.replayed else 201)


@router.get("/executions", tags=["executions"], operation_id="listExecutions", summary="List executions")
def list_executions(
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
    test_case_id: str | None = None,
    status: ExecutionStatus | None = None,
    since: Annotated[datetime | None, Query(description="queued at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="queued before (ISO 8601)")] = None,
    tag: Annotated[str | None, Query(description="its test case's tag: `key` or `key=value`")] = None,
    plan_run_id: str | None = None,
) -> Page[ExecutionPublic]:
    """Executions, newest first; filter by test case, status, time queued (`since`, `until`), the test
    case's tag, or plan run. Any role may call it."""
    test_case_id = references.resolve_filter(ctx, principal, references.TEST_CASE, test_case_id)
    page = svc.list_executions(
        ctx,
        principal,
        limit=limit,
        cursor=cursor,
        test_case_id=test_case_id,
        status=status,
        since=since,
        until=until,
        tag=tag,
        plan_run_id=plan_run_id,
    )
    return Page(items=[ExecutionPublic.of(x) for x in page.items], next_cursor=page.next_cursor)


@router.get(
    "/executions/{execution_id}", tags=["executions"], operation_id="getExecution", summary="Get an execution"
)
def get_execution(execution_id: str, ctx: Ctx, principal: CurrentPrincipal) -> ExecutionPublic:
    """An execution's status, times, attempts, record counts, a person's override and, once it has ended,
    its sealed score. Any role may call it."""
    return ExecutionPublic.of(svc.get_execution(ctx, principal, execution_id))


@router.get(
    "/executions/{execution_id}/records",
    tags=["executions"],
    operation_id="listExecutionRecords",
    summary="List an execution's records",
)
def list_records(
    execution_id: str,
    ctx: Ctx,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
    status: Annotated[str | None, Query(description="PASSED, FAILED, INFO, ERROR or SKIPPED")] = None,
    after_seq: Annotated[
        int | None,
        Query(ge=0, le=2**63 - 1, description="only records written after this `seq` (to follow a run)"),
    ] = None,
) -> Page[RecordPublic]:
    """The execution's records in the order they were written, also while it runs; filter by status. Any
    role may call it."""
    page = svc.list_records(
        ctx, principal, execution_id, limit=limit, cursor=cursor, status=status, after_seq=after_seq
    )
    return Page(items=[RecordPublic.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.post(
    "/executions/{execution_id}/stop",
    tags=["executions"],
    operation_id="stopExecution",
    summary="Stop an execution",
)
def stop_execution(execution_id: str, ctx: Ctx, principal: CurrentPrincipal) -> ExecutionPublic:
    """Ask a running execution to stop (it ends STOPPED at its next step); a queued one, or a manual run
    in progress, stops at once. Stopping a finished execution is refused (409). Testers, managers and
    admins may call it."""
    return ExecutionPublic.of(svc.stop_execution(ctx, principal, execution_id))


@router.get(
    "/executions/{execution_id}/artifacts",
    tags=["executions"],
    operation_id="listExecutionArtifacts",
    summary="List an execution's artifacts",
)
def list_artifacts(execution_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Items[ArtifactPublic]:
    """Files the execution kept, such as a response body too long for its record. Any role may call it."""
    return Items(
        items=[ArtifactPublic.of(a) for a in artifact_svc.list_artifacts(ctx, principal, execution_id)]
    )


@router.get(
    "/artifacts/{artifact_id}",
    tags=["executions"],
    operation_id="downloadArtifact",
    summary="Download an artifact",
    response_class=StreamingResponse,
    responses={200: {"description": "the file, with its media type", "content": FILE}},
)
def download_artifact(artifact_id: str, ctx: Ctx, principal: CurrentPrincipal) -> StreamingResponse:
    """The artifact's file, with its media type and name, streamed from wherever the artifact
    store keeps it. Any role may call it."""
    artifact, chunks = artifact_svc.open_artifact(ctx, principal, artifact_id)
    headers = download_headers(artifact.name, artifact.size)
    return StreamingResponse(chunks, media_type=artifact.media_type, headers=headers)


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["PASSED", "FAILED", "STOPPED", "ERROR"]
    comment: str = Field(min_length=1, max_length=4096, description="why the outcome is judged differently")


@router.post(
    "/executions/{execution_id}/override",
    tags=["executions"],
    operation_id="overrideExecution",
    summary="Override an execution's outcome",
)
def override_execution(
    execution_id: str, body: OverrideBody, ctx: Ctx, principal: CurrentPrincipal
) -> ExecutionPublic:
    """Judge a finished execution's outcome differently, with a comment saying why; its records stay, and
    reports count the override. Testers, managers and admins may call it."""
    [execution] = svc.override_executions(
        ctx, principal, [execution_id], ExecutionStatus(body.status), body.comment
    )
    return ExecutionPublic.of(execution)


@router.get("/plan-runs", tags=["plan runs"], operation_id="listPlanRuns", summary="List plan runs")
def list_plan_runs(
    ctx: Ctx,
    principal: CurrentPrincipal,
    plan_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: str | None = None,
) -> Page[PlanRunSummary]:
    """Plan runs, newest first, optionally of one plan. Any role may call it."""
    plan_id = references.resolve_filter(ctx, principal, references.PLAN, plan_id)
    page = plan_runs.list_plan_runs(ctx, principal, plan_id=plan_id, limit=limit, cursor=cursor)
    return Page(items=[PlanRunSummary.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.get(
    "/plan-runs/{plan_run_id}", tags=["plan runs"], operation_id="getPlanRun", summary="Get a plan run"
)
def get_plan_run(plan_run_id: str, ctx: Ctx, principal: CurrentPrincipal) -> PlanRunPublic:
    """A plan run with its executions, the counts derived from them, their summed score and whether the
    plan's quality gate held. Any role may call it."""
    return PlanRunPublic.of(plan_runs.get_plan_run(ctx, principal, plan_run_id))


class RerunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["all", "failed_tests", "failed_iterations"] = Field(
        default="failed_tests", description="what to run again from the finished run"
    )


@router.post(
    "/plan-runs/{plan_run_id}/rerun",
    status_code=201,
    tags=["plan runs"],
    operation_id="rerunPlanRun",
    summary="Rerun a plan run",
    responses=raises(QuotaExceeded),
)
def rerun_plan_run(plan_run_id: str, body: RerunBody, ctx: Ctx, principal: CurrentPrincipal) -> PlanRunPublic:
    """Run again, as a new run linked to this one, all its tests, only the failed tests (every
    iteration), or only the failed iterations. Refused (409) while the run is not finished. Testers,
    managers and admins may call it."""
    started = plan_runs.rerun_plan_run(ctx, principal, plan_run_id, RerunScope(mode=body.scope))
    assert started.plan_run is not None
    return PlanRunPublic.of(plan_runs.get_plan_run(ctx, principal, started.plan_run.id))


@router.post(
    "/plan-runs/{plan_run_id}/stop", tags=["plan runs"], operation_id="stopPlanRun", summary="Stop a plan run"
)
def stop_plan_run(plan_run_id: str, ctx: Ctx, principal: CurrentPrincipal) -> PlanRunPublic:
    """Ask every queued or running execution of the plan run to stop. Testers, managers and admins may
    call it."""
    return PlanRunPublic.of(plan_runs.stop_plan_run(ctx, principal, plan_run_id))


class RunConfigBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    condition: Literal["INCLUDED", "EXCLUDED"] = "INCLUDED"
    filters: list[dict[str, Any]] = Field(
        description='[{"key": "suite"|"assignee"|"reviewer"|"tag", "values": [...], '
        '"operation": "IN"|"NOT_IN"}]'
    )


class RunConfigPublic(BaseModel):
    id: str
    name: str
    plan_id: str
    condition: str
    filters: list[dict[str, Any]]


def _config(config: run_configs.RunConfig) -> RunConfigPublic:
    return RunConfigPublic(
        id=config.id,
        name=config.name,
        plan_id=config.plan_id,
        condition=config.condition,
        filters=config.filters,
    )


@router.get(
    "/plans/{plan_id}/run-configs",
    tags=["plans"],
    operation_id="listRunConfigs",
    summary="List a plan's run configurations",
)
def list_run_configs(plan_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Items[RunConfigPublic]:
    """The plan's saved partial-run configurations. Any role may call it."""
    return Items(items=[_config(c) for c in run_configs.list_run_configs(ctx, principal, plan_id)])


@router.post(
    "/plans/{plan_id}/run-configs",
    status_code=201,
    tags=["plans"],
    operation_id="createRunConfig",
    summary="Save a run configuration",
)
def create_run_config(
    plan_id: str, body: RunConfigBody, ctx: Ctx, principal: CurrentPrincipal
) -> RunConfigPublic:
    """Save a named partial-run configuration of the plan: filters (on suite, assignee, reviewer or tag)
    that include or exclude what a run starts. Start it with `POST /executions` and `{"plan_id",
    "run_config"}`. Testers, managers and admins may call it."""
    return _config(run_configs.create_run_config(ctx, principal, plan_id=plan_id, **body.model_dump()))


@router.put(
    "/plans/{plan_id}/run-configs/{config_id}",
    tags=["plans"],
    operation_id="updateRunConfig",
    summary="Change a run configuration",
)
def update_run_config(
    plan_id: str, config_id: str, body: RunConfigBody, ctx: Ctx, principal: CurrentPrincipal
) -> RunConfigPublic:
    """Replace a run configuration's name, condition and filters; it is named by id or name. Testers,
    managers and admins may call it."""
    found = run_configs.find_run_config(ctx, principal, plan_id, config_id)
    return _config(run_configs.update_run_config(ctx, principal, found.id, **body.model_dump()))


@router.delete(
    "/plans/{plan_id}/run-configs/{config_id}",
    status_code=204,
    tags=["plans"],
    operation_id="deleteRunConfig",
    summary="Delete a run configuration",
)
def delete_run_config(plan_id: str, config_id: str, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    """Delete a plan's run configuration, named by id or name. Managers and admins may call it."""
    found = run_configs.find_run_config(ctx, principal, plan_id, config_id)
    run_configs.delete_run_config(ctx, principal, found.id)
    return Response(status_code=204)


class StepResultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: int = Field(ge=1, description="1-based step number")
    outcome: str = Field(description="NotRun, Passed, Failed, Blocked or Undetermined")
    actual_result: str | None = None
    notes: str | None = None


class StepResultsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    results: list[StepResultBody] = Field(default_factory=list)
    complete: bool = Field(
        default=False, description="complete the run now; steps without an outcome stay NotRun"
    )
    actual_duration: str | None = Field(
        default=None, max_length=100, description='free text, e.g. "5 minutes"'
    )
    field_values: dict[str, Any] | None = Field(default=None, description="custom field values (merged)")
    widget_values: dict[str, Any] | None = Field(default=None, description="widget values (merged)")


class StepResultPublic(BaseModel):
    step: int
    description: str
    data: str
    expected_result: str
    outcome: str
    actual_result: str
    notes: str
    updated_by: str | None
    updated_at: datetime


class ManualRunPublic(BaseModel):
    execution: ExecutionPublic
    status: str = Field(description="Not Run, In Progress, Passed, Failed, Blocked or Undetermined")
    completed: bool
    actual_duration: str | None
    field_values: dict[str, Any]
    widget_values: dict[str, Any]
    steps: list[StepResultPublic]


def _manual(run: manual.ManualRun) -> ManualRunPublic:
    return ManualRunPublic(
        execution=ExecutionPublic.of(run.execution),
        status=run.status.value,
        completed=run.completed,
        actual_duration=run.execution.actual_duration,
        field_values=run.execution.field_values or {},
        widget_values=run.execution.widget_values or {},
        steps=[
            StepResultPublic(
                step=s.step,
                description=s.description,
                data=s.data,
                expected_result=s.expected_result,
                outcome=s.outcome.value,
                actual_result=s.actual_result,
                notes=s.notes,
                updated_by=s.updated_by,
                updated_at=s.updated_at,
            )
            for s in run.steps
        ],
    )


@router.get(
    "/executions/{execution_id}/steps",
    tags=["manual runs"],
    operation_id="getManualRun",
    summary="Get a manual run's steps",
)
def get_manual_run(execution_id: str, ctx: Ctx, principal: CurrentPrincipal) -> ManualRunPublic:
    """A manual execution's steps with their current outcomes, and the status they add up to. Any role
    may call it."""
    return _manual(manual.get_manual_run(ctx, principal, execution_id))


@router.post(
    "/executions/{execution_id}/steps",
    tags=["manual runs"],
    operation_id="recordManualSteps",
    summary="Record manual step outcomes",
)
def record_manual_steps(
    execution_id: str, body: StepResultsBody, ctx: Ctx, principal: CurrentPrincipal
) -> ManualRunPublic:
    """Record step outcomes and the run's fields; the run completes when every step has an outcome, or
    when `complete` is true. Every update is kept as a record. Testers, managers and admins may call it;
    a run of an assignment is recorded by its assignee, or by a manager or admin."""
    inputs = [manual.StepInput(r.step, r.outcome, r.actual_result, r.notes) for r in body.results]
    fields = RunFields.checked(body.actual_duration, body.field_values, body.widget_values)
    return _manual(
        manual.record_steps(ctx, principal, execution_id, inputs, complete=body.complete, fields=fields)
    )
