"""Enterprise Tester's script-run routes: authenticate, translate, call one use case, answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from testament.compat.enterprise_tester import (
    odata,
    routes_attachments,
    routes_changes,
    routes_custom_fields,
    routes_incidents,
    routes_relationships,
    routes_users,
    setup_routes,
    translate,
)
from testament.compat.enterprise_tester.calls import (
    Call,
    odata_query,
    run_wire_of,
    tql_query,
    uploaded_files,
    user_name_of,
)
from testament.compat.enterprise_tester.errors import (
    BY_ROUTE,
    EtError,
    error_response,
    from_domain,
    invalid_body,
)
from testament.compat.enterprise_tester.schemas import (
    EtErrorBody,
    QueryResults,
    RunStartInput,
    RunUpdateInput,
    ScriptRunWire,
    StepResultAttachmentWire,
    StepResultInput,
    StepResultUpdate,
    StepResultWire,
)
from testament.compat.errors import SurfaceErrors, install_error_handlers
from testament.compat.wire import install_surface_docs, sent
from testament.domain import errors as e
from testament.domain.attachments import Attachment
from testament.domain.manual import RunFields
from testament.domain.model import Artifact
from testament.services import assignments, attachments, executions
from testament.services.blobs import download_headers
from testament.services.context import AppContext
from testament.services.executions import artifacts, manual

__all__ = ["create_enterprise_tester_app"]

router = APIRouter(prefix="/api")


@router.get("/scriptassignment/{assignment_id}/runs", responses={200: {"model": QueryResults[ScriptRunWire]}})
def list_runs(assignment_id: str, call: Call) -> dict[str, Any]:
    query = odata_query(call, translate.RUN_FIELDS)
    rows, total = assignments.query_assignment_runs(call.ctx, call.principal, assignment_id, query.selection)
    return query.envelope([run_wire_of(call, x.id) for x in rows], total)


@router.get("/scriptruns", responses={200: {"model": QueryResults[ScriptRunWire]}})
def search_runs(call: Call) -> dict[str, Any]:
    """Every manual run of the project, searched with TQL (e.g. `tql=Status = Passed`)."""
    query = tql_query(call, translate.RUN_FIELDS)
    rows, total = assignments.query_runs(call.ctx, call.principal, query.selection)
    return query.envelope([run_wire_of(call, x.id) for x in rows], total)


def _run_fields(actual_duration: Any, field_values: Any, widget_values: Any) -> RunFields:
    """`ActualDuration`, `FieldValues` and `WidgetValues`, checked before anything is written."""
    try:
        return RunFields.checked(actual_duration, field_values, widget_values)
    except e.InvalidInput as exc:
        raise from_domain(exc) from None


@router.post(
    "/scriptassignment/{assignment_id}/runs",
    responses={200: {"model": ScriptRunWire}, 201: {"model": ScriptRunWire}},
)
def create_run(
    assignment_id: str, call: Call, response: Response, body: RunStartInput | None = None
) -> dict[str, Any]:
    """A new run, or the assignment's incomplete one (200); `WidgetValues` and `FieldValues`
    are kept with it."""
    body = body or RunStartInput()
    fields = _run_fields(None, body.FieldValues, body.WidgetValues)
    tester = body.TesterId
    started = assignments.start_assignment_run(
        call.ctx, call.principal, assignment_id, tester=user_name_of(call, tester) if tester else None
    )
    if not fields.empty:
        manual.record_steps(call.ctx, call.principal, started.execution.id, [], fields=fields)
    wire = run_wire_of(call, started.execution.id)
    response.status_code = 201 if started.created else 200
    response.headers["Location"] = wire.Self
    return sent(wire)


@router.get("/scriptrun/{run_id}", responses={200: {"model": ScriptRunWire}})
def get_run(run_id: str, call: Call) -> dict[str, Any]:
    return sent(run_wire_of(call, run_id))


def _existing_run(run_id: str, call: Call) -> manual.ManualRun:
    """The run a change names, looked up before its body is read (a dependency runs before the
    body is checked): a run that does not exist is 404, whatever the body."""
    return manual.get_manual_run(call.ctx, call.principal, run_id)


def _existing_step(step_id: str, call: Call) -> tuple[manual.ManualRun, manual.StepResult]:
    """The step result a change names and its run, looked up before its body is read."""
    return manual.find_step_result(call.ctx, call.principal, step_id)


ExistingRun = Annotated[manual.ManualRun, Depends(_existing_run)]
ExistingStep = Annotated[tuple[manual.ManualRun, manual.StepResult], Depends(_existing_step)]


def _step_inputs(run: manual.ManualRun, results: list[StepResultInput]) -> list[manual.StepInput]:
    """Each step result by its `Id`, which must be one of the run's."""
    numbers = {s.id: s.step for s in run.steps}
    inputs = []
    for i, item in enumerate(results):
        if item.Id not in numbers:
            raise EtError(403, f"StepResults[{i}].Id must be the id of a step result of this run")
        inputs.append(
            manual.StepInput(numbers[item.Id], item.Outcome or "NotRun", item.ActualResult, item.Notes)
        )
    return inputs


@router.put("/scriptrun/{run_id}", responses={200: {"model": ScriptRunWire}})
def update_run(run_id: str, call: Call, run: ExistingRun, body: RunUpdateInput) -> dict[str, Any]:
    """Step outcomes (`StepResults[]`), `ActualDuration`, `WidgetValues`, `FieldValues` and,
    with `AttemptToComplete`, completion: one change, all or nothing."""
    inputs = _step_inputs(run, body.StepResults or [])
    fields = _run_fields(body.ActualDuration, body.FieldValues, body.WidgetValues)
    complete = body.AttemptToComplete
    if inputs or complete or not fields.empty:
        manual.record_steps(call.ctx, call.principal, run_id, inputs, complete=complete, fields=fields)
    return sent(run_wire_of(call, run_id))


