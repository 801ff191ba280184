"""Shared fixtures.

The database is SQLite in a temporary directory, or PostgreSQL when
TESTAMENT_TEST_DATABASE_URL names a server (a fresh database is made for the session).
Tests isolate themselves by working in workspaces of their own (`workspace` fixture), so
one migrated database and one live server serve the whole session.
"""

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from testament.api.app import create_app
from testament.config import Settings
from testament.domain.access import Role
from testament.services import keys, workspaces
from testament.services.context import AppContext

# Short leases and polls keep engine tests quick; behaviour is the same as the defaults.
ENGINE_SETTINGS: dict[str, Any] = {"heartbeat_s": 0.3, "lease_s": 2.0, "poll_s": 0.2, "workers": 4}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_database(base_url: str) -> str:
    """Make a fresh database on the server `base_url` points at; return its URL."""
    import psycopg

    name = f"testament_{uuid.uuid4().hex[:12]}"
    dsn = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base_url.rpartition("/")
    return f"{head}/{name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    pg = os.environ.get("TESTAMENT_TEST_DATABASE_URL")
    if pg:
        return _postgres_database(pg)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'testament.db'}"


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret",
        callback_allow_local=True,  # the tests' callback receivers listen on 127.0.0.1
        **{**ENGINE_SETTINGS, **overrides},
    )


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"), database_url)


@dataclass
class LiveServer:
    url: str
    ctx: AppContext
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(
    settings: Settings, *, start_engine: bool = True, wrap: Callable[[Any], Any] | None = None
) -> LiveServer:
    """The real app on a real socket, in a thread: tests talk HTTP to it. `wrap` puts an ASGI
    layer of the test's own around the app (to watch what each request does)."""
    app = create_app(settings, start_engine=start_engine)
    port = free_port()
    served = app if wrap is None else wrap(app)
    server = uvicorn.Server(
        uvicorn.Config(served, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return LiveServer(f"http://127.0.0.1:{port}", app.state.ctx, server, thread)


@pytest.fixture(scope="session")
def live(settings: Settings) -> Iterator[LiveServer]:
    server = start_server(settings)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ctx(live: LiveServer) -> AppContext:
    """The live server's own app context, for arranging state through the services."""
    return live.ctx


@dataclass
class Workspace:
    id: str
    keys: dict[Role, keys.IssuedKey]
    url: str

    def client(self, role: Role = Role.ADMIN) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.keys[role].token}"},
            timeout=30,
        )

    def principal(self, ctx: AppContext, role: Role = Role.ADMIN) -> Any:
        return keys.authenticate_token(ctx, self.keys[role].token)


def new_workspace(ctx: AppContext, url: str) -> Workspace:
    ws = workspaces.create_workspace(ctx, f"test-{uuid.uuid4().hex[:8]}")
    issued = {role: keys.create_key(ctx, ws.id, role, f"{role.value}-user") for role in Role}
    return Workspace(ws.id, issued, url)


@pytest.fixture
def workspace(live: LiveServer) -> Workspace:
    """A fresh workspace with one key per role."""
    return new_workspace(live.ctx, live.url)


@pytest.fixture
def api(workspace: Workspace) -> Iterator[httpx.Client]:
    """An HTTP client of the native API with the workspace's admin key."""
    with workspace.client() as client:
        yield client


