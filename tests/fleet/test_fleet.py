"""Faults across machines: the API on one host, workers on two others, PostgreSQL reached over
the hosts' links (tests/fleet/hosts.py). A killed worker's run is taken up once its lease runs
out; a worker cut off from the database stops its run itself, and its writes are refused after;
PostgreSQL and the API restart under load and nothing is lost."""

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from testament.bootstrap import build_context, pool_limits
from testament.config import Settings
from testament.domain.execution import ExecutionStatus, Outcome, RecordStatus
from testament.engine import queue
from testament.engine.listen import APPLICATION_NAME
from testament.services.context import AppContext
from tests.conftest import wait_finished, wait_for
from tests.fleet.conftest import LEASE_S, Fleet, restart_database

TERMINAL = ("PASSED", "FAILED", "STOPPED", "ERROR")


def _slow_case(api: httpx.Client, fleet: Fleet, *, steps: int, ms: int) -> str:
    slow = {"url": f"{fleet.target.url}/slow?ms={ms}"}
    content = {"steps": [{"name": f"step {i}", "request": slow} for i in range(steps)]}
    response = api.post(
        "/test-cases", json={"kind": "http", "name": "slow", "content": content, "publish": True}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _start(api: httpx.Client, test_case_id: str) -> str:
    response = api.post("/executions", json={"test_case_id": test_case_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _execution(api: httpx.Client, execution_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/executions/{execution_id}").json()
    return body


def _recovery_events(api: httpx.Client, execution_id: str) -> list[str]:
    records = api.get(f"/executions/{execution_id}/records").json()["items"]
    return [r["record"]["event"] for r in records if r["observation_id"] == "recovery"]


def _worker_line(log: Path) -> list[str]:
    """`worker ID (OWNER) runs …`: its id and its lease owner."""
    line = next(line for line in log.read_text().splitlines() if " at once, kinds " in line)
    return [line.split()[1], line.split()[2].strip("()")]


def _gave_up(log: Path, execution_id: str) -> bool:
    """Whether the worker stopped the run itself: its heartbeat gave the lease up, or the run's
    own write failed and ended it."""
    text = log.read_text()
    return f"stopping {execution_id}: " in text or f"engine failure while running {execution_id}" in text


def _running_on(api: httpx.Client, worker_id: str) -> list[str]:
    workers = {w["id"]: w for w in api.get("/workers").json()["items"]}
    return [e["id"] for e in workers.get(worker_id, {}).get("executions", [])]


def _lease_owner(fleet: Fleet, execution_id: str) -> str | None:
    with psycopg.connect(_libpq(fleet.database_url)) as conn:
        row = conn.execute("SELECT lease_owner FROM executions WHERE id = %s", (execution_id,)).fetchone()
    return None if row is None else row[0]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _addresses(fleet: Fleet, application_name: str | None = None) -> dict[str, int]:
    """Connections to the fleet's database, counted by the address they come from."""
    query = "SELECT host(client_addr), count(*) FROM pg_stat_activity WHERE datname = current_database()"
    query += " AND pid <> pg_backend_pid()"
    if application_name is not None:
        query += " AND application_name = %(name)s"
    query += " GROUP BY 1"
    with psycopg.connect(_libpq(fleet.database_url)) as conn:
        return {str(a): int(n) for a, n in conn.execute(query, {"name": application_name}).fetchall()}


@pytest.fixture
def old_owner_view(fleet: Fleet, tmp_path: Path) -> Iterator[AppContext]:
    """The queue as any process sees it, to try a lost owner's writes directly."""
    settings = Settings(
        data_dir=tmp_path / "fencing",
        database_url=fleet.database_url,
        secret_key=fleet.env["TESTAMENT_SECRET_KEY"],
        lease_s=LEASE_S,
        heartbeat_s=0.5,
    )
    ctx = build_context(settings, run_migrations=False)
    yield ctx
    ctx.db.dispose()


def _writes_are_refused(ctx: AppContext, execution_id: str, owner: str) -> None:
    with pytest.raises(queue.LeaseLost):
        queue.renew_lease(ctx, execution_id, owner)
    with pytest.raises(queue.LeaseLost):
        queue.append_record(ctx, execution_id, owner, "late", RecordStatus.PASSED, {"late": True})
    with pytest.raises(queue.LeaseLost):
        queue.finish(ctx, execution_id, owner, Outcome(ExecutionStatus.FAILED, "a late verdict"))


def test_workers_connect_from_their_own_hosts_and_run_what_the_api_on_another_host_started(
    fleet: Fleet,
) -> None:
    first, _ = fleet.worker("tst-w1")
    fleet.worker("tst-w2")
    hosts = fleet.network.hosts
    peak: dict[str, int] = {}
    with fleet.api("across") as api:
        case = _slow_case(api, fleet, steps=2, ms=300)
        started = [_start(api, case) for _ in range(8)]  # both workers' 4 at once

        def finished_counting() -> bool:
            for address, count in _addresses(fleet).items():
                peak[address] = max(peak.get(address, 0), count)
            return all(_execution(api, e)["status"] in TERMINAL for e in started)

        wait_for(finished_counting, timeout_s=60, interval_s=0.05)
        assert [wait_finished(api, e)["status"] for e in started] == ["PASSED"] * 8

    with psycopg.connect(_libpq(fleet.database_url)) as conn:  # the budget the fleet lives within
        assert conn.execute("SHOW max_connections").fetchone() == ("100",)
    # each worker within its share of the budget (README, "Scaling out"): its pool and its listener
    worker_budget = pool_limits(serves_api=False, concurrency=4)[0] + 1
    for name in ("tst-w1", "tst-w2"):
        assert 0 < peak.get(hosts[name].address, 0) <= worker_budget, (name, peak, worker_budget)
    print(f"connections at most, by host: {peak} (a worker's budget: {worker_budget})")
    connected = _addresses(fleet)
    for name in ("tst-api", "tst-w1", "tst-w2"):
        assert connected.get(hosts[name].address, 0) > 0, (name, connected)
    listeners = _addresses(fleet, APPLICATION_NAME)  # each worker's LISTEN connection, from its host
    assert set(listeners) == {hosts["tst-w1"].address, hosts["tst-w2"].address}, listeners

    first.send_signal(signal.SIGKILL)  # its connections close with it: they were the ones from its address
    wait_for(lambda: hosts["tst-w1"].address not in _addresses(fleet), timeout_s=15)
    assert _addresses(fleet).get(hosts["tst-w2"].address, 0) > 0


def test_a_killed_worker_s_run_is_taken_up_by_another_host_once_its_lease_runs_out(
    fleet: Fleet, old_owner_view: AppContext
) -> None:
    first, log = fleet.worker("tst-w1")
    first_id, first_owner = _worker_line(log)
    with fleet.api("killed") as api:
        execution_id = _start(api, _slow_case(api, fleet, steps=4, ms=1000))
        wait_for(lambda: execution_id in _running_on(api, first_id))
        fleet.worker("tst-w2")

        first.send_signal(signal.SIGKILL)
        # its lease runs out, a reaper's round, a claim: a few seconds past the lease on a busy machine
        wait_for(lambda: _lease_owner(fleet, execution_id) not in (first_owner, None), timeout_s=5 * LEASE_S)
        _writes_are_refused(old_owner_view, execution_id, first_owner)  # fencing, while the other runs it

        finished = wait_finished(api, execution_id, timeout_s=60)
        assert (finished["status"], finished["attempt"], finished["interruptions"]) == ("PASSED", 1, 1)
        assert len(_recovery_events(api, execution_id)) == 1


def test_a_worker_cut_off_from_the_database_stops_its_run_itself_and_its_late_writes_are_refused(
    fleet: Fleet, old_owner_view: AppContext
) -> None:
    first, log = fleet.worker("tst-w1")
    first_id, first_owner = _worker_line(log)
    cut_host = fleet.network.hosts["tst-w1"]
    with fleet.api("cut") as api:
        execution_id = _start(api, _slow_case(api, fleet, steps=10, ms=1000))
        wait_for(lambda: execution_id in _running_on(api, first_id))
        fleet.worker("tst-w2")

        cut_host.cut()
        cut_at = time.monotonic()
        wait_for(lambda: _gave_up(log, execution_id), timeout_s=2 * LEASE_S)
        noticed_s = time.monotonic() - cut_at
        assert noticed_s < LEASE_S, log.read_text()  # within its lease: before anyone may take the run up

        wait_for(lambda: _lease_owner(fleet, execution_id) not in (first_owner, None), timeout_s=4 * LEASE_S)
        cut_host.mend()
        _writes_are_refused(old_owner_view, execution_id, first_owner)
        finished = wait_finished(api, execution_id, timeout_s=60)
        assert (finished["status"], finished["attempt"], finished["interruptions"]) == ("PASSED", 1, 1)
        time.sleep(2 * 0.5)  # a few heartbeats of the mended worker: nothing of its attempt lands
        assert _execution(api, execution_id)["status"] == "PASSED"
        assert first.poll() is None, log.read_text()  # it survived the cut; it only gave the run up


def test_postgresql_restarted_under_load_loses_nothing_and_the_workers_listen_again(fleet: Fleet) -> None:
    fleet.worker("tst-w1")
    fleet.worker("tst-w2")
    hosts = fleet.network.hosts
    with fleet.api("pg-restart") as api:
        case = _slow_case(api, fleet, steps=3, ms=700)
        started = [_start(api, case) for _ in range(8)]
        wait_for(lambda: sum(_execution(api, e)["status"] == "RUNNING" for e in started) >= 4)
        restart_database()

        ended = [wait_finished(api, e, timeout_s=90) for e in started]
        assert all(e["status"] in TERMINAL for e in ended)
        assert [e["status"] for e in ended] == ["PASSED"] * 8, [(e["status"], e.get("reason")) for e in ended]
        assert all(e["attempt"] == 1 for e in ended)

        wait_for(
            lambda: (
                {hosts["tst-w1"].address, hosts["tst-w2"].address} <= set(_addresses(fleet, APPLICATION_NAME))
            )
        )
        after = _start(api, case)
        assert wait_finished(api, after, timeout_s=30)["status"] == "PASSED"


def test_the_api_restarted_while_workers_run_executions_they_finish_them(fleet: Fleet) -> None:
    fleet.worker("tst-w1")
    fleet.worker("tst-w2")
    with fleet.api("api-restart") as api:
        case = _slow_case(api, fleet, steps=4, ms=800)
        started = [_start(api, case) for _ in range(4)]
        wait_for(lambda: all(_execution(api, e)["status"] == "RUNNING" for e in started))
        fleet.stop_api()
        time.sleep(1.0)
        fleet.serve()
        ended = [wait_finished(api, e, timeout_s=60) for e in started]
        assert [(e["status"], e["interruptions"]) for e in ended] == [("PASSED", 0)] * 4


def test_the_hosts_are_gone_after_a_test(fleet: Fleet) -> None:
    names = [host.name for host in fleet.network.hosts.values()]
    fleet.network.close()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert not [name for name in names if name in listed]
    links = subprocess.run(["ip", "link"], capture_output=True, text=True, check=True).stdout
    assert fleet.network.bridge not in links and fleet.network.suffix not in links
