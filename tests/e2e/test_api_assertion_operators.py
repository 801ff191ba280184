"""An http test case's misspelt assertion operator is refused over the API, not saved as a literal."""

import uuid

import httpx

from tests.e2e.test_api_test_cases import all_test_cases, assert_problem


def http_content(expected: object) -> dict[str, object]:
    step = {
        "name": "s",
        "request": {"url": "http://127.0.0.1:1/x"},
        "expect": {"json": {"$.status": expected}},
    }
    return {"steps": [step]}


def test_a_misspelt_operator_is_a_422_naming_the_jsonpath_and_listing_the_operators(
    api: httpx.Client,
) -> None:
    before = all_test_cases(api)
    body = {
        "kind": "http",
        "name": f"case-{uuid.uuid4().hex[:10]}",
        "content": http_content({"equals": "ok"}),
    }

    problem = assert_problem(
        api.post("/test-cases", json=body), 422, 'content.steps[0].expect.json["$.status"]'
    )

    [error] = problem["errors"]
    assert error["rule"].startswith("'equals' is not an operator; the operators are eq, ne, contains,")
    assert "{eq: {...}}" in error["rule"]
    assert all_test_cases(api) == before


def test_an_object_wrapped_in_eq_is_saved_as_a_literal_comparison(api: httpx.Client) -> None:
    expected = {"eq": {"equals": "ok"}}
    body = {"kind": "http", "name": f"case-{uuid.uuid4().hex[:10]}", "content": http_content(expected)}

    response = api.post("/test-cases", json=body)

    assert response.status_code == 201, response.text
    assert response.json()["content"]["steps"][0]["expect"]["json"] == {"$.status": expected}