def wait_for(predicate: Any, timeout_s: float = 20.0, interval_s: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout_s
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s (last value: {value!r})")
        time.sleep(interval_s)
        value = predicate()
    return value


def wait_finished(api: httpx.Client, execution_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/executions/{execution_id}").json()
        return body if body["status"] in ("PASSED", "FAILED", "STOPPED", "ERROR") else None

    result: dict[str, Any] = wait_for(finished, timeout_s)
    return result


@pytest.fixture(scope="session")
def target() -> Iterator[Any]:
    """A real HTTP service for http test cases to call."""
    from tests.target import Target

    with Target() as t:
        yield t


# The README's shell examples use these system tools (a CI script's usual kit); the tests
# that run those examples form a tier, on wherever they are installed.
README_TOOLS = ("curl", "jq")


def missing_readme_tools() -> list[str]:
    return [tool for tool in README_TOOLS if shutil.which(tool) is None]


def readme_tools_required() -> bool:
    """`.ci/run` installs the tools and sets this, so that their absence fails instead."""
    return os.environ.get("TESTAMENT_TEST_README_TOOLS") == "1"


def fuzz_on() -> bool:
    """The fuzz tier (tests/e2e/test_api_fuzz.py) is heavy: `.ci/run` turns it on for one run."""
    return os.environ.get("TESTAMENT_TEST_FUZZ") == "1"


def deploy_tools_required() -> bool:
    """`.ci/run` installs systemd's `systemd-analyze` and sets this, so that its absence fails
    tests/unit/test_deploy.py's unit-file checks instead of skipping them."""
    return os.environ.get("TESTAMENT_TEST_DEPLOY") == "1"


def fleet_on() -> bool:
    """The fleet tier (tests/fleet) needs root, network namespaces and a PostgreSQL they reach:
    `.ci/run` sets that up once per CI run and turns it on."""
    return os.environ.get("TESTAMENT_TEST_FLEET") == "1"


def browser_on() -> bool:
    """The browser tier (tests/browser) drives Debian's chromium: `.ci/run` installs it and turns
    the tier on for one pass (heavy: once per CI run, not once per database)."""
    return os.environ.get("TESTAMENT_TEST_BROWSER") == "1"


def _tiers() -> list[tuple[str, bool, str]]:
    """The tiers of the suite: (name, on, how it is turned on). `.ci/run` turns each on once it
    has started the service the tier needs."""
    return [
        ("unit, integration and e2e on SQLite", True, "always"),
        (
            "PostgreSQL",
            bool(os.environ.get("TESTAMENT_TEST_DATABASE_URL")),
            "set TESTAMENT_TEST_DATABASE_URL=postgresql+psycopg://…",
        ),
        (
            "README examples (they use curl and jq)",
            not missing_readme_tools(),
            f"install {' and '.join(README_TOOLS)}; TESTAMENT_TEST_README_TOOLS=1 requires them",
        ),
        (
            "systemd units of deploy/ verified (systemd-analyze)",
            shutil.which("systemd-analyze") is not None,
            "install systemd; TESTAMENT_TEST_DEPLOY=1 requires it",
        ),
        (
            "fuzz of the native API (schemathesis, once per CI run)",
            fuzz_on(),
            "set TESTAMENT_TEST_FUZZ=1; make fuzz runs it long",
        ),
        (
            "fleet: API and workers on network namespaces (root, PostgreSQL; once per CI run)",
            fleet_on(),
            "as root: TESTAMENT_TEST_FLEET=1 and TESTAMENT_TEST_FLEET_DATABASE_URL (see README)",
        ),
        (
            "browser: the web UI in headless chromium, with axe-core (once per CI run)",
            browser_on(),
            "apt-get install chromium; set TESTAMENT_TEST_BROWSER=1 (make test-browser)",
        ),
    ]


# A test's tier is the folder under tests/ it lives in; `make test-unit`, `make test-integration`
# and `make test-e2e` select a tier by its marker (`pytest -m unit`, ...).
TEST_TIERS = ("unit", "integration", "e2e", "fleet", "browser")
TESTS_DIR = Path(__file__).resolve().parent


def tier_of(path: Path) -> str | None:
    """The tier folder `path` lies in, or None for a file outside the tier folders (TEST_TIERS)."""
    try:
        folder = path.resolve().relative_to(TESTS_DIR).parts[0]
    except (ValueError, IndexError):
        return None
    return folder if folder in TEST_TIERS else None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item.path)
        if tier is not None:
            item.add_marker(tier)


def pytest_report_header() -> list[str]:
    return [f"tier {name}: {'on' if on else 'off'} ({how})" for name, on, how in _tiers()]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = [name for name, on, _ in _tiers() if on]
    skipped = [f"{name} (to turn it on: {how})" for name, on, how in _tiers() if not on]
    terminalreporter.write_line(f"tiers that ran: {'; '.join(ran)}")
    if skipped:
        terminalreporter.write_line(f"tiers that did not run: {'; '.join(skipped)}")
