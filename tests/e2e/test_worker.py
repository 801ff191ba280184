"""`testament serve --no-workers` with `testament worker` processes, all real processes on one
database (SQLite here, or PostgreSQL when TESTAMENT_TEST_DATABASE_URL names one): the API runs
nothing itself, a worker claims only its kinds, the fleet is listed per workspace, and a worker
told to stop drains and hands back what it could not finish."""

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from testament.cli.children import concurrency_per_child
from testament.cli.main import app
from tests.conftest import wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url

# Runs the real `testament` command, and says on exit which web modules the process imported.
WATCHED = [
    sys.executable,
    "-c",
    "import atexit, sys\n"
    "def web():\n"
    "    return sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')\n"
    "                  or m.startswith(('testament.api', 'testament.compat', 'testament.surfaces')))\n"
    "atexit.register(lambda: print('web modules:', web(), file=sys.stderr))\n"
    "from testament.cli.main import app\n"
    "app()\n",
]


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(
        tmp_path / "data", fresh_database_url(tmp_path), heartbeat_s=0.5, lease_s=5, poll_s=0.2
    )
    yield inst
    inst.stop()


def _api(installation: Installation, workspace_name: str, role: str = "admin") -> httpx.Client:
    """A client of the served API with a key of a new workspace."""
    workspace = installation.cli_json("workspace", "create", workspace_name)["id"]
    token = installation.cli_json("key", "create", "--workspace", workspace, "--role", role)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=installation.url + "/api/v1", headers=headers, timeout=10)


