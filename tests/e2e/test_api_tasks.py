"""/api/v1/tasks: tasks are made and read through the native API."""

from typing import Any

import httpx

from tests.e2e.test_api_assets import case, created
from tests.e2e.test_api_test_cases import assert_problem, unique


def test_a_task_is_created_listed_read_and_deleted(api: httpx.Client, target: Any) -> None:
    one = case(api, target.url, publish=True)
    title = unique("Onboarding")
    task = created(
        api.post(
            "/tasks",
            json={
                "title": title,
                "labels": ["q3"],
                "active_after": "2026-01-01T00:00:00Z",
                "steps": [{"title": "Smoke", "test_case_id": one["id"], "attempt_limit": -1}],
            },
        )
    )

    listed = api.get("/tasks", params={"title": title.lower()}).json()
    shown = api.get(f"/tasks/{task['id']}").json()

    assert listed["total"] == 1 and listed["items"][0]["id"] == task["id"]
    assert shown["steps"][0]["attempt_limit"] == -1 and shown["active_after"].startswith("2026-01-01")
    assert api.delete(f"/tasks/{task['id']}").status_code == 204
    assert api.get(f"/tasks/{task['id']}").status_code == 404


def test_a_bad_task_names_the_field(api: httpx.Client, target: Any) -> None:
    one = case(api, target.url, publish=True)
    step = {"title": "S", "test_case_id": one["id"]}

    assert_problem(
        api.post("/tasks", json={"title": "T", "steps": [{**step, "test_case_id": "nope"}]}),
        422,
        "steps[0].test_case_id",
    )
    assert_problem(
        api.post("/tasks", json={"title": "T", "steps": [{**step, "plan_id": "p"}]}), 422, "steps[0]"
    )
    assert_problem(
        api.post("/tasks", json={"title": "T", "steps": [{**step, "attempt_limit": 0}]}),
        422,
        "steps[0].attempt_limit",
    )
    window = {"active_after": "2026-02-01T00:00:00Z", "active_before": "2026-01-01T00:00:00Z"}
    assert_problem(api.post("/tasks", json={"title": "T", "steps": [step], **window}), 422, "active_before")
    assert api.get("/tasks").json()["total"] == 0


def test_times_without_a_zone_are_refused(api: httpx.Client, target: Any) -> None:
    one = case(api, target.url, publish=True)
    step = {"title": "S", "test_case_id": one["id"]}
    assert_problem(
        api.post("/tasks", json={"title": "T", "steps": [step], "active_after": "2020-01-01T00:00:00"}),
        422,
        "active_after",
    )


def test_a_test_case_or_plan_a_task_uses_cannot_be_deleted(api: httpx.Client, target: Any) -> None:
    one = case(api, target.url, publish=True)
    suite = created(api.post("/suites", json={"name": unique("s"), "test_case_ids": [one["id"]]}))
    plan = created(api.post("/plans", json={"name": unique("p"), "suite_ids": [suite["id"]]}))
    steps = [{"title": "Case", "test_case_id": one["id"]}, {"title": "Plan", "plan_id": plan["id"]}]
    task = created(api.post("/tasks", json={"title": "Keeps its steps", "steps": steps}))

    for path in (f"/test-cases/{one['id']}", f"/plans/{plan['id']}"):
        refused = assert_problem(api.delete(path), 409)
        assert "Keeps its steps" in refused["detail"]
    assert api.delete(f"/tasks/{task['id']}").status_code == 204
    assert api.delete(f"/plans/{plan['id']}").status_code == 204
