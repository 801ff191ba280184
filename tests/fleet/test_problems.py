"""The problems of running on more than one machine, each across the hosts (tests/fleet/hosts.py):
API processes started together on an empty database all come up; one secret key (a process with
another refuses to start, and a secret stored through one host is read by a worker on another);
an artifact kept on a worker's host downloads through an API on another; a stop asked on one host
reaches a run on another within 1 s; a frozen worker's executions are taken up elsewhere within
10 s of its last heartbeat, and no longer count against the running cap; and a key's rate limit
holds across API processes on two hosts. Fair shares are in test_fairness.py."""

import hashlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import httpx
import psycopg
from botocore.exceptions import ClientError

from tests.conftest import wait_finished, wait_for
from tests.fleet.conftest import Fleet, client
from tests.fleet.hosts import wait_http
from tests.fleet.test_fleet import _execution, _libpq, _slow_case, _start, _worker_line
from tests.target import long_body
from tests.together import at_once, connect_client

T = TypeVar("T")
STOPPED_WITHIN_S = 1.0
TAKEN_UP_WITHIN_S = 10.0
# A worker that is only woken (its poll and lease renewal far longer than any wait here) and
# whose lease has far to run: only a wake-up carries a start or a stop to it, only its silent
# heartbeats tell its death (a beat every second whatever heartbeat_s says: dead after 5 s).
WOKEN_ONLY = {"poll_s": 30, "heartbeat_s": 20, "lease_s": 60}
LONG_LEASE = {"heartbeat_s": 1, "lease_s": 60}


