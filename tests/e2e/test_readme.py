"""Every command in README.md runs as written, against a demo server.

The test reads README.md's fenced blocks. Each ```sh and ```python block needs an entry in
BLOCKS, keyed by the start of its first line (a `#!` line does not count; the longest key
that starts the line is the block's); a block without one fails the test, which names that
line. To add a block to the README, add one line to BLOCKS:
  Run()                    it must exit 0;
  Run(contains=("x",))     ... and its output (stdout and stderr) must show each text;
  Run(env={...}, replace={...})  placeholders: `env` sets shell variables such as $ASSIGNMENT,
                           `replace` substitutes text such as WORKSPACE_ID; both are templates
                           formatted with the demo (`"{demo.workspace_id}"`, see `Demo`);
  Run(exports=("NAME",))   ... and it must leave NAME exported (for the blocks after it);
  Run(check=Demo.method)   ... and `method(demo, block_as_it_ran)` must hold (an effect elsewhere);
  NotRun("why")            for a block that cannot run as such.
`http://127.0.0.1:8000`, the address `make run` serves on, stands for the test's server in
every block.

The blocks run in the README's order, against `testament serve --demo` (what `make run`
runs) on a free port with a data directory of its own, from a folder that links to the
repository's files (so `.venv/bin/testament` and `examples/...` work as from the repository
root, and what a block writes stays out of the checkout), with `.venv/bin` first on PATH and
TESTAMENT_DATA_DIR and TESTAMENT_DATABASE_URL set as the server's (admin commands open its
database). No other TESTAMENT_* variable is set for them: what a shell block exports (as the
Quick start's `export TESTAMENT_URL=... TESTAMENT_API_KEY=...`) carries to the blocks after
it, as in one terminal. Shell blocks run with `bash -e -o pipefail`: any failing command fails the block.
Python blocks run with the test's own interpreter (the venv's).

```yaml blocks are bundles: each is applied to a new workspace of its own and must be accepted.
"""

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import missing_readme_tools, readme_tools_required, wait_finished, wait_for
from tests.e2e.processes import Installation
from tests.integration.conftest import fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SERVED_AT = "http://127.0.0.1:8000"  # where `make run` serves; the test's server stands in for it
NOT_LINKED = {".git", ".testament", ".env"}  # a user's data and settings stay out of the blocks' view


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int  # where it starts in the README

    @property
    def first_line(self) -> str:
        lines = [ln.rstrip() for ln in self.text.splitlines() if ln.strip() and not ln.startswith("#!")]
        return lines[0] if lines else ""

    @property
    def key(self) -> str | None:
        """The BLOCKS entry for this block: the longest key its first line starts with."""
        keys = [key for key in BLOCKS if self.first_line.startswith(key)]
        return max(keys, key=len) if keys else None


FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL, PYTHON, YAML = ("sh", "bash", "shell", "console"), ("python", "py"), ("yaml", "yml")


def readme_blocks() -> list[Block]:
    text = README.read_text()
    return [
        Block(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text)
        if m.group(1) in (*SHELL, *PYTHON, *YAML)
    ]


COMMANDS = [b for b in readme_blocks() if b.language not in YAML]
BUNDLES = [b for b in readme_blocks() if b.language in YAML]


# ------------------------------------------------------------------------ the demo server


class CallbackReceiver:
    """A local receiver for completion callbacks: it keeps what it is sent."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Demo:
    """The demo server, and what the README's placeholders stand for in it (made when first asked)."""

    def __init__(self, installation: Installation, data_dir: Path, printed: str) -> None:
        made = json.loads((data_dir / "demo.json").read_text())
        self.installation = installation
        self.url = installation.url
        self.printed = printed  # what `testament serve --demo` printed
        self.token: str = made["token"]
        self.workspace_id: str = made["workspace_id"]
        self.callbacks = CallbackReceiver()

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + "/api/v1", headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    @cached_property
    def an_execution(self) -> str:
        """A finished execution of `health`."""
        with self.api() as api:
            started = api.post("/executions", json={"test_case_id": "health"}).json()
            return str(wait_finished(api, started["id"])["id"])

    @cached_property
    def a_plan_run(self) -> str:
        with self.api() as api:
            started = api.post("/executions", json={"plan_id": "nightly"}).json()
            return str(started["plan_run_id"])

    @cached_property
    def a_manual_run(self) -> str:
        """An execution of the manual test case: in progress until a person records its steps."""
        with self.api() as api:
            return str(api.post("/executions", json={"test_case_id": "checkout by hand"}).json()["id"])

    @cached_property
    def key(self) -> dict[str, str]:
        """A manager's key, with its access key pair."""
        made: dict[str, str] = self.installation.cli_json(
            "key", "create", "--workspace", self.workspace_id, "--role", "manager", "--user", "readme"
        )
        return made

    @cached_property
    def a_key_to_revoke(self) -> str:
        made = self.installation.cli_json(
            "key", "create", "--workspace", self.workspace_id, "--role", "viewer"
        )
        return str(made["id"])

    @cached_property
    def assignment(self) -> str:
        with self.api() as api:
            return str(api.get("/assignments").json()["items"][0]["id"])

    @cached_property
    def assignment_run(self) -> dict[str, Any]:
        """The assignment's open Enterprise Tester run (the README's first call answers the same)."""
        answer = httpx.post(
            f"{self.url}/enterprise-tester/api/scriptassignment/{self.assignment}/runs",
            params={"$expand": "StepResults"},
            auth=(self.key["access_key_id"], self.key["secret_access_key"]),
        )
        answer.raise_for_status()
        run: dict[str, Any] = answer.json()
        return run

    @cached_property
    def task(self) -> dict[str, Any]:
        with self.api() as api:
            task: dict[str, Any] = api.get("/tasks").json()["items"][-1]  # the demo's (newest first)
            return task

    def shows_the_printed_exports(self, block: str) -> None:
        """The export lines the README shows are those the server printed."""
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            assert command in self.printed, f"the server did not print {command!r}:\n{self.printed}"

    def received_the_callback(self, _block: str) -> None:
        sent = wait_for(lambda: self.callbacks.received, timeout_s=30)
        assert sent[0]["params"] == {"build": 42}
        assert sent[0]["testInstance"]["status"] == "COMPLETE"


