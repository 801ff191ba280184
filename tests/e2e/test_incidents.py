"""Incidents: a tester who fails a step raises an incident linked to the step result, lists and
updates it; natively at /api/v1/incidents and through Enterprise Tester's incident resources."""

from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import assignment, et_client


@pytest.fixture
def et(live: LiveServer, workspace: Workspace) -> Any:
    with et_client(live, workspace, Role.TESTER) as client:
        yield client


def failed_step(et: httpx.Client, api: httpx.Client) -> tuple[str, str]:
    """A run of the tester's, its first step failed: (run id, step result id)."""
    run = et.post(
        f"/scriptassignment/{assignment(api, 'tester-user')}/runs", params={"$expand": "StepResults"}
    ).json()
    step = run["StepResults"][0]["Id"]
    et.put(f"/scriptrun/{run['Id']}", json={"StepResults": [{"Id": step, "Outcome": "Failed"}]})
    return run["Id"], step


def picklist(et: httpx.Client, kind: str) -> dict[str, str]:
    project = et.get("/projects").json()["Items"][0]["Id"]
    return {p["Text"]: p["Id"] for p in et.get(f"/project/{project}/picklist/{kind}").json()["Items"]}


def test_a_tester_raises_an_incident_on_a_failed_step_and_resolves_it(
    et: httpx.Client, api: httpx.Client
) -> None:
    run, step = failed_step(et, api)
    tester = next(u for u in et.get("/users").json()["Items"] if u["UserName"] == "tester-user")
    priorities, statuses = picklist(et, "Priorities"), picklist(et, "IncidentStatuses")

    raised = et.post(
        "/incidents",
        json={
            "Summary": "Sign-in button does nothing",
            "Description": "Clicking it leaves the form as it was",
            "PriorityId": priorities["Critical"],
            "AssignedToId": tester["Id"],
        },
    )
    incident = raised.json()
    linked = et.post(f"/stepresult/{step}/incidents", json={"IncidentId": incident["Id"]})
    again = et.post(f"/stepresult/{step}/incidents", json={"IncidentId": incident["Id"]})
    shown_step = et.get(f"/stepresult/{step}", params={"$expand": "Incidents"}).json()
    shown_run = et.get(f"/scriptrun/{run}", params={"$expand": "StepResults"}).json()
    resolved = et.put(
        incident["Self"],
        json={"StatusId": statuses["Resolved"], "ResolutionId": picklist(et, "IncidentResolutions")["Fixed"]},
        params={"$expand": "Status,Resolution"},
    )

    assert raised.status_code == 200, raised.text  # the vendor answers a created incident with 200
    assert (incident["IncidentNumber"], incident["PriorityId"], incident["AssignedTo"]) == (
        1,
        priorities["Critical"],
        "tester-user",
    )
    assert incident["StatusId"] == statuses["Open"] and incident["CreatedBy"] == "tester-user"
    assert (linked.status_code, again.status_code) == (201, 200)
    assert shown_step["HasIncidents"] is True
    assert shown_step["Incidents"] == [linked.json()] and linked.json()["IncidentId"] == incident["Id"]
    assert [s["HasIncidents"] for s in shown_run["StepResults"]] == [True, False]
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["Status"]["Text"], resolved.json()["Resolution"]["Text"]) == ("Resolved", "Fixed")
    assert resolved.json()["VersionNumber"] == 2


def test_incidents_are_searched_with_tql_and_unlinked(et: httpx.Client, api: httpx.Client) -> None:
    _run, step = failed_step(et, api)
    first = et.post("/incidents", json={"Summary": "Typo on the login page"}).json()
    second = et.post("/incidents", json={"Summary": "Crash on sign out", "PriorityId": "Blocker"}).json()
    et.post(f"/stepresult/{step}/incidents", json={"IncidentId": second["Id"]})

    blockers = et.get("/incidents", params={"tql": "Priority = Blocker", "$inlinecount": "allpages"}).json()
    listed = et.get(f"/stepresult/{step}/incidents").json()["Items"]
    one = et.get(f"/stepresult/{step}/incident/{second['Id']}")
    unlinked = et.delete(f"/stepresult/{step}/incident/{second['Id']}")
    after = et.get(f"/stepresult/{step}").json()

    assert [i["Id"] for i in blockers["Items"]] == [second["Id"]] and blockers["Total"] == 1
    assert [x["IncidentId"] for x in listed] == [second["Id"]] and one.status_code == 200
    assert unlinked.status_code == 200 and after["HasIncidents"] is False
    assert et.get(f"/stepresult/{step}/incident/{second['Id']}").status_code == 404
    assert first["IncidentNumber"] + 1 == second["IncidentNumber"]


