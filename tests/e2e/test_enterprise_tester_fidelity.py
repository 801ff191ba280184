"""Enterprise Tester as its clients see it: the vendor's statuses for refused changes, its
nouns in every message, its paging option `$take`, and bodies refused when their types are
wrong or their text cannot be stored."""

import re

import httpx

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace
from tests.e2e.test_enterprise_tester import assignment, et, et_client

__all__ = ["et"]  # the fixture

NOBODY = "01a20000-0000-7000-8000-000000000000"
# our words, which the vendor's clients never see: entity names, roles and permission values,
# and snake_case field names
INTERNAL = re.compile(
    r"\b(manual execution|executions?(?! package)|test cases?|suites?|roles?|workspaces?|artifacts?|"
    r"run_any_assignment|execute|administer)\b|(?<!script )(?<!Script )\bassignments?\b|\b[a-z]+_[a-z_]+\b",
    re.IGNORECASE,
)


def completed_run(et: httpx.Client, api: httpx.Client) -> dict:  # type: ignore[type-arg]
    run = et.post(f"/scriptassignment/{assignment(api)}/runs", params={"$expand": "StepResults"}).json()
    et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True})
    return dict(run)


def test_changing_a_completed_run_is_refused_with_403_in_the_vendors_shape(
    et: httpx.Client, api: httpx.Client
) -> None:
    run = completed_run(et, api)
    step = run["StepResults"][0]["Id"]

    again = et.put(f"/scriptrun/{run['Id']}", json={"StepResults": [{"Id": step, "Outcome": "Passed"}]})
    one_step = et.put(f"/stepresult/{step}", json={"Outcome": "Passed"})

    assert again.status_code == one_step.status_code == 403
    assert again.json() == {"Message": f"Script run {run['Id']} is complete; start a new run"}
    assert et.get(f"/stepresult/{step}").json()["Outcome"] == "NotRun"


def test_take_pages_runs_as_top_does(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    for _ in range(3):
        run = et.post(f"/scriptassignment/{assignment_id}/runs").json()
        et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True})

    taken = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$take": 2, "$inlinecount": "allpages"})
    searched = et.get("/scriptruns", params={"$take": 1})
    both = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$take": 2, "$top": 1})

    assert (taken.json()["Top"], len(taken.json()["Items"]), taken.json()["Total"]) == (2, 2, 3)
    assert len(searched.json()["Items"]) == 1
    assert both.status_code == 400 and "$take" in both.json()["Message"]


def test_every_error_message_speaks_the_vendors_nouns(
    et: httpx.Client, api: httpx.Client, live: LiveServer, workspace: Workspace
) -> None:
    theirs = assignment(api, "someone-else")
    run = completed_run(et, api)
    package = et.post("/scriptpackages", json={"Name": "Taken"}).json()["Id"]
    script = et.post("/scripts", json={"Name": "S", "PackageId": package, "Steps": [{"Description": "x"}]})
    open_run = et.post(f"/scriptassignment/{assignment(api, 'another-tester')}/runs").json()
    answers = [
        et.get(f"/scriptrun/{NOBODY}"),
        et.get("/stepresult/nope"),
        et.get(f"/scriptassignment/{NOBODY}"),
        et.get(f"/scriptpackage/{NOBODY}"),
        et.get(f"/executionpackage/{NOBODY}"),
        et.get(f"/script/{NOBODY}"),
        et.get(f"/attachment/{NOBODY}/contents"),
        et.put(f"/scriptrun/{run['Id']}", json={"AttemptToComplete": True}),
        et.put(f"/scriptrun/{open_run['Id']}", json={"ActualDuration": "x" * 101}),
        et.put(f"/scriptrun/{open_run['Id']}", json={"FieldValues": [1]}),
        et.post("/scriptpackages", json={"Name": "Lost", "ParentId": NOBODY}),
        et.post("/scriptpackages", json={"Name": "Taken"}),
        et.post("/scripts", json={"Name": "S", "PackageId": package, "Steps": [{"Description": "x"}]}),
        et.post("/scripts", json={"Name": "T", "PackageId": package, "Steps": "none"}),
        et.post("/scripts", json={"Name": "U", "PackageId": NOBODY, "Steps": [{"Description": "x"}]}),
        et.post("/scriptassignments", json={"ScriptId": script.json()["Id"], "PackageId": NOBODY}),
        et.post("/projects", json={"Name": ""}),
    ]
    with et_client(live, workspace, Role.TESTER) as tester:
        answers += [
            tester.post(f"/scriptassignment/{theirs}/runs"),
            tester.delete(f"/script/{script.json()['Id']}"),
            tester.post("/projects", json={"Name": "Mine"}),
        ]
    with et_client(live, workspace, Role.VIEWER) as viewer:
        answers += [
            viewer.post(f"/scriptassignment/{theirs}/runs"),
            viewer.post("/scripts", json={"Name": "V", "PackageId": package}),
        ]

    messages = [a.json()["Message"] for a in answers]
    assert all(a.status_code >= 400 for a in answers), [(a.status_code, a.text) for a in answers]
    assert [m for m in messages if INTERNAL.search(m)] == []
    assert messages[0] == f"The script run {NOBODY} does not exist"
    assert messages[4] == f"The execution package {NOBODY} does not exist"
    assert "ExecuteAllTests" in messages[-5]


