"""Every error of the domain is answered by every door in that door's own shape, and never as
a 500: the installed handlers are the only mapping, so a route that raises one is enough.

The error types are enumerated from `domain/errors.py`, so a new one is walked too; a route
that raises it is mounted on each door of a server of the test's own.
"""

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from testament.compat.aws_connect.errors import BY_ROUTE as AWS_BY_ROUTE
from testament.compat.aws_connect.errors import aws_error_response
from testament.compat.enterprise_tester.errors import BY_ROUTE as ET_BY_ROUTE
from testament.compat.enterprise_tester.errors import error_response as et_error_response
from testament.config import Settings
from testament.domain import errors as e
from tests.conftest import LiveServer, start_server

# what each constructor parameter of an error is given; a new parameter needs a value here
SAMPLES: dict[str, Any] = {
    "message": "the request cannot be served",
    "entity": "test case",
    "ident": "tc-404",
    "field": "name",
    "rule": "must not be empty",
    "quota": "executions",
    "limit": 3,
    "permission": None,
    "more": None,
}


def _all_subclasses(cls: type[e.TestamentError]) -> list[type[e.TestamentError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


ERROR_TYPES = sorted(set(_all_subclasses(e.TestamentError)), key=lambda t: t.__name__)


def an_error_of(kind: type[e.TestamentError]) -> e.TestamentError:
    params = list(inspect.signature(kind).parameters.values())
    missing = [p.name for p in params if p.name not in SAMPLES and p.default is inspect.Parameter.empty]
    assert not missing, f"{kind.__name__} takes {missing}: give them a sample value in SAMPLES"
    return kind(**{p.name: SAMPLES[p.name] for p in params if p.name in SAMPLES})


# each door's mount, and what its body must hold for an error answer
def _aws_shape(response: httpx.Response) -> None:
    body = response.json()
    assert response.headers["x-amzn-ErrorType"].endswith("Exception")
    assert isinstance(body["Message"], str) and body["Message"]


def _testsigma_shape(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"timeStamp", "error", "code", "fieldErrors", "objectErrors"}
    assert isinstance(body["error"], str) and body["error"]


def _enterprise_tester_shape(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"Message"}
    assert isinstance(body["Message"], str) and body["Message"]


def _testinvite_shape(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] and body["error"]["message"]


def _native_shape(response: httpx.Response) -> None:
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["status"] == response.status_code
    assert {"type", "title", "detail", "code"} <= set(body)


DOORS: dict[str, tuple[str, Callable[[httpx.Response], None]]] = {
    "Amazon Connect": ("/aws/connect", _aws_shape),
    "Testsigma": ("/testsigma", _testsigma_shape),
    "Enterprise Tester": ("/enterprise-tester", _enterprise_tester_shape),
    "TestInvite": ("/testinvite", _testinvite_shape),
    "native API": ("/api/v1", _native_shape),
}

# the statuses each door documents for the errors it has today; a new error type is held to a 4xx
EXPECTED: dict[str, dict[type[e.TestamentError], int]] = {
    "Amazon Connect": {
        e.Unauthenticated: 403,
        e.Forbidden: 403,
        e.NotFound: 404,
        e.InvalidInput: 400,
        e.Conflict: 400,
        e.IllegalTransition: 400,
        e.QuotaExceeded: 402,
        e.Throttled: 429,
    },
    "Testsigma": {
        e.Unauthenticated: 401,
        e.Forbidden: 403,
        e.NotFound: 404,
        e.InvalidInput: 400,
        e.Conflict: 422,
        e.IllegalTransition: 400,
        e.QuotaExceeded: 429,
        e.Throttled: 429,
    },
    "Enterprise Tester": {
        e.Unauthenticated: 401,
        e.Forbidden: 403,
        e.NotFound: 404,
        e.InvalidInput: 403,
        e.Conflict: 409,
        e.IllegalTransition: 403,
        e.QuotaExceeded: 403,
        e.Throttled: 429,
    },
    "TestInvite": {
        e.Unauthenticated: 401,
        e.Forbidden: 403,
        e.NotFound: 404,
        e.InvalidInput: 400,
        e.Conflict: 400,
        e.IllegalTransition: 400,
        e.QuotaExceeded: 403,
        e.Throttled: 429,
    },
    "native API": {
        e.Unauthenticated: 401,
        e.Forbidden: 403,
        e.NotFound: 404,
        e.InvalidInput: 422,
        e.Conflict: 409,
        e.IllegalTransition: 409,
        e.QuotaExceeded: 429,
        e.Throttled: 429,
    },
}

RAISE_PATH = "/test-only/raise/{kind}"


def _fastapi_under(app: Any) -> FastAPI:
    """The FastAPI app of a mount, under any ASGI wrapper of its own."""
    while not isinstance(app, FastAPI):
        app = app.app
    return app


def _raise(kind: str) -> None:
    raise an_error_of(next(t for t in ERROR_TYPES if t.__name__ == kind))


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[LiveServer]:
    """A server of this module's own, each door of which has a route that raises a domain error."""
    live = start_server(settings, start_engine=False)
    root = live.server.config.app
    for route in root.routes:
        if isinstance(route, Mount) and route.path in {prefix for prefix, _ in DOORS.values()}:
            _fastapi_under(route.app).add_api_route(RAISE_PATH, _raise, methods=["GET"])
    yield live
    live.stop()


def test_the_domain_has_errors_to_walk() -> None:
    assert {e.NotFound, e.InvalidInput, e.Conflict, e.IllegalTransition} <= set(ERROR_TYPES)


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("kind", ERROR_TYPES, ids=lambda t: t.__name__)
def test_every_domain_error_is_answered_by_every_door_in_its_own_shape(
    server: LiveServer, door: str, kind: type[e.TestamentError]
) -> None:
    prefix, shape = DOORS[door]
    response = httpx.get(f"{server.url}{prefix}{RAISE_PATH.format(kind=kind.__name__)}", timeout=30)
    assert 400 <= response.status_code < 500, f"{door} answers {kind.__name__} with {response.status_code}"
    if kind in EXPECTED[door]:
        assert response.status_code == EXPECTED[door][kind]
    shape(response)


def test_a_domain_error_keeps_its_text_on_every_door(server: LiveServer) -> None:
    said = {}
    for door, (prefix, _) in DOORS.items():
        body = httpx.get(f"{server.url}{prefix}{RAISE_PATH.format(kind='Conflict')}", timeout=30).json()
        said[door] = str(body).lower()  # Enterprise Tester begins a message with a capital
    assert all("the request cannot be served" in text for text in said.values()), said


@pytest.mark.parametrize("route", sorted(AWS_BY_ROUTE))
@pytest.mark.parametrize("kind", ERROR_TYPES, ids=lambda t: t.__name__)
def test_every_amazon_connect_operation_of_its_own_maps_every_domain_error(
    route: str, kind: type[e.TestamentError]
) -> None:
    response = aws_error_response(AWS_BY_ROUTE[route](an_error_of(kind)))
    assert 400 <= response.status_code < 500
    assert response.headers["x-amzn-ErrorType"].endswith("Exception")


@pytest.mark.parametrize("route", sorted(ET_BY_ROUTE))
@pytest.mark.parametrize("kind", ERROR_TYPES, ids=lambda t: t.__name__)
def test_every_enterprise_tester_operation_of_its_own_maps_every_domain_error(
    route: str, kind: type[e.TestamentError]
) -> None:
    response = et_error_response(ET_BY_ROUTE[route](an_error_of(kind)))
    assert 400 <= response.status_code < 500


def _served(server: LiveServer, prefix: str, route: str) -> bool:
    """Whether the door routes `METHOD /path/{template}` (the call is refused, unsigned, after routing)."""
    method, template = route.split(" ")
    path = re.sub(r"\{[^}]+\}", "x", template)
    return httpx.request(method, f"{server.url}{prefix}{path}", timeout=30).status_code not in (404, 405)


@pytest.mark.parametrize(
    ("prefix", "route"),
    [("/aws/connect", r) for r in sorted(AWS_BY_ROUTE)]
    + [("/enterprise-tester", r) for r in sorted(ET_BY_ROUTE)],
)
def test_every_operation_of_its_own_names_a_route_the_door_serves(
    server: LiveServer, prefix: str, route: str
) -> None:
    assert _served(server, prefix, route)


def _fail_unexpectedly() -> None:
    raise RuntimeError("row of workspace ws-other: token tk-secret")


@pytest.fixture(scope="module")
def failing_server(settings: Settings) -> Iterator[LiveServer]:
    """A server each door of which has a route with a bug (an exception that is no domain error)."""
    live = start_server(settings, start_engine=False)
    for route in live.server.config.app.routes:
        if isinstance(route, Mount) and route.path in {prefix for prefix, _ in DOORS.values()}:
            _fastapi_under(route.app).add_api_route("/test-only/bug", _fail_unexpectedly, methods=["GET"])
    yield live
    live.stop()


@pytest.mark.parametrize("door", DOORS)
def test_a_bug_is_a_500_in_the_doors_shape_that_does_not_repeat_the_exceptions_text(
    failing_server: LiveServer, door: str
) -> None:
    prefix, shape = DOORS[door]
    response = httpx.get(f"{failing_server.url}{prefix}/test-only/bug", timeout=30)
    assert response.status_code == 500
    shape(response)
    assert "tk-secret" not in response.text and "ws-other" not in response.text
