"""Who may do what over HTTP: keys, roles and workspaces."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, new_workspace, wait_finished
from tests.e2e.test_api_test_cases import assert_problem, unique
from tests.e2e.test_smoke import http_case

# --- no key, a bad key ------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/test-cases", None),
    ("POST", "/test-cases", {"kind": "noop", "name": "x", "content": {}}),
    ("GET", "/executions", None),
    ("POST", "/executions", {"test_case_id": "x"}),
    ("GET", "/suites", None),
    ("GET", "/whoami", None),
    ("POST", "/apply", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_request_without_a_key_is_a_401_problem(
    live: LiveServer, method: str, path: str, body: Any
) -> None:
    response = httpx.request(method, f"{live.url}/api/v1{path}", json=body)

    problem = assert_problem(response, 401)
    assert problem["code"] == "Unauthenticated"
    assert response.headers["www-authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-a-real-key", id="unknown-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Bearer", id="scheme-without-token"),
        pytest.param("not-a-scheme", id="no-scheme"),
    ],
)
def test_a_request_with_a_wrong_key_is_a_401_problem(live: LiveServer, authorization: str) -> None:
    response = httpx.get(f"{live.url}/api/v1/test-cases", headers={"Authorization": authorization})

    assert_problem(response, 401)


def test_a_revoked_looking_key_of_another_token_does_not_authenticate(
    workspace: Workspace, live: LiveServer
) -> None:
    token = workspace.keys[Role.ADMIN].token
    response = httpx.get(f"{live.url}/api/v1/whoami", headers={"Authorization": f"Bearer {token}x"})

    assert_problem(response, 401)


@pytest.mark.parametrize("role", list(Role))
def test_whoami_names_the_keys_role_and_workspace(workspace: Workspace, role: Role) -> None:
    with workspace.client(role) as client:
        me = client.get("/whoami")

    assert me.status_code == 200, me.text
    assert me.json()["role"] == role.value
    assert me.json()["workspace_id"] == workspace.id


# --- the role matrix ------------------------------------------------------------------------


@dataclass
class Arranged:
    """What each action in the matrix works on, made with the admin key."""

    workspace: Workspace
    admin: httpx.Client
    target_url: str
    published: dict[str, Any]
    an_execution: str
    suite: dict[str, Any]
    environment: dict[str, Any]
    started: list[str]

    def running_execution(self) -> str:
        """A slow execution, started on demand (only the stop action needs one)."""
        slow = self.admin.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": unique("slow"),
                "publish": True,
                "content": {
                    "steps": [
                        {"name": "slow", "request": {"url": f"{self.target_url}/slow?ms=800"}},
                        {"name": "after", "request": {"url": f"{self.target_url}/ok"}},
                    ]
                },
            },
        ).json()
        execution_id: str = self.admin.post("/executions", json={"test_case_id": slow["id"]}).json()["id"]
        self.started.append(execution_id)
        return execution_id


@pytest.fixture
def arranged(workspace: Workspace, target: Any) -> Iterator[Arranged]:
    with workspace.client() as admin:
        published = admin.post("/test-cases", json=http_case(target.url, unique())).json()
        ran = admin.post("/test-cases", json=http_case(target.url, unique())).json()
        execution = admin.post("/executions", json={"test_case_id": ran["id"]}).json()["id"]
        suite = admin.post(
            "/suites", json={"name": unique("suite"), "test_case_ids": [published["id"]]}
        ).json()
        environment = admin.post("/environments", json={"name": unique("env")}).json()
        arranged = Arranged(workspace, admin, target.url, published, execution, suite, environment, [])
        yield arranged
        for execution_id in arranged.started:
            if admin.get(f"/executions/{execution_id}").json()["status"] in ("QUEUED", "RUNNING"):
                admin.post(f"/executions/{execution_id}/stop")
            wait_finished(admin, execution_id)


Action = Callable[[httpx.Client, Arranged], httpx.Response]

ACTIONS: dict[str, tuple[Action, int]] = {
    # name: (the request, its status when allowed)
    "read a test case": (lambda c, a: c.get(f"/test-cases/{a.published['id']}"), 200),
    "list executions": (lambda c, a: c.get("/executions"), 200),
    "read an execution": (lambda c, a: c.get(f"/executions/{a.an_execution}"), 200),
    "read records": (lambda c, a: c.get(f"/executions/{a.an_execution}/records"), 200),
    "list suites": (lambda c, a: c.get("/suites"), 200),
    "create a test case": (lambda c, a: c.post("/test-cases", json=http_case(a.target_url, unique())), 201),
    "update a test case": (
        lambda c, a: c.patch(f"/test-cases/{a.published['id']}", json={"description": unique()}),
        200,
    ),
    "publish a test case": (lambda c, a: c.post(f"/test-cases/{a.published['id']}/publish"), 200),
    "create a suite": (lambda c, a: c.post("/suites", json={"name": unique("suite")}), 201),
    "create an environment": (lambda c, a: c.post("/environments", json={"name": unique("env")}), 201),
    "apply a bundle": (lambda c, a: c.post("/apply", json={"environments": [{"name": unique("env")}]}), 200),
    "start an execution": (lambda c, a: c.post("/executions", json={"test_case_id": a.published["id"]}), 201),
    "stop an execution": (lambda c, a: c.post(f"/executions/{a.running_execution()}/stop"), 200),
    "delete a test case": (lambda c, a: c.delete(f"/test-cases/{a.published['id']}"), 204),
    "delete a suite": (lambda c, a: c.delete(f"/suites/{a.suite['id']}"), 204),
    "delete an environment": (lambda c, a: c.delete(f"/environments/{a.environment['id']}"), 204),
}

READ = {"read a test case", "list executions", "read an execution", "read records", "list suites"}
WRITE = {"create a test case", "update a test case", "publish a test case", "create a suite",
         "create an environment", "apply a bundle"}  # fmt: skip
EXECUTE = {"start an execution", "stop an execution"}
DELETE = {"delete a test case", "delete a suite", "delete an environment"}

ALLOWED: dict[Role, set[str]] = {
    Role.VIEWER: READ,
    Role.TESTER: READ | WRITE | EXECUTE,
    Role.MANAGER: READ | WRITE | EXECUTE | DELETE,
    Role.ADMIN: READ | WRITE | EXECUTE | DELETE,
}

MATRIX = [
    pytest.param(role, action, action in ALLOWED[role], id=f"{role.value}-{action.replace(' ', '-')}")
    for role in Role
    for action in ACTIONS
]


@pytest.mark.parametrize(("role", "action", "allowed"), MATRIX)
def test_each_role_may_do_what_its_permissions_grant_and_nothing_more(
    arranged: Arranged, role: Role, action: str, allowed: bool
) -> None:
    request, success = ACTIONS[action]
    with arranged.workspace.client(role) as client:
        response = request(client, arranged)

    if allowed:
        assert response.status_code == success, response.text
    else:
        problem = assert_problem(response, 403)
        assert problem["code"] == "Forbidden"
        assert role.value in problem["detail"]


def test_a_refused_delete_leaves_the_test_case_in_place(arranged: Arranged) -> None:
    with arranged.workspace.client(Role.TESTER) as tester:
        assert_problem(tester.delete(f"/test-cases/{arranged.published['id']}"), 403)
        assert tester.get(f"/test-cases/{arranged.published['id']}").status_code == 200


def test_a_viewer_cannot_start_and_nothing_is_queued(arranged: Arranged) -> None:
    with arranged.workspace.client(Role.VIEWER) as viewer:
        before = viewer.get("/executions", params={"test_case_id": arranged.published["id"]}).json()["items"]
        assert_problem(viewer.post("/executions", json={"test_case_id": arranged.published["id"]}), 403)
        after = viewer.get("/executions", params={"test_case_id": arranged.published["id"]}).json()["items"]

    assert after == before == []


def test_a_viewer_cannot_change_a_test_case(arranged: Arranged) -> None:
    with arranged.workspace.client(Role.VIEWER) as viewer:
        assert_problem(
            viewer.patch(f"/test-cases/{arranged.published['id']}", json={"description": "x"}), 403
        )
        assert viewer.get(f"/test-cases/{arranged.published['id']}").json()["description"] == ""


# --- workspaces -----------------------------------------------------------------------------


@pytest.fixture
def stranger(live: LiveServer) -> Iterator[httpx.Client]:
    """An admin of another workspace."""
    other = new_workspace(live.ctx, live.url)
    with other.client() as client:
        yield client


@pytest.fixture
def ran(api: httpx.Client, target: Any) -> dict[str, Any]:
    case = api.post("/test-cases", json=http_case(target.url, unique())).json()
    started = api.post("/executions", json={"test_case_id": case["id"]}).json()
    execution = wait_finished(api, started["id"])
    return {"case": case, "execution": execution}


FOREIGN_REQUESTS: list[tuple[str, Callable[[httpx.Client, dict[str, Any]], httpx.Response]]] = [
    ("get a test case by id", lambda c, r: c.get(f"/test-cases/{r['case']['id']}")),
    ("get a test case by name", lambda c, r: c.get(f"/test-cases/{r['case']['name']}")),
    ("patch a test case", lambda c, r: c.patch(f"/test-cases/{r['case']['id']}", json={"description": "x"})),
    ("publish a test case", lambda c, r: c.post(f"/test-cases/{r['case']['id']}/publish")),
    ("delete a test case", lambda c, r: c.delete(f"/test-cases/{r['case']['id']}")),
    ("start a test case by id", lambda c, r: c.post("/executions", json={"test_case_id": r["case"]["id"]})),
    (
        "start a test case by name",
        lambda c, r: c.post("/executions", json={"test_case_id": r["case"]["name"]}),
    ),
    ("get an execution", lambda c, r: c.get(f"/executions/{r['execution']['id']}")),
    ("read its records", lambda c, r: c.get(f"/executions/{r['execution']['id']}/records")),
    ("stop an execution", lambda c, r: c.post(f"/executions/{r['execution']['id']}/stop")),
]


@pytest.mark.parametrize(("what", "request_"), FOREIGN_REQUESTS, ids=[w for w, _ in FOREIGN_REQUESTS])
def test_another_workspaces_key_gets_404_never_403(
    stranger: httpx.Client, ran: dict[str, Any], what: str, request_: Any
) -> None:
    problem = assert_problem(request_(stranger, ran), 404)

    assert problem["code"] == "NotFound"


def test_another_workspaces_lists_do_not_show_its_test_cases_or_executions(
    api: httpx.Client, stranger: httpx.Client, ran: dict[str, Any]
) -> None:
    case_ids = [c["id"] for c in stranger.get("/test-cases", params={"limit": 1000}).json()["items"]]
    by_name = stranger.get("/test-cases", params={"name_contains": ran["case"]["name"]}).json()["items"]
    executions = stranger.get("/executions", params={"test_case_id": ran["case"]["id"]})

    assert ran["case"]["id"] not in case_ids
    assert by_name == []
    # the filter names no test case of the stranger's workspace: refused as an id that exists nowhere
    assert_problem(executions, 422, "test_case_id")
    # and the owner still sees both
    assert api.get(f"/test-cases/{ran['case']['id']}").status_code == 200
    assert [
        x["id"] for x in api.get("/executions", params={"test_case_id": ran["case"]["id"]}).json()["items"]
    ] == [ran["execution"]["id"]]


def test_a_foreign_delete_leaves_the_test_case_in_place(
    api: httpx.Client, stranger: httpx.Client, ran: dict[str, Any]
) -> None:
    assert_problem(stranger.delete(f"/test-cases/{ran['case']['id']}"), 404)

    assert api.get(f"/test-cases/{ran['case']['id']}").status_code == 200


def test_another_workspaces_suite_cannot_be_put_in_a_plan(api: httpx.Client, stranger: httpx.Client) -> None:
    suite = api.post("/suites", json={"name": unique("suite")}).json()

    assert_problem(stranger.get(f"/suites/{suite['id']}"), 404)
    assert_problem(
        stranger.post("/plans", json={"name": unique("plan"), "suite_ids": [suite["id"]]}),
        422,
        "suite_ids[0]",
    )


def test_another_workspaces_test_case_cannot_be_put_in_a_suite(
    stranger: httpx.Client, ran: dict[str, Any]
) -> None:
    response = stranger.post("/suites", json={"name": unique("suite"), "test_case_ids": [ran["case"]["id"]]})

    assert_problem(response, 422, "test_case_ids[0]")


def test_another_workspaces_environment_cannot_be_used_to_start(
    api: httpx.Client, stranger: httpx.Client, target: Any
) -> None:
    env = api.post("/environments", json={"name": unique("env"), "variables": {"secret": "s3cr3t"}}).json()
    case = stranger.post("/test-cases", json=http_case(target.url, unique())).json()

    by_id = stranger.post("/executions", json={"test_case_id": case["id"], "environment_id": env["id"]})
    by_name = stranger.post("/executions", json={"test_case_id": case["id"], "environment_id": env["name"]})

    assert_problem(by_id, 422, "environment_id")
    assert_problem(by_name, 422, "environment_id")
    assert "s3cr3t" not in by_id.text + by_name.text
    assert stranger.get("/executions", params={"test_case_id": case["id"]}).json()["items"] == []
