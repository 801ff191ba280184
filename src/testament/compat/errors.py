"""How every compatibility surface answers errors: the same five cases (its own error, a
domain error, a request that did not validate, an HTTP error from routing, anything else),
each turned into the surface's own error type and sent in its vendor's wire shape.

The request limits (kit/request_limits.py) are installed here too: a body over its size is
refused with 413, and JSON nested too deeply with 400 (as a body that cannot be parsed), each
in the surface's shape. A multipart body, or one sent to an attachment path, is a file and
has the attachments' larger limit.

A surface says only how to translate; this module wires the handlers, once, and they are the
only mapping: routes raise domain errors and never translate them. Where the vendor answers one
operation differently (a Conflict is a DuplicateResourceException when creating), the surface
says so in `by_route`, keyed by the route's method and path template (`PUT /test-cases/{InstanceId}`).
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from testament.domain.errors import TestamentError
from testament.kit.request_limits import JSON_BODY_BYTES, FileRoute, RequestLimits
from testament.services.executions.manual import MAX_ATTACHMENT_BYTES

__all__ = [
    "ATTACHMENT_REQUEST_BYTES",
    "SurfaceErrors",
    "first_problem",
    "install_error_handlers",
    "route_of",
]

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Exception)

# a request that carries attachments: the largest attachment, and room for the form around it
ATTACHMENT_REQUEST_BYTES = MAX_ATTACHMENT_BYTES + JSON_BODY_BYTES
ATTACHMENTS = FileRoute(
    ATTACHMENT_REQUEST_BYTES, path=r"/attachments?(/|$)", media_type="multipart/form-data"
)


@dataclass(frozen=True)
class SurfaceErrors(Generic[E]):
    surface: str  # for the log: "the Connect surface"
    vendor: type[E]  # the surface's own error, raised by its routes
    respond: Callable[[E], JSONResponse]  # in the vendor's wire shape
    from_domain: Callable[[TestamentError], E]
    invalid: Callable[[RequestValidationError], E]
    http: Callable[[StarletteHTTPException], E]
    internal: Callable[[], E]  # what an unexpected failure says (the details go to the log only)
    # an operation's own translation of domain errors, by `route_of` its request
    by_route: Mapping[str, Callable[[TestamentError], E]] = field(default_factory=dict)
    # other errors the surface's own parsers raise (a bad `$filter`), by type
    others: Mapping[type[Exception], Callable[[Exception], E]] = field(default_factory=dict)


def route_of(request: Request) -> str:
    """The matched route as `METHOD /path/{template}`; empty when no route matched."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return f"{request.method} {path}" if path else ""


def first_problem(exc: RequestValidationError, default_where: str) -> str:
    """`where: what` of a request's first validation problem."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"][1:]) or default_where
    return f"{where}: {first['msg']}"


def install_error_handlers(app: FastAPI, errors: SurfaceErrors[E]) -> None:
    def vendor(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.vendor)
        return errors.respond(exc)

    def domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TestamentError)
        translate = errors.by_route.get(route_of(request), errors.from_domain)
        return errors.respond(translate(exc))

    def other(_request: Request, exc: Exception) -> JSONResponse:
        translate = next(errors.others[c] for c in type(exc).__mro__ if c in errors.others)
        return errors.respond(translate(exc))

    def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return errors.respond(errors.invalid(exc))

    def http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return errors.respond(errors.http(exc))

    def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", errors.surface, exc_info=exc)
        return errors.respond(errors.internal())

    def refuse(status: int, message: str) -> ASGIApp:
        response = errors.respond(errors.http(StarletteHTTPException(status, message)))
        response.status_code = status  # a surface's HTTP translation may not know 413
        return response

    app.add_middleware(RequestLimits, refuse=refuse, files=[ATTACHMENTS])
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(errors.vendor, vendor)
    app.add_exception_handler(TestamentError, domain)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    for kind in errors.others:
        app.add_exception_handler(kind, other)
