"""Domain errors → RFC 9457 problem+json, in one table."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from testament.domain import errors as e

__all__ = ["PROBLEM", "STATUS_FOR", "FieldProblem", "Problem", "install_error_handlers", "problem"]

PROBLEM = "application/problem+json"


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="the refused field's path, such as content.steps[0].request.method")
    rule: str = Field(description="the rule its value breaks")


class Problem(BaseModel):
    """The body of every error answer: RFC 9457 problem details, sent as application/problem+json."""

    model_config = ConfigDict(extra="forbid")  # what is sent is what is documented

    type: str = Field(default="about:blank", description="always about:blank; `code` names the error")
    title: str = Field(description="a short summary of the status, such as Invalid input")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="what went wrong, for a person to read")
    code: str | None = Field(
        default=None,
        description="the error: InvalidInput, NotFound, Forbidden, Conflict, Unauthenticated, ...",
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="with InvalidInput (422): every refused field and the rule it breaks"
    )
    quota: str | None = Field(default=None, description="with QuotaExceeded (429): the quota reached")
    limit: int | None = Field(default=None, description="with QuotaExceeded (429): that quota's limit")


STATUS_FOR: dict[type[e.TestamentError], tuple[int, str]] = {
    e.Unauthenticated: (401, "Unauthenticated"),
    e.Forbidden: (403, "Forbidden"),
    e.NotFound: (404, "Not Found"),
    e.InvalidInput: (422, "Invalid input"),
    e.IllegalTransition: (409, "Illegal transition"),
    e.Conflict: (409, "Conflict"),
    e.QuotaExceeded: (429, "Quota exceeded"),
    e.Throttled: (429, "Too many requests"),
}


def _status_for(exc: e.TestamentError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]
    return 500, "Internal error"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, **extra).model_dump(exclude_none=True)
    headers = {"WWW-Authenticate": 'Bearer realm="testament"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.TestamentError)
    status, title = _status_for(exc)
    extra: dict[str, Any] = {"code": type(exc).__name__}
    if isinstance(exc, e.InvalidInput):
        extra["errors"] = [{"field": p.field, "rule": p.rule} for p in exc.problems]
    if isinstance(exc, e.QuotaExceeded):
        extra["quota"] = exc.quota
        extra["limit"] = exc.limit
    return problem(status, title, exc.message, **extra)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or str(loc[0] if loc else "body")


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_path(tuple(err["loc"])), "rule": str(err["msg"]).removeprefix("Value error, ")}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{x['field']}: {x['rule']}" for x in errors)
    return problem(422, "Invalid input", detail, code="InvalidInput", errors=errors)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.TestamentError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
