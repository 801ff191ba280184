"""A secret with characters that every encoding changes (`"`, `&`, `+`, `/`, a space, non-ASCII),
given at start time and sent in a query string, a JSON body, a form and Basic auth to a target
that echoes it, is kept nowhere in any form: not in records, failures, the reason, artifacts,
the Testsigma JUnit report, any database row or artifact file. Given at start, it is stored
encrypted and no surface returns it."""

import base64
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import MetaData, select

from testament.domain.access import Role
from tests.conftest import LiveServer, Workspace, wait_finished

SENT = "{{password}}"
PAD = "x" * 5000  # echoed back, so that each response is too long for its record and kept as an artifact


def http_case(target: Any) -> dict[str, Any]:
    port = target.url.rsplit(":", 1)[1]
    echo = f"{target.url}/echo"
    step = {"headers": {"X-Pad": PAD}}
    fail = {"json": {"$.path": "/nowhere"}}  # fails, and the failure shows the path with the secret
    steps = [
        {"name": "query", "request": {**step, "url": echo + "?q={{password}}"}, "expect": fail},
        {
            "name": "json body",
            "request": {**step, "method": "POST", "url": echo, "json": {"p": "{{password}}"}},
        },
        {"name": "form", "request": {**step, "method": "POST", "url": echo, "form": {"p": "{{password}}"}}},
        {
            "name": "basic auth",  # httpx turns the URL's user info into a Basic Authorization header
            "request": {**step, "url": f"http://alice:{{{{password_in_url}}}}@127.0.0.1:{port}/echo"},
            "expect": {"body_contains": "no such text"},
        },
    ]
    return {
        "kind": "http",
        "name": "secret everywhere",
        "publish": True,
        "content": {"steps": steps, "secrets": ["password", "password_in_url"], "continue_on_failure": True},
    }


@pytest.fixture
def secret() -> str:
    return f'p"a&s+s/ wörd-{uuid.uuid4().hex[:10]}'


def forms_of(secret: str) -> list[str]:
    """What must be found nowhere: the random tail (it survives URL, form and JSON encoding
    unchanged) and the Basic credentials."""
    tail = secret.rsplit("-", 1)[1]
    return [tail, base64.b64encode(f"alice:{secret}".encode()).decode()]


def assert_hidden(secret: str, where: str, text: str) -> None:
    leaked = [form for form in forms_of(secret) if form in text]
    assert not leaked, f"{where} holds the secret: {text[:2000]}"


def start_plan_run(
    live: LiveServer, workspace: Workspace, api: httpx.Client, target: Any, secret: str
) -> Any:
    case = api.post("/test-cases", json=http_case(target))
    assert case.status_code == 201, case.text
    suite = api.post("/suites", json={"name": "s", "test_case_ids": [case.json()["id"]]}).json()["id"]
    api.post("/plans", json={"name": "secret plan", "suite_ids": [suite]}).raise_for_status()
    testsigma = httpx.Client(
        base_url=f"{live.url}/testsigma/api/v1",
        headers={"Authorization": f"Bearer {workspace.keys[Role.ADMIN].token}"},
        timeout=30,
    )
    plans = testsigma.get("/test_plans").json()["content"]
    number = next(p["id"] for p in plans if p["name"] == "secret plan")
    runtime = {"password": secret, "password_in_url": quote(secret, safe="")}
    run = testsigma.post("/execution_results", json={"executionId": number, "runtimeData": runtime})
    assert run.status_code == 200, run.text
    return testsigma, run.json()


