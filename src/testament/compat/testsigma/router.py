"""Testsigma's plan-run routes: authenticate, translate, call one use case, answer."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from testament.compat.errors import SurfaceErrors, install_error_handlers
from testament.compat.testsigma import translate
from testament.compat.testsigma.errors import TestsigmaError, error_response, field_error, from_domain
from testament.compat.testsigma.schemas import (
    EnvironmentInput,
    EnvironmentWire,
    ExecutionConfigRef,
    OverrideAnswer,
    OverrideEntry,
    Page,
    PlanRunWire,
    SavedExecutionConfigWire,
    StopRunInput,
    TestCaseResultRequest,
    TestCaseResultsWire,
    TestPlanWire,
    TestsigmaErrorBody,
    TriggerRunInput,
    UploadVersionWire,
    UploadWire,
)
from testament.compat.wire import install_surface_docs
from testament.domain import errors as e
from testament.domain import reruns
from testament.domain.access import Principal
from testament.domain.filters import all_of, any_of, equals
from testament.services import (
    environments,
    executions,
    keys,
    plan_runs,
    plans,
    read_side,
    run_configs,
    surface_ids,
    uploads,
)
from testament.services.context import AppContext
from testament.services.executions import Started
from testament.services.paging import all_items
from testament.services.plan_runs import PlanRunSheet
from testament.services.surface_ids import Key

__all__ = ["create_testsigma_app"]

_bearer = HTTPBearer(auto_error=False)
T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    ctx: AppContext
    principal: Principal

    def ids(self, entity: str, core_id: str) -> int:
        return surface_ids.numbers_of(self.ctx, [(entity, core_id)])(entity, core_id)

    def show(self, draw: Callable[[translate.Ids], T]) -> T:
        """`draw(ids)` given every number it shows, read at once: a first pass notes which."""
        wanted: list[Key] = []

        def note(entity: str, core_id: str) -> int:
            wanted.append((entity, core_id))
            return 0

        draw(note)
        return draw(surface_ids.numbers_of(self.ctx, wanted))

    @property
    def key(self) -> Key:
        """The caller's API key, shown as who executed a run."""
        return ("key", self.principal.key_id)

    def core(self, entity: str, number: Any, field: str) -> str:
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise field_error(field, "must be an integer id", number) from None
        found = surface_ids.core_id_of(self.ctx, entity, value, self.principal.workspace_id)
        if found is None:
            raise TestsigmaError(404, f"No {entity.replace('_', ' ')} with id {value}", "NOT_FOUND")
        return found


def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    ctx: AppContext = request.app.state.ctx
    if credentials is None or not credentials.credentials:
        raise TestsigmaError(401, "Full authentication is required to access this resource", "UNAUTHORIZED")
    return Caller(ctx, keys.authenticate_token(ctx, credentials.credentials))


Call = Annotated[Caller, Depends(caller)]
router = APIRouter(prefix="/api/v1")
# Spring's page and size, bounded so that page * size stays a number a database can offset by
PageSize = Annotated[int, Query(ge=1, le=1000)]
PageNumber = Annotated[int, Query(ge=0, le=1_000_000)]


def _run_answer(call: Caller, run_id: str, *, stopping: bool = False) -> dict[str, Any]:
    return _run_wire(
        call, plan_runs.plan_run_sheet(call.ctx, call.principal, run_id, [call.key]), stopping=stopping
    )


def _run_wire(
    call: Caller, sheet: PlanRunSheet, *, created: bool = False, stopping: bool = False
) -> dict[str, Any]:
    executed_by = sheet.numbers(*call.key)
    return translate.run_wire(sheet, executed_by=executed_by, created=created, stopping=stopping)


def _started_answer(call: Caller, start: Callable[[], Started]) -> dict[str, Any]:
    """Start a run and answer with it, read in the start's own transaction."""
    sheet = plan_runs.start_and_show(call.ctx, call.principal, start, [call.key])
    return _run_wire(call, sheet, created=True)


