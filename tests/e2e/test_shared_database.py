"""Several `testament serve` processes on one database (PostgreSQL with TESTAMENT_TEST_DATABASE_URL,
else one SQLite file): they start together, share one secret key, and share rate limits, client
tokens and quotas."""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_for
from tests.e2e.processes import CLI, Installation
from tests.integration.conftest import fresh_database_url

KEY = "shared-deployment-key"


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