def test_a_secret_given_at_start_is_hidden_in_every_form_everywhere_it_could_be_kept(
    live: LiveServer, workspace: Workspace, api: httpx.Client, target: Any, secret: str
) -> None:
    testsigma, run = start_plan_run(live, workspace, api, target, secret)
    (execution,) = api.get("/executions").json()["items"]  # the workspace's only one
    done = wait_finished(api, execution["id"])
    records = api.get(f"/executions/{execution['id']}/records").json()["items"]
    artifacts = api.get(f"/executions/{execution['id']}/artifacts").json()["items"]
    junit = testsigma.get(f"/reports/junit/{run['id']}", headers={"Accept": "application/xml"})
    shown_run = testsigma.get(f"/execution_results/{run['id']}").json()

    steps = [r for r in records if r["observation_id"] in ("query", "json body", "form", "basic auth")]
    assert [r["status"] for r in steps] == ["FAILED", "PASSED", "PASSED", "FAILED"], records
    assert all(r["record"]["response"]["truncated"] for r in steps) and len(artifacts) == 4
    assert done["status"] == "FAILED" and "***" in done["reason"], done
    assert "***" in str(steps[0]["record"]["failures"]) and junit.status_code == 200
    assert_hidden(secret, "the records", str(records))
    assert_hidden(secret, "the reason", done["reason"])
    for artifact in artifacts:
        assert_hidden(secret, f"artifact {artifact['name']}", api.get(f"/artifacts/{artifact['id']}").text)
    assert_hidden(secret, "the JUnit report", junit.text)
    assert_hidden(secret, "the plan run", str(shown_run))
    assert shown_run["runtimeData"]["password"] == "***"
    assert_hidden(secret, "the database", every_row(live))
    assert_hidden(secret, "the artifact files", every_file(live.ctx.settings.artifacts_dir))


def test_a_secret_given_at_start_is_stored_encrypted(
    live: LiveServer, workspace: Workspace, api: httpx.Client, target: Any, secret: str
) -> None:
    start_plan_run(live, workspace, api, target, secret)
    (execution,) = api.get("/executions").json()["items"]
    tables = MetaData()
    tables.reflect(live.ctx.db.engine, only=["executions", "plan_runs"])

    with live.ctx.db.engine.connect() as db:
        variables = db.execute(
            select(tables.tables["executions"].c.variables).where(
                tables.tables["executions"].c.id == execution["id"]
            )
        ).scalar_one()
        runtime_data = db.execute(select(tables.tables["plan_runs"].c.runtime_data)).scalars().all()

    box = live.ctx.secret_box
    assert set(variables["password"]) == {"$secret"}
    assert box.decrypt(variables["password"]["$secret"].encode()).decode() == secret
    assert any(data.get("password") == variables["password"] for data in runtime_data if data)
    assert_hidden(secret, "the stored variables", str(variables))


def every_row(live: LiveServer) -> str:
    tables = MetaData()
    tables.reflect(live.ctx.db.engine)
    with live.ctx.db.engine.connect() as db:
        return "\n".join(
            str(tuple(row)) for table in tables.sorted_tables for row in db.execute(select(table))
        )


def every_file(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())


def test_a_secret_variable_given_to_a_native_start_is_stored_encrypted_and_never_shown(
    live: LiveServer, api: httpx.Client, target: Any, secret: str
) -> None:
    case = api.post("/test-cases", json=http_case(target)).json()
    started = api.post(
        "/executions",
        json={
            "test_case_id": case["id"],
            "variables": {"password": secret, "password_in_url": "x", "user": "u"},
        },
    )
    execution_id = started.json()["executions"][0]["id"]
    tables = MetaData()
    tables.reflect(live.ctx.db.engine, only=["executions"])
    executions = tables.tables["executions"]

    with live.ctx.db.engine.connect() as db:
        variables = db.execute(
            select(executions.c.variables).where(executions.c.id == execution_id)
        ).scalar_one()

    assert started.status_code == 201
    assert live.ctx.secret_box.decrypt(variables["password"]["$secret"].encode()).decode() == secret
    assert variables["user"] == "u"  # a variable the content does not declare secret is kept as given
    assert_hidden(secret, "the start's answer", started.text)
    assert_hidden(secret, "the execution", api.get(f"/executions/{execution_id}").text)