@router.post("/execution_results", responses={200: {"model": PlanRunWire}})
def trigger_plan_run(call: Call, body: TriggerRunInput) -> dict[str, Any]:
    if body.isReRun:
        return _rerun(call, body)
    if body.executionId is None:
        raise field_error("executionId", "is required: the id of the test plan to run")
    config = _config_ref(call, body.executionConfig)
    plan_id = call.core("plan", body.executionId, "executionId")
    environment_id = (
        call.core("environment", body.environmentId, "environmentId") if body.environmentId else None
    )
    details = executions.RunDetails(
        build_no=None if body.buildNo is None else str(body.buildNo),
        runtime_data=body.runtimeData or {},
        machine_variables=_upload_versions(call, plan_id, body.uploadVersions),
    )
    if config is None:
        start = partial(
            executions.start_execution,
            call.ctx,
            call.principal,
            plan_id=plan_id,
            environment_id=environment_id,
            run=details,
        )
    else:
        start = partial(
            run_configs.start_partial_run,
            call.ctx,
            call.principal,
            plan_id=plan_id,
            config=config,
            details=details,
            environment_id=environment_id,
        )
    return _started_answer(call, start)


def _upload_versions(call: Caller, plan_id: str, given: dict[str, int] | None) -> dict[str, dict[str, Any]]:
    """`uploadVersions`: {machine id: upload version id} → the variables each machine's tests see."""
    found: dict[str, dict[str, Any]] = {}
    for machine_number, version_number in (given or {}).items():
        field = f"uploadVersions.{machine_number}"
        try:
            machine_key = call.core("machine", machine_number, field)
        except TestsigmaError:
            raise field_error(
                field, f"no machine {machine_number} in this test plan", machine_number
            ) from None
        owner, _, machine = machine_key.partition("/")
        if owner != plan_id:
            raise field_error(field, f"no machine {machine_number} in this test plan", machine_number)
        try:
            version_id = call.core("upload_version", version_number, field)
        except TestsigmaError:
            raise field_error(field, f"no upload version {version_number}", version_number) from None
        found[machine] = uploads.run_variables(call.ctx, call.principal, version_id)
    return found


@router.get("/uploads", responses={200: {"model": Page[UploadWire]}})
def list_uploads(call: Call, page: PageNumber = 0, size: PageSize = 50) -> dict[str, Any]:
    shown, total = uploads.page_of_uploads(call.ctx, call.principal, offset=page * size, limit=size)
    items = call.show(lambda ids: [translate.upload_wire(u, ids) for u in shown])
    return translate.page_wire(items, total, page, size)


