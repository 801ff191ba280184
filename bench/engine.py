"""Figure 3: the engine's overhead per noop execution, end to end over HTTP.

A burst of N starts is sent by concurrent clients; the clock runs from the first POST
until no execution of the workspace is QUEUED or RUNNING (polled through the list API).
Then single-execution latency: start one, poll it every 5 ms until it is finished.
"""

import json
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

from bench.client import Api
from bench.server import Server
from bench.throughput import create_noop_case

__all__ = ["EngineConfig", "measure_engine"]

FINISHED = ("PASSED", "FAILED", "STOPPED", "ERROR")
BATCH_TIMEOUT_S = 120.0
SINGLE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class EngineConfig:
    executions: int = 200
    clients: int = 8
    singles: int = 20
    batch_poll_s: float = 0.01
    single_poll_s: float = 0.005


def _start_share(server: Server, body: dict[str, str], count: int) -> None:
    api = server.api()
    for _ in range(count):
        api.call("POST", "/api/v1/executions", body, expect=201)
    api.close()


def start_burst(server: Server, case_id: str, config: EngineConfig) -> None:
    """Start config.executions executions, split over config.clients threads."""
    body = {"test_case_id": case_id}
    shares = [
        config.executions // config.clients + (i < config.executions % config.clients)
        for i in range(config.clients)
    ]
    threads = [threading.Thread(target=_start_share, args=(server, body, n)) for n in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def active_count(api: Api) -> int:
    """QUEUED or RUNNING executions in the workspace (0 or 1 each: only emptiness matters)."""
    return sum(
        len(api.call("GET", f"/api/v1/executions?status={s}&limit=1")["items"]) for s in ("QUEUED", "RUNNING")
    )


def count_passed(api: Api, case_id: str) -> int:
    page = api.call("GET", f"/api/v1/executions?status=PASSED&test_case_id={case_id}&limit=1000")
    return len(page["items"])


def wait_drained(api: Api, poll_s: float, timeout_s: float = BATCH_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while active_count(api):
        if time.monotonic() > deadline:
            raise RuntimeError("the executions did not finish in time")
        time.sleep(poll_s)


def measure_batch(server: Server, config: EngineConfig) -> dict[str, Any]:
    api = server.api()
    case_id = create_noop_case(api, "engine-batch")
    began = time.perf_counter()
    start_burst(server, case_id, config)
    started_s = time.perf_counter() - began
    wait_drained(api, config.batch_poll_s)
    total_s = time.perf_counter() - began
    passed = count_passed(api, case_id)
    api.close()
    if passed != config.executions:
        raise RuntimeError(f"{passed} of {config.executions} executions passed")
    return {
        "executions": config.executions,
        "clients": config.clients,
        "starts_s": started_s,
        "total_s": total_s,
        "executions_per_s": config.executions / total_s,
        "mean_ms_per_execution": total_s * 1000 / config.executions,
    }


def single_latency_ms(api: Api, case_id: str, poll_s: float) -> float:
    body = json.dumps({"test_case_id": case_id}).encode()
    began = time.perf_counter()
    reply = api.send("POST", "/api/v1/executions", body)
    execution_id = json.loads(reply.body)["id"]
    while True:
        status = api.call("GET", f"/api/v1/executions/{execution_id}")["status"]
        if status in FINISHED:
            break
        if time.perf_counter() - began > SINGLE_TIMEOUT_S:
            raise RuntimeError(f"execution {execution_id} did not finish")
        time.sleep(poll_s)
    if status != "PASSED":
        raise RuntimeError(f"execution {execution_id} ended {status}")
    return (time.perf_counter() - began) * 1000


def measure_single(server: Server, config: EngineConfig) -> dict[str, Any]:
    api = server.api()
    case_id = create_noop_case(api, "engine-single")
    samples = [single_latency_ms(api, case_id, config.single_poll_s) for _ in range(config.singles)]
    api.close()
    return {
        "runs": config.singles,
        "poll_ms": config.single_poll_s * 1000,
        "median_ms": statistics.median(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
    }


def measure_engine(server: Server, config: EngineConfig) -> dict[str, Any]:
    return {"batch": measure_batch(server, config), "single": measure_single(server, config)}
