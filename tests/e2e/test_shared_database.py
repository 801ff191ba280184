"""Several `testament serve` processes on one database (PostgreSQL with TESTAMENT_TEST_DATABASE_URL,
else one SQLite file): they start together, share one secret key, and share rate limits, client
tokens and quotas."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from botocore.exceptions import ClientError
from sqlalchemy import update

from testament.config import Settings
from testament.services.context import AppContext
from testament.store.db import Database
from testament.store.tables import environments
from tests.conftest import free_port, wait_finished, wait_for
from tests.e2e.processes import CLI, Installation
from tests.integration.conftest import fresh_database_url
from tests.together import at_once, connect_client

KEY = "shared-deployment-key"
T = TypeVar("T")


@pytest.fixture
def database(tmp_path: Path) -> str:
    return fresh_database_url(tmp_path)


@pytest.fixture
def fleet(tmp_path: Path, database: str) -> Iterator[list[Installation]]:
    """Installations on one database, each with a data folder of its own (as on separate machines);
    the test starts them. Stopped at the end."""
    made: list[Installation] = []
    yield made
    for installation in made:
        installation.stop()


def _installation(tmp_path: Path, database: str, number: int, **settings: object) -> Installation:
    return Installation(tmp_path / f"host{number}", database, **{"secret_key": KEY, **settings})


def _serve_together(installations: list[Installation]) -> list[str]:
    """Start every server at the same moment (nothing migrated yet); the URLs of those that come
    up, or an AssertionError naming the ones that died and why."""
    started = []
    for installation in installations:
        port = free_port()
        installation.url = f"http://127.0.0.1:{port}"
        installation.server = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=installation.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append(installation)
    deadline = time.monotonic() + 90
    waiting = list(started)
    while waiting and time.monotonic() < deadline:
        for installation in list(waiting):
            assert installation.server is not None
            if installation.server.poll() is not None:
                _, stderr = installation.server.communicate()
                raise AssertionError(f"a server died at start:\n{stderr.decode()[-3000:]}")
            try:
                if httpx.get(installation.url + "/healthz", timeout=1).status_code == 200:
                    waiting.remove(installation)
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    assert not waiting, f"{len(waiting)} of {len(started)} servers did not answer /healthz within 90 s"
    return [installation.url for installation in started]


def test_servers_started_together_on_an_empty_database_all_come_up(
    tmp_path: Path, database: str, fleet: list[Installation]
) -> None:
    fleet.extend(_installation(tmp_path, database, n, workers=1) for n in range(6))
    urls = _serve_together(fleet)
    assert len(set(urls)) == 6
    # one schema, at the newest revision: every server reads the same, migrated database
    workspace = fleet[0].cli_json("workspace", "create", "together")["id"]
    token = fleet[1].cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    for url in urls:
        answer = httpx.get(url + "/api/v1/test-cases", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text


def test_processes_migrating_at_the_same_instant_all_succeed(tmp_path: Path, database: str) -> None:
    """Each process has imported everything and waits for one signal, so all eight upgrade
    an empty database at once (without the lock, all but one fail on either database)."""
    go = tmp_path / "go"
    child = (
        "import os, sys, time, pathlib\n"
        "from testament.store.db import migrate\n"
        "go = pathlib.Path(sys.argv[1])\n"
        "(go.parent / f'ready-{os.getpid()}').touch()\n"
        "while not go.exists(): time.sleep(0.002)\n"
        "migrate(sys.argv[2])\n"
    )
    running = [
        subprocess.Popen([sys.executable, "-c", child, str(go), database], stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 8, timeout_s=60)
    go.touch()
    failures = [process.communicate(timeout=120)[1].decode()[-1500:] for process in running]
    assert [process.returncode for process in running] == [0] * 8, failures


def _admin_token(installation: Installation, name: str) -> str:
    workspace = installation.cli_json("workspace", "create", name)["id"]
    return str(installation.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"])


def _api(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=15)


def test_a_process_whose_secret_key_is_not_the_databases_refuses_to_start(
    tmp_path: Path, database: str, fleet: list[Installation]
) -> None:
    first = _installation(tmp_path, database, 1)
    fleet.append(first)
    token = _admin_token(first, "keys")  # the first process records the key's fingerprint
    first.serve()

    other_key = _installation(tmp_path, database, 2, secret_key="another-key")
    no_key = Installation(tmp_path / "host3", database)  # would generate a key of its own
    for refused in (
        other_key.cli("serve", "--port", str(free_port()), check=False, timeout=60),
        other_key.cli("workspace", "create", "x", check=False),
        other_key.cli("worker", check=False, timeout=60),
        no_key.cli("key", "list", "--workspace", "w", check=False),
    ):
        lines = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert len(lines) == 1 and "TESTAMENT_SECRET_KEY" in lines[0], refused.stderr
    assert "generated in" in refused.stderr  # the key-less one is told where its key came from

    # a process with the same key on another machine serves what the first one wrote: its cursors,
    second = _installation(tmp_path, database, 4)
    fleet.append(second)
    second.serve()
    with _api(first.url, token) as one, _api(second.url, token) as two:
        for name in ("a", "b"):
            one.post("/environments", json={"name": name, "variables": {}}).raise_for_status()
        page = one.get("/environments", params={"limit": 1}).json()
        rest = two.get("/environments", params={"limit": 1, "cursor": page["next_cursor"]})
    assert rest.status_code == 200, rest.text
    assert [e["name"] for e in page["items"] + rest.json()["items"]] == ["a", "b"]


class _Recorder(BaseHTTPRequestHandler):
    """A target that keeps every request it receives, whole (line, headers, body)."""

    received: list[str] = []

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.received.append(f"{self.requestline}\n{self.headers}\n{body}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.received
    server.shutdown()
    server.server_close()


def test_a_secret_kept_under_another_key_fails_the_execution_and_is_never_sent(
    tmp_path: Path, database: str, fleet: list[Installation], recorder: tuple[str, list[str]]
) -> None:
    target, received = recorder
    installation = _installation(tmp_path, database, 1, workers=1)
    fleet.append(installation)
    token = _admin_token(installation, "secrets")
    installation.serve()
    step = {"name": "call", "request": {"url": f"{target}/hit?t={{{{token}}}}"}}
    step["request"]["headers"] = {"Authorization": "Bearer {{token}}"}
    with _api(installation.url, token) as api:
        env = api.post("/environments", json={"name": "prod", "secrets": {"token": "s3cret-value"}}).json()
        case = {"kind": "http", "name": "uses a secret", "content": {"steps": [step]}, "publish": True}
        case_id = api.post("/test-cases", json=case).json()["id"]
        start = {"test_case_id": case_id, "environment_id": env["id"]}
        readable = wait_finished(api, api.post("/executions", json=start).json()["id"])
        assert readable["status"] == "PASSED" and "s3cret-value" in received[0]  # the secret does reach it

        blob = _encrypted_under_another_key(tmp_path, database, "s3cret-value")
        _keep_environment_secret(database, env["id"], "token", blob)
        execution = wait_finished(api, api.post("/executions", json=start).json()["id"])
        records = api.get(f"/executions/{execution['id']}/records").json()["items"]

    assert execution["status"] == "ERROR", execution
    assert "secret token could not be decrypted" in execution["reason"]
    assert "TESTAMENT_SECRET_KEY" in execution["reason"]
    assert [r["record"] for r in records] == [{"event": "secret_unreadable", "secrets": ["token"]}]
    assert len(received) == 1  # the second execution sent nothing at all, so neither the blob
    assert not any(blob in request for request in received)


def _encrypted_under_another_key(tmp_path: Path, database: str, value: str) -> str:
    """The ciphertext a process with another secret key would have kept (how such a process
    encrypts: AppContext's secret box)."""
    settings = Settings(data_dir=tmp_path / "elsewhere", database_url=database, secret_key="another-key")
    db = Database(database)
    try:
        return AppContext(settings=settings, db=db).secret_box.encrypt(value.encode()).decode()
    finally:
        db.dispose()


def _keep_environment_secret(database: str, environment_id: str, name: str, ciphertext: str) -> None:
    db = Database(database)
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(environments)
                .where(environments.c.id == environment_id)
                .values(secrets={name: ciphertext})
            )
    finally:
        db.dispose()