@router.get("/upload_versions", responses={200: {"model": Page[UploadVersionWire]}})
def list_upload_versions(
    call: Call,
    query: str | None = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> dict[str, Any]:
    try:
        terms = {key: value for key, op, value in translate.parse_query(query) if op == ":"}
    except ValueError as exc:
        raise field_error("query", str(exc), query) from None
    if "uploadId" not in terms:
        raise field_error("query", "needs uploadId:<id>", query)
    upload_id = call.core("upload", terms["uploadId"], "query.uploadId")
    window = {"offset": page * size, "limit": size}
    shown, total = uploads.page_of_versions(call.ctx, call.principal, upload_id, **window)
    items = call.show(lambda ids: [translate.upload_version_wire(v, ids) for v in shown])
    return translate.page_wire(items, total, page, size)


def _config_ref(call: Caller, given: ExecutionConfigRef | None) -> str | None:
    """`executionConfig`: `{"id": n}` or `{"name": "..."}` of a saved configuration."""
    if given is None:
        return None
    if given.id is not None:
        return call.core("run_config", given.id, "executionConfig.id")
    return given.name


@router.get("/saved_execution_configs", responses={200: {"model": list[SavedExecutionConfigWire]}})
def list_saved_configs(
    call: Call, testPlanId: int | None = None, query: str | None = None
) -> list[dict[str, Any]]:
    plan_id = (
        call.core("plan", testPlanId, "testPlanId") if testPlanId is not None else _filters(call, query)[0]
    )
    configs = run_configs.list_run_configs(call.ctx, call.principal, plan_id)
    return call.show(lambda ids: [translate.saved_config_wire(c, ids) for c in configs])


def _rerun(call: Caller, body: TriggerRunInput) -> dict[str, Any]:
    """`isReRun`: run again part of a finished run (`executionResultId`), as `reRunType` says."""
    if body.executionResultId is None:
        raise field_error("executionResultId", "is required for a rerun: the id of the run to rerun")
    kind = body.reRunType or "ONLY_FAILED_TESTS"
    parent_id = call.core("plan_run", body.executionResultId, "executionResultId")
    if body.executionId is not None and call.core("plan", body.executionId, "executionId") != (
        plan_runs.get_plan_run(call.ctx, call.principal, parent_id).plan_run.plan_id
    ):
        raise field_error("executionId", "is not the test plan of executionResultId", body.executionId)
    picks = tuple(_pick(call, i, request) for i, request in enumerate(body.testCaseResultRequests or []))
    if kind == "USER_PICKED" and not picks:
        raise field_error(
            "testCaseResultRequests", "a USER_PICKED rerun names the test case results to rerun"
        )
    scope = reruns.RerunScope(mode=translate.RERUN_TYPES[kind], picks=picks)
    return _started_answer(
        call, partial(plan_runs.rerun_plan_run, call.ctx, call.principal, parent_id, scope)
    )


def _pick(call: Caller, i: int, request: TestCaseResultRequest) -> reruns.Pick:
    field = f"testCaseResultRequests[{i}]"
    group = translate.group_of(call.core("test_case_result", request.id, f"{field}.id"))
    mode = request.iterationReRunType or "ALL"
    numbers = request.iterationResultIds or []
    picked = frozenset(call.core("execution", n, f"{field}.iterationResultIds") for n in numbers)
    if mode == "USER_PICKED" and not picked:
        raise field_error(
            f"{field}.iterationResultIds", "USER_PICKED needs the iteration result ids to rerun"
        )
    return reruns.Pick(group, translate.ITERATION_RERUN_TYPES[mode], picked)


@router.get("/execution_results/{run_id}", responses={200: {"model": PlanRunWire}})
def get_plan_run(run_id: str, call: Call) -> dict[str, Any]:
    return _run_answer(call, call.core("plan_run", run_id, "id"))


@router.put("/execution_results/{run_id}", responses={200: {"model": PlanRunWire}})
def stop_plan_run(run_id: str, call: Call, body: StopRunInput) -> dict[str, Any]:
    """`{"result": "STOPPED"}` stops the run (the only change the vendor accepts)."""
    core_id = call.core("plan_run", run_id, "id")
    view = plan_runs.get_plan_run(call.ctx, call.principal, core_id)
    if all(x.status.is_terminal for x in view.executions):
        raise TestsigmaError(
            400, "No Queued executions for this test plan run: it has already completed", "BAD_REQUEST"
        )
    plan_runs.stop_plan_run(call.ctx, call.principal, core_id)
    return _run_answer(call, core_id, stopping=True)


@router.put("/execution_results/{run_id}/override", responses={200: {"model": OverrideAnswer}})
def override_results(run_id: str, call: Call, body: list[OverrideEntry]) -> dict[str, Any]:
    """Override test case results with a comment; valid entries apply even when others don't."""
    core_run = call.core("plan_run", run_id, "id")
    view = plan_runs.get_plan_run(call.ctx, call.principal, core_run)
    errors: list[str] = []
    applied = 0
    for i, entry in enumerate(body):
        problem = _override_one(call, view, core_run, i, entry)
        if problem:
            errors.append(problem)
        else:
            applied += 1
    if not applied:
        raise TestsigmaError(400, "; ".join(errors) or "nothing to override", "BAD_REQUEST")
    message = "Overridden the results successfully" if not errors else "Overridden the result partially"
    return {"errors": errors, "message": message}


def _override_one(
    call: Caller, view: plan_runs.PlanRunView, core_run: str, i: int, entry: OverrideEntry
) -> str | None:
    number = entry.testCaseResultId
    said = (entry.result or "").upper()
    result = translate.RESULT_ALIASES.get(said, said)
    if result not in translate.CORE_STATUS_OF:
        return f"entry {i}: result must be one of {', '.join(translate.CORE_STATUS_OF)}"
    try:
        key = call.core("test_case_result", number, f"[{i}].testCaseResultId")
    except TestsigmaError:
        key = ""
    if not key.startswith(core_run + "/"):
        run_number = call.ids("plan_run", core_run)
        return f"Given test case result id {number} is not related to execution run {run_number}"
    group = translate.group_of(key)
    members = [x.id for x in view.executions if reruns.group_key(x) == group]
    comment = entry.comment or "overridden through the Testsigma API"
    try:
        executions.override_executions(
            call.ctx, call.principal, members, translate.CORE_STATUS_OF[result], comment
        )
    except e.IllegalTransition as exc:
        return f"entry {i}: {exc.message}"
    return None


@router.get("/execution_results/{run_id}/test_case_results", responses={200: {"model": TestCaseResultsWire}})
def get_test_case_results(run_id: str, call: Call) -> dict[str, Any]:
    core_id = call.core("plan_run", run_id, "id")
    return translate.test_case_results_wire(plan_runs.plan_run_sheet(call.ctx, call.principal, core_id))


def _filters(call: Caller, query: str | None) -> tuple[str | None, set[str] | None, str | None]:
    try:
        terms = translate.parse_query(query)
    except ValueError as exc:
        raise field_error("query", str(exc), query) from None
    plan_id, results, build = None, None, None
    for key, op, value in terms:
        if op != ":":
            raise field_error("query", f"operator {op!r} is not supported for {key}; use ':'", query)
        if key in ("testPlanId", "executionId"):
            plan_id = call.core("plan", value, "query.testPlanId")
        elif key == "result":
            results = {translate.RESULT_ALIASES.get(v.upper(), v.upper()) for v in value.split("|")}
            if not results <= set(translate.RESULTS):
                raise field_error("query", f"result must be one of {', '.join(translate.RESULTS)}", value)
        elif key == "buildNo":
            build = value
        else:
            raise field_error("query", f"unknown filter {key!r}; use testPlanId, result, buildNo", query)
    return plan_id, results, build


@router.get("/execution_results", responses={200: {"model": Page[PlanRunWire]}})
def list_plan_runs(
    call: Call,
    query: str | None = None,
    page: PageNumber = 0,
    size: PageSize = 50,
) -> dict[str, Any]:
    plan_id, results, build = _filters(call, query)
    where = all_of(
        equals("plan_id", plan_id) if plan_id else None,
        any_of(*(translate.result_condition(r) for r in sorted(results))) if results else None,
        equals("build_no", build) if build is not None else None,
    )
    selection = read_side.Selection(where, limit=size, offset=page * size)
    runs, total = plan_runs.query_plan_runs(call.ctx, call.principal, selection)
    return translate.page_wire(_run_answers(call, runs), total, page, size)


def _run_answers(call: Caller, runs: list[Any]) -> list[dict[str, Any]]:
    sheets = plan_runs.plan_run_sheets(call.ctx, call.principal, [r.id for r in runs], [call.key])
    return [_run_wire(call, sheet) for sheet in sheets]


@router.get(
    "/reports/junit/{run_id}",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The run's JUnit XML report"}},
)
def junit_report(run_id: str, call: Call) -> Response:
    sheet = plan_runs.plan_run_sheet(call.ctx, call.principal, call.core("plan_run", run_id, "id"))
    if translate.run_status(sheet.executions) != "STATUS_COMPLETED":
        raise TestsigmaError(409, "Report generation failed, Test plan run is not completed", "CONFLICT")
    return Response(translate.junit_xml(sheet), media_type="application/xml")


@router.get("/test_plans", responses={200: {"model": Page[TestPlanWire]}})
def list_test_plans(
    call: Call,
    page: PageNumber = 0,
    size: PageSize = 50,
    query: str | None = None,
) -> dict[str, Any]:
    try:
        terms = translate.parse_query(query)
    except ValueError as exc:
        raise field_error("query", str(exc), query) from None
    named = all_of(*(equals("name", value) for key, _op, value in terms if key == "name"))
    selection = read_side.Selection(named, limit=size, offset=page * size)
    found_plans, total = plans.query_plans(call.ctx, call.principal, selection)
    items = call.show(lambda ids: [translate.plan_wire(p, ids) for p in found_plans])
    return translate.page_wire(items, total, page, size)


@router.get("/environments", responses={200: {"model": Page[EnvironmentWire]}})
def list_environments(call: Call, page: PageNumber = 0, size: PageSize = 50) -> dict[str, Any]:
    envs = all_items(partial(environments.list_environments, call.ctx, call.principal))
    shown = envs[page * size : (page + 1) * size]
    items = call.show(lambda ids: [translate.environment_wire(env, ids) for env in shown])
    return translate.page_wire(items, len(envs), page, size)


@router.get("/environments/{env_id}", responses={200: {"model": EnvironmentWire}})
def get_environment(env_id: str, call: Call) -> dict[str, Any]:
    env = environments.get_environment(call.ctx, call.principal, call.core("environment", env_id, "id"))
    return call.show(partial(translate.environment_wire, env))


def _variables(body: EnvironmentInput) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(plain, secret) variables from either shape: `variables: [{key, value, isEncrypted}]`,
    or the older `parameters{}` with `passwords[]` naming the ones to encrypt."""
    if body.variables is not None:
        plain: dict[str, Any] = {}
        secret: dict[str, Any] = {}
        for entry in body.variables:
            if entry.isEncrypted:  # the mask read back from us means "keep the stored value"
                secret[entry.key] = None if entry.value == translate.ENCRYPTED_VALUE else entry.value
            else:
                plain[entry.key] = entry.value
        return plain, secret
    if body.parameters is not None:
        parameters, passwords = body.parameters, body.passwords or []
        if not all(p in parameters for p in passwords):
            raise field_error("passwords", "must list names of parameters", passwords)
        plain = {k: v for k, v in parameters.items() if k not in passwords}
        return plain, {k: v for k, v in parameters.items() if k in passwords}
    return None


@router.post("/environments", status_code=201, responses={201: {"model": EnvironmentWire}})
def create_environment(call: Call, body: EnvironmentInput) -> dict[str, Any]:
    if body.name is None:
        raise field_error("name", "is required")
    plain, secret = _variables(body) or ({}, {})
    env = environments.create_environment(
        call.ctx, call.principal, name=body.name, variables=plain, secrets=secret
    )
    return call.show(partial(translate.environment_wire, env))


@router.put("/environments/{env_id}", responses={200: {"model": EnvironmentWire}})
def update_environment(env_id: str, call: Call, body: EnvironmentInput) -> dict[str, Any]:
    core_id = call.core("environment", env_id, "id")
    given = _variables(body)
    env = environments.update_environment(
        call.ctx,
        call.principal,
        core_id,
        name=body.name,
        variables=given[0] if given else None,
        secrets=given[1] if given and given[1] else None,  # no encrypted entries: secrets stay
    )
    return call.show(partial(translate.environment_wire, env))


def _invalid(exc: RequestValidationError) -> TestsigmaError:
    """Each refused member as `fieldErrors` names it (`testCaseResultRequests[0].id`), with its
    rule; the message is the first one's, as a member the route refuses is said."""
    fields = [
        {"field": _field_name(err["loc"][1:]), "rejectedValue": err.get("input"), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = fields[0]
    return TestsigmaError(400, f"{first['field']}: {first['message']}", "VALIDATION_ERROR", fields)


def _field_name(loc: Sequence[str | int]) -> str:
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return name or "body"


ERRORS = SurfaceErrors(
    surface="the Testsigma surface",
    vendor=TestsigmaError,
    respond=error_response,
    from_domain=from_domain,
    invalid=_invalid,
    http=lambda exc: TestsigmaError(exc.status_code, str(exc.detail), None),
    internal=lambda: TestsigmaError(500, "Internal server error", "INTERNAL_ERROR"),
)


DESCRIPTION = """Testsigma's plan-run API, as CI pipelines call it: trigger a test plan run, follow
it, stop or rerun it, override results, read its JUnit report; environments, uploads and saved
execution configurations. Send `Authorization: Bearer <key>` (a Testament key); ids are the
vendor's integers and times epoch milliseconds. Errors are the vendor's body
(`timeStamp, error, code, fieldErrors, objectErrors`)."""


def create_testsigma_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="Testsigma plan runs (compatible)",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_surface_docs, from this server
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app, ERRORS)
    install_surface_docs(app, error=TestsigmaErrorBody)
    app.include_router(router)
    return app
