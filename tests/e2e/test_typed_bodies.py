"""Every door takes its bodies as typed wire models, and each surface describes itself from them.

The walk covers every route of the native API and of every mounted surface: a route that takes
a body declares it as a Pydantic model (FastAPI's body field, or a `ParsedBody` dependency); a
route that writes without one is named here, with why it has none.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from testament.api.app import create_native_api
from testament.compat.enterprise_tester.schemas import Operation
from testament.compat.wire import api_routes, body_type, is_wire_model
from testament.services.context import AppContext
from testament.surfaces import build_surfaces

WRITES = {"POST", "PUT", "PATCH"}

# Writes that take no JSON body: the path says it all, or the body is a file.
WITHOUT_A_BODY = frozenset(
    {
        "POST /api/v1/test-cases/{test_case_id}/publish",
        "POST /api/v1/executions/{execution_id}/stop",
        "POST /api/v1/plan-runs/{plan_run_id}/stop",
        "POST /api/v1/assignments/{assignment_id}/runs",
        "PUT /api/v1/incidents/{incident_id}/step-results/{step_result_id}",
    }
    | {  # TestInvite serves each path under two spellings
        f"POST /testinvite/api/integration/rest{version}/tasks/{{task_id}}{path}"
        for version in ("/v1", "")
        for path in (
            "/candidates/{candidate_id}/steps/{step_id}/start",
            "/test-instances/{instance_id}/resetup",
        )
    }
)
FILE_BODIES = frozenset(
    {
        "POST /api/v1/uploads/{upload_id}/versions",
        "POST /enterprise-tester/api/stepresult/{step_id}/attachments",
        "POST /enterprise-tester/api/script/{script_id}/attachments",
        "POST /enterprise-tester/api/incident/{incident_id}/attachments",
    }
)


def _fastapi(app: ASGIApp) -> FastAPI:
    """The FastAPI app inside a surface's ASGI wrappers (Connect's rewrites ARNs in paths)."""
    while not isinstance(app, FastAPI):
        app = app.app  # type: ignore[attr-defined]
    return app


def _doors(ctx: AppContext) -> dict[str, FastAPI]:
    return {"/api/v1": create_native_api(ctx), **{m: _fastapi(a) for m, a in build_surfaces(ctx).items()}}


def _operations(ctx: AppContext) -> Iterator[tuple[str, Any]]:
    """(`METHOD /mount/path`, what the route takes its body as) for every route of every door."""
    for mount, app in _doors(ctx).items():
        for route in api_routes(app):
            for method in sorted(route.methods or ()):
                yield f"{method} {mount}{route.path_format}", body_type(route)


def test_every_body_of_every_door_is_a_pydantic_model(live: Any) -> None:
    untyped, undeclared = [], []
    for operation, body in _operations(live.ctx):
        if body is not None and not is_wire_model(body):
            untyped.append(f"{operation}: {body}")
        if body is None and operation.split()[0] in WRITES and operation not in WITHOUT_A_BODY | FILE_BODIES:
            undeclared.append(operation)

    assert untyped == [], "bodies that are not Pydantic models"
    assert undeclared == [], "writes that declare no body (declare it, or name why they have none)"


def test_the_walk_sees_the_surfaces_bodies_and_would_refuse_a_dict(live: Any) -> None:
    bodies = dict(_operations(live.ctx))

    assert bodies["PUT /aws/connect/test-cases/{InstanceId}"].__name__ == "CreateTestCaseInput"
    assert bodies["POST /testsigma/api/v1/execution_results"].__name__ == "TriggerRunInput"
    assert bodies["PUT /enterprise-tester/api/scriptrun/{run_id}"].__name__ == "RunUpdateInput"
    assert bodies["PATCH /enterprise-tester/api/script/{script_id}"] == Operation | None
    assert bodies["PATCH /testinvite/api/integration/rest/v1/tasks/{task_id}/test-instances/{instance_id}"]
    assert not is_wire_model(dict[str, Any]) and not is_wire_model(dict[str, Any] | None)


SURFACES = {
    # mount: (an operation, a request model and one of its vendor members, an answer model and one of its)
    "/aws/connect": (
        ("put", "/test-cases/{InstanceId}"),
        ("CreateTestCaseInput", "EntryPoint"),
        ("SearchTestCasesOutput", "ApproximateTotalCount"),
    ),
    "/enterprise-tester": (
        ("put", "/api/scriptrun/{run_id}"),
        ("RunUpdateInput", "StepResults"),
        ("ScriptRunWire", "Status"),
    ),
    "/testsigma": (
        ("post", "/api/v1/execution_results"),
        ("TriggerRunInput", "executionId"),
        ("PlanRunWire", "totalCount"),
    ),
    "/testinvite": (
        ("post", "/api/integration/rest/v1/tasks/{task_id}/test-instances/filter"),
        ("MetaFilter", "from"),
        ("TestInstanceWire", "testInstanceId"),
    ),
}


@pytest.mark.parametrize("mount", sorted(SURFACES))
def test_each_surface_serves_its_openapi_document_in_the_vendors_shapes(live: Any, mount: str) -> None:
    (method, path), (request, member), (answer, answer_member) = SURFACES[mount]
    document = httpx.get(f"{live.url}{mount}/openapi.json").json()
    app = _doors(live.ctx)[mount]
    schemas = document["components"]["schemas"]

    served = {
        (m.lower(), r.path_format) for r in api_routes(app) if r.include_in_schema for m in r.methods or ()
    }
    documented = {(m, p) for p, operations in document["paths"].items() for m in operations}
    assert documented == served
    assert document["servers"] == [{"url": mount}]  # "try it out" calls the surface under its mount
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    assert request in str(body) and member in schemas[request]["properties"]
    assert answer_member in schemas[answer]["properties"]
    assert "HTTPValidationError" not in str(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "default" in operation["responses"]  # every error, in the vendor's body


@pytest.mark.parametrize("mount", sorted(SURFACES))
def test_each_surface_docs_page_loads_from_this_server(live: Any, mount: str) -> None:
    page = httpx.get(f"{live.url}{mount}/docs")
    script = httpx.get(f"{live.url}{mount}/docs-static/swagger-ui-bundle.js")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"{mount}/openapi.json" in page.text and f"{mount}/docs-static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert script.status_code == 200
