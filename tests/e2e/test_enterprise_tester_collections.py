"""Enterprise Tester: the run's own fields, nested script packages, projects, and every
collection the vendor searches with OData or TQL, over HTTP."""

from typing import Any

import httpx

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import assignment, et, et_client

__all__ = ["et"]  # the fixture


def items(page: httpx.Response, key: str = "Name") -> list[Any]:
    assert page.status_code == 200, page.text
    return [item[key] for item in page.json()["Items"]]


def test_a_run_keeps_its_duration_field_values_and_widget_values(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    run = et.post(
        f"/scriptassignment/{assignment_id}/runs",
        params={"$expand": "StepResults"},
        json={"FieldValues": {"Browser": "Firefox"}, "WidgetValues": {"Build": "1.2"}},
    ).json()
    first = run["StepResults"][0]["Id"]
    updated = et.put(
        f"/scriptrun/{run['Id']}",
        json={"ActualDuration": "5 minutes", "FieldValues": {"OS": "Linux"}},
    ).json()
    shown = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "FieldValues,Widgets"}).json()
    native = api.get(f"/executions/{run['Id']}/steps").json()

    assert updated["ActualDuration"] == "5 minutes"
    assert shown["FieldValues"] == {"Browser": "Firefox", "OS": "Linux"}
    assert shown["Widgets"] == [{"Name": "Build", "Label": "Build", "Value": "1.2"}]  # the vendor's array
    assert shown["Expands"] == ["Assignment", "StepResults"]
    assert (native["actual_duration"], native["field_values"]["OS"]) == ("5 minutes", "Linux")

    too_long = et.put(
        f"/scriptrun/{run['Id']}",
        json={"ActualDuration": "x" * 101, "StepResults": [{"Id": first, "Outcome": "Passed"}]},
    )
    not_an_object = et.post(f"/scriptassignment/{assignment_id}/runs", json={"FieldValues": ["a"]})
    assert too_long.status_code == 403 and "ActualDuration" in too_long.json()["Message"]
    assert not_an_object.status_code == 403 and "FieldValues" in not_an_object.json()["Message"]
    after = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "StepResults"}).json()
    assert after["StepResults"][0]["Outcome"] == "NotRun" and after["ActualDuration"] == "5 minutes"


def test_embedded_step_results_say_whether_they_have_attachments(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    first, second = (s["Id"] for s in run["StepResults"])
    et.post(f"/stepresult/{second}/attachments", files={"file": ("log.txt", b"log", "text/plain")})

    embedded = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "StepResults"}).json()["StepResults"]
    assert [(s["Id"], s["HasAttachments"]) for s in embedded] == [(first, False), (second, True)]


