"""The Connect surface's ASGI app: routes by area, AWS errors, and InstanceId ARNs in paths."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from testament.compat.aws_connect import routes_executions, routes_resources, routes_test_cases, translate
from testament.compat.aws_connect.errors import AwsError, aws_error_response, from_domain
from testament.domain import errors as e
from testament.services.context import AppContext

__all__ = ["create_aws_connect_app"]

log = logging.getLogger(__name__)


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

    def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on the Connect surface", exc_info=exc)
        return aws_error_response(
            AwsError("InternalServiceException", "The service encountered an internal error")
        )

    app.add_exception_handler(Exception, unexpected)
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
    for router in (routes_test_cases.router, routes_resources.router, routes_executions.router):
        app.include_router(router)
    return _InstanceArnPaths(app)
