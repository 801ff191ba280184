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


def test_a_manual_run_goes_from_not_run_through_in_progress_to_passed(api: httpx.Client) -> None:
    run = start_manual(api)
    fresh = api.get(f"/executions/{run}/steps").json()
    assert (fresh["status"], fresh["completed"]) == ("Not Run", False)
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
    assert [r["observation_id"] for r in records] == [
        "step-1",
        "step-2",
        "step-3",
        "step-1",
    ]  # append-only history


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
