"""Each surface answers what its OpenAPI document says: every answer of a run through the
surface's operations is read back through the answer model its route declares, and comes out
unchanged (no member the model lacks, none of another type, none it requires left out)."""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from botocore.client import BaseClient
from fastapi import FastAPI
from pydantic import TypeAdapter

from testament.compat.wire import api_routes
from testament.domain.access import Role
from testament.surfaces import build_surfaces
from tests.conftest import LiveServer, Workspace, wait_for
from tests.e2e.test_aws_connect_resources import WEEKDAYS
from tests.e2e.test_aws_connect_test_cases import VOICE, connect_client, main_flow, official_example
from tests.e2e.test_enterprise_tester import assignment, et_client
from tests.e2e.test_testinvite import add_candidate, complete, make_task, start, ti_client
from tests.e2e.test_testsigma import make_plan, plan_number, wait_completed

Check = Callable[[str, str, int, Any], None]


def conforms(model: Any, answer: Any) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    read = adapter.dump_python(
        adapter.validate_python(answer), mode="json", by_alias=True, exclude_unset=True
    )
    assert read == answer, f"{model} does not describe the answer"


def _surface(live: LiveServer, mount: str) -> FastAPI:
    app = build_surfaces(live.ctx)[mount]
    while not isinstance(app, FastAPI):
        app = app.app  # type: ignore[attr-defined]
    return app


def declared_answers(live: LiveServer, mount: str) -> Check:
    """A check of one answer (method, path under the mount, status, JSON) against its route's model."""
    routes = [
        (re.compile(route.path_regex.pattern), route)  # the route as served, prefix and all
        for route in api_routes(_surface(live, mount))
    ]
    checked: list[str] = []

    def check(method: str, path: str, status: int, answer: Any) -> None:
        route = next(r for regex, r in routes if regex.match(path) and method in (r.methods or ()))
        model = route.responses.get(status, {}).get("model")
        assert model is not None, f"{method} {route.path_format} answers {status} without a model"
        conforms(model, answer)
        checked.append(f"{method} {route.path_format}")

    check.checked = checked  # type: ignore[attr-defined]
    return check


def checked_client(client: httpx.Client, mount: str, check: Check) -> httpx.Client:
    def on_answer(response: httpx.Response) -> None:
        response.read()
        if response.is_success and response.headers.get("content-type", "").startswith("application/json"):
            path = response.request.url.path.removeprefix(mount)
            check(response.request.method, path, response.status_code, response.json())

    client.event_hooks["response"].append(on_answer)
    return client


@pytest.fixture
def testsigma_checked(live: LiveServer, workspace: Workspace) -> Iterator[tuple[httpx.Client, Check]]:
    check = declared_answers(live, "/testsigma")
    headers = {"Authorization": f"Bearer {workspace.keys[Role.ADMIN].token}"}
    with httpx.Client(base_url=f"{live.url}/testsigma/api/v1", headers=headers, timeout=30) as client:
        yield checked_client(client, "/testsigma", check), check


def test_testsigma_answers_are_what_its_document_says(
    testsigma_checked: tuple[httpx.Client, Check], api: httpx.Client, target: Any
) -> None:
    testsigma, check = testsigma_checked
    make_plan(api, target, failing=True)
    number = plan_number(testsigma)
    env = testsigma.post("/environments", json={"name": "qa", "variables": [{"key": "u", "value": "v"}]})
    testsigma.put(f"/environments/{env.json()['id']}", json={"name": "qa2"})
    testsigma.get(f"/environments/{env.json()['id']}")
    testsigma.get("/environments")
    run = testsigma.post("/execution_results", json={"executionId": number, "buildNo": "7"}).json()
    wait_completed(testsigma, run["id"])
    results = testsigma.get(f"/execution_results/{run['id']}/test_case_results").json()
    testsigma.get("/execution_results", params={"query": f"testPlanId:{number}"})
    testsigma.get("/test_plans")
    testsigma.get("/saved_execution_configs", params={"testPlanId": number})
    testsigma.get("/uploads")
    testsigma.put(
        f"/execution_results/{run['id']}/override",
        json=[{"testCaseResultId": results["testCases"][0]["testCaseResultId"], "result": "PASSED"}],
    )

    assert {
        "POST /api/v1/environments",
        "PUT /api/v1/environments/{env_id}",
        "GET /api/v1/execution_results/{run_id}",
        "GET /api/v1/execution_results/{run_id}/test_case_results",
        "GET /api/v1/execution_results",
        "GET /api/v1/test_plans",
        "GET /api/v1/saved_execution_configs",
        "PUT /api/v1/execution_results/{run_id}/override",
    } <= set(check.checked)  # type: ignore[attr-defined]


