"""Testsigma's plan-run API, driven over HTTP as the vendor's CI page drives it with curl."""

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, new_workspace, wait_finished


@pytest.fixture
def testsigma(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    token = workspace.keys[Role.ADMIN].token
    with httpx.Client(
        base_url=f"{live.url}/testsigma/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def make_plan(api: httpx.Client, target: Any, *, slow_ms: int = 0, failing: bool = False) -> str:
    """A plan with a data-driven http case (3 iterations) and, optionally, a failing or slow one."""
    steps = [
        {
            "name": "get",
            "request": {"url": f"{target.url}/echo?user={{{{user}}}}&build={{{{build}}}}"},
            "expect": {"status": 200, "body_contains": "{{user}}"},
        }
    ]
    driven = api.post(
        "/test-cases",
        json={
            "kind": "http",
            "name": "login",
            "publish": True,
            "content": {"steps": steps, "variables": {"build": "none"}},
            "data_sets": [{"name": n, "variables": {"user": n}} for n in ("alice", "bob", "carol")],
        },
    ).json()["id"]
    case_ids = [driven]
    if failing:
        bad = [{"name": "teapot", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}}]
        case_ids.append(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "teapot", "publish": True, "content": {"steps": bad}},
            ).json()["id"]
        )
    if slow_ms:
        slow = [
            {"name": f"wait {i}", "request": {"url": f"{target.url}/slow?ms={slow_ms}"}} for i in range(10)
        ]
        case_ids.append(
            api.post(
                "/test-cases",
                json={"kind": "http", "name": "slow", "publish": True, "content": {"steps": slow}},
            ).json()["id"]
        )
    suite = api.post("/suites", json={"name": "regression", "test_case_ids": case_ids}).json()["id"]
    return str(api.post("/plans", json={"name": "nightly", "suite_ids": [suite]}).json()["id"])


def plan_number(testsigma: httpx.Client, name: str = "nightly") -> int:
    plans = testsigma.get("/test_plans").json()["content"]
    return int(next(p["id"] for p in plans if p["name"] == name))


def wait_completed(testsigma: httpx.Client, run_id: int, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        run: dict[str, Any] = testsigma.get(f"/execution_results/{run_id}").json()
        if run["status"] == "STATUS_COMPLETED":
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.1)


def test_trigger_with_environment_and_build_then_poll_until_completed(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target)
    env = testsigma.post(
        "/environments", json={"name": "staging", "variables": [{"key": "build", "value": "from-env"}]}
    ).json()
    triggered = testsigma.post(
        "/execution_results",
        json={
            "executionId": plan_number(testsigma),
            "environmentId": env["id"],
            "buildNo": "1.4.2",
            "runtimeData": {"extra": "x"},
        },
    )

    assert triggered.status_code == 200, triggered.text
    created = triggered.json()
    assert (created["result"], created["status"], created["triggeredType"]) == (
        "QUEUED",
        "STATUS_CREATED",
        "API",
    )
    assert created["message"] == "Test Plan execution is initiated and waiting to be queued"
    assert (created["buildNo"], created["environmentId"], created["totalCount"]) == ("1.4.2", env["id"], 3)
    assert created["executionDetails"]["screenshot_option"] == "FAILED_STEPS"
    assert isinstance(created["id"], int) and isinstance(created["startTime"], int)

    done = wait_completed(testsigma, created["id"])
    assert (done["result"], done["passedCount"], done["failedCount"]) == ("SUCCESS", 3, 0)
    assert done["execution"]["name"] == "nightly"
    assert done["duration"] == done["endTime"] - done["startTime"]


