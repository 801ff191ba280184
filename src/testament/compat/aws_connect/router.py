"""The Connect surface's ASGI app: routes by area, AWS errors, and InstanceId ARNs in paths."""

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from testament.compat.aws_connect import routes_executions, routes_resources, routes_test_cases, translate
from testament.compat.aws_connect.errors import BY_ROUTE, AwsError, aws_error_response, from_domain
from testament.compat.aws_connect.schemas import AwsErrorBody
from testament.compat.errors import SurfaceErrors, first_problem, install_error_handlers
from testament.compat.wire import install_surface_docs
from testament.services.context import AppContext

__all__ = ["create_aws_connect_app"]


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


def _http(exc: StarletteHTTPException) -> AwsError:
    code = "UnknownOperationException" if exc.status_code in (404, 405) else "InvalidRequestException"
    return AwsError(code, str(exc.detail))


ERRORS = SurfaceErrors(
    surface="the Connect surface",
    vendor=AwsError,
    respond=aws_error_response,
    from_domain=from_domain,
    invalid=lambda exc: AwsError("InvalidParameterException", first_problem(exc, "request")),
    http=_http,
    internal=lambda: AwsError("InternalServiceException", "The service encountered an internal error"),
    by_route=BY_ROUTE,
)


DESCRIPTION = """Amazon Connect's test-case operations (test cases, their executions and records) and
the resources a test needs (contact flows, queues, hours of operation), as boto3's `connect`
client calls them: requests signed with AWS Signature Version 4 by a Testament access key; an
`InstanceId` is the workspace's (or its ARN). Names, times (epoch seconds) and errors
(`x-amzn-ErrorType` and `{"Message"}`) are AWS's."""


def create_aws_connect_app(ctx: AppContext) -> ASGIApp:
    app = FastAPI(
        title="Amazon Connect test cases (compatible)",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by install_surface_docs, from this server
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app, ERRORS)
    install_surface_docs(app, error=AwsErrorBody)
    for router in (routes_test_cases.router, routes_resources.router, routes_executions.router):
        app.include_router(router)
    return _InstanceArnPaths(app)
