"""Domain errors → RFC 9457 problem+json, in one table."""

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from testament.domain import errors as e

__all__ = [
    "ANSWERS",
    "BODY_REFUSALS",
    "PROBLEM",
    "Answer",
    "FieldProblem",
    "Problem",
    "install_error_handlers",
    "problem",
    "raises",
    "refused_body",
]

PROBLEM = "application/problem+json"

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Answer:
    """How the native API answers an error: the status, the problem's title, and when it is
    answered (the response's description in the OpenAPI document)."""

    status: int
    title: str
    when: str
    code: str | None = None
    """The problem's `code`, where it is not the error's class name."""


# The one table of the native API's error answers: the handlers send them, and the OpenAPI
# document declares them (openapi.py decides which operations can answer each).
ANSWERS: dict[type[e.TestamentError], Answer] = {
    e.Unauthenticated: Answer(401, "Unauthenticated", "No key, or a key that is unknown or revoked"),
    e.Forbidden: Answer(403, "Forbidden", "The key's role may not do this"),
    e.NotFound: Answer(404, "Not Found", "Nothing of that id (or name) in the key's workspace"),
    e.InvalidInput: Answer(
        422,
        "Invalid input",
        "Invalid input: `errors` names each refused parameter or field and the rule it breaks",
    ),
    e.IllegalTransition: Answer(409, "Illegal transition", "The entity cannot move to the asked state"),
    e.Conflict: Answer(
        409,
        "Conflict",
        "The request contradicts the current state: a name already taken, a run still going, ...",
    ),
    e.QuotaExceeded: Answer(
        429, "Quota exceeded", "A workspace quota is reached: `quota` and `limit` say which"
    ),
    e.Throttled: Answer(429, "Too many requests", "Too many requests for this key"),
}

# Refusals of a request body before any route reads it (`kit.request_limits`), by status.
BODY_REFUSALS: dict[int, Answer] = {
    400: Answer(
        400,
        "Bad request",
        "The JSON body nests too deeply or holds a lone surrogate: it cannot be read as text",
        code="InvalidInput",
    ),
    413: Answer(
        413,
        "Payload too large",
        "The body is larger than its limit (1 MiB; an upload has its own)",
        code="PayloadTooLarge",
    ),
}


def refused_body(status: int, message: str) -> JSONResponse:
    """A body refused before any route reads it (`kit.request_limits`: 400 or 413), as problem+json."""
    answer = BODY_REFUSALS[status]
    return problem(
        status, answer.title, message, code=answer.code, errors=[{"field": "body", "rule": message}]
    )


def raises(*errors: type[e.TestamentError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose use case can raise these errors, beyond those that its shape
    already implies (see openapi.py): each is documented as a problem with its status."""
    return {ANSWERS[error].status: {"description": ANSWERS[error].when} for error in errors}


def _status_for(exc: e.TestamentError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ANSWERS:
            return ANSWERS[cls].status, ANSWERS[cls].title
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


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    """A bug, not the caller's mistake: logged with its traceback, answered without its text
    (which may hold data of the request or of another workspace)."""
    log.exception("unexpected error on the native API", exc_info=exc)
    return problem(
        500, "Internal error", "The server failed to answer; the error is in its log", code="InternalError"
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(e.TestamentError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
