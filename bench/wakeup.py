"""Figure 7: how soon a worker process hears of a start and of a stop.

`testament serve --no-workers` and one `testament worker --concurrency 2` on one database,
default settings otherwise (idle workers poll every 1 s, a run renews its lease every 5 s). One
client, one execution at a time, each while the worker idles:

- start → claimed: start a noop execution, wait until it is finished, pause 50 ms; the figure is
  its `started_at - queued_at` (both the server's clock, one host);
- stop → STOPPED: start an http execution of 400 steps of 25 ms against a local target, wait
  until it is RUNNING, send POST …/stop and poll every 5 ms until it is STOPPED (the client's
  clock, from just before the POST).

On PostgreSQL a NOTIFY wakes the worker (engine/listen.py). The database is a fresh one made in
the server TESTAMENT_BENCH_DATABASE_URL names, else TESTAMENT_TEST_DATABASE_URL's; without
either that half is not measured. On SQLite (a file) a datagram on the worker's UNIX socket does.

    .venv/bin/python -m bench.wakeup      # alone, printing JSON; bench.run --only wakeup keeps it
"""

import json
import os
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.client import Api
from bench.server import TESTAMENT, free_port, provision, server_env, stop, wait_healthy, wait_joined

__all__ = ["WakeupConfig", "measure_wakeup"]

DATABASE_VARIABLES = ("TESTAMENT_BENCH_DATABASE_URL", "TESTAMENT_TEST_DATABASE_URL")
STEP_MS, STEPS = 25, 400  # a run stopped late would take 10 s
POLL_S = 0.005
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class WakeupConfig:
    starts: int = 100
    stops: int = 50


def measure_wakeup(workdir: Path, config: WakeupConfig) -> dict[str, Any]:
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg()[0],  # latencies grow with what else the machine runs
    }
    with _target() as target_url:
        named = next(((v, os.environ[v]) for v in DATABASE_VARIABLES if os.environ.get(v)), None)
        if named is None:
            results["postgresql"] = {"skipped": f"set {DATABASE_VARIABLES[0]} to measure it"}
        else:
            variable, server_url = named
            with _fresh_postgresql_database(server_url) as (url, version):
                figure = _measure(workdir / "postgresql", url, target_url, config.starts, config.stops)
            results["postgresql"] = {
                **figure,
                "database": f"PostgreSQL {version}, a fresh database in {variable}'s server",
            }
        sqlite_url = f"sqlite:///{workdir / 'sqlite' / 'testament.db'}"
        figure = _measure(workdir / "sqlite", sqlite_url, target_url, config.starts, config.stops)
        results["sqlite"] = {**figure, "database": "a file in a temp dir"}
    results["load_average_after"] = os.getloadavg()[0]
    return results


def _measure(data_dir: Path, database_url: str, target_url: str, starts: int, stops: int) -> dict[str, Any]:
    with _fleet(data_dir, database_url) as api:
        noop = _case(api, "noop", {})
        slow = {"url": f"{target_url}/?ms={STEP_MS}"}
        http = _case(api, "http", {"steps": [{"name": f"step {i}", "request": slow} for i in range(STEPS)]})
        _start_to_claimed(api, noop)  # a first run warms the worker up
        claimed = [_start_to_claimed(api, noop) for _ in range(starts)]
        stopped = [_stop_to_stopped(api, http) for _ in range(stops)]
    return {"start_to_claimed_ms": _summary(claimed), "stop_to_stopped_ms": _summary(stopped)}


def _summary(samples_s: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in samples_s)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98]
    return {"median": statistics.median(ms), "p99": p99, "max": ms[-1], "n": len(ms)}


def _case(api: Api, kind: str, content: dict[str, Any]) -> str:
    body = {"kind": kind, "name": f"wake-up {kind}", "content": content, "publish": True}
    return str(api.call("POST", "/api/v1/test-cases", body, expect=201)["id"])


def _start(api: Api, case_id: str) -> str:
    return str(api.call("POST", "/api/v1/executions", {"test_case_id": case_id}, expect=201)["id"])


def _wait_status(api: Api, execution_id: str, wanted: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while (execution := api.call("GET", f"/api/v1/executions/{execution_id}"))["status"] not in wanted:
        if time.monotonic() > deadline:
            raise RuntimeError(f"execution {execution_id} stayed {execution['status']}")
        time.sleep(POLL_S)
    return dict(execution)


def _start_to_claimed(api: Api, case_id: str) -> float:
    execution = _wait_status(api, _start(api, case_id), ("PASSED", "FAILED", "ERROR"))
    time.sleep(0.05)  # the worker goes back to waiting
    started, queued = (datetime.fromisoformat(execution[k]) for k in ("started_at", "queued_at"))
    return (started - queued).total_seconds()


def _stop_to_stopped(api: Api, case_id: str) -> float:
    execution_id = _start(api, case_id)
    _wait_status(api, execution_id, ("RUNNING",))
    time.sleep(0.05)  # well into its steps
    asked = time.perf_counter()
    api.call("POST", f"/api/v1/executions/{execution_id}/stop", {})
    _wait_status(api, execution_id, ("STOPPED",))
    return time.perf_counter() - asked


@contextmanager
def _fleet(data_dir: Path, database_url: str) -> Iterator[Api]:
    """The API alone and one worker process on `database_url`; a client with an admin key."""
    data_dir.mkdir(parents=True)
    env = {**server_env(data_dir), "TESTAMENT_DATABASE_URL": database_url}
    key = provision(env)  # migrates the database first
    port = free_port()
    serve_log, worker_log = data_dir / "server.log", data_dir / "worker.log"
    with serve_log.open("wb") as out:
        command = [str(TESTAMENT), "serve", "--no-workers", "--port", str(port), "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    with worker_log.open("wb") as out:
        command = [str(TESTAMENT), "worker", "--concurrency", "2", "--log-level", "warning"]
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    api = Api("127.0.0.1", port, key["token"])
    try:
        wait_healthy(api, server, serve_log)
        wait_joined(worker, worker_log, TIMEOUT_S)
        yield api
    finally:
        api.close()
        stop(worker)
        stop(server)


@contextmanager
def _fresh_postgresql_database(server_url: str) -> Iterator[tuple[str, str]]:
    """A new database in the server `server_url` names (dropped after), and the server's version."""
    name = f"testament_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            version = str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False), version
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(int(parse_qs(urlparse(self.path).query).get("ms", ["0"])[0]) / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _target() -> Iterator[str]:
    """A local HTTP service whose answers take `?ms=` milliseconds."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="testament-wakeup-") as tmp:
        print(json.dumps(measure_wakeup(Path(tmp), WakeupConfig()), indent=2))
