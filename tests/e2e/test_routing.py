"""Routing with real processes: `testament serve --no-workers` and `testament worker` processes
with labels on one database. An execution runs only on a worker whose labels meet its
requirements (its test case's, or its plan machine's); one no live worker can take says so,
through the API and in one record, until a worker that can take it starts."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from testament.cli.main import app
from tests.conftest import wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.e2e.test_worker import _api, _start, _status
from tests.integration.conftest import fresh_database_url

NO_FIREFOX = "no live worker has kind 'noop' and labels browser=firefox"


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(
        tmp_path / "data", fresh_database_url(tmp_path), heartbeat_s=0.5, lease_s=5, poll_s=0.2
    )
    yield inst
    inst.stop()


def _case(api: httpx.Client, name: str, requires: dict[str, str] | None = None) -> str:
    body = {"kind": "noop", "name": name, "content": {}, "publish": True, "requires": requires or {}}
    response = api.post("/test-cases", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _waiting_for(api: httpx.Client, execution_id: str) -> Any:
    return api.get(f"/executions/{execution_id}").json()["waiting_for"]


def _no_worker_records(api: httpx.Client, execution_id: str) -> list[dict[str, Any]]:
    records = api.get(f"/executions/{execution_id}/records").json()["items"]
    return [r["record"] for r in records if r["record"].get("event") == "no_worker"]


def _plan_run(api: httpx.Client, case_id: str) -> dict[str, str]:
    """A plan whose two machines need different browsers; started: its executions by machine."""
    suite = api.post("/suites", json={"name": "browsers", "test_case_ids": [case_id]}).json()["id"]
    machines = [
        {"name": "chromium box", "suite_ids": [suite], "requires": {"browser": "chromium"}},
        {"name": "firefox box", "suite_ids": [suite], "requires": {"browser": "firefox"}},
    ]
    plan = api.post("/plans", json={"name": "browsers", "machines": machines})
    assert plan.status_code == 201, plan.text
    run = api.post("/executions", json={"plan_id": plan.json()["id"]})
    assert run.status_code == 201, run.text
    listed = api.get("/executions", params={"plan_run_id": run.json()["plan_run_id"]}).json()["items"]
    return {x["machine"]: x["id"] for x in listed}


def test_an_execution_waits_saying_why_until_a_worker_with_its_labels_starts(
    installation: Installation,
) -> None:
    installation.serve(None, "--no-workers")
    installation.worker("--kinds", "noop", "--labels", "browser=chromium")
    with _api(installation, "routing") as api:
        firefox = _start(api, _case(api, "needs firefox", {"browser": "firefox"}))
        chromium = _start(api, _case(api, "needs chromium", {"browser": "chromium"}))
        by_machine = _plan_run(api, _case(api, "any browser"))

        assert wait_finished(api, chromium)["status"] == "PASSED"
        assert wait_finished(api, by_machine["chromium box"])["status"] == "PASSED"
        wait_for(lambda: _waiting_for(api, firefox) == NO_FIREFOX)
        wait_for(lambda: _waiting_for(api, by_machine["firefox box"]) == NO_FIREFOX)
        wait_for(lambda: len(_no_worker_records(api, firefox)) == 1)
        assert (_status(api, firefox), _status(api, by_machine["firefox box"])) == ("QUEUED", "QUEUED")
        assert _no_worker_records(api, firefox) == [{"event": "no_worker", "reason": NO_FIREFOX}]
        assert api.get(f"/executions/{firefox}").json()["requires"] == {"browser": "firefox"}

        installation.worker("--kinds", "noop", "--labels", "browser=firefox,os=linux")

        assert wait_finished(api, firefox)["status"] == "PASSED"
        assert wait_finished(api, by_machine["firefox box"])["status"] == "PASSED"
        assert _waiting_for(api, firefox) is None
        assert len(_no_worker_records(api, firefox)) == 1  # said once, however many sweeps passed


def test_on_a_plain_serve_an_execution_that_requires_a_label_says_so(installation: Installation) -> None:
    installation.serve(None)  # its own workers: every kind, no labels
    with _api(installation, "plain") as api:
        plain = _start(api, _case(api, "plain"))
        firefox = _start(api, _case(api, "needs firefox", {"browser": "firefox"}))

        assert wait_finished(api, plain)["status"] == "PASSED"
        wait_for(lambda: _waiting_for(api, firefox) == NO_FIREFOX)
        assert _status(api, firefox) == "QUEUED"


def test_a_worker_label_that_no_requirement_could_name_is_refused_before_it_starts() -> None:
    runner = CliRunner()
    spaced = runner.invoke(app, ["worker", "--labels", "has space=x"])
    empty = runner.invoke(app, ["worker", "--labels", "browser="])
    assert (spaced.exit_code, empty.exit_code) == (2, 2)
    assert "'has space' is not a label name" in spaced.output
    assert "labels.browser: must be a string of 1 to 100 characters" in empty.output
