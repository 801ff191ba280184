"""The workers page (/workers) over HTTP: the fleet's liveness as status words, heartbeats, kinds,
labels and versions; a worker's runs named only to the workspace they belong to; every role; the
empty state of a deployment without workers."""

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from testament.domain.access import Role
from testament.services import workers
from testament.store.tables import executions
from testament.store.tables import workers as workers_table
from tests.conftest import (
    LiveServer,
    Workspace,
    make_settings,
    new_workspace,
    start_server,
    wait_finished,
    wait_for,
)
from tests.e2e.web import signed_in

REGISTERED: list[str] = []


@pytest.fixture(autouse=True)
def _forget_workers(live: LiveServer) -> Iterator[None]:
    """The session's database is shared: the workers a test registers go with it."""
    yield
    with live.ctx.uow() as uow:
        uow.session.execute(delete(workers_table).where(workers_table.c.id.in_(REGISTERED)))
        uow.commit()
    REGISTERED.clear()


def _register(live: LiveServer, *, owner: str | None = None, **extra: Any) -> tuple[str, str]:
    host = f"host-{uuid.uuid4().hex[:8]}"
    registration = workers.Registration(
        owner=owner or f"{host}:1:space:{uuid.uuid4().hex[:12]}",
        host=host,
        pid=4242,
        kinds=extra.get("kinds", ("http",)),
        labels=extra.get("labels", {}),
        concurrency=3,
        version=extra.get("version", "9.8.7"),
    )
    worker_id = workers.register(live.ctx, registration)
    REGISTERED.append(worker_id)
    return worker_id, host


def _row(html: str, worker_id: str) -> str:
    found = re.search(rf'<tr id="worker-{worker_id}">(.*?)</tr>', html, re.S)
    assert found, f"worker {worker_id} is not listed"
    return found.group(1)


def test_the_fleet_shows_liveness_heartbeat_kinds_labels_and_version(
    live: LiveServer, workspace: Workspace
) -> None:
    alive, alive_host = _register(
        live, kinds=("http", "connect"), labels={"browser": "chromium"}, version="1.2.3"
    )
    dead, _ = _register(live)
    stopped, _ = _register(live)
    with live.ctx.uow() as uow:  # silent for a minute: past the dead bound (five missed beats)
        uow.session.execute(
            update(workers_table)
            .where(workers_table.c.id == dead)
            .values(last_heartbeat_at=live.ctx.clock() - timedelta(minutes=1))
        )
        uow.commit()
    workers.sign_off(live.ctx, stopped)

    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/workers")
    assert page.status_code == 200
    row = _row(page.text, alive)
    assert f'<span class="mono">{alive_host}</span>' in row and "pid 4242" in row
    assert 'class="status st-passed"' in row and "Alive" in row
    assert "<time datetime=" in row and "just now" in row
    assert (
        '<span class="workers-tag">http</span>' in row and '<span class="workers-tag">connect</span>' in row
    )
    assert "browser=chromium" in row
    assert "1.2.3" in row and "(runs 3 at once at most)" in row
    dead_row = _row(page.text, dead)
    assert "Dead" in dead_row and 'class="status st-failed"' in dead_row and "1 min ago" in dead_row
    assert "Stopped" in _row(page.text, stopped)
    # alive ones first
    assert page.text.index(f'id="worker-{alive}"') < page.text.index(f'id="worker-{dead}"')


def test_a_workers_runs_are_named_only_to_their_own_workspace(
    live: LiveServer, workspace: Workspace, target: Any
) -> None:
    with workspace.client() as api:
        case = api.post(
            "/test-cases",
            json={
                "kind": "http",
                "name": f"slow-{uuid.uuid4().hex[:8]}",
                "publish": True,
                "content": {"steps": [{"name": "s", "request": {"url": f"{target.url}/slow?ms=3000"}}]},
            },
        ).json()
        started = api.post("/executions", json={"test_case_id": case["id"]}).json()
        wait_for(lambda: api.get(f"/executions/{started['id']}").json()["status"] == "RUNNING")
        with live.ctx.db.reading() as session:
            owner = session.execute(
                select(executions.c.lease_owner).where(executions.c.id == started["id"])
            ).scalar_one()
        # the process that runs it says it is a worker of the fleet (as `testament worker` does);
        # its row goes before it could be seen silent (a dead owner's runs are taken up again)
        worker_id, host = _register(live, owner=owner)
        other = new_workspace(live.ctx, live.url)
        try:
            with signed_in(workspace, Role.TESTER) as mine, signed_in(other, Role.ADMIN) as theirs:
                here = _row(mine.get("/workers").text, worker_id)
                there = _row(theirs.get("/workers").text, worker_id)
                dashboard = mine.get("/").text
        finally:
            with live.ctx.uow() as uow:
                uow.session.execute(delete(workers_table).where(workers_table.c.id == worker_id))
                uow.commit()
        wait_finished(api, started["id"])
    assert f'<a href="/runs/{started["id"]}">{case["name"]}</a>' in here
    running = dashboard.split('id="running-heading"')[1].split("</section>")[0]
    assert f'<a href="/workers#worker-{worker_id}">{host}</a>' in running
    assert started["id"] not in there and case["name"] not in there
    assert "none" in there


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_fleet(live: LiveServer, workspace: Workspace, role: Role) -> None:
    worker_id, host = _register(live)
    with signed_in(workspace, role) as client:
        page = client.get("/workers")
    assert page.status_code == 200
    assert "<h1>Workers</h1>" in page.text and host in _row(page.text, worker_id)
    assert "<form" not in page.text.split("<main")[1]  # the page changes nothing


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[LiveServer]:
    """A deployment of its own, with no worker yet (the session's server is shared)."""
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'fresh.db'}")
    server = start_server(settings, start_engine=False)
    yield server
    server.stop()


def test_without_workers_the_page_says_how_to_start_one(fresh: LiveServer) -> None:
    workspace = new_workspace(fresh.ctx, fresh.url)
    with signed_in(workspace, Role.VIEWER) as client:
        page = client.get("/workers").text
    assert "No workers have reported in the last 24 hours." in page
    assert "<code>testament worker --kinds http --concurrency 4</code>" in page
    assert "<table" not in page
