"""Enterprise Tester's script-run routes: authenticate, translate, call one use case, answer."""

import base64
import binascii
import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from testament.compat.enterprise_tester import odata, translate
from testament.compat.enterprise_tester.errors import EtError, error_response, from_domain
from testament.domain import errors as e
from testament.domain.access import Principal
from testament.domain.model import Assignment
from testament.services import admin, assignments, executions, manual
from testament.services.context import AppContext

__all__ = ["create_enterprise_tester_app"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api")


@dataclass(frozen=True)
class Caller:
    ctx: AppContext
    principal: Principal
    base: str  # the surface's base URL, for Self links
    params: dict[str, str]

    @property
    def expand(self) -> list[str]:
        return [p.strip() for p in self.params.get("$expand", "").split(",") if p.strip()]


def _principal(ctx: AppContext, authorization: str) -> Principal:
    """HTTP Basic with the key's access key id and secret, or a Bearer token."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return admin.authenticate_token(ctx, credentials.strip())
    if scheme.lower() == "basic" and credentials:
        try:
            user, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise EtError(401, "Authorization has been denied for this request.") from None
        principal, secret = admin.authenticate_access_key(ctx, user)
        if hmac.compare_digest(secret, password):
            return principal
    raise EtError(401, "Authorization has been denied for this request.")


def caller(request: Request) -> Caller:
    ctx: AppContext = request.app.state.ctx
    try:
        principal = _principal(ctx, request.headers.get("authorization", ""))
    except e.Unauthenticated:
        raise EtError(401, "Authorization has been denied for this request.") from None
    return Caller(ctx, principal, str(request.base_url), dict(request.query_params))


Call = Annotated[Caller, Depends(caller)]


@contextmanager
def vendor_errors() -> Iterator[None]:
    try:
        yield
    except e.TestamentError as exc:
        raise from_domain(exc) from None
    except odata.ODataError as exc:
        raise EtError(400, exc.message) from None


def _assignment_wire(call: Caller, assignment: Assignment) -> dict[str, Any]:
    return {
        "Id": assignment.id,
        "ScriptId": assignment.test_case_id,
        "PackageId": assignment.package_id,
        "AssignedTo": assignment.assignee,
        "AssignedToId": translate.user_id(assignment.workspace_id, assignment.assignee),
        "Self": f"{call.base}api/scriptassignment/{assignment.id}",
    }


def _run(call: Caller, execution_id: str) -> dict[str, Any]:
    run = manual.get_manual_run(call.ctx, call.principal, execution_id)
    assignment = None
    if "Assignment" in call.expand and run.execution.assignment_id:
        assignment = _assignment_wire(
            call, assignments.get_assignment(call.ctx, call.principal, run.execution.assignment_id)
        )
    return translate.run_wire(run, call.base, call.expand, assignment)


@router.get("/scriptassignment/{assignment_id}/runs")
def list_runs(assignment_id: str, call: Call) -> dict[str, Any]:
    with vendor_errors():
        options = odata.QueryOptions.parse(call.params)
        text = call.params.get("$filter")
        where = odata.compile_filter(odata.parse_filter(text), translate.RUN_FIELDS) if text else None
        order = (
            odata.parse_orderby(call.params["$orderby"], translate.RUN_FIELDS)
            if call.params.get("$orderby")
            else []
        )
        rows, total = assignments.query_assignment_runs(
            call.ctx,
            call.principal,
            assignment_id,
            where=where,
            order_by=order,
            limit=options.top,
            offset=options.skip,
        )
        items = [_run(call, x.id) for x in rows]
    if options.inlinecount:
        return {"Skip": options.skip, "Top": options.top, "Total": total, "Items": items}
    return {"Items": items}


@router.post("/scriptassignment/{assignment_id}/runs")
def create_run(
    assignment_id: str, call: Call, response: Response, body: Annotated[dict[str, Any] | None, Body()] = None
) -> dict[str, Any]:
    """A new run, or the assignment's incomplete one (200)."""
    with vendor_errors():
        started = assignments.start_assignment_run(call.ctx, call.principal, assignment_id)
        wire = _run(call, started.execution.id)
    response.status_code = 201 if started.created else 200
    response.headers["Location"] = wire["Self"]
    return wire


@router.get("/scriptrun/{run_id}")
def get_run(run_id: str, call: Call) -> dict[str, Any]:
    with vendor_errors():
        return _run(call, run_id)


def _step_inputs(run: manual.ManualRun, results: Any) -> list[manual.StepInput]:
    if not isinstance(results, list):
        raise EtError(403, "StepResults must be a list of step results")
    numbers = {s.id: s.step for s in run.steps}
    inputs = []
    for i, item in enumerate(results):
        if not isinstance(item, dict) or item.get("Id") not in numbers:
            raise EtError(403, f"StepResults[{i}].Id must be the id of a step result of this run")
        inputs.append(
            manual.StepInput(
                numbers[item["Id"]],
                str(item.get("Outcome") or "NotRun"),
                item.get("ActualResult"),
                item.get("Notes"),
            )
        )
    return inputs


@router.put("/scriptrun/{run_id}")
def update_run(run_id: str, call: Call, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Step outcomes (`StepResults[]`) and, with `AttemptToComplete`, completion."""
    with vendor_errors():
        run = manual.get_manual_run(call.ctx, call.principal, run_id)
        inputs = _step_inputs(run, body.get("StepResults") or [])
        complete = bool(body.get("AttemptToComplete"))
        if inputs or complete:
            manual.record_steps(call.ctx, call.principal, run_id, inputs, complete=complete)
        return _run(call, run_id)


@router.delete("/scriptrun/{run_id}")
def delete_run(run_id: str, call: Call) -> Response:
    with vendor_errors():
        manual.get_manual_run(call.ctx, call.principal, run_id)
        executions.delete_execution(call.ctx, call.principal, run_id)
    return Response(status_code=200)


@router.get("/stepresult/{step_id}")
def get_step(step_id: str, call: Call) -> dict[str, Any]:
    with vendor_errors():
        run, step = manual.find_step_result(call.ctx, call.principal, step_id)
        wire = translate.step_wire(step, run.execution.id, call.base, call.expand)
        if "Run" in call.expand:
            wire["Run"] = translate.run_wire(run, call.base)
        return wire


@router.put("/stepresult/{step_id}")
def update_step(step_id: str, call: Call, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Update one step (a convenience beside PUT scriptrun); the run's status is derived again."""
    with vendor_errors():
        run, step = manual.find_step_result(call.ctx, call.principal, step_id)
        item = manual.StepInput(
            step.step,
            str(body.get("Outcome") or step.outcome.value),
            body.get("ActualResult"),
            body.get("Notes"),
        )
        updated = manual.record_steps(call.ctx, call.principal, run.execution.id, [item])
        fresh = next(s for s in updated.steps if s.id == step_id)
        return translate.step_wire(fresh, run.execution.id, call.base, call.expand)


def _install_errors(app: FastAPI) -> None:
    def vendor(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, EtError)
        return error_response(exc)

    def domain(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.TestamentError)
        return error_response(from_domain(exc))

    def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        return error_response(EtError(403, f"{where}: {first['msg']}"))

    def http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(EtError(exc.status_code, str(exc.detail)))

    def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on the Enterprise Tester surface", exc_info=exc)
        return error_response(EtError(500, "An error has occurred."))

    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(EtError, vendor)
    app.add_exception_handler(e.TestamentError, domain)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)


def create_enterprise_tester_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="Enterprise Tester script runs (compatible)", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.ctx = ctx
    _install_errors(app)
    app.include_router(router)
    return app
