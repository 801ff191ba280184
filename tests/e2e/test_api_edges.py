"""Edges a reviewer found: none of these may be a 500 or lose data silently."""

from typing import Any

import httpx

from tests.conftest import LiveServer, wait_finished
from tests.e2e.test_smoke import http_case


def test_a_plan_with_a_run_in_progress_cannot_be_deleted(api: httpx.Client, target: Any) -> None:
    slow = http_case(target.url, name="slow")
    slow["content"]["steps"][0]["request"]["url"] = f"{target.url}/slow?ms=1500"
    case = api.post("/test-cases", json=slow).json()["id"]
    suite = api.post("/suites", json={"name": "s", "test_case_ids": [case]}).json()["id"]
    plan = api.post("/plans", json={"name": "p", "suite_ids": [suite]}).json()["id"]
    run = api.post("/executions", json={"plan_id": plan}).json()

    refused = api.delete(f"/plans/{plan}")

    assert refused.status_code == 409
    assert api.get(f"/plan-runs/{run['plan_run_id']}").status_code == 200
    api.post(f"/plan-runs/{run['plan_run_id']}/stop")


def test_time_filters_take_naive_times_as_utc_and_refuse_impossible_ones(api: httpx.Client) -> None:
    naive = api.get("/executions", params={"since": "2024-01-01T00:00:00"})
    impossible = api.get("/executions", params={"until": "0001-01-01T00:00:00+14:00"})
    assert naive.status_code == 200
    assert impossible.status_code == 422 and impossible.json()["errors"][0]["field"] == "until"


def test_a_bundle_naming_a_test_case_twice_is_refused_naming_the_second(
    api: httpx.Client, target: Any
) -> None:
    case = {"name": "z", "kind": "noop", "content": {}}
    refused = api.post("/apply", json={"test_cases": [case, case]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "test_cases[1].name"
    assert api.get("/test-cases").json()["items"] == []


def test_deleting_a_test_case_that_ran_keeps_its_history(api: httpx.Client, target: Any) -> None:
    ran = api.post("/test-cases", json=http_case(target.url, "history")).json()
    never = api.post("/test-cases", json=http_case(target.url, "never run")).json()
    suite = api.post(
        "/suites", json={"name": "with history", "test_case_ids": [ran["id"], never["id"]]}
    ).json()
    execution = api.post("/executions", json={"test_case_id": ran["id"]}).json()["id"]
    wait_finished(api, execution)

    assert api.delete(f"/test-cases/{ran['id']}").status_code == 204
    assert api.delete(f"/test-cases/{never['id']}").status_code == 204

    kept = api.get(f"/executions/{execution}")
    records = api.get(f"/executions/{execution}/records").json()["items"]
    assert kept.status_code == 200 and kept.json()["status"] == "PASSED" and kept.json()["score"] is not None
    assert [r["observation_id"] for r in records] == ["get ok"]
    assert api.get(f"/test-cases/{ran['id']}").status_code == 404
    assert api.get("/test-cases/history").status_code == 404
    assert [c["name"] for c in api.get("/test-cases").json()["items"]] == []
    again = api.post("/test-cases", json=http_case(target.url, "history"))
    assert again.status_code == 201  # the name is free again
    refused = api.post("/executions", json={"test_case_id": ran["id"]})
    assert refused.status_code == 404
    assert api.patch(f"/suites/{suite['id']}", json={"test_case_ids": [ran["id"]]}).status_code == 422


def test_deleting_a_plan_that_ran_keeps_its_runs(api: httpx.Client, target: Any) -> None:
    case = api.post("/test-cases", json=http_case(target.url, "in a plan")).json()
    suite = api.post("/suites", json={"name": "kept suite", "test_case_ids": [case["id"]]}).json()
    plan = api.post("/plans", json={"name": "nightly", "suite_ids": [suite["id"]]}).json()
    run = api.post("/executions", json={"plan_id": plan["id"]}).json()
    wait_finished(api, run["executions"][0]["id"])

    assert api.delete(f"/plans/{plan['id']}").status_code == 204

    kept = api.get(f"/plan-runs/{run['plan_run_id']}")
    assert kept.status_code == 200 and kept.json()["status"] == "PASSED"
    assert api.get(f"/executions/{run['executions'][0]['id']}").status_code == 200
    assert api.get(f"/plans/{plan['id']}").status_code == 404
    assert api.get("/plans").json()["items"] == []
    assert api.post("/executions", json={"plan_id": plan["id"]}).status_code == 404
    assert api.post(f"/plan-runs/{run['plan_run_id']}/rerun", json={"scope": "all"}).status_code == 404
    assert api.post("/plans", json={"name": "nightly", "suite_ids": [suite["id"]]}).status_code == 201
    assert api.delete(f"/suites/{suite['id']}").status_code == 409  # the new plan uses it


def test_a_nul_character_is_bad_input_where_the_database_cannot_store_it(
    api: httpx.Client, live: LiveServer
) -> None:
    answer = api.post("/suites", json={"name": "a\u0000b"})
    listed = api.get("/test-cases", params={"name_contains": "x\u0000"})

    if live.ctx.db.is_sqlite:  # SQLite stores it
        assert answer.status_code == 201 and listed.status_code == 200
    else:  # PostgreSQL cannot: a 422 that says so, not a 500
        assert answer.status_code == 422 and "NUL" in answer.json()["errors"][0]["rule"]
        assert listed.status_code == 422


def test_a_name_can_be_retired_twice_and_a_deleted_case_leaves_its_suites_and_unrun_assignments(
    api: httpx.Client, target: Any
) -> None:
    for _ in range(2):  # the same name, run and deleted twice: both kept, no clash
        case = api.post("/test-cases", json=http_case(target.url, "twice")).json()
        wait_finished(api, api.post("/executions", json={"test_case_id": case["id"]}).json()["id"])
        assert api.delete(f"/test-cases/{case['id']}").status_code == 204
    manual = {
        "kind": "manual",
        "name": "by hand",
        "publish": True,
        "content": {"steps": [{"description": "x"}]},
    }
    script = api.post("/test-cases", json=manual).json()
    keep = api.post("/test-cases", json=http_case(target.url, "kept")).json()
    suite = api.post("/suites", json={"name": "both", "test_case_ids": [script["id"], keep["id"]]}).json()
    package = api.post("/packages", json={"name": "cycle"}).json()
    ran = api.post(
        "/assignments", json={"package_id": package["id"], "test_case_id": script["id"], "assignee": "x"}
    ).json()
    unrun = api.post(
        "/assignments", json={"package_id": package["id"], "test_case_id": script["id"], "assignee": "y"}
    ).json()
    run = api.post(f"/assignments/{ran['id']}/runs").json()["id"]
    api.post(f"/executions/{run}/steps", json={"results": [{"step": 1, "outcome": "Passed"}]})  # completes it

    assert api.delete(f"/test-cases/{script['id']}").status_code == 204

    assert api.get(f"/suites/{suite['id']}").json()["test_case_ids"] == [keep["id"]]
    assert api.patch(f"/suites/{suite['id']}", json={"test_case_ids": [keep["id"]]}).status_code == 200
    assert api.get(f"/assignments/{ran['id']}").status_code == 200
    assert api.get(f"/assignments/{unrun['id']}").status_code == 404
