"""Figure 8: worker processes — what a start costs the API, executions/s, and memory.

A fleet is `testament serve --no-workers` plus W `testament worker --concurrency C` processes on
one database, caps raised (TESTAMENT_MAX_RUNNING_EXECUTIONS=W*C, queued 10,000,000). One client:

- start cost (SQLite): medians of GET /healthz, of an authenticated GET of one test case, and of
  POST /api/v1/executions (a noop case) while the workers drain what the starts queue; one
  request at a time, in that order;
- throughput: N one-step http executions against a local target (answering at once) started by
  the client back to back; the clock runs from the first POST until none is QUEUED or RUNNING;
  on SQLite with one worker per core, on PostgreSQL with 1, 2 and 4 worker processes;
- memory: VmRSS of the API process and of each worker after the fleet's executions, and before;
- the same throughput on SQLite with several requests in flight at once from one client process
  (threads, a keep-alive connection each): the one-at-a-time figure is bounded by a start's round
  trip, this one by what the server and the workers can do;
- a backlog on PostgreSQL: N http executions queued before any worker runs, then W workers drain
  them while the client times starts and authenticated reads in alternating blocks of ten (the
  start cost during the drain), and VmRSS of every process after.

    .venv/bin/python -m bench.workers      # alone, printing JSON; bench.run --only workers keeps it
"""

import json
import os
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import Api
from bench.engine import wait_drained
from bench.server import TESTAMENT, free_port, provision, server_env, stop, wait_healthy, wait_joined
from bench.wakeup import DATABASE_VARIABLES, _fresh_postgresql_database, _target

__all__ = ["WorkersConfig", "measure_workers"]

FINISHED = ("PASSED", "FAILED", "STOPPED", "ERROR")
BACKLOG_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class WorkersConfig:
    requests: int = 300  # per kind of request in the start-cost figure
    executions: int = 1000  # per throughput run
    concurrency: int = 4  # executions each worker runs at once
    postgresql_workers: tuple[int, ...] = (1, 2, 4)
    in_flight: int = 4  # requests at once from one client process, in the concurrent-starts row
    backlog: int = 10_000  # executions queued before the workers start (PostgreSQL)
    backlog_samples: int = 300  # starts and reads timed during the backlog's drain