@router.delete("/scriptrun/{run_id}")
def delete_run(run_id: str, call: Call) -> Response:
    manual.get_manual_run(call.ctx, call.principal, run_id)
    executions.delete_execution(call.ctx, call.principal, run_id)
    return Response(status_code=200)


@router.get("/stepresult/{step_id}", responses={200: {"model": StepResultWire}})
def get_step(step_id: str, call: Call) -> dict[str, Any]:
    run, step = manual.find_step_result(call.ctx, call.principal, step_id)
    wire = translate.step_wire(step, run.execution.id, call.base, call.expand)
    if "Attachments" in call.expand:
        attached, _total = manual.step_attachments(call.ctx, call.principal, step_id)
        wire.Attachments = [_attachment_wire(call, step_id, a) for a in attached]
    if "Run" in call.expand:
        wire.Run = translate.run_wire(run, call.base)
    if "Incidents" in call.expand:
        wire.Incidents = routes_incidents.step_incidents_wire(call, step_id)
    return sent(wire)


@router.put("/stepresult/{step_id}", responses={200: {"model": StepResultWire}})
def update_step(step_id: str, call: Call, found: ExistingStep, body: StepResultUpdate) -> dict[str, Any]:
    """Update one step (a convenience beside PUT scriptrun); the run's status is derived again."""
    run, step = found
    item = manual.StepInput(step.step, body.Outcome or step.outcome.value, body.ActualResult, body.Notes)
    updated = manual.record_steps(call.ctx, call.principal, run.execution.id, [item])
    fresh = next(s for s in updated.steps if s.id == step_id)
    return sent(translate.step_wire(fresh, run.execution.id, call.base, call.expand))


def _bad_query(exc: Exception) -> EtError:
    """A `$filter`, `$orderby` or TQL the parser refused: its message says where and why."""
    assert isinstance(exc, odata.ODataError)
    return EtError(400, exc.message)


ERRORS = SurfaceErrors(
    surface="the Enterprise Tester surface",
    vendor=EtError,
    respond=error_response,
    from_domain=from_domain,
    invalid=invalid_body,
    http=lambda exc: EtError(exc.status_code, str(exc.detail)),
    internal=lambda: EtError(500, "An error has occurred."),
    by_route=BY_ROUTE,
    others={odata.ODataError: _bad_query},
)


def create_enterprise_tester_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="Enterprise Tester REST API (compatible)",
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_surface_docs, from this server
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app, ERRORS)
    app.include_router(router)
    app.include_router(setup_routes.router)
    app.include_router(routes_users.router)
    app.include_router(routes_incidents.router)
    app.include_router(routes_custom_fields.router)
    app.include_router(routes_relationships.router)
    app.include_router(routes_changes.router)
    app.include_router(routes_attachments.router)
    install_surface_docs(app, error=EtErrorBody, bad_request=403)  # the vendor refuses bad input with 403
    return app


def _attachment_wire(call: Any, step_id: str, artifact: Any) -> StepResultAttachmentWire:
    return StepResultAttachmentWire(
        Id=artifact.id,
        StepResultId=step_id,
        Name=artifact.name,
        FileName=artifact.name,
        ContentType=artifact.media_type,
        CreatedAt=translate.iso(artifact.created_at),
        CreatedById=None,  # attachments do not record who uploaded them
        Size=artifact.size,
        Self=f"{call.base}api/attachment/{artifact.id}/contents",
    )


@router.get(
    "/stepresult/{step_id}/attachments", responses={200: {"model": QueryResults[StepResultAttachmentWire]}}
)
def list_step_attachments(step_id: str, call: Call) -> dict[str, Any]:
    """A step result's attachments; OData options apply."""
    query = odata_query(call, translate.ATTACHMENT_FIELDS)
    found, total = manual.query_step_attachments(call.ctx, call.principal, step_id, query.selection)
    return query.envelope([_attachment_wire(call, step_id, a) for a in found], total)


@router.post(
    "/stepresult/{step_id}/attachments",
    status_code=201,
    responses={201: {"model": list[StepResultAttachmentWire]}},
)
async def add_step_attachment(step_id: str, request: Request, call: Call) -> list[dict[str, Any]]:
    """A multipart upload: every file part becomes one attachment of the step result."""
    made = []
    for upload in await uploaded_files(request):
        artifact = await run_in_threadpool(
            manual.attach_to_step,
            call.ctx,
            call.principal,
            step_id,
            name=upload.name,
            data=upload.data,
            media_type=upload.media_type,
        )
        made.append(sent(_attachment_wire(call, step_id, artifact)))
    return made  # the vendor answers a list of StepResultAttachment, one per file


@router.get("/attachment/{attachment_id}/contents")
def attachment_contents(attachment_id: str, call: Call) -> StreamingResponse:
    """A step result's file (an artifact of its run), or a script's or an incident's."""
    held: Artifact | Attachment
    try:
        held, chunks = artifacts.open_artifact(call.ctx, call.principal, attachment_id)
    except e.NotFound:
        held, chunks = attachments.open_attachment(call.ctx, call.principal, attachment_id)
    headers = download_headers(held.name, held.size)
    return StreamingResponse(chunks, media_type=held.media_type, headers=headers)