def test_test_case_results_list_the_iterations_of_a_data_driven_case(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target, failing=True)
    run = testsigma.post("/execution_results", json={"executionId": str(plan_number(testsigma))}).json()
    done = wait_completed(testsigma, run["id"])
    results = testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()

    assert (done["result"], results["result"], results["status"]) == (
        "FAILURE",
        "FAILURE",
        "STATUS_COMPLETED",
    )
    by_name = {c["testCaseName"]: c for c in results["testCases"]}
    login, teapot = by_name["login"], by_name["teapot"]
    assert login["isDataDrivenCase"] and login["result"] == "SUCCESS"
    assert [i["setName"] for i in login["iterationResults"]] == ["alice", "bob", "carol"]
    assert {i["result"] for i in login["iterationResults"]} == {"SUCCESS"}
    assert (teapot["isDataDrivenCase"], teapot["result"], teapot["iterationResults"]) == (
        False,
        "FAILURE",
        [],
    )
    assert login["testSuiteName"] == "regression" and login["machineTitle"] == "default"
    assert login["testSuiteResultId"] == teapot["testSuiteResultId"]


def test_a_long_run_is_stopped_and_keeps_what_ran(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target, slow_ms=300)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    time.sleep(0.5)
    not_done = testsigma.get(f"/reports/junit/{run['id']}")

    stopped = testsigma.put(f"/execution_results/{run['id']}", json={"result": "STOPPED"})
    final = wait_completed(testsigma, run["id"])

    assert not_done.status_code == 409 and not_done.json()["error"].startswith("Report generation failed")
    assert stopped.status_code == 200, stopped.text
    assert final["result"] in ("STOPPED", "NOT_EXECUTED") and final["message"] == "User stopped the Test Plan"
    assert final["passedCount"] + final["stoppedCount"] + final["notExecutedCount"] == final["totalCount"]
    again = testsigma.put(f"/execution_results/{run['id']}", json={"result": "STOPPED"})
    assert again.status_code == 400


def test_the_junit_report_of_a_finished_run(testsigma: httpx.Client, api: httpx.Client, target: Any) -> None:
    make_plan(api, target, failing=True)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    wait_completed(testsigma, run["id"])

    report = testsigma.get(f"/reports/junit/{run['id']}", headers={"Accept": "application/xml"})

    assert report.status_code == 200 and report.headers["content-type"].startswith("application/xml")
    suite = ET.fromstring(report.text).find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("4", "1")
    names = sorted(c.get("name") or "" for c in suite.iter("testcase"))
    assert names == ["login [alice]", "login [bob]", "login [carol]", "teapot"]