@dataclass(frozen=True)
class Fleet:
    api: Api
    server: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    start_workers: Any = None  # start the workers (when the fleet was made without them running)

    def rss_kib(self) -> dict[str, Any]:
        return {"api": _rss_kib(self.server.pid), "workers": [_rss_kib(w.pid) for w in self.workers]}

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds (user + system) used so far by the API process and by the workers together."""
        return {"api": _cpu_s(self.server.pid), "workers": sum(_cpu_s(w.pid) for w in self.workers)}


def measure_workers(workdir: Path, config: WorkersConfig) -> dict[str, Any]:
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "concurrency": config.concurrency,
        "load_average_before": os.getloadavg()[0],
    }
    with _target() as target_url:
        sqlite_url = f"sqlite:///{workdir / 'sqlite' / 'testament.db'}"
        per_core = os.cpu_count() or 1
        with _fleet(workdir / "sqlite", sqlite_url, per_core, config.concurrency) as fleet:
            results["start_cost"] = _start_cost(fleet.api, config.requests)
            results["sqlite"] = _throughput(fleet, target_url, config.executions)
        sqlite_url = f"sqlite:///{workdir / 'sqlite-in-flight' / 'testament.db'}"
        with _fleet(workdir / "sqlite-in-flight", sqlite_url, per_core, config.concurrency) as fleet:
            results["sqlite_in_flight"] = _throughput(fleet, target_url, config.executions, config.in_flight)
        results["postgresql"] = _postgresql(workdir, target_url, config)
    results["load_average_after"] = os.getloadavg()[0]
    return results


def _postgresql(workdir: Path, target_url: str, config: WorkersConfig) -> dict[str, Any]:
    named = next(((v, os.environ[v]) for v in DATABASE_VARIABLES if os.environ.get(v)), None)
    if named is None:
        return {"skipped": f"set {DATABASE_VARIABLES[0]} to measure it"}
    runs = []
    for count in config.postgresql_workers:
        folder = workdir / f"postgresql-{count}"
        with (
            _fresh_postgresql_database(named[1]) as (url, version),
            _fleet(folder, url, count, config.concurrency) as fleet,
        ):
            runs.append(_throughput(fleet, target_url, config.executions))
    per_core = os.cpu_count() or 1
    with (
        _fresh_postgresql_database(named[1]) as (url, version),
        _fleet(workdir / "postgresql-backlog", url, per_core, config.concurrency, start=False) as fleet,
    ):
        backlog = _backlog(fleet, target_url, config)
    return {"database": f"PostgreSQL {version}, a fresh database per run", "runs": runs, "backlog": backlog}


def _backlog(fleet: Fleet, target_url: str, config: WorkersConfig) -> dict[str, Any]:
    """`config.backlog` http executions queued with no worker running; then the workers start and
    drain them while the client times starts and reads, ten of each in turn."""
    api = fleet.api
    case_id = _case(api, "http", {"steps": [{"name": "get", "request": {"url": f"{target_url}/?ms=0"}}]})
    body = json.dumps({"test_case_id": case_id}).encode()
    idle_healthz = _timed(api, "GET", "/healthz", None, 200, config.backlog_samples)
    idle_read = _timed(api, "GET", f"/api/v1/test-cases/{case_id}", None, 200, config.backlog_samples)
    queueing = _timed(api, "POST", "/api/v1/executions", body, 201, config.backlog)
    rss_queued = fleet.rss_kib()
    fleet.start_workers()
    cpu_before = fleet.cpu_s()
    began = time.perf_counter()
    starts: list[float] = []
    reads: list[float] = []
    while len(starts) < config.backlog_samples:
        starts += _samples(api, "POST", "/api/v1/executions", body, 201, 10)
        reads += _samples(api, "GET", f"/api/v1/test-cases/{case_id}", None, 200, 10)
    sampled_s = time.perf_counter() - began
    wait_drained(api, 0.2, timeout_s=BACKLOG_TIMEOUT_S)
    drain_s = time.perf_counter() - began
    cpu_after = fleet.cpu_s()
    executions = config.backlog + len(starts)
    passed = _count(api, case_id, "PASSED")
    if passed != executions:
        raise RuntimeError(f"{passed} of {executions} executions passed")
    start, read = _summary(starts), _summary(reads)
    return {
        "workers": len(fleet.workers),
        "queued": config.backlog,
        "queueing_start_ms": queueing,
        "idle_healthz_ms": idle_healthz,
        "idle_read_ms": idle_read,
        "drain_start_ms": start,
        "drain_read_ms": read,
        "samples_took_s": sampled_s,
        "ratio_start_to_idle_read": start["median"] / idle_read["median"],
        "ratio_start_to_drain_read": start["median"] / read["median"],
        "ratio_start_to_idle_healthz": start["median"] / idle_healthz["median"],
        "executions": executions,
        "drain_s": drain_s,
        "executions_per_s": executions / drain_s,
        "cpu_ms_per_execution": {k: (cpu_after[k] - cpu_before[k]) * 1000 / executions for k in cpu_after},
        "rss_kib_queued": rss_queued,
        "rss_kib_after": fleet.rss_kib(),
    }


def _start_cost(api: Api, requests: int) -> dict[str, Any]:
    case_id = _case(api, "noop", {})
    body = json.dumps({"test_case_id": case_id}).encode()
    healthz = _timed(api, "GET", "/healthz", None, 200, requests)
    read = _timed(api, "GET", f"/api/v1/test-cases/{case_id}", None, 200, requests)
    start = _timed(api, "POST", "/api/v1/executions", body, 201, requests)
    wait_drained(api, 0.05)
    return {
        "requests": requests,
        "healthz_ms": healthz,
        "read_ms": read,
        "start_ms": start,
        "ratio_start_to_read": start["median"] / read["median"],
        "ratio_start_to_healthz": start["median"] / healthz["median"],
    }


def _timed(api: Api, method: str, path: str, body: bytes | None, expect: int, n: int) -> dict[str, float]:
    return _summary(_samples(api, method, path, body, expect, n))


def _samples(api: Api, method: str, path: str, body: bytes | None, expect: int, n: int) -> list[float]:
    """ms of each of `n` requests, one at a time."""
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        reply = api.send(method, path, body)
        samples.append((time.perf_counter() - began) * 1000)
        if reply.status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {reply.status}: {reply.body[:300]!r}")
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    p95 = statistics.quantiles(samples, n=100, method="inclusive")[94]
    return {"median": statistics.median(samples), "p95": p95, "max": samples[-1]}


def _throughput(fleet: Fleet, target_url: str, executions: int, in_flight: int = 1) -> dict[str, Any]:
    """`in_flight` > 1: that many threads of the client send the starts, each its own connection."""
    api = fleet.api
    case_id = _case(api, "http", {"steps": [{"name": "get", "request": {"url": f"{target_url}/?ms=0"}}]})
    _run_one(api, case_id)  # warms every process up before the clock and the first RSS reading
    rss_before = fleet.rss_kib()
    body = json.dumps({"test_case_id": case_id}).encode()
    cpu_before = fleet.cpu_s()
    began = time.perf_counter()
    _start_all(api, body, executions, in_flight)
    started_s = time.perf_counter() - began
    wait_drained(api, 0.02)
    total_s = time.perf_counter() - began
    cpu_after = fleet.cpu_s()
    passed = _count(api, case_id, "PASSED")
    if passed != executions + 1:
        raise RuntimeError(f"{passed - 1} of {executions} executions passed")
    return {
        "workers": len(fleet.workers),
        "in_flight": in_flight,
        "executions": executions,
        "starts_s": started_s,
        "total_s": total_s,
        "executions_per_s": executions / total_s,
        "cpu_ms_per_execution": {k: (cpu_after[k] - cpu_before[k]) * 1000 / executions for k in cpu_after},
        "rss_kib_before": rss_before,
        "rss_kib_after": fleet.rss_kib(),
    }


def _start_all(api: Api, body: bytes, executions: int, in_flight: int) -> None:
    def send(client: Api, count: int) -> None:
        for _ in range(count):
            reply = client.send("POST", "/api/v1/executions", body)
            if reply.status != 201:
                raise RuntimeError(f"start: HTTP {reply.status}: {reply.body[:300]!r}")

    if in_flight == 1:
        send(api, executions)
        return
    clients = [Api(api.host, api.port, api.token) for _ in range(in_flight)]
    failures: list[BaseException] = []

    def run(client: Api, count: int) -> None:
        try:
            send(client, count)
        except BaseException as exc:
            failures.append(exc)
        finally:
            client.close()

    shares = [executions // in_flight + (i < executions % in_flight) for i in range(in_flight)]
    threads = [threading.Thread(target=run, args=(c, n)) for c, n in zip(clients, shares, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _run_one(api: Api, case_id: str) -> None:
    execution_id = api.call("POST", "/api/v1/executions", {"test_case_id": case_id}, expect=201)["id"]
    deadline = time.monotonic() + 30
    while api.call("GET", f"/api/v1/executions/{execution_id}")["status"] not in FINISHED:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up execution did not finish")
        time.sleep(0.01)


def _count(api: Api, case_id: str, status: str) -> int:
    total, cursor = 0, ""
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = api.call(
            "GET", f"/api/v1/executions?status={status}&test_case_id={case_id}&limit=1000{suffix}"
        )
        total += len(page["items"])
        if not (cursor := page["next_cursor"]):
            return total


def _case(api: Api, kind: str, content: dict[str, Any]) -> str:
    body = {"kind": kind, "name": f"workers {kind}", "content": content, "publish": True}
    return str(api.call("POST", "/api/v1/test-cases", body, expect=201)["id"])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def _fleet(
    data_dir: Path, database_url: str, workers: int, concurrency: int, *, start: bool = True
) -> Iterator[Fleet]:
    """The API alone and `workers` worker processes on `database_url`, caps raised to fit them;
    with `start` False the workers start only when `Fleet.start_workers()` is called."""
    data_dir.mkdir(parents=True)
    env = {
        **server_env(data_dir),
        "TESTAMENT_DATABASE_URL": database_url,
        "TESTAMENT_MAX_RUNNING_EXECUTIONS": str(workers * concurrency),
    }
    key = provision(env)  # migrates the database first
    port = free_port()
    with ExitStack() as stack:
        command = [str(TESTAMENT), "serve", "--no-workers", "--port", str(port), "--log-level", "warning"]
        server = _spawn(command, env, data_dir / "server.log")
        stack.callback(stop, server)
        procs: list[subprocess.Popen[bytes]] = []

        def start_workers() -> None:
            for i in range(workers):
                command = [
                    str(TESTAMENT), "worker", "--concurrency", str(concurrency), "--log-level", "warning"
                ]  # fmt: skip
                procs.append(_spawn(command, env, data_dir / f"worker-{i}.log"))
                stack.callback(stop, procs[-1])
            for i, proc in enumerate(procs):
                wait_joined(proc, data_dir / f"worker-{i}.log")

        api = Api("127.0.0.1", port, key["token"])
        stack.callback(api.close)
        wait_healthy(api, server, data_dir / "server.log")
        if start:
            start_workers()
        yield Fleet(api, server, procs, start_workers)


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="testament-workers-") as tmp:
        print(json.dumps(measure_workers(Path(tmp), WorkersConfig()), indent=2))
