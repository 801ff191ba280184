"""Run the real `testament` command: admin commands, and `serve` and `worker` as child processes."""

import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port

CLI = [sys.executable, "-m", "testament.cli.main"]


class Installation:
    """One data directory and database, as a user's machine would have."""

    def __init__(self, data_dir: Path, database_url: str, **settings: Any) -> None:
        self.env = {
            **os.environ,
            "TESTAMENT_DATA_DIR": str(data_dir),
            "TESTAMENT_DATABASE_URL": database_url,
            **{f"TESTAMENT_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs = data_dir.parent

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*CLI, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(
                f"testament {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def serve(self, port: int | None = None, *extra: str, stdout: Any = subprocess.DEVNULL) -> str:
        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.serve_log = self._logs / f"serve-{port}.log"  # its workers' too: for a failing test
        with self.serve_log.open("wb") as stderr:
            self.server = subprocess.Popen(
                [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", *extra],
                env=self.env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError("testament serve exited at start")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("testament serve did not answer /healthz within 30 s")

    def worker(self, *args: str, command: list[str] = CLI) -> tuple[subprocess.Popen[bytes], Path]:
        """`testament worker ARGS` (run by `command`), once it has joined the fleet; and the file
        its stderr goes to."""
        log = self._logs / f"worker-{len(self.workers)}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [*command, "worker", "--log-level", "warning", *args],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self.workers.append(process)
        deadline = time.monotonic() + 30
        while " at once, kinds " not in log.read_text():  # its line on joining the fleet
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"testament worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        return process, log

    def with_key(self, token: str) -> "Installation":
        """The same server seen with another key, for tests that share one server process."""
        other = copy.copy(self)
        other.env = {**self.env, "TESTAMENT_URL": self.url, "TESTAMENT_API_KEY": token}
        other.server, other.workers = None, []  # stopping the processes stays the owner's job
        return other

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self.server is not None
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(10)

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.server is not None:
            # serve's worker children share its process group: none may outlive the test (one
            # that would hold the database or a pipe the test reads)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.server.pid, signal.SIGKILL)
