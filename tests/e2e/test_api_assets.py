"""Suites, plans, environments and plan runs over HTTP."""

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import wait_finished, wait_for
from tests.e2e.test_api_test_cases import assert_problem, unique
from tests.e2e.test_smoke import http_case


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def case(api: httpx.Client, url: str, **extra: Any) -> dict[str, Any]:
    return created(api.post("/test-cases", json=http_case(url, unique(), **extra)))


def failing_case(api: httpx.Client, target_url: str) -> dict[str, Any]:
    steps = [{"name": "wrong", "request": {"url": f"{target_url}/ok"}, "expect": {"status": 404}}]
    return created(
        api.post(
            "/test-cases",
            json={"kind": "http", "name": unique(), "publish": True, "content": {"steps": steps}},
        )
    )


def slow_case(api: httpx.Client, target_url: str) -> dict[str, Any]:
    steps = [
        {"name": "slow", "request": {"url": f"{target_url}/slow?ms=1000"}},
        {"name": "later", "request": {"url": f"{target_url}/slow?ms=1000"}},
    ]
    return created(
        api.post(
            "/test-cases",
            json={"kind": "http", "name": unique(), "publish": True, "content": {"steps": steps}},
        )
    )


def plan_of(api: httpx.Client, *case_ids: str, **extra: Any) -> dict[str, Any]:
    suite = created(api.post("/suites", json={"name": unique("suite"), "test_case_ids": list(case_ids)}))
    return created(api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]], **extra}))