def test_a_name_that_is_not_a_string_is_refused_not_stringified(et: httpx.Client) -> None:
    package = et.post("/scriptpackages", json={"Name": "P"}).json()["Id"]
    script = et.post(
        "/scripts", json={"Name": "S", "PackageId": package, "Steps": [{"Description": "x"}]}
    ).json()

    listed = et.post("/scripts", json={"Name": ["x"], "PackageId": package})
    renamed = et.put(f"/script/{script['Id']}", json={"Name": ["x"]})
    numbered = et.post("/scriptpackages", json={"Name": 7})

    assert (listed.status_code, listed.json()) == (403, {"Message": "Name must be a string, not an array"})
    assert (renamed.status_code, renamed.json()) == (403, {"Message": "Name must be a string, not an array"})
    assert numbered.status_code == 403 and "Name" in numbered.json()["Message"]
    names = {s["Name"] for s in et.get("/scripts").json()["Items"]}
    assert names == {"S"}


def raw_json(et: httpx.Client, path: str, text: str) -> httpx.Response:
    """POST a JSON text as written (a client's own encoder would refuse a lone surrogate)."""
    return et.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def test_a_lone_surrogate_is_refused_and_nothing_is_stored(et: httpx.Client) -> None:
    package = et.post("/scriptpackages", json={"Name": "P"}).json()["Id"]
    steps = '"Steps": [{"Description": "x"}]'

    in_the_name = raw_json(et, "/scripts", f'{{"Name": "lone \\ud800", "PackageId": "{package}", {steps}}}')
    in_a_step = raw_json(
        et, "/scripts", f'{{"Name": "ok", "PackageId": "{package}", "Steps": [{{"Description": "\\udc00"}}]}}'
    )
    paired = raw_json(et, "/scripts", f'{{"Name": "clef \\ud834\\udd1e", "PackageId": "{package}", {steps}}}')
    renamed = et.put(
        f"/script/{paired.json()['Id']}",
        content=b'{"Name": "\\udfff"}',
        headers={"Content-Type": "application/json"},
    )

    assert in_the_name.status_code in (400, 403) and "Message" in in_the_name.json()
    assert in_a_step.status_code in (400, 403) and "Message" in in_a_step.json()
    assert renamed.status_code in (400, 403) and "Message" in renamed.json()
    assert paired.status_code == 201 and paired.json()["Name"] == "clef \U0001d11e"  # a pair is one character
    assert {s["Name"] for s in et.get("/scripts").json()["Items"]} == {"clef \U0001d11e"}


