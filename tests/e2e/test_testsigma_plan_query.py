"""Testsigma's `GET /test_plans?query=name:…`: the read side filters and pages the plans in SQL."""

from collections.abc import Iterator

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace


@pytest.fixture
def testsigma(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    token = workspace.keys[Role.ADMIN].token
    with httpx.Client(
        base_url=f"{live.url}/testsigma/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def test_plans_are_filtered_by_name_and_paged(testsigma: httpx.Client, api: httpx.Client) -> None:
    suite = api.post("/suites", json={"name": "regression", "test_case_ids": []}).json()["id"]
    for name in ("nightly", "smoke", "nightly, again", "weekly"):
        assert api.post("/plans", json={"name": name, "suite_ids": [suite]}).status_code == 201

    def names(**params: str) -> tuple[list[str], int]:
        answer = testsigma.get("/test_plans", params=params)
        assert answer.status_code == 200, answer.text
        return [p["name"] for p in answer.json()["content"]], answer.json()["totalElements"]

    assert names() == (["nightly", "smoke", "nightly, again", "weekly"], 4)
    assert names(query="name:smoke") == (["smoke"], 1)
    assert names(query="name:night") == ([], 0)  # the whole name, as before
    assert names(query="name:smoke,name:weekly") == ([], 0)  # every term holds
    assert names(size="2", page="1") == (["nightly, again", "weekly"], 4)
    assert names(query="name:nightly", size="1", page="1") == ([], 1)