def wait_plan_run(api: httpx.Client, plan_run_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/plan-runs/{plan_run_id}").json()
        return body if body["status"] not in ("QUEUED", "RUNNING") else None

    result: dict[str, Any] = wait_for(done, 30)
    return result


def same_entity(read: dict[str, Any], written: dict[str, Any]) -> bool:
    """Equal but for how timestamps are spelled (test_every_timestamp_carries_a_utc_offset checks those)."""
    stamps = ("created_at", "updated_at")
    return {k: v for k, v in read.items() if k not in stamps} == {
        k: v for k, v in written.items() if k not in stamps
    }


# --- suites ---------------------------------------------------------------------------------


def test_a_suite_is_created_read_changed_listed_and_deleted(api: httpx.Client, target: Any) -> None:
    one, two = case(api, target.url), case(api, target.url)

    suite = created(api.post("/suites", json={"name": unique("suite"), "test_case_ids": [one["id"]]}))
    assert suite["test_case_ids"] == [one["id"]]
    assert same_entity(api.get(f"/suites/{suite['id']}").json(), suite)

    changed = api.patch(
        f"/suites/{suite['id']}", json={"test_case_ids": [two["id"], one["id"]], "description": "d"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["test_case_ids"] == [two["id"], one["id"]]
    assert changed.json()["name"] == suite["name"]
    assert api.get(f"/suites/{suite['name']}").json()["description"] == "d"
    assert [s["id"] for s in api.get("/suites").json()["items"]] == [suite["id"]]

    assert api.delete(f"/suites/{suite['id']}").status_code == 204
    assert_problem(api.get(f"/suites/{suite['id']}"), 404)
    assert api.get("/suites").json()["items"] == []


def test_a_suite_refuses_unknown_or_repeated_test_cases(api: httpx.Client, target: Any) -> None:
    one = case(api, target.url)

    assert_problem(
        api.post("/suites", json={"name": unique(), "test_case_ids": [one["id"], "nope"]}),
        422,
        "test_case_ids[1]",
    )
    assert_problem(
        api.post("/suites", json={"name": unique(), "test_case_ids": [one["id"], one["id"]]}),
        422,
        "test_case_ids",
    )
    assert api.get("/suites").json()["items"] == []


def test_a_second_suite_with_a_taken_name_is_a_409(api: httpx.Client) -> None:
    name = unique("suite")
    created(api.post("/suites", json={"name": name}))

    assert_problem(api.post("/suites", json={"name": name}), 409)


def test_a_suite_used_by_a_plan_cannot_be_deleted(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, case(api, target.url)["id"])

    assert_problem(api.delete(f"/suites/{plan['suite_ids'][0]}"), 409)
    assert api.get(f"/suites/{plan['suite_ids'][0]}").status_code == 200


def test_suites_page_through_each_once(api: httpx.Client) -> None:
    made = {created(api.post("/suites", json={"name": unique("suite")}))["id"] for _ in range(5)}

    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/suites", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [s["id"] for s in page["items"]]
        if not (cursor := page["next_cursor"]):
            break

    assert sorted(seen) == sorted(made)


# --- environments ---------------------------------------------------------------------------


def test_an_environment_is_created_read_changed_and_deleted(api: httpx.Client) -> None:
    env = created(api.post("/environments", json={"name": unique("env"), "variables": {"base": "http://a"}}))
    assert env["variables"] == {"base": "http://a"}

    changed = api.patch(f"/environments/{env['id']}", json={"variables": {"base": "http://b", "n": 2}})
    assert changed.status_code == 200, changed.text
    assert api.get(f"/environments/{env['name']}").json()["variables"] == {"base": "http://b", "n": 2}

    renamed = api.patch(f"/environments/{env['id']}", json={"name": "renamed-" + env["name"]}).json()
    assert renamed["variables"] == {"base": "http://b", "n": 2}

    assert api.delete(f"/environments/{env['id']}").status_code == 204
    assert_problem(api.get(f"/environments/{env['id']}"), 404)


def test_an_environment_variable_with_an_empty_name_is_refused(api: httpx.Client) -> None:
    assert_problem(
        api.post("/environments", json={"name": unique("env"), "variables": {"": 1}}), 422, "variables."
    )


# --- plans ----------------------------------------------------------------------------------


def test_a_plan_is_created_read_changed_and_deleted(api: httpx.Client, target: Any) -> None:
    env = created(api.post("/environments", json={"name": unique("env")}))
    suite = created(
        api.post("/suites", json={"name": unique("suite"), "test_case_ids": [case(api, target.url)["id"]]})
    )

    plan = created(
        api.post(
            "/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]], "environment_id": env["id"]}
        )
    )
    assert (plan["suite_ids"], plan["environment_id"], plan["retries"]) == ([suite["id"]], env["id"], None)
    assert same_entity(api.get(f"/plans/{plan['name']}").json(), plan)

    changed = api.patch(f"/plans/{plan['id']}", json={"retries": 2, "description": "nightly"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["retries"], changed.json()["description"]) == (2, "nightly")
    assert changed.json()["environment_id"] == env["id"]

    assert api.delete(f"/plans/{plan['id']}").status_code == 204
    assert_problem(api.get(f"/plans/{plan['id']}"), 404)
    assert api.delete(f"/suites/{suite['id']}").status_code == 204  # no longer used by a plan


def test_a_plan_refuses_an_unknown_suite_or_environment(api: httpx.Client) -> None:
    assert_problem(
        api.post("/plans", json={"name": unique("plan"), "suite_ids": ["nope"]}), 422, "suite_ids[0]"
    )
    assert_problem(
        api.post("/plans", json={"name": unique("plan"), "environment_id": "nope"}), 422, "environment_id"
    )
    assert_problem(api.post("/plans", json={"name": unique("plan"), "retries": 11}), 422, "retries")
    assert api.get("/plans").json()["items"] == []


# --- plan runs ------------------------------------------------------------------------------


def test_a_plan_run_counts_its_executions_until_all_passed(api: httpx.Client, target: Any) -> None:
    ids = [case(api, target.url)["id"] for _ in range(3)]
    plan = plan_of(api, *ids)

    started = created(api.post("/executions", json={"plan_id": plan["id"]}))

    assert started["plan_run_id"] == started["id"]
    assert sorted(x["test_case_id"] for x in started["executions"]) == sorted(ids)
    assert all(x["plan_run_id"] == started["plan_run_id"] for x in started["executions"])
    run = wait_plan_run(api, started["plan_run_id"])
    assert run["status"] == "PASSED"
    assert run["counts"]["passed"] == 3
    assert run["counts"]["total"] == 3
    assert run["plan_id"] == plan["id"]
    listed = api.get("/executions", params={"plan_run_id": started["plan_run_id"]}).json()["items"]
    assert sorted(x["id"] for x in listed) == sorted(x["id"] for x in started["executions"])
    runs = api.get("/plan-runs", params={"plan_id": plan["id"]}).json()["items"]
    assert [r["id"] for r in runs] == [started["plan_run_id"]]


def test_a_plan_is_started_by_its_name(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, case(api, target.url)["id"])

    started = created(api.post("/executions", json={"plan_id": plan["name"]}))

    assert wait_plan_run(api, started["plan_run_id"])["status"] == "PASSED"


def test_a_plan_with_a_failing_test_case_ends_failed(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, case(api, target.url)["id"], failing_case(api, target.url)["id"])

    started = created(api.post("/executions", json={"plan_id": plan["id"]}))
    run = wait_plan_run(api, started["plan_run_id"])

    assert run["status"] == "FAILED"
    assert (run["counts"]["passed"], run["counts"]["failed"], run["counts"]["total"]) == (1, 1, 2)


def test_a_plan_with_an_unpublished_test_case_starts_nothing(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, case(api, target.url)["id"], case(api, target.url, publish=False)["id"])

    assert_problem(api.post("/executions", json={"plan_id": plan["id"]}), 409)
    assert api.get("/executions").json()["items"] == []
    assert api.get("/plan-runs").json()["items"] == []


def test_a_plan_without_test_cases_cannot_start(api: httpx.Client) -> None:
    suite = created(api.post("/suites", json={"name": unique("suite")}))
    plan = created(api.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]]}))

    assert_problem(api.post("/executions", json={"plan_id": plan["id"]}), 422, "plan_id")