def _case(api: httpx.Client, name: str, steps: list[dict[str, Any]]) -> str:
    body = {"kind": "http", "name": name, "content": {"steps": steps}, "publish": True}
    response = api.post("/test-cases", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _records(api: httpx.Client, execution_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/executions/{execution_id}/records", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _query(fleet: Fleet, sql: str, *args: object) -> Any:
    with psycopg.connect(_libpq(fleet.database_url)) as conn:
        row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def test_api_servers_started_together_on_three_hosts_on_an_empty_database_all_come_up(
    empty_fleet: Fleet,
) -> None:
    fleet = empty_fleet
    assert _query(fleet, "SELECT to_regclass('alembic_version')") is None  # nothing migrated yet
    names = ("tst-api", "tst-w1", "tst-w2")
    # at one instant: each migrates at start, under the advisory lock (without it, all but one die)
    servers = [fleet.start_server(name) for name in names]
    worker = fleet.start_worker("tst-w1")
    for name, server in zip(names, servers, strict=True):
        wait_http(fleet.url_on(name) + "/healthz", server, timeout_s=90)
    fleet.joined("tst-w1", worker, timeout_s=90)

    assert _query(fleet, "SELECT count(*) FROM alembic_version") == 1
    for name in names:
        log = (fleet.logs / f"serve-{name}.log").read_text()
        assert "Traceback" not in log, log
    token = fleet.key("together")["token"]
    apis = [client(fleet.url_on(name), token) for name in names]
    try:
        case = _case(apis[0], "together", [{"name": "ok", "request": {"url": f"{fleet.target.url}/ok"}}])
        execution_id = _start(apis[1], case)
        assert wait_finished(apis[2], execution_id, timeout_s=60)["status"] == "PASSED"
        for api in apis:  # every server reads the same migrated database
            assert [c["id"] for c in api.get("/test-cases").json()["items"]] == [case]
    finally:
        for api in apis:
            api.close()


def _refused_at_start(process: subprocess.Popen[bytes], log_text: Callable[[], str]) -> None:
    assert process.wait(90) == 2, log_text()
    text = log_text()
    lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert "Traceback" not in text, text
    assert len(lines) == 1 and "TESTAMENT_SECRET_KEY" in lines[0], text


def test_a_process_on_another_host_with_another_key_refuses_to_start_and_a_secret_is_read_across_hosts(
    fleet: Fleet,
) -> None:
    # the API on tst-api recorded the key's fingerprint at start
    other = "another-deployment-key"
    refused_server = fleet.start_server("tst-w1", secret_key=other)
    refused_worker = fleet.start_worker("tst-w2", secret_key=other)
    _refused_at_start(refused_server, lambda: (fleet.logs / "serve-tst-w1.log").read_text())
    _refused_at_start(refused_worker, lambda: (fleet.logs / "tst-w2.log").read_text())

    fleet.worker("tst-w2")  # the same host, with the fleet's key
    secret = f"fleet-secret-{os.urandom(6).hex()}"
    with fleet.api("one key") as api:  # the secret is encrypted by the API on tst-api
        environment = api.post("/environments", json={"name": "prod", "secrets": {"token": secret}})
        assert environment.status_code == 201, environment.text
        echoed = {
            "name": "send the secret",
            "request": {"method": "POST", "url": f"{fleet.target.url}/echo", "body": "{{token}}"},
            "expect": {"status": 200, "json": {"$.body": secret}},  # what the target received
        }
        start = {"test_case_id": _case(api, "secret", [echoed]), "environment_id": environment.json()["id"]}
        started = api.post("/executions", json=start)
        assert started.status_code == 201, started.text
        execution = wait_finished(api, started.json()["id"], timeout_s=60)  # decrypted on tst-w2
        records = api.get(f"/executions/{execution['id']}/records").text

    assert execution["status"] == "PASSED", execution
    assert secret not in records  # and masked in what the worker recorded


def test_an_artifact_kept_by_a_run_on_a_worker_host_downloads_through_an_api_on_another_host(
    fleet: Fleet,
) -> None:
    fleet.worker("tst-w1")
    size = 100_000  # far more than a record keeps of a body (4096 bytes), and more than one chunk
    token = fleet.key("artifacts")["token"]
    with client(fleet.url, token) as api:
        step = {"name": "fetch", "request": {"url": f"{fleet.target.url}/long?bytes={size}"}}
        execution = wait_finished(api, _start(api, _case(api, "long answer", [step])), timeout_s=60)
    assert execution["status"] == "PASSED", execution

    with client(fleet.serve_on("tst-w2"), token) as elsewhere:
        [artifact] = elsewhere.get(f"/executions/{execution['id']}/artifacts").json()["items"]
        [record] = _records(elsewhere, execution["id"])
        with elsewhere.stream("GET", f"/artifacts/{artifact['id']}") as download:
            assert download.status_code == 200, download.read()
            received = b"".join(download.iter_bytes())
    assert record["record"]["response"]["artifact_id"] == artifact["id"]
    assert received == long_body(size)
    assert artifact["size"] == size and artifact["sha256"] == hashlib.sha256(received).hexdigest()
    assert not (fleet.logs / "tst-w1" / "artifacts").exists()  # nothing in the worker's own folder


def test_a_stop_asked_on_one_host_reaches_a_run_on_a_worker_on_another_within_a_second(
    fleet: Fleet,
) -> None:
    fleet.worker("tst-w2", **WOKEN_ONLY)
    token = fleet.key("stops")["token"]
    took: list[float] = []
    with client(fleet.url, token) as starts, client(fleet.serve_on("tst-w1"), token) as stops:
        case = _slow_case(starts, fleet, steps=200, ms=100)  # 20 s unless stopped
        for _ in range(3):
            execution_id = _start(starts, case)
            wait_for(lambda e=execution_id: _execution(stops, e)["status"] == "RUNNING", timeout_s=10)
            time.sleep(0.3)  # a few of its steps in
            asked = time.monotonic()
            assert stops.post(f"/executions/{execution_id}/stop").status_code == 200
            wait_for(
                lambda e=execution_id: _execution(stops, e)["status"] != "RUNNING",
                timeout_s=10,
                interval_s=0.02,
            )
            took.append(time.monotonic() - asked)
            assert _execution(stops, execution_id)["status"] == "STOPPED"
    print(f"stop to STOPPED across hosts: {', '.join(f'{s:.3f}' for s in took)} s")
    # the lease renewal (every 20 s here) cannot have carried it: the wake-up did
    assert max(took) < STOPPED_WITHIN_S, took


def _owner(fleet: Fleet, execution_id: str) -> str | None:
    owner: str | None = _query(fleet, "SELECT lease_owner FROM executions WHERE id = %s", execution_id)
    return owner


def _silent_for_s(fleet: Fleet, owner: str) -> float:
    """Seconds since the worker's last heartbeat, by the database's clock."""
    sql = "SELECT extract(epoch FROM now() - last_heartbeat_at) FROM workers WHERE owner = %s"
    return float(_query(fleet, sql, owner))


def _liveness(api: httpx.Client, worker_id: str) -> str | None:
    return next((w["liveness"] for w in api.get("/workers").json()["items"] if w["id"] == worker_id), None)


def test_a_frozen_worker_host_s_runs_are_taken_up_on_another_within_10_s_and_free_the_running_cap(
    fleet: Fleet,
) -> None:
    settings = {**LONG_LEASE, "max_running_executions": 1}  # the lease far beyond the bound
    frozen, log = fleet.worker("tst-w1", concurrency=1, **settings)
    frozen_id, owner = _worker_line(log)
    with fleet.api("dead host") as api:
        case = _slow_case(api, fleet, steps=30, ms=100)  # about 3 s
        running = _start(api, case)
        wait_for(lambda: _owner(fleet, running) == owner, timeout_s=20)
        waiting = _start(api, case)  # the cap of 1 holds it back
        fleet.worker("tst-w2", concurrency=1, **settings)
        wait_for(lambda: any(r["status"] == "PASSED" for r in _records(api, running)), timeout_s=20)

        os.killpg(frozen.pid, signal.SIGSTOP)  # the whole host's worker, mid-run
        try:
            wait_for(
                lambda: any(_owner(fleet, e) not in (None, owner) for e in (running, waiting)),
                timeout_s=3 * TAKEN_UP_WITHIN_S,
                interval_s=0.1,
            )
            taken_after_s = _silent_for_s(fleet, owner)
            wait_for(lambda: _liveness(api, frozen_id) == "dead")  # as the fleet's list shows it
            # its slot no longer counts: with the cap at 1, the other host runs all, new ones too
            later = _start(api, case)
            ended = [wait_finished(api, e, timeout_s=90) for e in (running, waiting, later)]
            assert frozen.poll() is None  # frozen all along
        finally:
            os.killpg(frozen.pid, signal.SIGCONT)
        time.sleep(1.5)  # it wakes mid-run and tries its next writes

        print(f"taken up {taken_after_s:.2f} s after the frozen worker's last heartbeat")
        assert taken_after_s < TAKEN_UP_WITHIN_S
        assert [e["status"] for e in ended] == ["PASSED"] * 3, ended
        assert _execution(api, running)["interruptions"] == 1
        recovery = next(r for r in _records(api, running) if r["observation_id"] == "recovery")
        assert recovery["record"]["reason"].endswith("stopped its heartbeats")  # not its lease: 60 s
        assert [_execution(api, e)["status"] for e in (running, waiting, later)] == ["PASSED"] * 3


def test_a_key_rate_limit_holds_across_api_processes_on_two_hosts(fleet: Fleet) -> None:
    """120 signed requests at once, 60 through each of two hosts' APIs, against a limit of 30 a
    minute: 30 pass (each process alone would let 30 through: 60 in all). A minute's window,
    not a second's: the burst fits in one window however loaded the machine is."""
    limit = 30
    urls = [fleet.serve_on(name, aws_rate_limit=f"{limit}/minute") for name in ("tst-w1", "tst-w2")]
    key = fleet.key("limited")
    clients = [connect_client(url, key) for url in urls]

    def listed(connect: Any) -> str:
        try:
            connect.list_test_cases(InstanceId=key["workspace_id"])
            return "ok"
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    began = time.monotonic()
    codes = at_once([partial(listed, clients[n % 2]) for n in range(120)])
    took_s = time.monotonic() - began
    per_host = [codes[n::2].count("ok") for n in range(2)]
    throttled = codes.count("ThrottlingException")
    print(f"{codes.count('ok')} passed {per_host}, {throttled} throttled, in {took_s:.2f} s")

    assert set(codes) == {"ok", "ThrottlingException"}, set(codes)
    windows = 1 + int(took_s // 60)  # a burst longer than the window may open a second one
    assert codes.count("ok") == limit * windows, (codes.count("ok"), took_s)
