"""Enterprise Tester: execution packages, script assignments and projects are changed and deleted;
a script's assignments are listed and made on the script."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import et_client

STEPS = [{"Description": "Sign in", "ExpectedResult": "Signed in"}]


@pytest.fixture
def et(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with et_client(live, workspace) as client:
        yield client


def made(et: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = et.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def script(et: httpx.Client) -> str:
    package = made(et, "/scriptpackages", {"Name": f"Login {uuid.uuid4().hex[:6]}"})["Id"]
    name = f"Sign in {uuid.uuid4().hex[:6]}"
    return str(made(et, "/scripts", {"Name": name, "PackageId": package, "Steps": STEPS})["Id"])


def test_an_execution_package_is_renamed_moved_and_deleted_when_empty(et: httpx.Client) -> None:
    cycle = made(et, "/executionpackages", {"Name": "Cycle 1"})
    release = made(et, "/executionpackages", {"Name": "Release 2"})
    assignment = made(et, "/scriptassignments", {"ScriptId": script(et), "PackageId": cycle["Id"]})

    moved = et.put(cycle["Self"], json={"Name": "Cycle 1a", "ParentId": release["Id"]})
    into_itself = et.put(release["Self"], json={"ParentId": cycle["Id"]})
    holding = et.delete(release["Self"])
    et.delete(assignment["Self"])
    emptied = et.delete(release["Self"])

    assert (moved.json()["Name"], moved.json()["ParentId"]) == ("Cycle 1a", release["Id"])
    assert into_itself.status_code == 403 and "ParentId" in into_itself.json()["Message"]
    assert holding.status_code == 403
    assert emptied.status_code == 200
    assert et.get(cycle["Self"]).status_code == 404  # inside the deleted one


def test_a_script_assignment_is_given_to_another_tester_moved_and_deleted_with_its_runs(
    et: httpx.Client,
) -> None:
    first = made(et, "/executionpackages", {"Name": "Cycle 1"})["Id"]
    second = made(et, "/executionpackages", {"Name": "Cycle 2"})["Id"]
    assignment = made(et, "/scriptassignments", {"ScriptId": script(et), "PackageId": first})
    tester = next(u for u in et.get("/users").json()["Items"] if u["UserName"] == "tester-user")
    run = et.post(f"/scriptassignment/{assignment['Id']}/runs").json()

    changed = et.put(assignment["Self"], json={"AssignedToId": tester["Id"], "PackageId": second})
    deleted = et.delete(assignment["Self"])

    assert (changed.json()["AssignedTo"], changed.json()["PackageId"]) == ("tester-user", second)
    assert deleted.status_code == 200
    assert et.get(assignment["Self"]).status_code == 404
    assert et.get(f"/scriptrun/{run['Id']}").status_code == 404


def test_a_scripts_assignments_are_listed_and_made_on_the_script(et: httpx.Client) -> None:
    script_id, other = script(et), script(et)
    package = made(et, "/executionpackages", {"Name": "Cycle 1"})["Id"]
    made(et, "/scriptassignments", {"ScriptId": other, "PackageId": package})

    created = et.post(f"/script/{script_id}/assignments", json={"PackageId": package})
    listed = et.get(f"/script/{script_id}/assignments", params={"$inlinecount": "allpages"}).json()
    no_package = et.post(f"/script/{script_id}/assignments", json={})

    assert created.status_code == 201 and created.json()["ScriptId"] == script_id
    assert [a["Id"] for a in listed["Items"]] == [created.json()["Id"]] and listed["Total"] == 1
    assert no_package.status_code == 403


def test_a_project_is_renamed_and_deleted_when_empty_by_an_admin(
    live: LiveServer, workspace: Workspace
) -> None:
    with et_client(live, workspace) as et, et_client(live, workspace, Role.MANAGER) as manager:
        default = et.get("/projects").json()["Items"][0]
        mobile = made(et, "/projects", {"Name": "Mobile"})
        web = made(et, "/projects", {"Name": "Web"})
        made(et, "/scriptpackages", {"Name": "Screens", "ProjectId": web["Id"]})

        renamed = et.put(mobile["Self"], json={"Name": "Mobile apps"})
        taken = et.put(mobile["Self"], json={"Name": "Web"})
        not_admin = manager.put(mobile["Self"], json={"Name": "Phones"})
        holding = et.delete(web["Self"])
        the_default = et.delete(default["Self"])
        deleted = et.delete(mobile["Self"])
        gone = et.get(mobile["Self"])

    assert renamed.json()["Name"] == "Mobile apps" and taken.status_code == 409
    assert not_admin.status_code == 403
    assert (holding.status_code, the_default.status_code) == (403, 403)
    assert deleted.status_code == 202 and gone.status_code == 404