def test_a_plans_environment_and_retries_reach_its_executions(api: httpx.Client, target: Any) -> None:
    env = created(api.post("/environments", json={"name": unique("env"), "variables": {"base": target.url}}))
    steps = [{"name": "echo", "request": {"url": "{{base}}/echo"}, "expect": {"status": 200}}]
    templated = created(
        api.post(
            "/test-cases",
            json={"kind": "http", "name": unique(), "publish": True, "content": {"steps": steps}},
        )
    )
    plan = plan_of(api, templated["id"], environment_id=env["id"], retries=1)

    started = created(api.post("/executions", json={"plan_id": plan["id"]}))
    run = wait_plan_run(api, started["plan_run_id"])

    assert run["status"] == "PASSED"
    assert run["environment_id"] == env["id"]
    assert run["executions"][0]["environment_id"] == env["id"]
    assert run["executions"][0]["max_attempts"] == 2


def test_stopping_a_plan_run_stops_its_executions(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, slow_case(api, target.url)["id"], slow_case(api, target.url)["id"])
    started = created(api.post("/executions", json={"plan_id": plan["id"]}))

    stopping = api.post(f"/plan-runs/{started['plan_run_id']}/stop")

    assert stopping.status_code == 200, stopping.text
    run = wait_plan_run(api, started["plan_run_id"])
    assert run["status"] == "STOPPED"
    assert run["counts"]["stopped"] == 2
    for execution in run["executions"]:
        assert wait_finished(api, execution["id"])["status"] == "STOPPED"


def test_an_unknown_plan_run_is_a_404(api: httpx.Client) -> None:
    assert_problem(api.get(f"/plan-runs/{unique('nothing')}"), 404)
    assert_problem(api.post(f"/plan-runs/{unique('nothing')}/stop"), 404)


@pytest.mark.parametrize("path", ["/suites", "/plans", "/environments", "/plan-runs"])
def test_every_listing_refuses_a_bad_limit(api: httpx.Client, path: str) -> None:
    assert_problem(api.get(path, params={"limit": 0}), 422, "limit")
    assert_problem(api.get(path, params={"limit": 1001}), 422, "limit")
    assert_problem(api.get(path, params={"cursor": "forged"}), 422, "cursor")


TIMESTAMPED = [
    pytest.param("/suites", {"name": "s"}, id="suite"),
    pytest.param("/plans", {"name": "p"}, id="plan"),
    pytest.param("/environments", {"name": "e"}, id="environment"),
    pytest.param("/test-cases", {"kind": "noop", "name": "t", "content": {}}, id="test-case"),
]


@pytest.mark.parametrize(("path", "body"), TIMESTAMPED)
def test_every_timestamp_carries_a_utc_offset_when_read_back(
    api: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    """A timestamp without an offset is ambiguous to every client; the one POST answered with has 'Z'."""
    made = created(api.post(path, json=body))
    read = api.get(f"{path}/{made['id']}").json()

    assert made["created_at"].endswith(("Z", "+00:00")), made["created_at"]
    for stamp in ("created_at", "updated_at"):
        assert read[stamp].endswith(("Z", "+00:00")), f"{stamp}: {read[stamp]}"
        assert datetime.fromisoformat(read[stamp].replace("Z", "+00:00")) == datetime.fromisoformat(
            made[stamp].replace("Z", "+00:00")
        )


def test_execution_timestamps_carry_a_utc_offset(api: httpx.Client, target: Any) -> None:
    started = created(api.post("/executions", json={"test_case_id": case(api, target.url)["id"]}))
    finished = wait_finished(api, started["id"])

    for stamp in ("queued_at", "started_at", "finished_at"):
        assert finished[stamp].endswith(("Z", "+00:00")), f"{stamp}: {finished[stamp]}"


def test_suites_nest_move_and_refuse_cycles(api: httpx.Client, target: Any) -> None:
    parent = created(api.post("/suites", json={"name": unique("parent")}))
    child = created(api.post("/suites", json={"name": unique("child"), "parent_id": parent["id"]}))
    grandchild = created(api.post("/suites", json={"name": unique("grand"), "parent_id": child["id"]}))

    assert_problem(
        api.patch(f"/suites/{parent['id']}", json={"parent_id": grandchild["id"]}), 422, "parent_id"
    )
    assert_problem(api.patch(f"/suites/{child['id']}", json={"parent_id": child["id"]}), 422, "parent_id")
    assert_problem(api.post("/suites", json={"name": unique(), "parent_id": "nope"}), 422, "parent_id")
    renamed = api.patch(f"/suites/{grandchild['id']}", json={"description": "kept in place"}).json()
    assert renamed["parent_id"] == child["id"]
    moved = api.patch(f"/suites/{grandchild['id']}", json={"parent_id": None}).json()
    assert moved["parent_id"] is None


def test_a_suite_whose_inner_suite_a_plan_uses_cannot_be_deleted(api: httpx.Client, target: Any) -> None:
    plan = plan_of(api, case(api, target.url)["id"])
    used = plan["suite_ids"][0]
    parent = created(api.post("/suites", json={"name": unique("outer")}))
    api.patch(f"/suites/{used}", json={"parent_id": parent["id"]})

    refused = assert_problem(api.delete(f"/suites/{parent['id']}"), 409)
    assert used in refused["detail"] and plan["name"] in refused["detail"]
    assert api.get(f"/suites/{used}").status_code == 200