# ------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Run:
    contains: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    replace: dict[str, str] = field(default_factory=dict)
    exports: tuple[str, ...] = ()  # variables the block must leave exported
    check: Callable[[Demo, str], None] | None = None  # called with the block as it ran


@dataclass(frozen=True)
class NotRun:
    reason: str


ET_KEY = {"ACCESS_KEY_ID": "{demo.key[access_key_id]}", "SECRET": "{demo.key[secret_access_key]}"}
BLOCKS: dict[str, Run | NotRun] = {
    "make run": NotRun("it installs, then runs `testament serve --demo` on port 8000, as the test does"),
    "export TESTAMENT_URL=http://127.0.0.1:8000": Run(
        replace={"tst_…": "{demo.token}"},
        exports=("TESTAMENT_URL", "TESTAMENT_API_KEY"),
        check=Demo.shows_the_printed_exports,
    ),
    ".venv/bin/testament run health --wait": Run(
        replace={"EXECUTION_ID": "{demo.an_execution}"}, contains=("healthz",)
    ),
    """curl -s -H "Authorization: Bearer $TESTAMENT_API_KEY" -H 'content-type: application/json' \\""": Run(
        contains=('"plan_run_id"',)
    ),
    "export TESTAMENT_AWS_KEY=": Run(
        replace={"WORKSPACE_ID": "{demo.workspace_id}"}, exports=("TESTAMENT_AWS_KEY",)
    ),
    "import json": Run(contains=("PASSED", "'ObservationsPassed': 3")),
    "set -euo pipefail": Run(contains=('"SUCCESS"',)),
    "ET=$TESTAMENT_URL/enterprise-tester/api": Run(
        env={
            **ET_KEY,
            "ASSIGNMENT": "{demo.assignment}",
            "RUN": "{demo.assignment_run[Id]}",
        },
        replace={"<step result id>": "{demo.assignment_run[StepResults][0][Id]}"},
        contains=('"Status":"Failed","Completed":true', '"Total":1'),
    ),
    'curl -s "$TESTAMENT_URL/api/v1/tasks"': Run(
        contains=('"title":"API readiness"',)
    ),
    "TI=$TESTAMENT_URL/testinvite/api/integration/rest/v1": Run(
        env={"TASK": "{demo.task[id]}", "STEP": "{demo.task[steps][0][id]}"},
        replace={"127.0.0.1:9000": "{demo.callbacks.address}"},
        contains=('"status":"STARTED"', '"totalItems":1'),
        check=Demo.received_the_callback,
    ),
    "testament run nightly --wait --junit report.xml": Run(
        replace={"EXECUTION_OR_PLAN_RUN_ID": "{demo.a_manual_run}", "PLAN_RUN_ID": "{demo.a_plan_run}"},
        contains=("true", "STOPPED"),
    ),
    "testament workspace create NAME --json": Run(
        replace={
            "[--user NAME]": "--user readme-admin",
            "[--json]": "--json",
            "NAME": "readme",
            "KEY_ID": "{demo.a_key_to_revoke}",
            "--workspace ID": "--workspace {demo.workspace_id}",
            "ROLE": "viewer",
        },
        contains=("is revoked",),
    ),
    "# every process: the same database": NotRun("it starts an API and a worker that serve until stopped"),
    "testament workers": Run(contains=("Workers", "liveness")),
}  # fmt: skip


# ------------------------------------------------------------------------ running blocks


