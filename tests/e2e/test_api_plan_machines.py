"""Plans run their suites on machines (named targets with variables), with run settings."""

from typing import Any

import httpx

from tests.conftest import wait_for


def echo_case(api: httpx.Client, target: Any, name: str) -> str:
    steps = [{"name": "echo", "request": {"url": f"{target.url}/echo?machine={{{{browser}}}}"}}]
    case = api.post(
        "/test-cases", json={"kind": "http", "name": name, "publish": True, "content": {"steps": steps}}
    )
    assert case.status_code == 201, case.text
    return str(case.json()["id"])


def test_each_machine_runs_its_suites_with_its_own_variables(api: httpx.Client, target: Any) -> None:
    first, second = echo_case(api, target, "first"), echo_case(api, target, "second")
    s1 = api.post("/suites", json={"name": "s1", "test_case_ids": [first]}).json()["id"]
    s2 = api.post("/suites", json={"name": "s2", "test_case_ids": [first, second]}).json()["id"]
    plan = api.post(
        "/plans",
        json={
            "name": "cross-browser",
            "machines": [
                {"name": "chrome", "variables": {"browser": "chrome"}, "suite_ids": [s1]},
                {"name": "firefox", "variables": {"browser": "firefox"}, "suite_ids": [s2]},
            ],
            "settings": {"page_timeout": 45},
        },
    )
    assert plan.status_code == 201, plan.text
    assert plan.json()["settings"]["page_timeout"] == 45
    assert plan.json()["settings"]["screenshot_option"] == "FAILED_STEPS"

    run = api.post("/executions", json={"plan_id": plan.json()["id"]}).json()
    view = wait_for(
        lambda: (r := api.get(f"/plan-runs/{run['plan_run_id']}").json())["status"] == "PASSED" and r
    )

    placed = sorted((x["machine"], x["suite_id"], x["test_case_id"]) for x in view["executions"])
    assert placed == sorted([("chrome", s1, first), ("firefox", s2, first), ("firefox", s2, second)])
    for execution in view["executions"]:
        record = api.get(f"/executions/{execution['id']}/records").json()["items"][0]["record"]
        assert record["request"]["url"].endswith(f"machine={execution['machine']}")


def test_bad_machines_and_settings_are_refused_naming_the_field(api: httpx.Client) -> None:
    two = [{"name": "same"}, {"name": "same"}]
    duplicate = api.post("/plans", json={"name": "p1", "machines": two})
    unknown_suite = api.post(
        "/plans", json={"name": "p2", "machines": [{"name": "m", "suite_ids": ["nope"]}]}
    )
    bad_setting = api.post("/plans", json={"name": "p3", "settings": {"screenshot_option": "SOMETIMES"}})
    unknown_setting = api.post("/plans", json={"name": "p4", "settings": {"colour": "blue"}})

    assert duplicate.json()["errors"][0]["field"] == "machines[1].name"
    assert unknown_suite.json()["errors"][0]["field"] == "machines[0].suite_ids[0]"
    assert bad_setting.json()["errors"][0]["field"] == "settings.screenshot_option"
    assert unknown_setting.json()["errors"][0]["field"] == "settings.colour"
    assert {r.status_code for r in (duplicate, unknown_suite, bad_setting, unknown_setting)} == {422}


def test_a_rerun_of_only_the_failed_tests_links_to_its_parent(api: httpx.Client, target: Any) -> None:
    good = echo_case(api, target, "good")
    bad_steps = [{"name": "teapot", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}}]
    bad = api.post(
        "/test-cases", json={"kind": "http", "name": "bad", "publish": True, "content": {"steps": bad_steps}}
    )
    suite = api.post("/suites", json={"name": "both", "test_case_ids": [good, bad.json()["id"]]}).json()["id"]
    plan = api.post("/plans", json={"name": "mixed", "suite_ids": [suite]}).json()["id"]
    first = api.post("/executions", json={"plan_id": plan, "variables": {"browser": "x"}}).json()
    wait_for(lambda: api.get(f"/plan-runs/{first['plan_run_id']}").json()["status"] == "FAILED")

    rerun = api.post(f"/plan-runs/{first['plan_run_id']}/rerun", json={"scope": "failed_tests"})

    assert rerun.status_code == 201, rerun.text
    body = rerun.json()
    assert (body["parent_id"], body["rerun_type"]) == (first["plan_run_id"], "failed_tests")
    assert [x["test_case_id"] for x in body["executions"]] == [bad.json()["id"]]
    still_running = api.post(f"/plan-runs/{body['id']}/rerun", json={"scope": "all"})
    assert still_running.status_code in (201, 409)
