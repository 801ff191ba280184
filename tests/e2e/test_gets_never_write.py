"""A read never writes, on any surface: every GET of the native API, Testsigma and TestInvite
(walked from their OpenAPI documents), Enterprise Tester's GETs and Amazon Connect's read
operations (List*, Describe*, Get*, Search*, whatever their verb) are served on a workspace
with data while a hook on the server's engine records every INSERT, UPDATE or DELETE a read
request executes. There must be none. Authenticating writes nothing; the one table exempt is
the rate limiter's count (METERING): a read is still a request a key is metered for, and the
count lives in the database so that every API process of a deployment shares it. It records
who called, never what the workspace holds."""

import contextvars
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy import event

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, make_settings, new_workspace, start_server, wait_for
from tests.e2e.test_aws_connect_test_cases import NO_RETRIES, REGION, VOICE, main_flow, minimal_content
from tests.e2e.test_enterprise_tester import assignment
from tests.e2e.test_testinvite import add_candidate, complete, make_task, start
from tests.integration.conftest import fresh_database_url

# Tables a read may write, each with why: counting requests against a key's rate limit.
METERING = ("rate_limit_windows",)
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
_reading: contextvars.ContextVar[str | None] = contextvars.ContextVar("reading", default=None)


def _is_read(scope: dict[str, Any]) -> bool:
    method, path = scope["method"], scope["path"]
    return method in ("GET", "HEAD") or (
        method == "POST" and path.startswith("/aws/connect/search-")
    )  # Search*


class MarkReads:
    """An ASGI layer that marks a read request for the duration it is served (the mark
    follows the request into the thread that runs its endpoint)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _is_read(scope):
            await self.app(scope, receive, send)
            return
        token = _reading.set(f"{scope['method']} {scope['path']}")
        try:
            await self.app(scope, receive, send)
        finally:
            _reading.reset(token)


@dataclass
class Watched:
    live: LiveServer
    workspace: Workspace
    writes: list[tuple[str, str]] = field(default_factory=list)
    reads: list[tuple[str, int]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    """The read requests the hook saw a statement of: proof that the mark reaches the database."""

    def client(self, base: str, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.workspace.keys[Role.ADMIN].token}"}
        return httpx.Client(base_url=self.live.url + base, headers=headers, timeout=30, **kw)

    def get(self, client: httpx.Client, path: str, **params: Any) -> httpx.Response:
        response = client.get(path, params=params)
        self.reads.append((f"{client.base_url.path}{path.lstrip('/')}", response.status_code))
        return response


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    folder = tmp_path_factory.mktemp("gets")
    live = start_server(make_settings(folder / "data", fresh_database_url(Path(folder))), wrap=MarkReads)
    found = Watched(live, new_workspace(live.ctx, live.url))

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        request = _reading.get()
        if request is not None:
            found.seen.add(request)
            if WRITES.match(statement) and not _metering(statement):
                found.writes.append((request, statement.split("\n")[0][:120]))

    event.listen(live.ctx.db.engine, "before_cursor_execute", record)
    yield found
    event.remove(live.ctx.db.engine, "before_cursor_execute", record)
    live.stop()


def _metering(statement: str) -> bool:
    target = re.match(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", statement, re.IGNORECASE)
    return target is not None and target.group(1) in METERING


@dataclass
class Made:
    """Ids of one of everything, by the path parameter names the surfaces use."""

    ids: dict[str, str] = field(default_factory=dict)


def _arrange(w: Watched, target_url: str) -> Made:
    made = Made()
    with w.client("/api/v1") as api, w.client("/testinvite/api/integration/rest/v1") as ti:
        task = make_task(api, target_url)
        candidate = add_candidate(ti, task["id"], f"ann-{uuid.uuid4().hex[:6]}")
        instance = start(ti, task["id"], candidate["candidateId"], task["steps"][2]["id"])
        complete(ti, task["id"], instance["testInstanceId"])
        environment = api.post(
            "/environments", json={"name": "staging", "variables": {"a": "1"}, "secrets": {"pw": "x"}}
        ).json()
        plan_id = task["steps"][2]["plan_id"]
        upload = api.post("/uploads", json={"name": "app"}).json()
        version = api.post(
            f"/uploads/{upload['id']}/versions",
            params={"name": "1.0", "file_name": "app.apk"},
            content=b"apk",
        ).json()
        made.ids |= {
            "task_id": task["id"],
            "candidate_id": candidate["candidateId"],
            "instance_id": instance["testInstanceId"],
            "environment_id": environment["id"],
            "plan_id": plan_id,
            "upload_id": upload["id"],
            "version_id": version["id"],
            "assignment_id": assignment(api),
        }
    return made


def test_no_read_of_any_surface_writes(watched: Watched, target: Any) -> None:
    w = watched
    made = _arrange(w, target.url)
    with w.client("/testsigma/api/v1") as ts:
        plan_number = ts.get("/test_plans").json()["content"][0]["id"]
        run = ts.post("/execution_results", json={"executionId": plan_number}).json()
        wait_for(lambda: ts.get(f"/execution_results/{run['id']}").json()["status"] == "STATUS_COMPLETED", 30)
    w.writes.clear()  # what the arranging reads wrote is not this test's subject: what follows is

    _native_reads(w, made)
    _testsigma_reads(w, run["id"])
    _testinvite_reads(w, made)
    _enterprise_tester_reads(w, made)
    _aws_reads(w)

    assert w.writes == []
    assert len(w.seen) >= 50  # the hook did watch the reads' statements
    assert len(w.reads) >= 60
    assert [r for r in w.reads if r[1] >= 500] == []
    assert sum(1 for r in w.reads if r[1] == 200) >= 0.8 * len(w.reads), w.reads


def _walk_openapi(w: Watched, client: httpx.Client, spec_path: str, ids: dict[str, str]) -> None:
    """GET every path of a surface's OpenAPI document, its parameters filled from `ids`."""
    spec = client.get(spec_path).json()
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in ids]
        assert not missing, f"no id for {missing} of GET {path}: arrange one"
        w.get(client, re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path))


