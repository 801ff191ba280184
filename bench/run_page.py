"""Figure 9: a run's page answers its first view in bounded time, whatever the run holds.

On a fresh `testament serve`, two finished http executions are written into its database (SQLAlchemy
Core, as the engine writes them): one with 10 records and one with 10,000 (each record a step's
request, response with a JSON body and, every 50th, a failed expectation). A browser-like client
signs in through the UI's form and asks for `GET /runs/{id}` of each, N times after a warm-up; the
figure is the median (and p95) of the round trip on 127.0.0.1, an upper bound of the server's time.
The page holds a bounded window of records (the last 100, earlier ones load on demand): the
HTML's size and its number of records are reported beside the time.

    .venv/bin/python -m bench.run --only run_page   # this figure into bench/results/latest.*
"""

import re
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

from bench.report import machine_info
from bench.search import _case_rows, _insert_cases
from bench.server import Server, running_server
from testament.domain.execution import ExecutionStatus
from testament.kit.clock import utcnow
from testament.kit.ids import new_id
from testament.store.db import Database
from testament.store.tables import execution_records, executions

__all__ = ["RunPageConfig", "measure_run_page", "run_page_md"]

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class RunPageConfig:
    small: int = 10
    big: int = 10_000
    calls: int = 30
    warmup: int = 5
    chunk: int = 2_000


def _record(seq: int) -> dict[str, Any]:
    body = '{"items": [' + ", ".join(f'{{"id": {i}, "name": "item {i}"}}' for i in range(12)) + "]}"
    failed = seq % 50 == 0
    return {
        "step": f"step {seq}",
        "request": {
            "method": "GET",
            "url": f"http://127.0.0.1:9/items?page={seq}",
            "headers": {"accept": "application/json", "authorization": "***", "user-agent": "testament"},
            "body": "",
        },
        "response": {
            "status": 500 if failed else 200,
            "headers": {"content-type": "application/json", "content-length": str(len(body))},
            "body": body,
            "elapsed_ms": 12.5,
        },
        "captures": {"first": "item 0"},
        "failures": [
            {
                "expectation": "status",
                "operator": "eq",
                "expected": 200,
                "actual": 500,
                "message": "status: expected 200, got 500",
            }
        ]
        if failed
        else [],
    }


def seed_run(server: Server, records: int, chunk: int) -> str:
    """A finished http execution with `records` records; its id."""
    case = next(_case_rows(server.workspace_id, 1, "http", lambda _i: f"run-page-{records}-{new_id()[-6:]}"))
    _insert_cases(server, [case], chunk)
    database, base = Database(server.database_url), utcnow()
    execution_id = new_id()
    failed = records // 50
    with database.engine.begin() as conn:
        conn.execute(
            insert(executions),
            {
                "id": execution_id,
                "workspace_id": server.workspace_id,
                "test_case_id": case["id"],
                "test_case_version": 1,
                "kind": "http",
                "status": ExecutionStatus.FAILED if failed else ExecutionStatus.PASSED,
                "batch_id": new_id(),
                "created_by": "bench",
                "max_attempts": 1,
                "attempt": 1,
                "queued_at": base,
                "started_at": base,
                "finished_at": base + timedelta(seconds=records / 100),
                "records_total": records,
                "records_passed": records - failed,
                "records_failed": failed,
                "reason": "step 'step 50' failed: status: expected 200, got 500" if failed else "",
            },
        )
        for start in range(1, records + 1, chunk):
            conn.execute(
                insert(execution_records),
                [
                    {
                        "execution_id": execution_id,
                        "seq": seq,
                        "attempt": 1,
                        "observation_id": f"step {seq}",
                        "status": "FAILED" if seq % 50 == 0 else "PASSED",
                        "timestamp": base + timedelta(milliseconds=seq * 10),
                        "record": _record(seq),
                        "interrupted": False,
                    }
                    for seq in range(start, min(start + chunk, records + 1))
                ],
            )
        conn.execute(text("ANALYZE"))
    database.dispose()
    return execution_id


def signed_in(server: Server) -> httpx.Client:
    """A browser-like client with a UI session (signed in through the form with the admin key)."""
    client = httpx.Client(base_url=f"http://{server.host}:{server.port}", timeout=60)
    form = client.get("/sign-in")
    found = _CSRF.search(form.text)
    if not found:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = client.post("/sign-in", data={"api_key": server.token, "csrf": found.group(1), "next": "/"})
    if answer.status_code not in (200, 303):
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return client


def time_page(client: httpx.Client, path: str, config: RunPageConfig) -> dict[str, Any]:
    for _ in range(config.warmup):
        client.get(path)
    samples = []
    answer = None
    for _ in range(config.calls):
        began = time.perf_counter()
        answer = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
    assert answer is not None
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "html_kib": round(len(answer.content) / 1024, 1),
        "records_in_page": len(re.findall(r'<li id="record-\d+"', answer.text)),
        "load_earlier": "Load earlier records" in answer.text,
    }


def measure_run_page(data_dir: Path, config: RunPageConfig) -> dict[str, Any]:
    with running_server(data_dir) as server:
        small = seed_run(server, config.small, config.chunk)
        big = seed_run(server, config.big, config.chunk)
        client = signed_in(server)
        try:
            result = {
                "measured_at": machine_info()["measured_at"],
                "calls": config.calls,
                "small": {"records": config.small, **time_page(client, f"/runs/{small}", config)},
                "big": {"records": config.big, **time_page(client, f"/runs/{big}", config)},
                "healthz_ms": time_page(client, "/healthz", config)["median_ms"],
            }
        finally:
            client.close()
    result["ratio_big_to_small"] = round(result["big"]["median_ms"] / result["small"]["median_ms"], 2)
    return result


def run_page_md(r: dict[str, Any]) -> list[str]:
    rows = [
        f"| {x['records']:,} | {x['median_ms']:.1f} | {x['p95_ms']:.1f} | {x['records_in_page']} | "
        f"{x['html_kib']:.0f} | {'yes' if x['load_earlier'] else 'no'} |"
        for x in (r["small"], r["big"])
    ]
    return [
        "## 9. A run's page, first view (`GET /runs/{id}`)",
        "",
        f"Measured {r['measured_at']}. A finished http execution seeded into a fresh `testament serve`'s "
        f"SQLite database; a client signed in through the UI; median and p95 of {r['calls']} calls after a "
        f"warm-up (the round trip on 127.0.0.1: an upper bound of the server's time; `/healthz` "
        f"{r['healthz_ms']:.1f} ms). Target: under 100 ms with 10,000 records.",
        "",
        '| records in the run | median ms | p95 ms | records in the page | HTML KiB | "load earlier" |',
        "|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"10,000 records ÷ 10: **{r['ratio_big_to_small']:.2f}** (the page holds the last 100 records; "
        "earlier ones load on demand).",
    ]