def test_step_attachments_take_odata_options(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    step = run["StepResults"][0]["Id"]
    for name, media in (("a.txt", "text/plain"), ("b.png", "image/png"), ("c.txt", "text/plain")):
        et.post(f"/stepresult/{step}/attachments", files={"file": (name, b"data", media)})

    texts = et.get(
        f"/stepresult/{step}/attachments",
        params={
            "$filter": "ContentType eq 'text/plain'",
            "$orderby": "Name desc",
            "$inlinecount": "allpages",
        },
    )
    paged = et.get(f"/stepresult/{step}/attachments", params={"$orderby": "Name", "$skip": 1, "$top": 1})

    assert items(texts) == ["c.txt", "a.txt"] and texts.json()["Total"] == 2
    assert items(paged) == ["b.png"]


def test_script_packages_nest_and_their_children_take_odata(et: httpx.Client) -> None:
    root = et.post("/scriptpackages", json={"Name": "Web"}).json()
    for name in ("Login", "Search", "Checkout"):
        made = et.post("/scriptpackages", json={"Name": name, "ParentId": root["Id"]})
        assert made.status_code == 201 and made.json()["ParentId"] == root["Id"]
    login = next(p for p in et.get("/scriptpackages").json()["Items"] if p["Name"] == "Login")
    deep = et.post("/scriptpackages", json={"Name": "Login errors", "ParentId": login["Id"]}).json()

    children = et.get(
        f"/scriptpackage/{root['Id']}/children",
        params={"$filter": "Name ne 'Search'", "$orderby": "Name desc", "$inlinecount": "allpages"},
    )
    expanded = et.get(f"/scriptpackage/{login['Id']}", params={"$expand": "Parent,Children"}).json()
    cycle = et.put(f"/scriptpackage/{root['Id']}", json={"ParentId": deep["Id"]})
    unknown = et.post(
        "/scriptpackages", json={"Name": "Lost", "ParentId": "00000000-0000-0000-0000-000000000000"}
    )
    moved = et.put(f"/scriptpackage/{deep['Id']}", json={"ParentId": None, "Name": "Errors"}).json()

    assert items(children) == ["Login", "Checkout"] and children.json()["Total"] == 2
    assert expanded["Parent"]["Name"] == "Web" and [c["Name"] for c in expanded["Children"]] == [
        "Login errors"
    ]
    assert expanded["Expands"] == []
    assert cycle.status_code == 403 and "ParentId" in cycle.json()["Message"]
    assert unknown.status_code == 403 and "ParentId" in unknown.json()["Message"]
    assert (moved["ParentId"], moved["Name"]) == (None, "Errors")
    assert et.delete(f"/scriptpackage/{root['Id']}").status_code == 200
    assert et.get(f"/scriptpackage/{login['Id']}").status_code == 404  # went with its parent
    assert items(et.get("/scriptpackages")) == ["Errors"]


def test_projects_are_made_listed_and_hold_packages(
    et: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    default = et.get("/projects").json()["Items"][0]
    made = et.post("/projects", json={"Name": "Mobile"})
    mobile = made.json()
    again = et.post("/projects", json={"Name": "Mobile"})
    listed = et.get("/projects", params={"$orderby": "Name", "$inlinecount": "allpages"}).json()
    named = et.get("/projects", params={"$filter": "Name eq 'Mobile'"}).json()
    scripts = et.post("/scriptpackages", json={"Name": "Screens", "ProjectId": mobile["Id"]}).json()
    inner = et.post("/scriptpackages", json={"Name": "Login screen", "ParentId": scripts["Id"]}).json()
    cycle = et.post("/executionpackages", json={"Name": "Sprint 1", "ProjectId": mobile["Id"]}).json()
    elsewhere = et.post("/executionpackages", json={"Name": "Web sprint"}).json()
    in_mobile = et.get("/executionpackages", params={"tql": f'ProjectId = "{mobile["Id"]}"'})
    wrong = et.post(
        "/scriptpackages", json={"Name": "X", "ProjectId": "00000000-0000-0000-0000-000000000000"}
    )
    with et_client(live, workspace, Role.TESTER) as tester:
        not_admin = tester.post("/projects", json={"Name": "Mine"})

    assert default["Id"] == workspace.id
    assert made.status_code == 201 and made.headers["Location"] == mobile["Self"]
    assert again.status_code == 409 and "Mobile" in again.json()["Message"]
    assert listed["Total"] == 2 and "Mobile" in [p["Name"] for p in listed["Items"]]
    assert [p["Id"] for p in named["Items"]] == [mobile["Id"]]
    assert et.get(f"/project/{mobile['Id']}").json()["Name"] == "Mobile"
    assert (scripts["ProjectId"], inner["ProjectId"]) == (mobile["Id"], mobile["Id"])
    assert (cycle["ProjectId"], elsewhere["ProjectId"]) == (mobile["Id"], workspace.id)
    assert items(in_mobile) == ["Sprint 1"]
    assert wrong.status_code == 403 and "project" in wrong.json()["Message"]
    assert not_admin.status_code == 403
    assert et.get("/project/00000000-0000-0000-0000-000000000000").status_code == 404
    across = et.put(f"/scriptpackage/{scripts['Id']}", json={"ParentId": elsewhere_scripts(et)})
    assert across.status_code == 403 and "same project" in across.json()["Message"]
    odd_parent = et.post("/executionpackages", json={"Name": "Odd", "ParentId": {"a": 1}})
    assert odd_parent.status_code == 403


def elsewhere_scripts(et: httpx.Client) -> str:
    """A script package in the default project."""
    return str(et.post("/scriptpackages", json={"Name": "Default area"}).json()["Id"])


def test_the_vendors_tql_collections_search_page_and_count(
    et: httpx.Client, api: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    package = et.post("/scriptpackages", json={"Name": "Suite"}).json()["Id"]
    scripts = {
        name: et.post(
            "/scripts", json={"Name": name, "PackageId": package, "Steps": [{"Description": "Go"}]}
        ).json()["Id"]
        for name in ("Log in", "Log out", "Search")
    }
    cycle = et.post("/executionpackages", json={"Name": "Cycle"}).json()["Id"]
    et.post("/executionpackages", json={"Name": "Sprint", "ParentId": cycle})
    users = {u["UserName"]: u["Id"] for u in et.get("/users").json()["Items"]}
    given = {
        name: et.post(
            "/scriptassignments",
            json={"ScriptId": scripts[name], "PackageId": cycle, "AssignedToId": users[who]},
        ).json()["Id"]
        for name, who in (("Log in", "tester-user"), ("Log out", "admin-user"), ("Search", "tester-user"))
    }
    passed = et.post(f"/scriptassignment/{given['Log in']}/runs", params={"$expand": "StepResults"}).json()
    et.put(
        f"/scriptrun/{passed['Id']}",
        json={"StepResults": [{"Id": passed["StepResults"][0]["Id"], "Outcome": "Passed"}]},
    )
    open_run = et.post(f"/scriptassignment/{given['Search']}/runs").json()

    logs = et.get("/scripts", params={"tql": "name ~ LOG ORDER BY Name DESC", "$inlinecount": "allpages"})
    page = et.get(
        "/scripts", params={"tql": "ORDER BY Name", "$top": 1, "$skip": 1, "$inlinecount": "allpages"}
    )
    done = et.get("/scriptruns", params={"tql": "Status = Passed"})
    running = et.get("/scriptruns", params={"tql": 'Status = "In Progress" OR Status = "Not Run"'})
    mine = et.get("/scriptassignments", params={"tql": "AssignedTo = tester-user"})
    top = et.get("/executionpackages", params={"tql": "ParentId = EMPTY"})
    bad = et.get("/scriptruns", params={"tql": "Status Passed"})
    odata_here = et.get("/scripts", params={"$filter": "Name eq 'Search'"})

    assert items(logs) == ["Log out", "Log in"] and logs.json()["Total"] == 2
    assert items(page) == ["Log out"] and page.json()["Total"] == 3
    assert items(done, "Id") == [passed["Id"]] and items(running, "Id") == [open_run["Id"]]
    assert sorted(items(mine, "Id")) == sorted([given["Log in"], given["Search"]])
    assert items(top) == ["Cycle"]
    assert bad.status_code == 400 and "position 7" in bad.json()["Message"]
    assert odata_here.status_code == 400 and "tql" in odata_here.json()["Message"]
    with et_client(live, workspace, Role.VIEWER) as viewer:
        assert len(items(viewer.get("/scriptruns"), "Id")) == 2
