"""Figure 1: POST /api/v1/executions (start a noop test case) vs GET /healthz, requests/second.

Both run against the same `testament serve` subprocess with the same closed-loop clients.
The bare endpoint rounds go first, so they are not slowed by the engine working off the
executions the start rounds queued; the start rounds then run with the engine busy, as
starts do in production.
"""

import json
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from bench.client import Api
from bench.load import LoadResult, Request, hammer
from bench.server import Server

__all__ = ["ThroughputConfig", "create_noop_case", "measure_throughput"]


@dataclass(frozen=True)
class ThroughputConfig:
    clients: int = 8
    duration_s: float = 10.0
    rounds: int = 3


def create_noop_case(api: Api, name: str = "bench") -> str:
    """Create and publish a `noop` test case; return its id."""
    payload = {"kind": "noop", "name": name, "content": {}, "publish": True}
    case: dict[str, Any] = api.call("POST", "/api/v1/test-cases", payload, expect=201)
    return str(case["id"])


def _rounds(server: Server, request: Request, config: ThroughputConfig) -> list[LoadResult]:
    results = []
    for _ in range(config.rounds):
        result = hammer(server.api, request, config.clients, config.duration_s)
        if result.errors:
            raise RuntimeError(f"{request.method} {request.path}: {result.errors} failed requests")
        results.append(result)
    return results


def _summary(results: list[LoadResult]) -> dict[str, Any]:
    return {
        "median_rps": statistics.median(r.rps for r in results),
        "rounds": [asdict(r) | {"rps": r.rps} for r in results],
    }


def measure_throughput(server: Server, config: ThroughputConfig) -> dict[str, Any]:
    case_id = create_noop_case(server.api())
    bare = _rounds(server, Request("GET", "/healthz"), config)
    body = json.dumps({"test_case_id": case_id}).encode()
    start = _rounds(server, Request("POST", "/api/v1/executions", body, expect=201), config)
    bare_summary, start_summary = _summary(bare), _summary(start)
    return {
        "clients": config.clients,
        "duration_s": config.duration_s,
        "rounds": config.rounds,
        "bare_healthz": bare_summary,
        "start_execution": start_summary,
        "ratio_start_to_bare": start_summary["median_rps"] / bare_summary["median_rps"],
        "executions_started": sum(r.ok for r in start),
    }
