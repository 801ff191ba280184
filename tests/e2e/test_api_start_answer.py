"""The answer to a start is written by the route itself (not by FastAPI's response validation): it
is still JSON of the documented schema, with the headers FastAPI would give it."""

from typing import Any

import httpx

from testament.api.schemas import ExecutionStarted
from tests.e2e.test_api_executions import create
from tests.e2e.test_api_test_cases import unique
from tests.e2e.test_smoke import http_case


def test_a_start_answers_json_of_the_documented_schema(api: httpx.Client, target: Any) -> None:
    case = create(api, http_case(target.url, unique()))

    response = api.post("/executions", json={"test_case_id": case["id"], "client_token": unique("t")})

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    answer = ExecutionStarted.model_validate_json(response.content)
    assert response.content == answer.model_dump_json(by_alias=True).encode()
    assert answer.id == answer.executions[0].id and answer.plan_run_id is None
    assert answer.replayed is False and answer.executions[0].test_case_id == case["id"]
