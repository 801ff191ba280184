"""The native API describes itself: an OpenAPI document and its interactive docs."""

import re
from typing import Any

import httpx

from testament.domain.access import Role


def test_the_openapi_document_lists_the_executions_and_test_case_paths(live: Any) -> None:
    response = httpx.get(f"{live.url}/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {"post", "get"} <= set(paths["/executions"])
    assert {"post", "get"} <= set(paths["/test-cases"])
    assert {"get", "patch", "delete"} <= set(paths["/test-cases/{test_case_id}"])
    assert "/executions/{execution_id}/records" in paths
    assert paths["/executions"]["post"]["operationId"] == "startExecution"


def test_the_openapi_document_declares_bearer_authentication(live: Any) -> None:
    document = httpx.get(f"{live.url}/api/v1/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())


def test_the_docs_page_answers_html(live: Any) -> None:
    response = httpx.get(f"{live.url}/api/v1/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text


def test_an_unknown_api_path_is_a_404_problem(api: httpx.Client) -> None:
    response = api.get("/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_docs_page_loads_its_scripts_from_this_server_not_a_cdn(live: Any) -> None:
    html = httpx.get(f"{live.url}/api/v1/docs").text
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)

    assert assets, html
    assert all(a.startswith("/api/v1/") for a in assets), assets
    for asset in assets:
        assert httpx.get(live.url + asset).status_code == 200, asset


# --- what the document says, and that it says what the server does ---------------------------

KINDS = ("http", "connect", "manual", "noop")
CONTENT_SCHEMAS = {
    "http": "HttpContent",
    "connect": "ConnectContent",
    "manual": "ManualContent",
    "noop": "NoopContent",
}


def openapi(live: Any) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{live.url}/api/v1/openapi.json").json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    ]


def test_every_operation_has_a_summary_and_a_description_that_says_who_may_call_it(live: Any) -> None:
    found = operations(openapi(live))

    assert len(found) > 60
    assert [name for name, op in found if not op.get("summary")] == []
    assert [name for name, op in found if not op.get("description")] == []
    who = re.compile(r"any\s+role|admins", re.IGNORECASE)
    assert [name for name, op in found if not who.search(op["description"])] == []


def test_each_kind_has_a_named_content_schema_with_examples(live: Any) -> None:
    schemas = openapi(live)["components"]["schemas"]

    for kind in KINDS:
        schema = schemas[CONTENT_SCHEMAS[kind]]
        assert schema["type"] == "object", kind
        assert schema["properties"], kind
        assert schema["description"], kind
        assert schema["examples"], kind
    assert schemas["HttpContent"]["required"] == ["steps"]
    assert "$ref" in schemas["HttpContent"]["properties"]["steps"]["items"]


def test_the_test_case_bodies_refer_to_the_content_schema_of_each_kind(live: Any) -> None:
    schemas = openapi(live)["components"]["schemas"]
    wanted = sorted(f"#/components/schemas/{name}" for name in CONTENT_SCHEMAS.values())

    for body in ("TestCaseCreate", "TestCaseUpdate", "TestCasePublic"):
        content = schemas[body]["properties"]["content"]
        assert sorted(ref["$ref"] for ref in content["oneOf"]) == wanted, body
        assert all(f"`{kind}`: {CONTENT_SCHEMAS[kind]}" in content["description"] for kind in KINDS), body
    assert sorted(schemas["TestCaseCreate"]["properties"]["kind"]["enum"]) == sorted(KINDS)


def test_every_content_example_is_accepted_and_published_by_the_server(live: Any, api: httpx.Client) -> None:
    schemas = openapi(live)["components"]["schemas"]

    for kind in KINDS:
        for i, example in enumerate(schemas[CONTENT_SCHEMAS[kind]]["examples"]):
            body = {"kind": kind, "name": f"{kind} example {i}", "content": example, "publish": True}
            response = api.post("/test-cases", json=body)
            assert response.status_code == 201, (kind, response.text)
            assert response.json()["status"] == "PUBLISHED"


def test_the_request_examples_of_create_test_case_cover_every_kind_and_are_accepted(
    live: Any, api: httpx.Client
) -> None:
    create = openapi(live)["paths"]["/test-cases"]["post"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]

    assert sorted(examples) == sorted(KINDS)
    for name, example in examples.items():
        response = api.post("/test-cases", json=example["value"])
        assert response.status_code == 201, (name, response.text)


def test_no_operation_documents_fastapis_validation_error_shape(live: Any) -> None:
    document = openapi(live)

    assert "HTTPValidationError" not in str(document)
    assert "ValidationError" not in document["components"]["schemas"]


def test_every_422_is_documented_as_a_problem_json_body(live: Any) -> None:
    document = openapi(live)
    answers = [
        (name, op["responses"]["422"]) for name, op in operations(document) if "422" in op["responses"]
    ]

    assert len(answers) > 40
    for name, answer in answers:
        assert answer["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, name


def test_the_problem_schema_is_what_a_422_answer_holds(live: Any, api: httpx.Client) -> None:
    schemas = openapi(live)["components"]["schemas"]
    problem, field_problem = schemas["Problem"], schemas["FieldProblem"]

    answer = api.post("/test-cases", json={"kind": "http", "name": "x", "content": {"steps": []}, "bogus": 1})

    assert answer.status_code == 422
    body = answer.json()
    assert set(problem["required"]) <= set(body) <= set(problem["properties"])
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldProblem"
    }
    assert body["errors"]
    assert all(
        set(error) == set(field_problem["properties"]) == {"field", "rule"} for error in body["errors"]
    )


def test_every_operation_documents_its_401_as_a_problem(live: Any) -> None:
    for name, op in operations(openapi(live)):
        assert op["security"], name
        assert "application/problem+json" in op["responses"]["401"]["content"], name


def test_every_link_of_the_docs_page_answers(live: Any) -> None:
    html = httpx.get(f"{live.url}/api/v1/docs").text
    # every path the page or its script names: its assets, the document, an OAuth2 redirect page
    paths = set(re.findall(r"""['"](/[^'"\s]*)['"]""", html))

    assert "/api/v1/openapi.json" in paths
    for path in paths:
        assert httpx.get(live.url + path).status_code == 200, path


# --- the statuses each operation declares are those the server answers ------------------------

PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_every_error_status_of_every_operation_is_documented_as_a_problem(live: Any) -> None:
    errors = [
        (name, status, answer)
        for name, op in operations(openapi(live))
        for status, answer in op["responses"].items()
        if int(status) >= 400
    ]

    assert {status for _name, status, _answer in errors} >= {"400", "401", "403", "404", "409", "413", "422"}
    for name, status, answer in errors:
        assert answer["content"] == PROBLEM_CONTENT, (name, status)
        assert answer["description"], (name, status)


def test_each_operation_declares_the_errors_its_shape_can_answer(live: Any) -> None:
    for name, op in operations(openapi(live)):
        method, path = name.split(" ", 1)
        declared = set(op["responses"])
        assert "401" in declared, name
        if "{" in path:
            assert "404" in declared, name
        if method != "GET":
            assert "409" in declared, name
        if method in ("POST", "PUT", "PATCH"):
            assert {"400", "413"} <= declared, name
        any_role = re.search(r"any\s+role\s+may\s+call\s+it", op.get("description", ""), re.IGNORECASE)
        assert ("403" in declared) != bool(any_role), name


def test_the_operations_that_start_executions_declare_the_queue_quota_and_a_missing_target(live: Any) -> None:
    paths = openapi(live)["paths"]

    for path, method in (
        ("/executions", "post"),
        ("/plan-runs/{plan_run_id}/rerun", "post"),
        ("/assignments/{assignment_id}/runs", "post"),
    ):
        assert "429" in paths[path][method]["responses"], path
    assert "404" in paths["/executions"]["post"]["responses"]
    assert "422" in paths["/callback-deliveries"]["get"]["responses"]  # a filter naming nothing
    assert "404" in paths["/incidents"]["post"]["responses"]  # a step result it links


def test_a_refusal_by_the_role_is_the_documented_403_problem(workspace: Any) -> None:
    with workspace.client(Role.VIEWER) as viewer:
        answer = viewer.post("/suites", json={"name": "not mine to make", "test_case_ids": []})

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "Forbidden"


def test_every_operation_declares_the_shape_of_what_it_answers_on_success(live: Any) -> None:
    for name, op in operations(openapi(live)):
        successes = {s: a for s, a in op["responses"].items() if s.startswith("2")}
        assert successes, name
        for status, answer in successes.items():
            if status == "204":
                assert "content" not in answer, name
            else:
                assert [c["schema"] for c in answer["content"].values()], (name, status)


def test_a_path_that_no_mount_takes_is_a_404_problem(live: Any) -> None:
    answer = httpx.get(f"{live.url}/api/v1/plans/a%0Ab/run-configs", headers={"Authorization": "Bearer x"})

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