def test_runs_of_a_plan_are_listed_newest_first_and_filtered(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target, failing=True)
    number = plan_number(testsigma)
    first = testsigma.post("/execution_results", json={"executionId": number, "buildNo": "b1"}).json()
    second = testsigma.post("/execution_results", json={"executionId": number, "buildNo": "b2"}).json()
    wait_completed(testsigma, first["id"]), wait_completed(testsigma, second["id"])

    listed = testsigma.get("/execution_results", params={"query": f"testPlanId:{number}", "size": 1}).json()
    failed = testsigma.get(
        "/execution_results", params={"query": f"testPlanId:{number},result:FAILED"}
    ).json()
    by_build = testsigma.get("/execution_results", params={"query": "buildNo:b1"}).json()

    assert (listed["totalElements"], listed["totalPages"], listed["content"][0]["id"]) == (2, 2, second["id"])
    assert {r["id"] for r in failed["content"]} == {first["id"], second["id"]}
    assert [r["id"] for r in by_build["content"]] == [first["id"]]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "executionId"),
        ({"executionId": "abc"}, 400, "executionId"),
        ({"executionId": 99999999}, 404, None),
        ({"executionId": 1, "uploadVersions": ["chrome"]}, 400, "uploadVersions"),
        ({"executionId": 1, "executionConfig": "weekly"}, 400, "executionConfig"),
    ],
)
def test_bad_triggers_get_the_vendors_error_body(
    testsigma: httpx.Client, body: dict[str, Any], status: int, field: str | None
) -> None:
    answer = testsigma.post("/execution_results", json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert set(error) == {"timeStamp", "error", "code", "fieldErrors", "objectErrors"}
    if field:
        assert error["fieldErrors"][0]["field"] == field


def test_without_a_key_the_answer_is_401_in_the_vendors_shape(live: LiveServer) -> None:
    answer = httpx.get(f"{live.url}/testsigma/api/v1/execution_results/1")
    assert answer.status_code == 401 and "error" in answer.json()


def test_another_workspace_cannot_read_a_run(
    testsigma: httpx.Client, api: httpx.Client, target: Any, live: LiveServer
) -> None:
    make_plan(api, target)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    other = new_workspace(live.ctx, live.url)
    answer = httpx.get(
        f"{live.url}/testsigma/api/v1/execution_results/{run['id']}",
        headers={"Authorization": f"Bearer {other.keys[Role.ADMIN].token}"},
    )
    assert answer.status_code == 404


def test_environments_in_both_shapes(testsigma: httpx.Client) -> None:
    current = testsigma.post(
        "/environments", json={"name": "qa", "variables": [{"key": "url", "value": "http://qa"}]}
    )
    legacy = testsigma.post("/environments", json={"name": "old", "parameters": {"url1": "http://a"}})
    updated = testsigma.put(
        f"/environments/{current.json()['id']}", json={"variables": [{"key": "url", "value": "http://qa2"}]}
    )
    duplicate = testsigma.post("/environments", json={"name": "qa"})

    assert current.status_code == 201 and legacy.status_code == 201
    assert [v["key"] for v in legacy.json()["variables"]] == ["url1"]
    assert updated.json()["variables"][0]["value"] == "http://qa2"
    assert testsigma.get(f"/environments/{current.json()['id']}").json()["name"] == "qa"
    assert duplicate.status_code == 422


def flaky_plan(api: httpx.Client, target: Any, key: str) -> None:
    """A data-driven case whose `bob` iteration fails the first time, and a case that always passes."""
    steps = [
        {
            "name": "get",
            "request": {"url": f"{target.url}/flaky/{key}-{{{{user}}}}?fail={{{{fails}}}}"},
            "expect": {"status": 200},
        }
    ]
    driven = api.post(
        "/test-cases",
        json={
            "kind": "http",
            "name": "login",
            "publish": True,
            "content": {"steps": steps},
            "data_sets": [
                {"name": "alice", "variables": {"user": "alice", "fails": "0"}},
                {"name": "bob", "variables": {"user": "bob", "fails": "1"}},
            ],
        },
    ).json()["id"]
    fine = [{"name": "ok", "request": {"url": f"{target.url}/ok"}}]
    other = api.post(
        "/test-cases", json={"kind": "http", "name": "fine", "publish": True, "content": {"steps": fine}}
    ).json()["id"]
    suite = api.post("/suites", json={"name": "regression", "test_case_ids": [driven, other]}).json()["id"]
    api.post("/plans", json={"name": "nightly", "suite_ids": [suite]})


def test_rerun_only_the_failed_tests(testsigma: httpx.Client, api: httpx.Client, target: Any) -> None:
    flaky_plan(api, target, "rerun-failed")
    number = plan_number(testsigma)
    first = testsigma.post("/execution_results", json={"executionId": number, "buildNo": "7"}).json()
    assert wait_completed(testsigma, first["id"])["result"] == "FAILURE"

    rerun = testsigma.post(
        "/execution_results",
        json={
            "executionId": number,
            "executionResultId": first["id"],
            "isReRun": True,
            "reRunType": "ONLY_FAILED_TESTS",
        },
    )

    assert rerun.status_code == 200, rerun.text
    body = rerun.json()
    assert (body["reRunParentId"], body["reRunType"], body["buildNo"]) == (
        first["id"],
        "ONLY_FAILED_TESTS",
        "7",
    )
    done = wait_completed(testsigma, body["id"])
    results = testsigma.get(f"/execution_results/{body['id']}/test_case_results").json()["testCases"]
    assert [c["testCaseName"] for c in results] == ["login"]  # `fine` passed: not rerun
    assert [i["setName"] for i in results[0]["iterationResults"]] == ["alice", "bob"]  # every iteration
    assert done["result"] == "SUCCESS"  # bob fails only once


def test_rerun_user_picked_failed_iterations(testsigma: httpx.Client, api: httpx.Client, target: Any) -> None:
    flaky_plan(api, target, "rerun-picked")
    number = plan_number(testsigma)
    first = testsigma.post("/execution_results", json={"executionId": number}).json()
    wait_completed(testsigma, first["id"])
    login = next(
        c
        for c in testsigma.get(f"/execution_results/{first['id']}/test_case_results").json()["testCases"]
        if c["testCaseName"] == "login"
    )

    rerun = testsigma.post(
        "/execution_results",
        json={
            "executionResultId": first["id"],
            "isReRun": True,
            "reRunType": "USER_PICKED",
            "testCaseResultRequests": [{"id": login["testCaseResultId"], "iterationReRunType": "FAILED"}],
        },
    ).json()

    wait_completed(testsigma, rerun["id"])
    results = testsigma.get(f"/execution_results/{rerun['id']}/test_case_results").json()["testCases"]
    assert [(c["testCaseName"], [i["setName"] for i in c["iterationResults"]]) for c in results] == [
        ("login", ["bob"])
    ]
    nothing = testsigma.post(
        "/execution_results",
        json={"executionResultId": rerun["id"], "isReRun": True, "reRunType": "ONLY_FAILED_TESTS"},
    )
    assert nothing.status_code == 400 and "nothing" in nothing.json()["error"]


def test_a_partial_run_through_a_saved_config(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    ok = [{"name": "ok", "request": {"url": f"{target.url}/ok"}}]
    cases = {
        name: api.post(
            "/test-cases",
            json={"kind": "http", "name": name, "publish": True, "tags": tags, "content": {"steps": ok}},
        ).json()["id"]
        for name, tags in (("smoke-a", {"assignee": "ann"}), ("smoke-b", {"assignee": "bo"}), ("slow-c", {}))
    }
    smoke = api.post(
        "/suites", json={"name": "smoke", "test_case_ids": [cases["smoke-a"], cases["smoke-b"]]}
    ).json()
    slow = api.post("/suites", json={"name": "slow", "test_case_ids": [cases["slow-c"]]}).json()
    plan = api.post("/plans", json={"name": "nightly", "suite_ids": [smoke["id"], slow["id"]]}).json()["id"]
    skip_slow = api.post(
        f"/plans/{plan}/run-configs",
        json={
            "name": "no slow suite",
            "condition": "EXCLUDED",
            "filters": [{"key": "suite", "values": [slow["id"]], "operation": "NOT_IN"}],
        },
    )
    anns = api.post(
        f"/plans/{plan}/run-configs",
        json={"name": "ann only", "filters": [{"key": "assignee", "values": ["ann"]}]},
    )
    assert skip_slow.status_code == 201 and anns.status_code == 201, skip_slow.text + anns.text

    listed = testsigma.get("/saved_execution_configs", params={"testPlanId": plan_number(testsigma)}).json()
    by_name = {c["name"]: c for c in listed}
    assert by_name["no slow suite"]["executionConfigCondition"] == "EXCLUDED"
    assert '"key":"suiteId"' in by_name["no slow suite"]["query"]

    number = plan_number(testsigma)
    by_config_name = testsigma.post(
        "/execution_results", json={"executionId": number, "executionConfig": {"name": "no slow suite"}}
    ).json()
    by_config_id = testsigma.post(
        "/execution_results",
        json={"executionId": number, "executionConfig": {"id": by_name["ann only"]["id"]}},
    ).json()

    def ran(run: dict[str, Any]) -> list[str]:
        wait_completed(testsigma, run["id"])
        results = testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()["testCases"]
        return sorted(c["testCaseName"] for c in results)

    assert ran(by_config_name) == ["smoke-a", "smoke-b"]
    assert ran(by_config_id) == ["smoke-a"]
    unknown = testsigma.post(
        "/execution_results", json={"executionId": number, "executionConfig": {"name": "nope"}}
    )
    assert unknown.status_code == 404


def test_overriding_results_with_partial_success(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target, failing=True)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    assert wait_completed(testsigma, run["id"])["result"] == "FAILURE"
    teapot = next(
        c
        for c in testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()["testCases"]
        if c["testCaseName"] == "teapot"
    )

    partial = testsigma.put(
        f"/execution_results/{run['id']}/override",
        json=[
            {
                "testCaseResultId": teapot["testCaseResultId"],
                "comment": "known issue JIRA-1",
                "result": "PASSED",
            },
            {"testCaseResultId": 99999999, "comment": "x", "result": "SUCCESS"},
        ],
    )
    all_bad = testsigma.put(
        f"/execution_results/{run['id']}/override",
        json=[{"testCaseResultId": 99999999, "comment": "x", "result": "SUCCESS"}],
    )

    assert partial.status_code == 200, partial.text
    assert partial.json()["message"] == "Overridden the result partially"
    assert partial.json()["errors"] == [
        f"Given test case result id 99999999 is not related to execution run {run['id']}"
    ]
    assert all_bad.status_code == 400 and set(all_bad.json()) >= {"timeStamp", "error", "fieldErrors"}
    after = testsigma.get(f"/execution_results/{run['id']}").json()
    assert (after["result"], after["failedCount"], after["passedCount"]) == ("SUCCESS", 0, 4)


def test_the_native_api_overrides_an_execution_and_keeps_its_records(api: httpx.Client, target: Any) -> None:
    bad = [{"name": "teapot", "request": {"url": f"{target.url}/ok"}, "expect": {"status": 418}}]
    case = api.post(
        "/test-cases", json={"kind": "http", "name": "t", "publish": True, "content": {"steps": bad}}
    )
    execution = api.post("/executions", json={"test_case_id": case.json()["id"]}).json()["id"]
    early = api.post(f"/executions/{execution}/override", json={"status": "PASSED", "comment": "too soon"})
    wait_finished(api, execution)
    overridden = api.post(
        f"/executions/{execution}/override", json={"status": "PASSED", "comment": "flaky infra"}
    )

    assert early.status_code in (200, 409)
    assert overridden.status_code == 200, overridden.text
    body = overridden.json()
    assert (body["status"], body["override"]["status"], body["override"]["comment"]) == (
        "FAILED",
        "PASSED",
        "flaky infra",
    )
    assert body["records"]["failed"] == 1


def test_encrypted_variables_reach_the_test_masked_and_are_never_returned(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    steps = [
        {
            "name": "login",
            "request": {
                "url": f"{target.url}/echo",
                "headers": {"X-Password": "{{password}}", "X-Note": "pw={{password}}"},
            },
            "expect": {"json": {"$.headers.X-Note": "pw=hunter2"}},
        }
    ]
    case = api.post(
        "/test-cases",
        json={"kind": "http", "name": "secret-login", "publish": True, "content": {"steps": steps}},
    ).json()["id"]
    suite = api.post("/suites", json={"name": "s", "test_case_ids": [case]}).json()["id"]
    api.post("/plans", json={"name": "nightly", "suite_ids": [suite]})
    env = testsigma.post(
        "/environments",
        json={
            "name": "prod",
            "variables": [
                {"key": "user", "value": "ann"},
                {"key": "password", "value": "hunter2", "isEncrypted": True},
            ],
        },
    ).json()
    legacy = testsigma.post(
        "/environments", json={"name": "old", "parameters": {"pw": "s3", "url": "u"}, "passwords": ["pw"]}
    ).json()

    run = testsigma.post(
        "/execution_results", json={"executionId": plan_number(testsigma), "environmentId": env["id"]}
    )
    done = wait_completed(testsigma, run.json()["id"])

    assert done["result"] == "SUCCESS"  # the test saw the real value
    shown = {
        v["key"]: (v["value"], v["isEncrypted"])
        for v in testsigma.get(f"/environments/{env['id']}").json()["variables"]
    }
    assert shown == {"user": ("ann", False), "password": ("********", True)}
    assert {v["key"]: v["isEncrypted"] for v in legacy["variables"]} == {"url": False, "pw": True}
    native = api.get(f"/environments/{env['name']}").json()
    assert native["secret_names"] == ["password"] and "password" not in native["variables"]
    execution = api.get("/executions").json()["items"][0]
    record = api.get(f"/executions/{execution['id']}/records").json()["items"][0]["record"]
    assert "hunter2" not in str(record)
    assert record["request"]["headers"]["x-note"] == "pw=***"


def test_upload_versions_are_handed_to_each_machines_tests(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    upload = api.post("/uploads", json={"name": "android-app"}).json()
    v1 = api.post(
        f"/uploads/{upload['id']}/versions",
        params={"name": "2.4.1", "file_name": "app.apk"},
        content=b"APK-2.4.1",
        headers={"Content-Type": "application/vnd.android.package-archive"},
    )
    assert v1.status_code == 201, v1.text
    steps = [
        {
            "name": "install",
            "request": {"url": f"{target.url}/echo?v={{{{upload.version}}}}&sha={{{{upload.sha256}}}}"},
        }
    ]
    case = api.post(
        "/test-cases", json={"kind": "http", "name": "install", "publish": True, "content": {"steps": steps}}
    ).json()["id"]
    suite = api.post("/suites", json={"name": "s", "test_case_ids": [case]}).json()["id"]
    api.post("/plans", json={"name": "nightly", "machines": [{"name": "pixel", "suite_ids": [suite]}]})
    plan = testsigma.get("/test_plans").json()["content"][0]
    machine = plan["testDevices"][0]["id"]
    uploads_page = testsigma.get("/uploads").json()["content"]
    versions = testsigma.get(
        "/upload_versions", params={"query": f"uploadId:{uploads_page[0]['id']}"}
    ).json()["content"]
    assert [v["name"] for v in versions] == ["2.4.1"]

    run = testsigma.post(
        "/execution_results",
        json={"executionId": plan["id"], "uploadVersions": {str(machine): versions[0]["id"]}},
    ).json()
    assert wait_completed(testsigma, run["id"])["result"] == "SUCCESS"
    execution = api.get("/executions").json()["items"][0]
    url = api.get(f"/executions/{execution['id']}/records").json()["items"][0]["record"]["request"]["url"]
    assert "v=2.4.1" in url and f"sha={v1.json()['sha256']}" in url
    downloaded = api.get(f"/upload-versions/{v1.json()['id']}/content")
    assert downloaded.content == b"APK-2.4.1"

    wrong_machine = testsigma.post(
        "/execution_results", json={"executionId": plan["id"], "uploadVersions": {"999999": 1}}
    )
    wrong_version = testsigma.post(
        "/execution_results", json={"executionId": plan["id"], "uploadVersions": {str(machine): 99999999}}
    )
    assert (
        wrong_machine.status_code == 400
        and wrong_machine.json()["fieldErrors"][0]["field"] == "uploadVersions.999999"
    )
    assert wrong_version.status_code == 400 and "no upload version" in wrong_version.json()["error"]


def test_an_environment_read_back_and_written_back_keeps_its_secret(
    testsigma: httpx.Client, api: httpx.Client
) -> None:
    env = testsigma.post(
        "/environments",
        json={
            "name": "prod",
            "variables": [
                {"key": "host", "value": "h"},
                {"key": "password", "value": "s3cr3t", "isEncrypted": True},
            ],
        },
    ).json()
    read = testsigma.get(f"/environments/{env['id']}").json()

    round_trip = testsigma.put(f"/environments/{env['id']}", json={"variables": read["variables"]})
    plain_only = testsigma.put(
        f"/environments/{env['id']}", json={"variables": [{"key": "host", "value": "h2"}]}
    )

    assert round_trip.status_code == 200 and plain_only.status_code == 200
    ctx_env = api.get("/environments/prod").json()
    assert ctx_env["secret_names"] == ["password"] and ctx_env["variables"] == {"host": "h2"}


def test_odd_inputs_are_4xx_in_the_vendors_shape(testsigma: httpx.Client) -> None:
    answers = [
        testsigma.post("/execution_results", json={"executionId": 1, "executionConfig": {"id": None}}),
        testsigma.get("/test_plans", params={"query": "foo"}),
        testsigma.post("/environments", json={"name": "e", "parameters": {}, "passwords": [{}]}),
        testsigma.get("/execution_results/99999999999999999999999"),
        testsigma.post(
            "/execution_results",
            json={
                "executionResultId": 1,
                "isReRun": True,
                "reRunType": "USER_PICKED",
                "testCaseResultRequests": [{"id": 1, "iterationResultIds": 5}],
            },
        ),
    ]
    assert [a.status_code // 100 for a in answers] == [4, 4, 4, 4, 4], [a.text for a in answers]
    assert all("error" in a.json() for a in answers)


def test_numbers_of_another_workspace_do_not_resolve(
    testsigma: httpx.Client, api: httpx.Client, target: Any, live: LiveServer
) -> None:
    make_plan(api, target)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    other = new_workspace(live.ctx, live.url)
    answer = httpx.get(
        f"{live.url}/testsigma/api/v1/execution_results/{run['id']}",
        headers={"Authorization": f"Bearer {other.keys[Role.ADMIN].token}"},
    )
    assert answer.status_code == 404 and answer.json()["error"] == f"No plan run with id {run['id']}"


def test_a_stop_answers_stopped_at_once(testsigma: httpx.Client, api: httpx.Client, target: Any) -> None:
    make_plan(api, target, slow_ms=300)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    time.sleep(0.4)
    stopped = testsigma.put(f"/execution_results/{run['id']}", json={"result": "STOPPED"}).json()
    assert (stopped["status"], stopped["message"]) == ("STATUS_COMPLETED", "User stopped the Test Plan")
    assert stopped["result"] in ("STOPPED", "NOT_EXECUTED") and stopped["endTime"] is not None
    wait_completed(testsigma, run["id"])


def test_rerunning_failed_tests_respects_overrides(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    make_plan(api, target, failing=True)
    run = testsigma.post("/execution_results", json={"executionId": plan_number(testsigma)}).json()
    wait_completed(testsigma, run["id"])
    teapot = next(
        c
        for c in testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()["testCases"]
        if c["testCaseName"] == "teapot"
    )
    testsigma.put(
        f"/execution_results/{run['id']}/override",
        json=[{"testCaseResultId": teapot["testCaseResultId"], "comment": "known", "result": "SUCCESS"}],
    )

    rerun = testsigma.post(
        "/execution_results",
        json={"executionResultId": run["id"], "isReRun": True, "reRunType": "ONLY_FAILED_TESTS"},
    )
    assert rerun.status_code == 400 and "nothing" in rerun.json()["error"]


def test_a_deleted_plan_and_test_case_still_show_in_their_old_runs(
    testsigma: httpx.Client, api: httpx.Client, target: Any
) -> None:
    plan_id = make_plan(api, target)
    run = testsigma.post("/execution_results", json={"executionId": str(plan_number(testsigma))}).json()
    wait_completed(testsigma, run["id"])
    (plan_run,) = api.get("/plan-runs").json()["items"]
    cases = {x["test_case_id"] for x in api.get(f"/plan-runs/{plan_run['id']}").json()["executions"]}
    plan_suite = api.get(f"/plans/{plan_id}").json()["suite_ids"][0]

    assert api.delete(f"/plans/{plan_id}").status_code == 204
    for case_id in cases:
        assert api.delete(f"/test-cases/{case_id}").status_code == 204

    status = testsigma.get(f"/execution_results/{run['id']}").json()
    results = testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()["testCases"]
    assert status["execution"]["name"] == "nightly"  # a deleted plan keeps its name in its runs
    assert results and {r["testCaseName"] for r in results} == {"login"}
    assert api.delete(f"/suites/{plan_suite}").status_code == 204  # no live plan uses it now
    again = testsigma.get(f"/execution_results/{run['id']}/test_case_results")
    assert again.status_code == 200 and len(again.json()["testCases"]) == len(results)