def _case(api: httpx.Client, kind: str, name: str, content: dict[str, Any]) -> str:
    body = {"kind": kind, "name": name, "content": content, "publish": True}
    response = api.post("/test-cases", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _slow_case(api: httpx.Client, target: Any, *, steps: int, ms: int) -> str:
    slow = {"url": f"{target.url}/slow?ms={ms}"}
    return _case(
        api, "http", "slow", {"steps": [{"name": f"step {i}", "request": slow} for i in range(steps)]}
    )


def _start(api: httpx.Client, test_case_id: str) -> str:
    response = api.post("/executions", json={"test_case_id": test_case_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _status(api: httpx.Client, execution_id: str) -> str:
    return str(api.get(f"/executions/{execution_id}").json()["status"])


def _fleet(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/workers")
    assert response.status_code == 200, response.text
    return {w["id"]: w for w in response.json()["items"]}


def _worker_id(log: Path) -> str:
    line = next(line for line in log.read_text().splitlines() if " at once, kinds " in line)
    return line.split()[1]


def test_a_worker_runs_its_kinds_and_the_fleet_shows_each_workspace_only_its_own_executions(
    installation: Installation, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    _, log = installation.worker(
        "--kinds", "http", "--labels", "browser=chromium, zone=eu", "--concurrency", "2"
    )
    worker_id = _worker_id(log)
    with _api(installation, "ours") as api, _api(installation, "theirs", role="viewer") as other:
        noop = _start(api, _case(api, "noop", "no runner here", {}))
        execution_id = _start(api, _slow_case(api, target, steps=1, ms=2500))
        wait_for(lambda: _fleet(api)[worker_id]["executions"])

        ours, theirs = _fleet(api)[worker_id], _fleet(other)[worker_id]
        assert ours["kinds"] == ["http"] and ours["labels"] == {"browser": "chromium", "zone": "eu"}
        assert (ours["liveness"], ours["state"], ours["concurrency"]) == ("alive", "running", 2)
        assert ours["executions"] == [
            {
                "id": execution_id,
                "test_case_id": ours["executions"][0]["test_case_id"],
                "test_case_name": "slow",
            }
        ]
        assert theirs["kinds"] == ["http"] and theirs["executions"] == []  # the worker, not our execution
        listed = installation.with_key(api.headers["Authorization"].removeprefix("Bearer ")).cli_json(
            "workers"
        )
        assert [w["executions"] for w in listed["items"] if w["id"] == worker_id] == [ours["executions"]]

        assert wait_finished(api, execution_id)["status"] == "PASSED"
        time.sleep(1.0)  # five polls of the worker: it still claims no noop execution
        assert _status(api, noop) == "QUEUED"
        assert _fleet(api)[worker_id]["executions"] == []


def test_a_worker_told_to_stop_hands_back_what_its_grace_did_not_cover_and_another_finishes_it(
    installation: Installation, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    first, log = installation.worker("--kinds", "http", "--grace", "0.5", command=WATCHED)
    first_id = _worker_id(log)
    with _api(installation, "drain") as api:
        execution_id = _start(api, _slow_case(api, target, steps=2, ms=1500))
        wait_for(lambda: _fleet(api)[first_id]["executions"])

        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0, log.read_text()
        execution = api.get(f"/executions/{execution_id}").json()
        assert (execution["status"], execution["attempt"], execution["interruptions"]) == ("QUEUED", 1, 1)
        records = api.get(f"/executions/{execution_id}/records").json()["items"]
        assert [r["record"]["event"] for r in records if r["observation_id"] == "recovery"] == [
            "worker_shutdown"
        ]
        gone = _fleet(api)[first_id]
        assert (gone["liveness"], gone["state"], gone["executions"]) == ("stopped", "stopped", [])
        assert "web modules: []" in log.read_text()  # it ran executions without the web framework

        installation.worker("--kinds", "http")
        finished = wait_finished(api, execution_id)
        assert (finished["status"], finished["attempt"], finished["interruptions"]) == ("PASSED", 1, 1)


def test_a_stop_reaches_a_worker_and_a_killed_worker_is_shown_dead_and_its_run_taken_up(
    installation: Installation, target: Any
) -> None:
    installation.serve(None, "--no-workers")
    first, log = installation.worker("--kinds", "http")
    first_id = _worker_id(log)
    with _api(installation, "faults") as api:
        case = _slow_case(api, target, steps=4, ms=800)
        stopped = _start(api, case)
        wait_for(lambda: _fleet(api)[first_id]["executions"])
        assert api.post(f"/executions/{stopped}/stop").status_code == 200
        assert wait_finished(api, stopped)["status"] == "STOPPED"  # by its wake-up, or the lease renewal

        lost = _start(api, case)
        wait_for(lambda: _fleet(api)[first_id]["executions"])
        first.kill()  # SIGKILL: no drain, no sign-off
        first.wait(10)
        wait_for(lambda: _fleet(api)[first_id]["liveness"] == "dead", timeout_s=15)  # lease_s is 5 here
        assert _fleet(api)[first_id]["state"] == "running"  # as it last said

        installation.worker("--kinds", "http")  # on this host: it sees the dead PID and takes the run up
        finished = wait_finished(api, lost)
        assert (finished["status"], finished["attempt"], finished["interruptions"]) == ("PASSED", 1, 1)


def test_a_drained_worker_lets_a_run_within_its_grace_finish(installation: Installation, target: Any) -> None:
    installation.serve(None, "--no-workers")
    worker, log = installation.worker("--kinds", "http", "--grace", "20")
    with _api(installation, "grace") as api:
        execution_id = _start(api, _slow_case(api, target, steps=2, ms=700))
        wait_for(lambda: _status(api, execution_id) == "RUNNING")
        worker.send_signal(signal.SIGINT)
        assert worker.wait(30) == 0, log.read_text()
        execution = api.get(f"/executions/{execution_id}").json()
        assert (execution["status"], execution["interruptions"]) == ("PASSED", 0)


def test_bad_worker_options_are_refused_before_anything_starts() -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["serve", "--workers", "2", "--no-workers"])
    labels = runner.invoke(app, ["worker", "--labels", "browser"])
    kinds = runner.invoke(app, ["worker", "--kinds", "http,manual"])
    assert (both.exit_code, labels.exit_code, kinds.exit_code) == (2, 2, 2)
    assert "--no-workers" in both.output and "--labels 'browser': expected KEY=VALUE" in labels.output
    assert "no runner for manual: a worker runs http, noop, connect" in kinds.output


def _niceness(pid: int) -> set[int]:
    """The niceness of each of a process's threads (Linux keeps one per thread)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with Path(task, "stat").open() as stat:
            found.add(int(stat.read().rsplit(")", 1)[1].split()[16]))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_runs_at_the_niceness_its_setting_names(tmp_path: Path) -> None:
    inst = Installation(tmp_path / "data", fresh_database_url(tmp_path), worker_niceness=7)
    try:
        proc, _log = inst.worker("--concurrency", "2")
        assert _niceness(proc.pid) == {7}  # every thread: the claiming ones, the leases', the heartbeat's
    finally:
        inst.stop()


def test_serve_starts_a_worker_child_per_core_and_none_outlives_it(installation: Installation) -> None:
    installation.serve()  # the default: the API and its worker children
    with _api(installation, "children") as api:
        cores = os.cpu_count() or 1
        children = wait_for(
            lambda: (
                len(alive := [w for w in _fleet(api).values() if w["liveness"] == "alive"]) == cores and alive
            ),
            timeout_s=30,
        )
        assert {w["concurrency"] for w in children} == {concurrency_per_child(4, cores)}  # TESTAMENT_WORKERS
        assert {w["host"] for w in children} == {socket.gethostname()}
        pids = [w["pid"] for w in children]
    assert installation.server is not None
    installation.server.send_signal(signal.SIGTERM)  # to serve alone, not to its process group
    installation.server.wait(30)
    assert [pid for pid in pids if _running(pid)] == []  # each drained and exited with it


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"  # Z: exited


def test_work_is_shared_between_worker_processes_not_kept_by_one(
    installation: Installation, target: Any
) -> None:
    # Once, work stuck to the process that received the start (the others only polled): shares
    # of 7%, 46%, 46%. Now every worker hears of it; each takes what its concurrency allows.
    installation.serve(None, "--no-workers")
    ids = [_worker_id(installation.worker("--concurrency", "2")[1]) for _ in range(2)]
    with _api(installation, "sharing") as api:
        case = _slow_case(api, target, steps=1, ms=300)
        started = [_start(api, case) for _ in range(16)]
        seen: dict[str, set[str]] = {worker_id: set() for worker_id in ids}

        def all_seen_done() -> bool:
            for worker_id, worker in _fleet(api).items():
                seen.setdefault(worker_id, set()).update(e["id"] for e in worker["executions"])
            return all(_status(api, x) == "PASSED" for x in started)

        wait_for(all_seen_done, timeout_s=60, interval_s=0.05)
    shares = sorted(len(seen[worker_id]) for worker_id in ids)
    assert sum(shares) >= 14  # a run of 0.3 s is seen running by polls every 0.05 s
    assert shares[0] >= 5, f"one worker ran {shares[0]} of 16, the other {shares[1]}"
