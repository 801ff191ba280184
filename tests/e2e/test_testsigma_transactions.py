"""What Testsigma's plan-run answers cost the store, counted as transactions begun on the
server's engine (SQLite and PostgreSQL alike): reading the results of a run of 200 test
cases takes at most 3 and writes nothing, and a trigger costs at most one transaction more
than the native start of the same plan. The server runs no engine, so nothing else begins
transactions while a request is counted."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from testament.domain.access import Role
from testament.services import plans, suites
from testament.services import test_cases as tc
from tests.conftest import LiveServer, Workspace, make_settings, new_workspace, start_server
from tests.integration.conftest import fresh_database_url

CASES = 200
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@dataclass
class Counted:
    begins: int = 0
    writes: list[str] = field(default_factory=list)


@dataclass
class Server:
    live: LiveServer
    workspace: Workspace
    plan_id: str
    counted: Counted

    def client(self, base: str) -> httpx.Client:
        token = self.workspace.keys[Role.ADMIN].token
        return httpx.Client(
            base_url=self.live.url + base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    def cost(self, send: Any) -> tuple[httpx.Response, Counted]:
        """The response of `send()` and what serving it cost the store."""
        self.counted.begins, self.counted.writes = 0, []
        response = send()
        return response, Counted(self.counted.begins, list(self.counted.writes))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("transactions")
    settings = make_settings(
        folder / "data", fresh_database_url(Path(folder)), max_queued_executions=10 * CASES
    )
    live = start_server(settings, start_engine=False)
    workspace = new_workspace(live.ctx, live.url)
    principal = workspace.principal(live.ctx)
    content = {"steps": [{"name": "call", "request": {"url": "http://127.0.0.1:9/"}}]}
    cases = [
        tc.create_test_case(live.ctx, principal, kind="http", name=f"case {i}", content=content, publish=True)
        for i in range(CASES)
    ]
    suite = suites.create_suite(
        live.ctx, principal, name="all", test_case_ids=[c.test_case.id for c in cases]
    )
    plan = plans.create_plan(live.ctx, principal, name="big", suite_ids=[suite.id])
    counted = Counted()

    def on_begin(_conn: Any) -> None:
        counted.begins += 1

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if WRITES.match(statement):
            counted.writes.append(statement[:80])

    engine = live.ctx.db.engine
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_statement)
    yield Server(live, workspace, plan.id, counted)
    event.remove(engine, "begin", on_begin)
    event.remove(engine, "before_cursor_execute", on_statement)
    live.stop()


def test_the_results_of_a_run_of_200_test_cases_cost_at_most_3_transactions_and_no_write(
    server: Server,
) -> None:
    with server.client("/testsigma/api/v1") as ts:
        plan_number = ts.get("/test_plans").json()["content"][0]["id"]
        started = ts.post("/execution_results", json={"executionId": plan_number})
        assert started.status_code == 200, started.text
        run = started.json()
        first, first_cost = server.cost(lambda: ts.get(f"/execution_results/{run['id']}/test_case_results"))
        again, again_cost = server.cost(lambda: ts.get(f"/execution_results/{run['id']}/test_case_results"))

    assert first.status_code == 200 and len(first.json()["testCases"]) == CASES
    assert again.json() == first.json()
    assert (first_cost.writes, again_cost.writes) == ([], [])
    assert first_cost.begins <= 3 and again_cost.begins <= 3, (first_cost, again_cost)


def test_a_trigger_costs_at_most_one_transaction_more_than_the_native_start(server: Server) -> None:
    with server.client("/api/v1") as api, server.client("/testsigma/api/v1") as ts:
        plan_number = ts.get("/test_plans").json()["content"][0]["id"]
        native, native_cost = server.cost(lambda: api.post("/executions", json={"plan_id": server.plan_id}))
        trigger, trigger_cost = server.cost(
            lambda: ts.post("/execution_results", json={"executionId": plan_number})
        )

    assert native.status_code == 201 and trigger.status_code == 200, (native.text, trigger.text)
    assert trigger.json()["totalCount"] == CASES
    assert trigger_cost.begins <= native_cost.begins + 1, (native_cost.begins, trigger_cost.begins)
