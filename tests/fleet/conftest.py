"""The fleet tier: the API and workers as real processes on "hosts" of their own (network
namespaces, tests/fleet/hosts.py), all on one PostgreSQL that listens on an address the hosts
reach through the root namespace. `.ci/run` starts that server with PostgreSQL's defaults
(max_connections 100) and turns the tier on. test_fleet.py: faults (a killed or cut-off worker,
PostgreSQL and the API restarted); test_fairness.py: fair shares and the running cap across
processes; test_problems.py: the other problems of more than one machine (starting together,
one key, artifacts, stops, a dead host, the rate limit), each across the hosts."""

import json
import os
import secrets
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _postgres_database, fleet_on
from tests.fleet.hosts import API_PORT, PYTHON_CLI, Host, Network, wait_http
from tests.target import Target

# Short enough for quick faults, long enough for a loaded CI machine to renew in time.
LEASE_S = 6.0
SETTINGS = {"heartbeat_s": 0.5, "lease_s": LEASE_S, "poll_s": 0.2}
WORKERS = ("tst-w1", "tst-w2")


def fleet_database_server() -> str:
    if not fleet_on():
        pytest.skip("tier fleet is off (set TESTAMENT_TEST_FLEET=1 as root; see README)")
    url = os.environ.get("TESTAMENT_TEST_FLEET_DATABASE_URL")
    assert url, "TESTAMENT_TEST_FLEET=1 needs TESTAMENT_TEST_FLEET_DATABASE_URL"
    return url


class Fleet:
    """One Testament installation spread over the hosts: `serve --no-workers` on tst-api,
    `testament worker` on tst-w1 and tst-w2 when a test starts them."""

    def __init__(self, network: Network, database_url: str, target: Target, logs: Path) -> None:
        self.network, self.database_url, self.target, self.logs = network, database_url, target, logs
        self.env = {
            **os.environ,
            "TESTAMENT_DATABASE_URL": database_url,
            "TESTAMENT_SECRET_KEY": secrets.token_urlsafe(32),
            **{f"TESTAMENT_{k.upper()}": str(v) for k, v in SETTINGS.items()},
        }
        self.api_host = network.hosts["tst-api"]
        self.url = self.url_on("tst-api")
        self.server: subprocess.Popen[bytes] | None = None

    def host_env(self, host: Host, **settings: object) -> dict[str, str]:
        """The fleet's environment for a process on `host`, with these settings of its own."""
        data_dir = self.logs / host.name
        own = {f"TESTAMENT_{k.upper()}": str(v) for k, v in settings.items()}
        return {**self.env, "TESTAMENT_DATA_DIR": str(data_dir), **own}

    def url_on(self, name: str) -> str:
        return f"http://{self.network.hosts[name].address}:{API_PORT}"

    def start_server(self, name: str, **settings: object) -> subprocess.Popen[bytes]:
        """`serve --no-workers` on host `name`, listening on its address only (not even loopback:
        nothing there uses it), not yet answering; its log is `serve-NAME.log`."""
        host = self.network.hosts[name]
        command = [*PYTHON_CLI, "serve", "--no-workers", "--host", host.address]
        command += ["--port", str(API_PORT), "--log-level", "warning"]
        return host.start(command, self.host_env(host, **settings), self.logs / f"serve-{name}.log")

    def serve_on(self, name: str, **settings: object) -> str:
        """An API on host `name`, once it answers; its URL."""
        server = self.start_server(name, **settings)
        wait_http(self.url_on(name) + "/healthz", server)
        return self.url_on(name)

    def serve(self) -> None:
        """The fleet's API, on tst-api."""
        self.server = self.start_server("tst-api")
        wait_http(self.url + "/healthz", self.server)

    def stop_api(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(30)

    def start_worker(self, name: str, concurrency: int = 4, **settings: object) -> subprocess.Popen[bytes]:
        """`testament worker` on host `name`, not yet joined; its log is `NAME.log`."""
        host = self.network.hosts[name]
        command = [*PYTHON_CLI, "worker", "--kinds", "http", "--concurrency", str(concurrency)]
        command += ["--log-level", "warning"]
        return host.start(command, self.host_env(host, **settings), self.logs / f"{name}.log")

    def worker(
        self, name: str, concurrency: int = 4, **settings: object
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """`testament worker` on host `name`, once it has joined the fleet; and its log."""
        process = self.start_worker(name, concurrency, **settings)
        return process, self.joined(name, process)

    def joined(self, name: str, process: subprocess.Popen[bytes], timeout_s: float = 40) -> Path:
        """Wait until the worker started on host `name` has joined the fleet; its log."""
        log, deadline = self.logs / f"{name}.log", time.monotonic() + timeout_s
        while " at once, kinds " not in log.read_text():  # its line on joining the fleet
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker on {name} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        return log

    def cli_json(self, *args: str) -> Any:
        env = {**self.env, "TESTAMENT_DATA_DIR": str(self.logs / "admin")}
        done = subprocess.run(
            [*PYTHON_CLI, *args, "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"testament {shlex.join(args)}: {done.stdout}{done.stderr}"
        return json.loads(done.stdout)

    def key(self, workspace_name: str) -> dict[str, Any]:
        """A new workspace's admin key (`token`, and `access_key_id` with its secret for the
        Amazon Connect surface), made by the admin CLI on the root namespace."""
        workspace = self.cli_json("workspace", "create", workspace_name)["id"]
        key: dict[str, Any] = self.cli_json("key", "create", "--workspace", workspace, "--role", "admin")
        return {**key, "workspace_id": workspace}

    def api(self, workspace_name: str) -> httpx.Client:
        """A client of the API on tst-api, with a new workspace's admin key."""
        return client(self.url, self.key(workspace_name)["token"])


def client(url: str, token: str) -> httpx.Client:
    """A client of the native API at `url` (any host's), with this key."""
    return httpx.Client(base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=20)


def restart_database() -> None:
    """`pg_ctl restart -m fast` of the fleet's server, as `.ci/run` says to run it."""
    command = os.environ.get("TESTAMENT_TEST_FLEET_PG_RESTART")
    assert command, "TESTAMENT_TEST_FLEET=1 needs TESTAMENT_TEST_FLEET_PG_RESTART (a command)"
    # the server started inherits the output: a pipe here would be waited on until it stops
    done = subprocess.run(
        command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}"


@pytest.fixture
def empty_fleet(tmp_path: Path) -> Iterator[Fleet]:
    """The hosts and an empty database (nothing migrated): no process runs yet."""
    database_url = _postgres_database(fleet_database_server())
    network = Network(["tst-api", *WORKERS])
    try:
        with Target(host=network.gateway) as target:
            yield Fleet(network, database_url, target, tmp_path)
    finally:
        network.close()  # kills the hosts' processes, removes the namespaces, links and bridge


@pytest.fixture
def fleet(empty_fleet: Fleet) -> Fleet:
    """The fleet with its API serving on tst-api."""
    empty_fleet.serve()
    return empty_fleet