def _native_reads(w: Watched, made: Made) -> None:
    with w.client("/api/v1") as api:
        first = {
            "test_case_id": api.get("/test-cases").json()["items"][0]["id"],
            "suite_id": api.get("/suites").json()["items"][0]["id"],
            "execution_id": api.get("/executions").json()["items"][0]["id"],
            "plan_run_id": api.get("/plan-runs").json()["items"][0]["id"],
            "package_id": api.get("/packages").json()["items"][0]["id"],
            "user_id": api.get("/users").json()["items"][0]["id"],
        }
        ids = made.ids | first | {"kind": "connect.flow", "resource_id": "none", "artifact_id": "none"}
        ids |= {"delivery_id": "none", "incident_id": "none"}
        _walk_openapi(w, api, "/openapi.json", ids)


def _testsigma_reads(w: Watched, run_number: int) -> None:
    with w.client("/testsigma") as ts:
        env = ts.get("/api/v1/environments").json()["content"][0]["id"]
        upload = ts.get("/api/v1/uploads").json()["content"][0]["id"]
        ids = {"run_id": str(run_number), "env_id": str(env)}
        _walk_openapi(w, ts, "/openapi.json", ids)
        w.get(ts, "/api/v1/upload_versions", query=f"uploadId:{upload}")
        w.get(ts, "/api/v1/execution_results", query="result:FAILURE|SUCCESS")


def _testinvite_reads(w: Watched, made: Made) -> None:
    with w.client("/testinvite") as ti:
        _walk_openapi(w, ti, "/openapi.json", made.ids)
        base = "/api/integration/rest/v1"
        w.get(ti, f"{base}/tasks/{made.ids['task_id']}/test-instances", mode="detailed")