def _serve_fleet(
    tmp_path: Path, database: str, fleet: list[Installation], count: int, **settings: object
) -> str:
    """`count` servers on the database, serving the API only (starts stay queued); an admin key."""
    fleet.extend(_installation(tmp_path, database, n, **settings) for n in range(count))
    token = _admin_token(fleet[0], "fleet")
    for installation in fleet:
        installation.serve(None, "--no-workers")
    return token


def test_a_key_rate_limit_holds_across_three_servers(
    tmp_path: Path, database: str, fleet: list[Installation]
) -> None:
    """240 signed requests at once, 80 through each of three servers, against a limit of 50 a
    minute: 50 pass (each server alone would let 50 through: 150 in all)."""
    fleet.extend(_installation(tmp_path, database, n, aws_rate_limit="50/minute") for n in range(3))
    workspace = fleet[0].cli_json("workspace", "create", "limited")["id"]
    key = fleet[0].cli_json("key", "create", "--workspace", workspace, "--role", "admin")
    clients = [connect_client(installation.serve(), key) for installation in fleet]

    def listed(client: Any) -> str:
        try:
            client.list_test_cases(InstanceId=workspace)
            return "ok"
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    began = time.monotonic()
    codes = at_once([lambda c=clients[n % 3]: listed(c) for n in range(240)])
    took_s = time.monotonic() - began

    assert set(codes) == {"ok", "ThrottlingException"}, set(codes)
    windows = 1 + int(took_s // 60)  # a burst longer than the window may open a second one
    assert codes.count("ok") == 50 * windows, (codes.count("ok"), took_s)


def _published_case(url: str, token: str) -> str:
    with _api(url, token) as api:
        case = {
            "kind": "http",
            "name": "queued",
            "content": {"steps": [{"name": "call", "request": {"url": url}}]},
        }
        return str(api.post("/test-cases", json={**case, "publish": True}).json()["id"])


def test_a_client_token_sent_to_two_servers_at_once_makes_one_execution(
    tmp_path: Path, database: str, fleet: list[Installation]
) -> None:
    token = _serve_fleet(tmp_path, database, fleet, 2)
    case_id = _published_case(fleet[0].url, token)

    def start(url: str, client_token: str) -> str:
        with _api(url, token) as api:
            answer = api.post("/executions", json={"test_case_id": case_id, "client_token": client_token})
            assert answer.status_code in (200, 201), answer.text
            return str(answer.json()["id"])

    for attempt in range(10):
        client_token = f"build-{attempt}"
        ids = at_once([lambda i=i, t=client_token: start(fleet[i % 2].url, t) for i in range(4)])
        assert len(set(ids)) == 1, ids
    with _api(fleet[1].url, token) as api:
        assert len(api.get("/executions", params={"limit": 100}).json()["items"]) == 10


def test_the_queued_executions_quota_holds_across_two_servers(
    tmp_path: Path, database: str, fleet: list[Installation]
) -> None:
    token = _serve_fleet(tmp_path, database, fleet, 2, max_queued_executions=3)
    case_id = _published_case(fleet[0].url, token)

    def start(url: str) -> int:
        with _api(url, token) as api:
            return api.post("/executions", json={"test_case_id": case_id}).status_code

    statuses = at_once([lambda i=i: start(fleet[i % 2].url) for i in range(10)])

    assert sorted(statuses) == [201] * 3 + [429] * 7
    with _api(fleet[0].url, token) as api:
        assert len(api.get("/executions").json()["items"]) == 3
