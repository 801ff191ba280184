"""The fleet tier: the API and workers as real processes on "hosts" of their own (network
namespaces, tests/fleet/hosts.py), all on one PostgreSQL that listens on an address the hosts
reach through the root namespace. `.ci/run` starts that server with PostgreSQL's defaults
(max_connections 100) and turns the tier on."""

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
        self.url = f"http://{self.api_host.address}:{API_PORT}"
        self.server: subprocess.Popen[bytes] | None = None

    def host_env(self, host: Host) -> dict[str, str]:
        data_dir = self.logs / host.name
        return {**self.env, "TESTAMENT_DATA_DIR": str(data_dir)}

    def serve(self) -> None:
        """The API, listening on its host's address only (not even loopback: nothing there uses it)."""
        command = [*PYTHON_CLI, "serve", "--no-workers", "--host", self.api_host.address]
        command += ["--port", str(API_PORT), "--log-level", "warning"]
        self.server = self.api_host.start(command, self.host_env(self.api_host), self.logs / "api.log")
        wait_http(self.url + "/healthz", self.server)

    def stop_api(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(30)

    def worker(self, name: str) -> tuple[subprocess.Popen[bytes], Path]:
        """`testament worker` on host `name`, once it has joined the fleet; and its log."""
        host, log = self.network.hosts[name], self.logs / f"{name}.log"
        command = [*PYTHON_CLI, "worker", "--kinds", "http", "--concurrency", "4", "--log-level", "warning"]
        process = host.start(command, self.host_env(host), log)
        deadline = time.monotonic() + 40
        while " at once, kinds " not in log.read_text():  # its line on joining the fleet
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker on {name} did not start:\n{log.read_text()}")
            time.sleep(0.1)
        return process, log

    def cli_json(self, *args: str) -> Any:
        env = {**self.env, "TESTAMENT_DATA_DIR": str(self.logs / "admin")}
        done = subprocess.run(
            [*PYTHON_CLI, *args, "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"testament {shlex.join(args)}: {done.stdout}{done.stderr}"
        return json.loads(done.stdout)

    def api(self, workspace_name: str) -> httpx.Client:
        workspace = self.cli_json("workspace", "create", workspace_name)["id"]
        token = self.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=20)


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
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    database_url = _postgres_database(fleet_database_server())
    network = Network(["tst-api", *WORKERS])
    try:
        with Target(host=network.gateway) as target:
            built = Fleet(network, database_url, target, tmp_path)
            built.serve()
            yield built
    finally:
        network.close()  # kills the hosts' processes, removes the namespaces, links and bridge
