"""The real server as a subprocess (`testament serve`), and a workspace + admin key from the CLI."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import Api

__all__ = ["Server", "running_server"]

TESTAMENT = Path(sys.executable).parent / "testament"
STARTUP_S = 30.0


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    token: str
    database_url: str
    workspace_id: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""

    def api(self) -> Api:
        return Api(self.host, self.port, self.token)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    """TESTAMENT_* for a server of its own in `data_dir`; other settings stay at their defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTAMENT_")}
    env.update(
        TESTAMENT_DATA_DIR=str(data_dir),
        TESTAMENT_DATABASE_URL=f"sqlite:///{data_dir / 'testament.db'}",
        TESTAMENT_SECRET_KEY="bench",
        TESTAMENT_MAX_QUEUED_EXECUTIONS="10000000",
    )
    return env


def cli_json(env: dict[str, str], *args: str) -> dict[str, str]:
    out = subprocess.run(
        [str(TESTAMENT), *args, "--json"], env=env, check=True, capture_output=True, text=True
    )
    result: dict[str, str] = json.loads(out.stdout)
    return result


def provision(env: dict[str, str]) -> dict[str, str]:
    """A workspace and an admin key for it, made by the operator CLI."""
    workspace = cli_json(env, "workspace", "create", "bench")
    return cli_json(env, "key", "create", "--workspace", workspace["id"], "--role", "admin")


def wait_healthy(api: Api, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if api.send("GET", "/healthz").status == 200:
                return
        except OSError:
            api.close()
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy:\n{log.read_text()[-3000:]}")


def wait_joined(worker: subprocess.Popen[bytes], log: Path, timeout_s: float = STARTUP_S) -> None:
    """Until `testament worker` logs its line on joining the fleet; its log's end if it does not."""
    deadline = time.monotonic() + timeout_s
    while " at once, kinds " not in log.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask uvicorn to shut down gracefully; kill this one process if it does not."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_server(data_dir: Path) -> Iterator[Server]:
    """`testament serve` on a free port with a fresh SQLite database in `data_dir`."""
    env = server_env(data_dir)
    key = provision(env)  # also migrates the database before the server opens it
    host, port = "127.0.0.1", free_port()
    log = data_dir / "server.log"
    with log.open("wb") as log_file:
        cmd = [str(TESTAMENT), "serve", "--host", host, "--port", str(port), "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        probe = Api(host, port)
        wait_healthy(probe, proc, log)
        probe.close()
        yield Server(
            host,
            port,
            key["token"],
            env["TESTAMENT_DATABASE_URL"],
            key["workspace_id"],
            key["access_key_id"],
            key["secret_access_key"],
        )
    finally:
        stop(proc)