def test_testinvite_answers_are_what_its_document_says(
    live: LiveServer, workspace: Workspace, api: httpx.Client, target: Any
) -> None:
    check = declared_answers(live, "/testinvite")
    task = make_task(api, target.url)
    with checked_client(ti_client(live, workspace), "/testinvite", check) as ti:
        for mode in ("basic", "detailed"):
            ti.get("/tasks", params={"mode": mode})
            ti.get(f"/tasks/{task['id']}", params={"mode": mode})
        candidate = add_candidate(ti, task["id"], "wire")["candidateId"]
        ti.patch(f"/tasks/{task['id']}/candidates/{candidate}", json={"fields": {"labels": {"add": ["x"]}}})
        instance = start(ti, task["id"], candidate, task["steps"][1]["id"])["testInstanceId"]
        for mode in ("basic", "detailed"):
            complete(ti, task["id"], instance, mode)
            ti.get(f"/tasks/{task['id']}/candidates", params={"mode": mode})
            ti.get(f"/tasks/{task['id']}/test-instances", params={"mode": mode})
            ti.post(
                f"/tasks/{task['id']}/test-instances/filter", params={"mode": mode}, json={"kind": "meta"}
            )
        ti.patch(f"/tasks/{task['id']}/test-instances/{instance}", json={"ignored": True})
        ti.post(f"/tasks/{task['id']}/test-instances/{instance}/resetup")

    assert len(set(check.checked)) >= 10  # type: ignore[attr-defined]


