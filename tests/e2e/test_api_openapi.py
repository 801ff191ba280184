"""The native API describes itself: an OpenAPI document and its interactive docs."""

import re
from typing import Any

import httpx


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
