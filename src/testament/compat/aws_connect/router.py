"""The Connect surface's routes: authenticate, translate, call one use case, answer. No rules here."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from testament.compat.aws_connect import translate
from testament.compat.aws_connect.errors import AwsError, aws_error_response, from_domain
from testament.compat.aws_connect.schemas import (
    CreateTestCaseInput,
    SearchTestCasesInput,
    UpdateTestCaseInput,
    parse,
)
from testament.compat.aws_connect.sigv4 import verify
from testament.domain import errors as e
from testament.domain.access import Principal
from testament.domain.model import TestCaseStatus
from testament.kit.clock import utcnow
from testament.services import admin, test_cases
from testament.services.context import AppContext
from testament.services.paging import decode_cursor

__all__ = ["create_aws_connect_app"]

KIND = "connect"


@dataclass(frozen=True)
class AwsCall:
    """An authenticated call: who signed it, in which region, and its raw body."""

    ctx: AppContext
    principal: Principal
    region: str
    body: bytes

    def workspace(self, instance_id: str) -> str:
        """The InstanceId's workspace, which must be the signing key's own."""
        workspace_id = translate.workspace_of(instance_id)
        if workspace_id != self.principal.workspace_id:
            raise AwsError("ResourceNotFoundException", f"Instance {instance_id} was not found")
        return workspace_id


async def authenticated(request: Request) -> AwsCall:
    ctx: AppContext = request.app.state.ctx
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    url = f"{request.url.scheme}://{headers.get('host', '')}{raw_path.decode()}" + (
        f"?{query.decode()}" if query else ""
    )
    found: dict[str, Principal] = {}

    def secret_for(access_key_id: str) -> str:
        try:
            principal, secret = admin.authenticate_access_key(ctx, access_key_id)
        except e.Unauthenticated:
            raise AwsError(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            ) from None
        found["principal"] = principal
        return secret

    signed = await run_in_threadpool(verify, request.method, url, headers, body, secret_for, utcnow())
    return AwsCall(ctx, found["principal"], signed.region, body)


Call = Annotated[AwsCall, Depends(authenticated)]


@contextmanager
def aws_errors(**overrides: str) -> Iterator[None]:
    """Domain errors become this operation's AWS errors (`Conflict="DuplicateResourceException"`)."""
    table = {getattr(e, name): code for name, code in overrides.items()}
    try:
        yield
    except e.TestamentError as exc:
        raise from_domain(exc, table) from None