def test_connect_answers_are_what_its_document_says(live: LiveServer, workspace: Workspace) -> None:
    check = declared_answers(live, "/aws/connect")
    connect: BaseClient = connect_client(live, workspace)

    def on_answer(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            path = str(http_response.url).split("/aws/connect", 1)[1].split("?", 1)[0]
            check(model.http["method"], path, 200, json.loads(http_response.content or b"{}"))

    connect.meta.events.register("after-call.connect.*", on_answer)
    instance = workspace.id
    main_flow(connect, instance)
    hours = connect.create_hours_of_operation(
        InstanceId=instance, Name="Office", TimeZone="Europe/London", Config=WEEKDAYS
    )["HoursOfOperationId"]
    queue = connect.create_queue(InstanceId=instance, Name="Q", HoursOfOperationId=hours)["QueueId"]
    case = connect.create_test_case(
        InstanceId=instance, Name="wire", Content=official_example(), EntryPoint=VOICE, Status="PUBLISHED"
    )["TestCaseId"]
    execution = connect.start_test_case_execution(InstanceId=instance, TestCaseId=case)["TestCaseExecutionId"]
    wait_for(
        lambda: (
            connect.get_test_case_execution_summary(
                InstanceId=instance, TestCaseId=case, TestCaseExecutionId=execution
            )["Status"]
            in ("PASSED", "FAILED", "STOPPED")
        ),
        60,
    )
    connect.list_test_case_execution_records(
        InstanceId=instance, TestCaseId=case, TestCaseExecutionId=execution
    )
    connect.list_test_case_executions(InstanceId=instance)
    connect.describe_test_case(InstanceId=instance, TestCaseId=case)
    connect.list_test_cases(InstanceId=instance)
    connect.search_test_cases(InstanceId=instance)
    connect.describe_queue(InstanceId=instance, QueueId=queue)
    connect.describe_hours_of_operation(InstanceId=instance, HoursOfOperationId=hours)
    flows = connect.list_contact_flows(InstanceId=instance)["ContactFlowSummaryList"]
    connect.describe_contact_flow(InstanceId=instance, ContactFlowId=flows[0]["Id"])
    connect.list_queues(InstanceId=instance)
    connect.list_hours_of_operations(InstanceId=instance)
    connect.close()

    assert len(set(check.checked)) >= 15  # type: ignore[attr-defined]


def test_enterprise_tester_answers_are_what_its_document_says(
    live: LiveServer, workspace: Workspace, api: httpx.Client
) -> None:
    check = declared_answers(live, "/enterprise-tester")
    everything = {"$expand": "StepResults,Assignment,Widgets,FieldValues", "$inlinecount": "allpages"}
    with checked_client(et_client(live, workspace), "/enterprise-tester", check) as et:
        project = et.post("/projects", json={"Name": "Wire"}).json()
        et.put(project["Self"], json={"Name": "Wire 2"})
        et.get("/projects", params={"$inlinecount": "allpages"})
        top = et.post("/scriptpackages", json={"Name": "Top", "ProjectId": project["Id"]}).json()
        inner = et.post("/scriptpackages", json={"Name": "Inner", "ParentId": top["Id"]}).json()
        et.put(inner["Self"], json={"Description": "d"})
        et.get(inner["Self"], params={"$expand": "Parent,Children"})
        et.get(f"/scriptpackage/{top['Id']}/children")
        et.get("/scriptpackages")
        script = et.post(
            "/scripts", json={"Name": "S", "PackageId": top["Id"], "Steps": [{"Description": "a"}]}
        ).json()
        et.put(script["Self"], json={"Description": "changed"})
        et.get(script["Self"], params={"$expand": "Steps"})
        et.get("/scripts")
        cycle = et.post("/executionpackages", json={"Name": "Cycle"}).json()
        et.put(cycle["Self"], json={"Name": "Cycle 1"})
        et.get(f"/executionpackage/{cycle['Id']}/children")
        et.get("/executionpackages")
        given = et.post(
            "/scriptassignments", json={"ScriptId": script["Id"], "PackageId": cycle["Id"]}
        ).json()
        et.post(f"/script/{script['Id']}/assignments", json={"PackageId": cycle["Id"]})
        et.put(given["Self"], json={"PackageId": cycle["Id"]})
        et.get(given["Self"], params={"$expand": "Package,Runs,LastRun,Script"})
        et.get("/scriptassignments")
        et.get(f"/script/{script['Id']}/assignments")
        assignment_id = assignment(api)
        run = et.post(
            f"/scriptassignment/{assignment_id}/runs", params=everything, json={"WidgetValues": {"W": 1}}
        )
        step = run.json()["StepResults"][0]["Id"]
        et.put(
            run.json()["Self"],
            params=everything,
            json={"StepResults": [{"Id": step, "Outcome": "Failed"}], "FieldValues": {"Build": "7"}},
        )
        et.put(f"/stepresult/{step}", json={"Notes": "n"})
        et.post(f"/stepresult/{step}/attachments", files={"file": ("shot.png", b"png", "image/png")})
        incident = et.post("/incidents", json={"Summary": "Broken", "Comments": [{"Body": "seen"}]}).json()
        et.put(incident["Self"], params={"$expand": "Status,Priority,Type,Resolution,Project"}, json={})
        et.post(f"/stepresult/{step}/incidents", json={"IncidentId": incident["Id"]})
        et.get(f"/stepresult/{step}/incident/{incident['Id']}")
        et.get(f"/stepresult/{step}/incidents")
        et.get(f"/stepresult/{step}", params={"$expand": "Run,Attachments,Incidents"})
        et.get(f"/stepresult/{step}/attachments")
        et.get(f"/scriptassignment/{assignment_id}/runs", params=everything)
        et.get("/scriptruns")
        et.get("/incidents", params={"$inlinecount": "allpages"})
        et.get(f"/incident/{incident['Id']}/comments")
        et.post(f"/script/{script['Id']}/attachments", files={"file": ("a.txt", b"a", "text/plain")})
        et.post(f"/incident/{incident['Id']}/attachments", files={"file": ("b.txt", b"b", "text/plain")})
        et.get(f"/script/{script['Id']}/attachments")
        et.get(f"/incident/{incident['Id']}/attachments")
        et.get(f"/project/{project['Id']}/picklist/Priorities")
        for holder in (
            f"script/{script['Id']}",
            f"scriptassignment/{assignment_id}",
            f"incident/{incident['Id']}",
        ):
            et.get(f"/{holder}/relationships")
            et.get(f"/{holder}/allrelationships")
        user = et.post("/users", json={"UserName": "wire-user", "Email": "wire@example.com"}).json()
        et.put(user["Self"], json={"FirstName": "Wi", "LastName": "Re"})
        et.get("/users")

    assert len(set(check.checked)) >= 50  # type: ignore[attr-defined]  # every operation that answers JSON