def test_bad_incident_input_is_refused_with_the_vendors_403_naming_the_property(et: httpx.Client) -> None:
    no_summary = et.post("/incidents", json={"Description": "what happened"})
    bad_status = et.post("/incidents", json={"Summary": "x", "StatusId": "Sideways"})
    made = et.post("/incidents", json={"Summary": "x"}).json()
    closed_without = et.put(made["Self"], json={"StatusId": "Closed"})
    bad_user = et.put(made["Self"], json={"AssignedToId": "00000000-0000-0000-0000-000000000000"})

    assert no_summary.status_code == 403 and "Summary" in no_summary.json()["Message"]
    assert bad_status.status_code == 403 and "StatusId" in bad_status.json()["Message"]
    assert closed_without.status_code == 403 and "ResolutionId" in closed_without.json()["Message"]
    assert bad_user.status_code == 403 and "AssignedToId" in bad_user.json()["Message"]


def test_custom_fields_are_set_with_the_vendors_patch_operation(et: httpx.Client) -> None:
    made = et.post(
        "/incidents", json={"Summary": "Slow search", "FieldValues": {"Browser": "Firefox"}}
    ).json()

    patched = et.patch(
        made["Self"], json={"update": {"customFields": [{"set": {"name": "Severity", "value": "2"}}]}}
    )
    empty = et.patch(made["Self"], json={"update": {}})

    assert patched.status_code == 204
    assert et.get(made["Self"]).json()["FieldValues"] == {"Browser": "Firefox", "Severity": "2"}
    assert empty.status_code == 403


def test_the_incident_picklists_are_served_under_the_vendors_names(et: httpx.Client) -> None:
    types = picklist(et, "IncidentTypes")
    project = et.get("/projects").json()["Items"][0]["Id"]

    assert list(types) == ["Bug", "Improvement", "New Feature", "Task"]
    assert list(picklist(et, "IncidentResolutions")) == [
        "Fixed",
        "Won't Fix",
        "Duplicate",
        "Incomplete",
        "Cannot Reproduce",
    ]
    assert et.get(f"/project/{project}/picklist/Colours").status_code == 404


def test_native_incidents_are_raised_linked_listed_and_deleted_by_role(
    workspace: Workspace, api: httpx.Client
) -> None:
    with workspace.client(Role.TESTER) as tester, workspace.client(Role.VIEWER) as viewer:
        with et_client_for(workspace) as et:
            _run, step = failed_step(et, api)
        raised = tester.post("/incidents", json={"summary": "Login loops", "step_result_ids": [step]})
        incident = raised.json()
        changed = tester.patch(
            f"/incidents/{incident['id']}", json={"status": "Closed", "resolution": "Duplicate"}
        )
        relinked = tester.put(f"/incidents/{incident['id']}/step-results/{step}")
        closed = viewer.get("/incidents", params={"status": "closed"}).json()["items"]
        refused = tester.delete(f"/incidents/{incident['id']}")
        bad = tester.post("/incidents", json={"summary": "x", "priority": "Urgent"})
        read_only = viewer.post("/incidents", json={"summary": "x"})
    deleted = api.delete(f"/incidents/{incident['id']}")

    assert raised.status_code == 201, raised.text
    assert (incident["number"], incident["status"], incident["step_result_ids"]) == (1, "Open", [step])
    assert (changed.json()["status"], changed.json()["resolution"]) == ("Closed", "Duplicate")
    assert relinked.status_code == 200  # already linked
    assert [i["id"] for i in closed] == [incident["id"]]
    assert refused.status_code == 403 and read_only.status_code == 403
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "priority"
    assert deleted.status_code == 204 and api.get(f"/incidents/{incident['id']}").status_code == 404
    assert api.get("/incident-picklists").json()["status"] == [
        "Open",
        "In Progress",
        "Reopened",
        "Resolved",
        "Closed",
    ]


def et_client_for(workspace: Workspace) -> httpx.Client:
    key = workspace.keys[Role.TESTER]
    return httpx.Client(
        base_url=f"{workspace.url}/enterprise-tester/api",
        auth=(key.access_key_id, key.secret_access_key),
        timeout=30,
    )


def test_native_incident_comments_are_added_and_listed_oldest_first(
    workspace: Workspace, api: httpx.Client
) -> None:
    incident = api.post("/incidents", json={"summary": "Slow search"}).json()
    with workspace.client(Role.TESTER) as tester, workspace.client(Role.VIEWER) as viewer:
        first = tester.post(f"/incidents/{incident['id']}/comments", json={"body": "Takes 9 s"})
        tester.post(f"/incidents/{incident['id']}/comments", json={"body": "Only with filters"})
        refused = viewer.post(f"/incidents/{incident['id']}/comments", json={"body": "me too"})
        listed = viewer.get(f"/incidents/{incident['id']}/comments").json()["items"]
    empty = api.post(f"/incidents/{incident['id']}/comments", json={"body": ""})

    assert first.status_code == 201 and first.json()["created_by"] == "tester-user"
    assert [c["body"] for c in listed] == ["Takes 9 s", "Only with filters"]
    assert refused.status_code == 403 and empty.status_code == 422
