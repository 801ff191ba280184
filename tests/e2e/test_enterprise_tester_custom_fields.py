"""Enterprise Tester's custom-field PATCH (the vendor's `Operation` body) on script runs and
scripts, and the relationships an incident raised on a step makes between scripts, script
assignments and incidents."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import assignment, et_client


@pytest.fixture
def et(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with et_client(live, workspace) as client:
        yield client


def patch_of(**values: Any) -> dict[str, Any]:
    return {"update": {"customFields": [{"set": {"name": k, "value": v}} for k, v in values.items()]}}


def new_run(et: httpx.Client, api: httpx.Client) -> dict[str, Any]:
    return dict(
        et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    )


def test_patching_a_run_sets_its_custom_values(et: httpx.Client, api: httpx.Client) -> None:
    run = new_run(et, api)
    et.put(f"/scriptrun/{run['Id']}", json={"FieldValues": {"Build": "41"}})

    patched = et.patch(f"/scriptrun/{run['Id']}", json=patch_of(Build="42", Browser="Firefox"))
    shown = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "FieldValues"}).json()

    assert patched.status_code == 204 and patched.content == b""
    assert shown["FieldValues"] == {"Build": "42", "Browser": "Firefox"}


def test_a_completed_runs_custom_values_are_not_changed(et: httpx.Client, api: httpx.Client) -> None:
    run = new_run(et, api)
    et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True})

    refused = et.patch(f"/scriptrun/{run['Id']}", json=patch_of(Build="43"))

    assert refused.status_code == 403


def test_a_patch_that_is_not_an_operation_is_refused(et: httpx.Client, api: httpx.Client) -> None:
    run = new_run(et, api)

    not_operation = et.patch(f"/scriptrun/{run['Id']}", json={"Build": "1"})
    unnamed = et.patch(
        f"/scriptrun/{run['Id']}", json={"update": {"customFields": [{"set": {"value": "1"}}]}}
    )
    missing = et.patch("/scriptrun/00000000-0000-0000-0000-000000000000", json=patch_of(Build="1"))

    assert not_operation.status_code == 403 and "Operation" in not_operation.json()["Message"]
    assert unnamed.status_code == 403 and "name" in unnamed.json()["Message"]
    assert missing.status_code == 404


def test_patching_a_script_sets_its_custom_values(et: httpx.Client, api: httpx.Client) -> None:
    package = et.post("/scriptpackages", json={"Name": "Login"}).json()["Id"]
    script = et.post(
        "/scripts", json={"Name": "Sign in", "PackageId": package, "Steps": [{"Description": "Sign in"}]}
    ).json()

    patched = et.patch(script["Self"], json=patch_of(Component="Auth"))
    again = et.patch(script["Self"], json=patch_of(Risk="High"))
    not_text = et.patch(script["Self"], json=patch_of(Risk=3))

    assert (patched.status_code, again.status_code) == (204, 204)
    assert et.get(script["Self"]).json()["FieldValues"] == {"Component": "Auth", "Risk": "High"}
    assert not_text.status_code == 403 and "Risk" in not_text.json()["Message"]
    assert et.get(script["Self"]).json()["VersionNumber"] == script["VersionNumber"]  # no new version


def test_an_incident_raised_on_a_step_relates_its_script_and_assignment(
    et: httpx.Client, api: httpx.Client
) -> None:
    run = new_run(et, api)
    step = run["StepResults"][0]["Id"]
    incident = et.post("/incidents", json={"Summary": "Sign-in fails", "PriorityId": "Critical"}).json()
    et.post(f"/stepresult/{step}/incidents", json={"IncidentId": incident["Id"]})

    of_script = et.get(f"/script/{run['ScriptId']}/relationships").json()
    of_assignment = et.get(f"/scriptassignment/{run['AssignmentId']}/relationships").json()
    of_incident = et.get(f"/incident/{incident['Id']}/relationships").json()
    all_of_script = et.get(f"/script/{run['ScriptId']}/allrelationships").json()

    assert (of_script["EntityType"], of_script["EntityId"]) == ("Script", run["ScriptId"])
    assert [(c["EntityType"], c["EntityId"], c["Priority"]) for c in of_script["Children"]] == [
        ("Incident", incident["Id"], "Critical")
    ]
    assert [c["EntityId"] for c in of_assignment["Children"]] == [incident["Id"]]
    assert [(c["EntityType"], c["EntityId"]) for c in of_incident["Children"]] == [
        ("Script", run["ScriptId"]),
        ("ScriptAssignment", run["AssignmentId"]),
    ]
    deeper = all_of_script["Children"][0]["Children"]
    assert [c["EntityType"] for c in deeper] == ["Script", "ScriptAssignment"]


def test_a_script_without_incidents_relates_to_nothing(et: httpx.Client, api: httpx.Client) -> None:
    run = new_run(et, api)

    assert et.get(f"/script/{run['ScriptId']}/relationships").json()["Children"] == []
    assert et.get("/script/00000000-0000-0000-0000-000000000000/relationships").status_code == 404
