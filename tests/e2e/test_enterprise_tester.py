"""Enterprise Tester's script-run API over HTTP, as the vendor's pages use it."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace

STEPS = [
    {"description": "Do this", "expected_result": "Expect that"},
    {"description": "And then Do this", "data": "x", "expected_result": "And then Expect that"},
]


def et_client(live: LiveServer, workspace: Workspace, role: Role = Role.ADMIN) -> httpx.Client:
    key = workspace.keys[role]
    return httpx.Client(
        base_url=f"{live.url}/enterprise-tester/api",
        auth=(key.access_key_id, key.secret_access_key),
        timeout=30,
    )


@pytest.fixture
def et(live: LiveServer, workspace: Workspace) -> Iterator[httpx.Client]:
    with et_client(live, workspace) as client:
        yield client


def assignment(api: httpx.Client, assignee: str = "admin-user") -> str:
    case = api.post(
        "/test-cases",
        json={"kind": "manual", "name": f"script {assignee}", "publish": True, "content": {"steps": STEPS}},
    ).json()["id"]
    package = api.post("/packages", json={"name": "Cycle 1"}).json()["id"]
    return str(
        api.post(
            "/assignments", json={"package_id": package, "test_case_id": case, "assignee": assignee}
        ).json()["id"]
    )


def test_a_post_creates_a_run_then_returns_the_incomplete_one(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)

    created = et.post(
        f"/scriptassignment/{assignment_id}/runs",
        params={"$expand": "StepResults"},
        json={"TesterId": None, "WidgetValues": None, "FieldValues": None},
    )
    again = et.post(f"/scriptassignment/{assignment_id}/runs")

    assert created.status_code == 201 and again.status_code == 200
    run = created.json()
    assert created.headers["Location"] == run["Self"] and run["Self"].endswith(f"/api/scriptrun/{run['Id']}")
    assert et.get(run["Self"]).json()["Id"] == run["Id"]  # the link leads back to the run
    # the vendor's examples of both answers show a fresh run "In Progress"
    assert (run["Status"], again.json()["Status"]) == ("In Progress", "In Progress")
    assert (run["ScriptVersion"], run["AssignmentId"]) == (1, assignment_id)
    assert run["Expands"] == ["Assignment", "Widgets", "FieldValues"]
    assert [s["Description"] for s in run["StepResults"]] == ["Do this", "And then Do this"]
    assert {s["Outcome"] for s in run["StepResults"]} == {"NotRun"}
    assert again.json()["Id"] == run["Id"] and "StepResults" not in again.json()
    assert run["CreatedAt"].endswith("Z")


def test_a_full_manual_run_from_first_step_to_completion(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    first, second = (s["Id"] for s in run["StepResults"])

    halfway = et.put(
        f"/scriptrun/{run['Id']}", json={"StepResults": [{"Id": first, "Outcome": "Passed"}]}
    ).json()
    step = et.put(f"/stepresult/{second}", json={"Outcome": "Failed", "ActualResult": "It broke"}).json()
    done = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "StepResults,Assignment"}).json()

    assert (halfway["Status"], halfway["Completed"]) == ("In Progress", False)
    assert (step["Outcome"], step["ActualResult"]) == ("Failed", "It broke")
    assert (done["Status"], done["Completed"]) == ("Failed", True)
    assert done["Assignment"]["Id"] == run["AssignmentId"] and done["Expands"] == ["Widgets", "FieldValues"]
    assert et.get(f"/stepresult/{first}", params={"$expand": "Run"}).json()["Run"]["Id"] == run["Id"]


def test_attempt_to_complete_leaves_the_rest_not_run(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    first = run["StepResults"][0]["Id"]
    done = et.put(
        f"/scriptrun/{run['Id']}",
        params={"$expand": "StepResults"},
        json={"StepResults": [{"Id": first, "Outcome": "Failed"}], "AttemptToComplete": True},
    ).json()
    assert (done["Status"], done["Completed"]) == ("Failed", True)
    assert [s["Outcome"] for s in done["StepResults"]] == ["Failed", "NotRun"]


def test_concurrent_posts_on_one_assignment_make_exactly_one_incomplete_run(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    assignment_id = assignment(api)

    def post(_: int) -> tuple[int, str]:
        with et_client(live, workspace) as client:
            answer = client.post(f"/scriptassignment/{assignment_id}/runs")
            return answer.status_code, answer.json()["Id"]

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(post, range(12)))

    assert sorted(code for code, _ in answers) == [200] * 11 + [201]
    assert len({run for _, run in answers}) == 1


def test_runs_are_filtered_ordered_and_paged_with_odata(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    for _ in range(3):
        run = et.post(f"/scriptassignment/{assignment_id}/runs").json()
        et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True})
    year = datetime.now(UTC).year

    this_year = et.get(
        f"/scriptassignment/{assignment_id}/runs",
        params={"$filter": f"year(CreatedAt) eq {year}", "$inlinecount": "allpages", "$top": 2},
    )
    in_2011 = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$filter": "year(CreatedAt) eq 2011"})
    newest = et.get(
        f"/scriptassignment/{assignment_id}/runs", params={"$orderby": "CreatedAt desc", "$top": 1}
    )
    bad = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$filter": "year(CreatedAt) eq"})

    assert this_year.status_code == 200, this_year.text
    page = this_year.json()
    assert (page["Total"], page["Top"], page["Skip"], len(page["Items"])) == (3, 2, 0, 2)
    assert in_2011.json() == {"Items": []}
    assert len(newest.json()["Items"]) == 1
    assert bad.status_code == 400 and "position" in bad.json()["Message"]
    not_run = et.get(
        f"/scriptassignment/{assignment_id}/runs", params={"$filter": "Status eq 'Not Run'"}
    ).json()
    assert len(not_run["Items"]) == 3  # completed with nothing recorded


def test_authentication_and_permissions(live: LiveServer, workspace: Workspace, api: httpx.Client) -> None:
    theirs = assignment(api, "someone-else")
    mine = assignment(api, "tester-user")
    anonymous = httpx.get(f"{live.url}/enterprise-tester/api/scriptassignment/{mine}/runs")
    wrong = httpx.get(
        f"{live.url}/enterprise-tester/api/scriptassignment/{mine}/runs", auth=("AKTSNOBODY", "x")
    )
    bearer = httpx.get(
        f"{live.url}/enterprise-tester/api/scriptassignment/{mine}/runs",
        headers={"Authorization": f"Bearer {workspace.keys[Role.VIEWER].token}"},
    )
    with et_client(live, workspace, Role.TESTER) as tester:
        own = tester.post(f"/scriptassignment/{mine}/runs")
        other = tester.post(f"/scriptassignment/{theirs}/runs")
    with et_client(live, workspace, Role.VIEWER) as viewer:
        viewer_post = viewer.post(f"/scriptassignment/{mine}/runs")

    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert wrong.status_code == 401 and "Message" in wrong.json()
    assert bearer.status_code == 200
    assert own.status_code == 201
    assert other.status_code == 403 and "Message" in other.json()
    assert viewer_post.status_code == 403


def test_a_run_keeps_its_script_version_when_the_script_changes(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    run = et.post(f"/scriptassignment/{assignment_id}/runs").json()
    script = run["ScriptId"]
    api.patch(f"/test-cases/{script}", json={"content": {"steps": [{"description": "New"}]}, "publish": True})

    kept = et.get(f"/scriptrun/{run['Id']}", params={"$expand": "StepResults"}).json()
    et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True})
    fresh = et.post(f"/scriptassignment/{assignment_id}/runs", params={"$expand": "StepResults"}).json()

    assert (kept["ScriptVersion"], len(kept["StepResults"])) == (1, 2)
    assert (fresh["ScriptVersion"], [s["Description"] for s in fresh["StepResults"]]) == (2, ["New"])


def test_unknown_ids_and_deleting_a_run(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs").json()
    assert et.get("/scriptrun/01a20000-0000-7000-8000-000000000000").status_code == 404
    assert et.get("/stepresult/nope").status_code == 404
    assert et.delete(f"/scriptrun/{run['Id']}").status_code == 200
    assert et.get(f"/scriptrun/{run['Id']}").status_code == 404


def test_a_team_sets_up_and_runs_manual_testing_through_the_surface(
    et: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    project = et.get("/projects").json()["Items"][0]
    users = et.get("/users").json()["Items"]
    tester = next(u for u in users if u["UserName"] == "tester-user")
    package = et.post("/scriptpackages", json={"Name": "Login", "ProjectId": project["Id"]})
    script = et.post(
        "/scripts",
        params={"$expand": "Steps"},
        json={
            "Name": "Log in",
            "PackageId": package.json()["Id"],
            "Steps": [
                {"Description": "Open", "ExpectedResult": "Form", "OrderNumber": 0},
                {"Description": "Submit", "ExpectedResult": "Home", "OrderNumber": 1},
            ],
        },
    )
    cycle = et.post("/executionpackages", json={"Name": "Release 1"}).json()
    sprint = et.post("/executionpackages", json={"Name": "Sprint 1", "ParentId": cycle["Id"]}).json()
    given = et.post(
        "/scriptassignments",
        json={"ScriptId": script.json()["Id"], "PackageId": sprint["Id"], "AssignedToId": tester["Id"]},
    )

    assert package.status_code == 201 and script.status_code == 201 and given.status_code == 201, given.text
    assert [s["Description"] for s in script.json()["Steps"]] == ["Open", "Submit"]
    assert given.json()["AssignedTo"] == "tester-user"
    assert [c["Name"] for c in et.get(f"/executionpackage/{cycle['Id']}/children").json()["Items"]] == [
        "Sprint 1"
    ]

    with et_client(live, workspace, Role.TESTER) as as_tester:
        run = as_tester.post(
            f"/scriptassignment/{given.json()['Id']}/runs", params={"$expand": "StepResults"}
        ).json()
        results = [{"Id": s["Id"], "Outcome": "Passed"} for s in run["StepResults"]]
        done = as_tester.put(f"/scriptrun/{run['Id']}", json={"StepResults": results}).json()
    assert (done["Status"], done["Completed"], done["RunBy"]) == ("Passed", True, "tester-user")

    expanded = et.get(
        f"/scriptassignment/{given.json()['Id']}", params={"$expand": "LastRun,Script,Package"}
    ).json()
    assert expanded["LastRun"]["Id"] == run["Id"] and expanded["Script"]["Name"] == "Log in"
    assert expanded["Package"]["Name"] == "Sprint 1" and expanded["Expands"] == ["Runs"]

    changed = et.put(f"/script/{script.json()['Id']}", json={"Steps": [{"Description": "Only"}]}).json()
    assert changed["VersionNumber"] == 2
    assert et.get(f"/scriptrun/{run['Id']}").json()["ScriptVersion"] == 1


def test_editing_and_deleting_scripts_need_their_permissions(
    et: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    package = et.post("/scriptpackages", json={"Name": "P"}).json()["Id"]
    script = et.post(
        "/scripts", json={"Name": "S", "PackageId": package, "Steps": [{"Description": "x"}]}
    ).json()
    with et_client(live, workspace, Role.VIEWER) as viewer:
        assert viewer.post("/scripts", json={"Name": "V", "PackageId": package}).status_code == 403
    with et_client(live, workspace, Role.TESTER) as tester:
        assert tester.delete(f"/script/{script['Id']}").status_code == 403
    no_package = et.post("/scripts", json={"Name": "N", "Steps": [{"Description": "x"}]})
    assert no_package.status_code == 403 and "PackageId" in no_package.json()["Message"]
    assert et.delete(f"/script/{script['Id']}").status_code == 200


def test_a_step_result_takes_attachments_uploaded_as_multipart(et: httpx.Client, api: httpx.Client) -> None:
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    step = run["StepResults"][0]["Id"]

    uploaded = et.post(
        f"/stepresult/{step}/attachments", files={"file": ("screen.png", b"\x89PNG...", "image/png")}
    )
    attached = uploaded.json()  # a list, one StepResultAttachment per file, as the vendor answers
    listed = et.get(f"/stepresult/{step}/attachments").json()["Items"]
    shown = et.get(f"/stepresult/{step}", params={"$expand": "Attachments"}).json()
    content = et.get(attached[0]["Self"])  # the link itself leads to the file
    empty = et.post(f"/stepresult/{step}/attachments", data={"note": "no file"})

    assert uploaded.status_code == 201, uploaded.text
    assert [(a["FileName"], a["ContentType"], a["Size"]) for a in attached] == [
        ("screen.png", "image/png", 7)
    ]
    assert [a["Id"] for a in listed] == [attached[0]["Id"]]
    assert shown["HasAttachments"] is True and shown["Attachments"][0]["Id"] == attached[0]["Id"]
    assert content.status_code == 200 and content.content == b"\x89PNG..."
    assert empty.status_code == 403
    other_step = run["StepResults"][1]["Id"]
    assert et.get(f"/stepresult/{other_step}").json()["HasAttachments"] is False


def test_users_and_package_children_take_odata_options(et: httpx.Client) -> None:
    cycle = et.post("/executionpackages", json={"Name": "Cycle"}).json()["Id"]
    for name in ("Alpha", "Beta", "Gamma"):
        et.post("/executionpackages", json={"Name": name, "ParentId": cycle})

    users = et.get(
        "/users", params={"$filter": "startswith(UserName,'t')", "$inlinecount": "allpages"}
    ).json()
    children = et.get(
        f"/executionpackage/{cycle}/children",
        params={"$filter": "Name ne 'Beta'", "$orderby": "Name desc", "$top": 1, "$inlinecount": "allpages"},
    )
    bad = et.get("/users", params={"$filter": "Nickname eq 'x'"})

    assert [u["UserName"] for u in users["Items"]] == ["tester-user"] and users["Total"] == 1
    page = children.json()
    assert (page["Total"], [p["Name"] for p in page["Items"]]) == (2, ["Gamma"])
    assert bad.status_code == 400 and "Nickname" in bad.json()["Message"]


def test_a_manager_starts_a_run_for_a_tester_named_by_tester_id(
    et: httpx.Client, api: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    users = {u["UserName"]: u["Id"] for u in et.get("/users").json()["Items"]}
    assignment_id = assignment(api, "tester-user")

    run = et.post(f"/scriptassignment/{assignment_id}/runs", json={"TesterId": users["tester-user"]}).json()
    unknown = et.post(f"/scriptassignment/{assignment_id}/runs", json={"TesterId": "nobody"})
    with et_client(live, workspace, Role.TESTER) as as_tester:
        for_someone = as_tester.post(
            f"/scriptassignment/{assignment_id}/runs", json={"TesterId": users["admin-user"]}
        )

    assert (run["RunBy"], run["RunById"]) == ("tester-user", users["tester-user"])
    assert unknown.status_code == 403 and "user" in unknown.json()["Message"]
    assert for_someone.status_code == 403
