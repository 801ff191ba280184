"""Manual runs through the native API: a person walks the steps and records outcomes."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import Workspace, wait_finished

STEPS = [
    {"description": "Open the login page", "expected_result": "The form shows"},
    {"description": "Log in as ann", "data": "ann / pw", "expected_result": "The dashboard shows"},
    {"description": "Log out", "expected_result": "Back on the login page"},
]


def start_manual(api: httpx.Client, name: str = "login by hand") -> str:
    case = api.post(
        "/test-cases", json={"kind": "manual", "name": name, "publish": True, "content": {"steps": STEPS}}
    )
    assert case.status_code == 201, case.text
    started = api.post("/executions", json={"test_case_id": case.json()["id"]}).json()
    assert started["status"] == "RUNNING"
    return str(started["id"])


def test_a_manual_run_is_in_progress_from_its_start_until_it_passes(api: httpx.Client) -> None:
    run = start_manual(api)
    fresh = api.get(f"/executions/{run}/steps").json()
    assert (fresh["status"], fresh["completed"]) == ("In Progress", False)
    assert [s["outcome"] for s in fresh["steps"]] == ["NotRun"] * 3
    assert fresh["steps"][1]["data"] == "ann / pw"

    halfway = api.post(
        f"/executions/{run}/steps",
        json={
            "results": [
                {"step": 1, "outcome": "Passed"},
                {"step": 2, "outcome": "Passed", "actual_result": "dashboard"},
            ]
        },
    ).json()
    done = api.post(f"/executions/{run}/steps", json={"results": [{"step": 3, "outcome": "passed"}]}).json()

    assert (halfway["status"], halfway["completed"]) == ("In Progress", False)
    assert (done["status"], done["completed"], done["execution"]["status"]) == ("Passed", True, "PASSED")
    assert done["steps"][1]["actual_result"] == "dashboard"
    again = api.post(f"/executions/{run}/steps", json={"results": [{"step": 1, "outcome": "Failed"}]})
    assert again.status_code == 409


def test_completing_early_keeps_the_rest_not_run_and_a_failure_decides(api: httpx.Client) -> None:
    run = start_manual(api)
    done = api.post(
        f"/executions/{run}/steps",
        json={"results": [{"step": 1, "outcome": "Failed", "notes": "404 page"}], "complete": True},
    ).json()
    assert (done["status"], done["completed"], done["execution"]["status"]) == ("Failed", True, "FAILED")
    assert [s["outcome"] for s in done["steps"]] == ["Failed", "NotRun", "NotRun"]
    records = api.get(f"/executions/{run}/records").json()["items"]
    assert [r["record"]["step"] for r in records] == [1, 2, 3, 1]  # append-only history
    assert records[0]["observation_id"] == records[3]["observation_id"]  # one id per step result


def test_bad_step_results_name_the_field(api: httpx.Client) -> None:
    run = start_manual(api)
    bad_step = api.post(f"/executions/{run}/steps", json={"results": [{"step": 4, "outcome": "Passed"}]})
    bad_outcome = api.post(f"/executions/{run}/steps", json={"results": [{"step": 1, "outcome": "Warning"}]})
    assert bad_step.json()["errors"][0]["field"] == "results[0].step"
    assert bad_outcome.json()["errors"][0]["field"] == "results[0].outcome"


def test_manual_runs_take_no_worker_slot_and_can_be_stopped(
    api: httpx.Client, target: Any, live: Any
) -> None:
    runs = [
        start_manual(api, f"by hand {i}") for i in range(7)
    ]  # more than the 5 running allowed for workers
    ok = [{"name": "ok", "request": {"url": f"{target.url}/ok"}}]
    case = api.post(
        "/test-cases", json={"kind": "http", "name": "auto", "publish": True, "content": {"steps": ok}}
    )
    automated = api.post("/executions", json={"test_case_id": case.json()["id"]}).json()["id"]
    assert wait_finished(api, automated)["status"] == "PASSED"
    stopped = api.post(f"/executions/{runs[0]}/stop").json()
    assert stopped["status"] == "STOPPED"
    assert live.ctx is not None


def test_a_viewer_cannot_record_steps(workspace: Workspace, api: httpx.Client) -> None:
    run = start_manual(api)
    with workspace.client(Role.VIEWER) as viewer:
        assert viewer.get(f"/executions/{run}/steps").status_code == 200
        assert viewer.post(f"/executions/{run}/steps", json={"results": []}).status_code == 403


def test_concurrent_step_updates_all_land(api: httpx.Client) -> None:
    run = start_manual(api)

    def record(step: int) -> int:
        return api.post(
            f"/executions/{run}/steps", json={"results": [{"step": step, "outcome": "Passed"}]}
        ).status_code

    with ThreadPoolExecutor(3) as pool:
        codes = list(pool.map(record, [1, 2, 3]))
    assert sorted(codes) == [200, 200, 200]
    assert api.get(f"/executions/{run}/steps").json()["status"] == "Passed"


def assign(api: httpx.Client, assignee: str) -> str:
    case = api.post(
        "/test-cases",
        json={"kind": "manual", "name": f"script-{assignee}", "publish": True, "content": {"steps": STEPS}},
    ).json()["id"]
    cycle = api.post("/packages", json={"name": "Release 2"}).json()["id"]
    sprint = api.post("/packages", json={"name": "Sprint 1", "parent_id": cycle}).json()["id"]
    assignment = api.post(
        "/assignments", json={"package_id": sprint, "test_case_id": case, "assignee": assignee}
    )
    assert assignment.status_code == 201, assignment.text
    assert [p["name"] for p in api.get("/packages", params={"parent_id": cycle}).json()["items"]] == [
        "Sprint 1"
    ]
    return str(assignment.json()["id"])


def test_concurrent_starts_of_an_assignment_make_one_incomplete_run(api: httpx.Client) -> None:
    assignment = assign(api, "admin-user")

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: api.post(f"/assignments/{assignment}/runs"), range(10)))

    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    run = answers[0].json()["id"]
    api.post(f"/executions/{run}/steps", json={"results": [], "complete": True})
    second = api.post(f"/assignments/{assignment}/runs")
    assert second.status_code == 201 and second.json()["id"] != run
    assert len(api.get(f"/assignments/{assignment}/runs").json()["items"]) == 2


def test_a_tester_runs_only_assignments_given_to_them(workspace: Workspace, api: httpx.Client) -> None:
    mine = assign(api, "tester-user")  # the tester key's user name
    theirs = assign(api, "someone-else")
    with workspace.client(Role.TESTER) as tester:
        own = tester.post(f"/assignments/{mine}/runs")
        other = tester.post(f"/assignments/{theirs}/runs")
        assert own.status_code == 201 and other.status_code == 403
        manager_run = api.post(f"/assignments/{theirs}/runs").json()["id"]  # admins run any
        refused = tester.post(
            f"/executions/{manager_run}/steps", json={"results": [{"step": 1, "outcome": "Passed"}]}
        )
        assert refused.status_code == 403


def test_a_run_keeps_its_version_when_the_script_changes_mid_run(api: httpx.Client) -> None:
    assignment = assign(api, "admin-user")
    run = api.post(f"/assignments/{assignment}/runs").json()
    case_id = run["test_case_id"]
    api.patch(
        f"/test-cases/{case_id}",
        json={"content": {"steps": [{"description": "Only step now"}]}, "publish": True},
    )

    steps = api.post(
        f"/executions/{run['id']}/steps", json={"results": [{"step": 3, "outcome": "Passed"}]}
    ).json()

    assert run["test_case_version"] == 1 and len(steps["steps"]) == 3
    assert steps["steps"][2]["description"] == "Log out"
    new_run = api.post(f"/assignments/{assignment}/runs")
    assert new_run.status_code == 200  # the open run is still the one to finish


def test_run_fields_must_be_plain_json(api: httpx.Client) -> None:
    run = start_manual(api)
    nan = api.post(
        f"/executions/{run}/steps",
        content=b'{"results": [{"step": 1, "outcome": "Passed"}], "field_values": {"x": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422 and nan.json()["errors"][0]["field"] == "field_values"
    steps = api.get(f"/executions/{run}/steps").json()["steps"]
    assert steps[0]["outcome"] == "NotRun"  # nothing of the refused change was written