def _enterprise_tester_reads(w: Watched, made: Made) -> None:
    key = w.workspace.keys[Role.ADMIN]
    auth = (key.access_key_id, key.secret_access_key)
    with httpx.Client(base_url=f"{w.live.url}/enterprise-tester/api", auth=auth, timeout=30) as et:
        run = et.post(
            f"/scriptassignment/{made.ids['assignment_id']}/runs", params={"$expand": "StepResults"}
        )
        run_body = run.json()
        step = run_body["StepResults"][0]["Id"]
        et.put(f"/stepresult/{step}", json={"Outcome": "Failed", "ActualResult": "broke"})
        script = run_body["ScriptId"]
        package = et.get("/scriptpackages").json()["Items"][0]["Id"]
        for path in (
            "/projects", "/users", "/scripts", f"/script/{script}", f"/script/{script}/relationships",
            f"/script/{script}/allrelationships", f"/script/{script}/assignments",
            f"/script/{script}/attachments", "/scriptpackages", f"/scriptpackage/{package}",
            "/scriptassignments", f"/scriptassignment/{made.ids['assignment_id']}",
            f"/scriptassignment/{made.ids['assignment_id']}/runs", "/scriptruns",
            f"/scriptrun/{run_body['Id']}", f"/stepresult/{step}", f"/stepresult/{step}/attachments",
            f"/stepresult/{step}/incidents", "/executionpackages",
        ):  # fmt: skip
            w.get(et, path)
        w.get(et, f"/scriptrun/{run_body['Id']}", **{"$expand": "StepResults,Assignment"})
        w.get(
            et, "/scriptruns", **{"$filter": "Status eq 'Failed'", "$orderby": "CreatedAt desc", "$top": "5"}
        )


def _aws_reads(w: Watched) -> None:
    key = w.workspace.keys[Role.ADMIN]
    connect = boto3.client(
        "connect",
        endpoint_url=f"{w.live.url}/aws/connect",
        region_name=REGION,
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=key.secret_access_key,
        config=NO_RETRIES,
    )
    instance = w.workspace.id
    main_flow(connect, instance)
    case = connect.create_test_case(
        InstanceId=instance, Name="calls", Content=minimal_content(), EntryPoint=VOICE, Status="PUBLISHED"
    )["TestCaseId"]
    execution = connect.start_test_case_execution(InstanceId=instance, TestCaseId=case)["TestCaseExecutionId"]
    w.writes.clear()
    flow = connect.list_contact_flows(InstanceId=instance)["ContactFlowSummaryList"][0]["Id"]
    calls = [
        lambda: connect.list_test_cases(InstanceId=instance),
        lambda: connect.describe_test_case(InstanceId=instance, TestCaseId=case),
        lambda: connect.search_test_cases(InstanceId=instance),
        lambda: connect.list_test_case_executions(InstanceId=instance, TestCaseId=case),
        lambda: connect.get_test_case_execution_summary(
            InstanceId=instance, TestCaseId=case, TestCaseExecutionId=execution
        ),
        lambda: connect.list_test_case_execution_records(
            InstanceId=instance, TestCaseId=case, TestCaseExecutionId=execution
        ),
        lambda: connect.describe_contact_flow(InstanceId=instance, ContactFlowId=flow),
        lambda: connect.list_queues(InstanceId=instance),
        lambda: connect.list_hours_of_operations(InstanceId=instance),
    ]
    for call in calls:
        answer = call()
        w.reads.append(("aws", answer["ResponseMetadata"]["HTTPStatusCode"]))
    connect.close()


def test_only_the_rate_limiters_count_is_exempt() -> None:
    assert _metering("INSERT INTO rate_limit_windows (bucket, window_start, hits) VALUES (?, ?, ?)")
    assert _metering('UPDATE "rate_limit_windows" SET hits=hits + 1')
    assert not _metering("INSERT INTO surface_ids (surface, entity, core_id) VALUES (?, ?, ?)")
    assert not _metering("UPDATE executions SET status=? WHERE executions.id = ?")
    assert not _metering("DELETE FROM rate_limit_windows_backup")