class _InstanceArnPaths:
    """Routes match an InstanceId given as an ARN too: botocore escapes its '/' as %2F,
    which would split the path. The signature is checked against the untouched raw path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            rewritten = translate.INSTANCE_ARN_IN_PATH.sub(r"\g<id>", path)
            if rewritten != path:
                scope = {**scope, "path": rewritten}
        await self.app(scope, receive, send)


def _view_for(call: AwsCall, test_case_id: str, status: str | None) -> tuple[test_cases.TestCaseView, str]:
    latest = test_cases.get_test_case(call.ctx, call.principal, test_case_id)
    case = latest.test_case
    if case.kind != KIND:
        raise e.NotFound("test case", test_case_id)
    published = case.published_version
    if status == "PUBLISHED" or (status is None and published is not None):
        if published is None:
            raise e.NotFound("published version of test case", test_case_id)
        view = test_cases.get_test_case(call.ctx, call.principal, test_case_id, version=published)
        return view, "PUBLISHED"
    return latest, "PUBLISHED" if published == case.version else "SAVED"


def _routes(app: FastAPI) -> None:
    @app.put("/test-cases/{InstanceId}")
    def create_test_case(InstanceId: str, call: Call) -> dict[str, Any]:
        call.workspace(InstanceId)
        body: CreateTestCaseInput = parse(CreateTestCaseInput, call.body)
        content = translate.content_of(
            None,
            Content=body.Content,
            EntryPoint=body.EntryPoint.model_dump(exclude_none=True) if body.EntryPoint else None,
            InitializationData=body.InitializationData,
        )
        with aws_errors(Conflict="DuplicateResourceException"):
            view = test_cases.create_test_case(
                call.ctx,
                call.principal,
                kind=KIND,
                name=body.Name,
                content=content,
                description=body.Description or "",
                tags=body.Tags or {},
                publish=body.Status == "PUBLISHED",
            )
        case_id = view.test_case.id
        return {
            "TestCaseId": case_id,
            "TestCaseArn": translate.test_case_arn(call.region, view.test_case.workspace_id, case_id),
        }

    @app.post("/test-cases/{InstanceId}/{TestCaseId}")
    def update_test_case(InstanceId: str, TestCaseId: str, call: Call) -> Response:
        call.workspace(InstanceId)
        body: UpdateTestCaseInput = parse(UpdateTestCaseInput, call.body)
        with aws_errors(Conflict="DuplicateResourceException"):
            current = _view_for(call, TestCaseId, "SAVED")[0]
            changes = {
                "Content": body.Content,
                "EntryPoint": body.EntryPoint.model_dump(exclude_none=True) if body.EntryPoint else None,
                "InitializationData": body.InitializationData,
            }
            content = translate.content_of(current.content, **changes)
            test_cases.update_test_case(
                call.ctx,
                call.principal,
                TestCaseId,
                name=body.Name,
                description=body.Description,
                content=content if any(v is not None for v in changes.values()) else test_cases.UNSET,
                publish=body.Status == "PUBLISHED",
            )
        return Response(status_code=200, content=b"{}", media_type="application/json")

    @app.get("/test-cases/{InstanceId}/{TestCaseId}")
    def describe_test_case(
        InstanceId: str, TestCaseId: str, call: Call, status: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        call.workspace(InstanceId)
        if status is not None and status not in ("PUBLISHED", "SAVED"):
            raise AwsError("InvalidParameterException", "Status must be PUBLISHED or SAVED")
        with aws_errors():
            view, version_status = _view_for(call, TestCaseId, status)
        return {"TestCase": translate.test_case_wire(view, call.region, version_status)}

    @app.delete("/test-cases/{InstanceId}/{TestCaseId}")
    def delete_test_case(InstanceId: str, TestCaseId: str, call: Call) -> Response:
        call.workspace(InstanceId)
        with aws_errors():
            _view_for(call, TestCaseId, "SAVED")
            test_cases.delete_test_case(call.ctx, call.principal, TestCaseId)
        return Response(status_code=200, content=b"{}", media_type="application/json")

    @app.get("/test-cases-summary/{InstanceId}")
    def list_test_cases(
        InstanceId: str,
        call: Call,
        nextToken: Annotated[str | None, Query()] = None,
        maxResults: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        call.workspace(InstanceId)
        with aws_errors(InvalidInput="InvalidParameterException"):
            page = test_cases.list_test_cases(
                call.ctx, call.principal, kind=KIND, limit=maxResults, cursor=nextToken
            )
        answer: dict[str, Any] = {
            "TestCaseSummaryList": [translate.test_case_summary(c, call.region) for c in page.items]
        }
        if page.next_cursor:
            answer["NextToken"] = page.next_cursor
        return answer

    @app.post("/search-test-cases")
    def search_test_cases(call: Call) -> dict[str, Any]:
        body: SearchTestCasesInput = parse(SearchTestCasesInput, call.body)
        call.workspace(body.InstanceId)
        with aws_errors():
            after = decode_cursor(call.ctx.cursors, "aws-search-test-cases", body.NextToken)
            matching = [
                c
                for c in _all_connect_cases(call)
                if translate.matches_criteria(c, body.SearchCriteria)
                and translate.matches_tags(c, body.SearchFilter.TagFilter if body.SearchFilter else None)
            ]
            rest = [c for c in matching if after is None or c.id > after]
            page = rest[: body.MaxResults]
            views = [test_cases.get_test_case(call.ctx, call.principal, c.id) for c in page]
        answer: dict[str, Any] = {
            "TestCases": [
                translate.test_case_wire(
                    v, call.region, "PUBLISHED" if v.test_case.status == TestCaseStatus.PUBLISHED else "SAVED"
                )
                for v in views
            ],
            "ApproximateTotalCount": len(matching),
        }
        if len(rest) > body.MaxResults:
            answer["NextToken"] = call.ctx.cursors.encode("aws-search-test-cases", page[-1].id)
        return answer


def _all_connect_cases(call: AwsCall) -> list[Any]:
    found: list[Any] = []
    cursor = None
    while True:
        page = test_cases.list_test_cases(call.ctx, call.principal, kind=KIND, limit=1000, cursor=cursor)
        found += page.items
        if not (cursor := page.next_cursor):
            return found


def _install_errors(app: FastAPI) -> None:
    def aws(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AwsError)
        return aws_error_response(exc)

    def domain(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, e.TestamentError)
        return aws_error_response(from_domain(exc))

    def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "request"
        return aws_error_response(AwsError("InvalidParameterException", f"{where}: {first['msg']}"))

    def http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = "UnknownOperationException" if exc.status_code in (404, 405) else "InvalidRequestException"
        return aws_error_response(AwsError(code, str(exc.detail)))

    app.add_exception_handler(AwsError, aws)
    app.add_exception_handler(e.TestamentError, domain)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)


def create_aws_connect_app(ctx: AppContext) -> ASGIApp:
    app = FastAPI(
        title="Amazon Connect test cases (compatible)", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.ctx = ctx
    _install_errors(app)
    _routes(app)
    return _InstanceArnPaths(app)