def test_a_script_assignment_shows_its_scripts_name_and_its_newest_runs_status(
    et: httpx.Client, api: httpx.Client
) -> None:
    assignment_id = assignment(api, "tester-user")

    before = et.get(f"/scriptassignment/{assignment_id}").json()
    run = et.post(f"/scriptassignment/{assignment_id}/runs", params={"$expand": "StepResults"}).json()
    running = et.get("/scriptassignments", params={"tql": f'Id = "{assignment_id}"'}).json()["Items"][0]
    passed = [{"Id": s["Id"], "Outcome": "Passed"} for s in run["StepResults"]]
    et.put(f"/scriptrun/{run['Id']}", json={"StepResults": passed})
    after = et.get(f"/scriptassignment/{assignment_id}", params={"$expand": "LastRun"}).json()

    assert (before["Name"], before["Status"]) == ("script tester-user", "Not Run")
    assert running["Status"] == "In Progress"
    assert after["Status"] == after["LastRun"]["Status"] == "Passed"


def test_a_run_started_for_a_tester_is_created_by_the_starter_and_run_by_the_tester(
    et: httpx.Client, api: httpx.Client
) -> None:
    users = {u["UserName"]: u["Id"] for u in et.get("/users").json()["Items"]}
    assignment_id = assignment(api, "tester-user")

    run = et.post(f"/scriptassignment/{assignment_id}/runs", json={"TesterId": users["tester-user"]}).json()

    def runs(**params: str) -> list[str]:
        found = et.get(f"/scriptassignment/{assignment_id}/runs", params=params)
        assert found.status_code == 200, found.text
        return [r["Id"] for r in found.json()["Items"]]

    assert (run["CreatedBy"], run["CreatedById"]) == ("admin-user", users["admin-user"])
    assert (run["RunBy"], run["RunById"]) == ("tester-user", users["tester-user"])
    assert et.get(f"/user/{run['RunById']}").json()["UserName"] == "tester-user"  # the link's user exists
    assert runs(**{"$filter": f"RunById eq guid'{users['tester-user']}'"}) == [run["Id"]]
    assert runs(**{"$filter": f"CreatedById eq guid'{users['admin-user']}'"}) == [run["Id"]]
    assert runs(**{"$filter": f"RunById eq guid'{users['admin-user']}'"}) == []
    assert runs(**{"$filter": "RunBy eq 'tester-user' and CreatedBy eq 'admin-user'"}) == [run["Id"]]


def test_runs_filter_and_order_on_their_actual_duration(et: httpx.Client, api: httpx.Client) -> None:
    assignment_id = assignment(api)
    made = []
    for duration in ("5 minutes", "1 hour", "20 minutes"):
        run = et.post(f"/scriptassignment/{assignment_id}/runs").json()
        et.put(f"/scriptrun/{run['Id']}", json={"ActualDuration": duration, "AttemptToComplete": True})
        made.append(run["Id"])

    five = et.get(
        f"/scriptassignment/{assignment_id}/runs", params={"$filter": "ActualDuration eq '5 minutes'"}
    )
    ordered = et.get(f"/scriptassignment/{assignment_id}/runs", params={"$orderby": "ActualDuration"})
    searched = et.get("/scriptruns", params={"tql": "ActualDuration ~ minutes ORDER BY ActualDuration DESC"})

    assert [r["Id"] for r in five.json()["Items"]] == [made[0]]
    assert [r["ActualDuration"] for r in ordered.json()["Items"]] == ["1 hour", "20 minutes", "5 minutes"]
    assert [r["ActualDuration"] for r in searched.json()["Items"]] == ["5 minutes", "20 minutes"]


def test_a_user_someone_started_a_run_for_is_kept(et: httpx.Client, api: httpx.Client) -> None:
    runner = et.post("/users", json={"UserName": "runner", "Email": "runner@example.com"}).json()
    assignment_id = assignment(api, "someone-else")  # the runner holds no assignment and no key
    started = et.post(f"/scriptassignment/{assignment_id}/runs", json={"TesterId": runner["Id"]})
    assert started.json()["RunBy"] == "runner"

    refused = et.delete(f"/user/{runner['Id']}")

    assert refused.status_code == 403
    assert et.get(f"/user/{runner['Id']}").status_code == 200
