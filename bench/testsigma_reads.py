"""Figure 5: what a Testsigma client's polling costs: GET test_case_results of a finished plan
run of 200 test cases, against a bare GET /healthz of the same server.

The run is made as a client makes it (200 noop test cases in one suite of one plan, triggered
through Testsigma) on `testament serve`; then both GETs are timed from one keep-alive
connection, in alternating blocks of ten, and the medians compared (the answer must stay within 40x the
health check). The transactions each answer begins on the store are counted in process, by an
engine hook, on an app opened on the same database with no engine of its own: the GET, a
trigger, and the native start of the same plan.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from bench.client import Api
from bench.server import Server
from bench.throughput import create_noop_case
from testament.api.app import create_app
from testament.config import Settings

__all__ = ["TestsigmaReadsConfig", "measure_testsigma_reads"]

TESTSIGMA = "/testsigma/api/v1"


@dataclass(frozen=True)
class TestsigmaReadsConfig:
    cases: int = 200
    calls: int = 50
    max_ratio: float = 40.0


def _make_run(api: Api, cases: int) -> tuple[str, int, int]:
    """The plan's core id, its Testsigma number and a finished run's number."""
    case_ids = [create_noop_case(api, f"reads-{i}") for i in range(cases)]
    suite = api.call("POST", "/api/v1/suites", {"name": "reads", "test_case_ids": case_ids}, expect=201)
    plan = api.call("POST", "/api/v1/plans", {"name": "reads", "suite_ids": [suite["id"]]}, expect=201)
    number = api.call("GET", f"{TESTSIGMA}/test_plans?query=name:reads")["content"][0]["id"]
    run = api.call("POST", f"{TESTSIGMA}/execution_results", {"executionId": number})
    deadline = time.monotonic() + 120
    while api.call("GET", f"{TESTSIGMA}/execution_results/{run['id']}")["status"] != "STATUS_COMPLETED":
        if time.monotonic() > deadline:
            raise RuntimeError("the plan run did not finish in 120 s")
        time.sleep(0.2)
    return str(plan["id"]), int(number), int(run["id"])


def _medians_ms(api: Api, paths: list[str], calls: int, block: int = 10) -> list[float]:
    """The median time of each GET, in blocks of `block` calls of one path taken in turn: each
    path is timed on its own (a bare health check stays bare) and all see the same machine."""
    samples: list[list[float]] = [[] for _ in paths]
    while len(samples[0]) < calls:
        for path, times in zip(paths, samples, strict=True):
            for _ in range(min(block, calls - len(times))):
                began = time.perf_counter()
                reply = api.send("GET", path)
                times.append((time.perf_counter() - began) * 1000)
                if reply.status != 200:
                    raise RuntimeError(f"GET {path}: HTTP {reply.status}: {reply.body[:300]!r}")
    return [statistics.median(times) for times in samples]


def _begins(database_url: str, data_dir: Path, token: str, plan: tuple[str, int, int]) -> dict[str, int]:
    """Transactions begun by each answer, on an app of its own (no engine) over the same store."""
    settings = Settings(
        data_dir=data_dir, database_url=database_url, secret_key="bench", max_queued_executions=10_000_000
    )
    app = create_app(settings, start_engine=False)
    engine = app.state.ctx.db.engine
    count = [0]

    def on_begin(_conn: Any) -> None:
        count[0] += 1

    def cost(send: Callable[[], Any]) -> int:
        count[0] = 0
        reply = send()
        if reply.status_code not in (200, 201):
            raise RuntimeError(f"HTTP {reply.status_code}: {reply.text[:300]}")
        return count[0]

    plan_id, number, run = plan
    event.listen(engine, "begin", on_begin)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            results = f"{TESTSIGMA}/execution_results/{run}/test_case_results"
            found = {
                "test_case_results": cost(lambda: client.get(results)),
                "native_start": cost(lambda: client.post("/api/v1/executions", json={"plan_id": plan_id})),
                "testsigma_trigger": cost(
                    lambda: client.post(f"{TESTSIGMA}/execution_results", json={"executionId": number})
                ),
            }
    finally:
        event.remove(engine, "begin", on_begin)
        app.state.ctx.db.dispose()
    return found


def measure_testsigma_reads(server: Server, data_dir: Path, config: TestsigmaReadsConfig) -> dict[str, Any]:
    api = server.api()
    plan = _make_run(api, config.cases)
    path = f"{TESTSIGMA}/execution_results/{plan[2]}/test_case_results"
    answer = api.call("GET", path)
    if len(answer["testCases"]) != config.cases:
        raise RuntimeError(f"the run shows {len(answer['testCases'])} test cases, not {config.cases}")
    _medians_ms(api, [path, "/healthz"], 5)  # warm both paths
    results_ms, healthz_ms = _medians_ms(api, [path, "/healthz"], config.calls)
    api.close()
    ratio = results_ms / healthz_ms
    if ratio > config.max_ratio:
        raise RuntimeError(
            f"test_case_results took {results_ms:.2f} ms, {ratio:.1f}x /healthz ({healthz_ms:.2f} ms);"
            f" at most {config.max_ratio}x"
        )
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cases": config.cases,
        "calls": config.calls,
        "test_case_results_median_ms": round(results_ms, 3),
        "healthz_median_ms": round(healthz_ms, 3),
        "ratio": round(ratio, 2),
        "max_ratio": config.max_ratio,
        "begins": _begins(server.database_url, data_dir, server.token, plan),
    }