def repository_view(folder: Path) -> Path:
    """A folder that looks like the repository root: links to its files, `.venv` to this interpreter's."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED | {".venv"}:
            (folder / entry.name).symlink_to(entry)
    (folder / ".venv").symlink_to(Path(sys.prefix))
    return folder


class Terminal:
    """Runs blocks in order in one environment, as a user's terminal would."""

    def __init__(self, demo: Demo, cwd: Path, data_dir: Path, database_url: str) -> None:
        self.demo, self.cwd = demo, cwd
        kept = {k: v for k, v in os.environ.items() if not k.startswith("TESTAMENT_")}
        self.env = {
            **kept,
            "PATH": f"{cwd / '.venv' / 'bin'}{os.pathsep}{kept['PATH']}",
            "TESTAMENT_DATA_DIR": str(data_dir),
            "TESTAMENT_DATABASE_URL": database_url,  # the server's, when it is not in the data directory
        }
        self.ran = 0

    def run_through(self, index: int) -> None:
        """Runs every block up to `index` that has not run yet."""
        while self.ran <= index:
            block = COMMANDS[self.ran]
            self.ran += 1
            self.run(block)

    def run(self, block: Block) -> None:
        if block.key is None:
            pytest.fail(f"README.md line {block.line} is not in BLOCKS: {block.first_line}")
        entry = BLOCKS[block.key]
        if isinstance(entry, NotRun):
            return
        text = self._substituted(block.text.replace(SERVED_AT, self.demo.url), entry.replace)
        extra = {name: value.format(demo=self.demo) for name, value in entry.env.items()}
        output, after = self._execute(block.language, text, {**self.env, **extra})
        where = f"README.md line {block.line} as it ran:\n{text}\noutput:\n{output}"
        for wanted in entry.contains:
            assert wanted in output, f"{wanted!r} is not in the output of {where}"
        for name in entry.exports:
            assert after.get(name), f"{name} is not exported by {where}"
        if entry.check:
            entry.check(self.demo, text)
        self.env.update({k: v for k, v in after.items() if k not in extra})

    def _substituted(self, text: str, replace: dict[str, str]) -> str:
        for placeholder, value in replace.items():
            assert placeholder in text, f"the placeholder {placeholder!r} is not in the block any more"
            text = text.replace(placeholder, value.format(demo=self.demo))
        return text

    def _execute(self, language: str, text: str, env: dict[str, str]) -> tuple[str, dict[str, str]]:
        """The block's output, and the environment it leaves (shell blocks; else the same)."""
        dump = self.cwd.parent / "environment.after"
        if language in PYTHON:
            command = [sys.executable, "-c", text]
        else:
            command = ["bash", "-e", "-o", "pipefail", "-c", f'{text}\nenv -0 > "{dump}"']
        done = subprocess.run(
            command,
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, f"exit {done.returncode}: {done.stdout}"
        if language in PYTHON:
            return done.stdout, env
        pairs = (item.partition("=") for item in dump.read_text().split("\0") if item)
        after = {name: value for name, _, value in pairs if name not in ("_", "SHLVL", "PWD", "OLDPWD")}
        return done.stdout, after


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal]:
    base = tmp_path_factory.mktemp("readme")
    data_dir = base / "data"
    database_url = fresh_database_url(base)
    server = Installation(data_dir, database_url)
    log = base / "serve.log"
    with log.open("w") as out:
        server.serve(None, "--demo", stdout=out)
    demo = Demo(server, data_dir, log.read_text())
    try:
        yield Terminal(demo, repository_view(base / "repository"), data_dir, database_url)
    finally:
        demo.callbacks.close()
        server.stop()


# ------------------------------------------------------------------------ the tests


def test_every_shell_and_python_block_of_the_readme_is_in_the_table() -> None:
    keys = [b.key for b in COMMANDS]
    unknown = [f"line {b.line}: {b.first_line}" for b in COMMANDS if b.key is None]
    shared = sorted({k for k in keys if k is not None and keys.count(k) > 1})
    stale = [k for k in BLOCKS if k not in keys]

    assert not unknown, "README blocks the test does not know (add them to BLOCKS):\n" + "\n".join(unknown)
    assert not shared, f"BLOCKS entries that more than one README block starts with (lengthen them): {shared}"
    assert not stale, f"BLOCKS entries no README block starts with any more: {stale}"


@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[f"line {b.line}" for b in COMMANDS])
def test_the_readme_block_runs_as_written(terminal: Terminal, index: int) -> None:
    if missing := missing_readme_tools():
        if readme_tools_required():
            pytest.fail(f"the README examples need {', '.join(missing)}, which is not installed")
        pytest.skip(f"tier README examples is off: install {', '.join(missing)} to run it")
    terminal.run_through(index)


@pytest.mark.parametrize("index", range(len(BUNDLES)), ids=[f"line {b.line}" for b in BUNDLES])
def test_the_readme_yaml_is_a_bundle_the_server_accepts(terminal: Terminal, index: int) -> None:
    server = terminal.demo.installation
    workspace = server.cli_json("workspace", "create", f"readme-yaml-{index}")["id"]
    token = server.cli_json("key", "create", "--workspace", workspace, "--role", "admin")["token"]
    bundle = yaml.safe_load(BUNDLES[index].text)

    answer = httpx.post(
        f"{server.url}/api/v1/apply", json=bundle, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    assert answer.status_code == 200, f"README.md line {BUNDLES[index].line}: {answer.text}"
