"""Figure 6: a search's first page costs what the page costs, not what the workspace holds.

Two questions, each asked of a small and a big workspace on a fresh `testament serve`:

- SearchTestCases through boto3 (MaxResults 10, a name STARTS_WITH criterion that 1% of the
  test cases match) with 10 and with 10,000 Connect test cases;
- the native executions list filtered by a tag (`GET /api/v1/executions?tag=…&limit=10`) with
  10 and with 100,000 executions, 1% of them of the one test case carrying the tag.

The rows are bulk-inserted with SQLAlchemy Core into the server's database (tags as the test
case's JSON and as its test_case_tags rows, as the service writes them). Each figure is the
median of N calls of the first page; the ratio big/small should stay at or under 2. The
statements each call runs, and SQLite's plan for each, are taken in-process on the same
database by running the same use case with a statement listener.

    .venv/bin/python -m bench.run --only search   # this figure into bench/results/latest.*
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from botocore.client import BaseClient
from sqlalchemy import event, insert, text

from bench.connect import client
from bench.paging import time_calls
from bench.report import machine_info
from bench.server import Server, running_server
from testament.config import Settings
from testament.domain.access import Principal
from testament.domain.execution import ExecutionStatus
from testament.domain.filters import Call, Constant, Field, Kind
from testament.kit.clock import utcnow
from testament.kit.ids import new_id
from testament.services import keys
from testament.services.context import AppContext
from testament.services.executions import list_executions
from testament.services.test_cases.search import search_test_cases
from testament.store.db import Database
from testament.store.tables import executions, test_case_tags, test_case_versions, test_cases

__all__ = ["SearchConfig", "measure_search"]

PREFIX = "billing-"
TAG = ("team", "hot")
PAGE = 10
CONTENT = {"Content": '{"Version":"2025-06-21","Observations":[]}'}


@dataclass(frozen=True)
class SearchConfig:
    small_cases: int = 10
    big_cases: int = 10_000
    small_executions: int = 10
    big_executions: int = 100_000
    calls: int = 50
    warmup: int = 20
    settle_s: float = 2.0  # after seeding, so the small case is not measured on a server still starting
    chunk: int = 10_000


def _case_rows(
    workspace_id: str, count: int, kind: str, name: Callable[[int], str]
) -> Iterator[dict[str, Any]]:
    now = utcnow()
    for i in range(count):
        yield {
            "id": new_id(),
            "workspace_id": workspace_id,
            "kind": kind,
            "name": name(i),
            "description": "",
            "tags": {},
            "status": "SAVED",
            "version": 1,
            "sha256": "",
            "retries": 0,
            "created_at": now,
            "updated_at": now,
        }


def _insert_cases(server: Server, rows: list[dict[str, Any]], chunk: int) -> None:
    """Test cases with their one version and their tags' rows, in one transaction."""
    database = Database(server.database_url)
    versions = [
        {
            "id": new_id(),
            "test_case_id": r["id"],
            "version": 1,
            "content": CONTENT,
            "sha256": "",
            "created_at": r["created_at"],
        }
        for r in rows
    ]
    tags = [
        {"test_case_id": r["id"], "workspace_id": r["workspace_id"], "key": k, "value": v}
        for r in rows
        for k, v in r["tags"].items()
    ]
    with database.engine.begin() as conn:
        for table, values in ((test_cases, rows), (test_case_versions, versions), (test_case_tags, tags)):
            for start in range(0, len(values), chunk):
                conn.execute(insert(table), values[start : start + chunk])
    database.dispose()


def seed_cases(server: Server, count: int, chunk: int) -> None:
    """`count` Connect test cases, every 100th (the first included) named with PREFIX."""
    rows = list(
        _case_rows(
            server.workspace_id,
            count,
            "connect",
            lambda i: f"{PREFIX}{i:06d}" if i % 100 == 0 else f"case-{i:06d}",
        )
    )
    _insert_cases(server, rows, chunk)


def seed_executions(server: Server, count: int, chunk: int) -> None:
    """100 noop test cases with two tags each, the first's `team` tag TAG (the others' cold);
    `count` finished executions spread over them in turn, so 1% (at least one) carry TAG."""
    cases = list(_case_rows(server.workspace_id, 100, "noop", lambda i: f"noop-{i:03d}"))
    for i, case in enumerate(cases):
        case["tags"] = {TAG[0]: TAG[1] if i == 0 else "cold", "suite": f"s{i % 7}"}
    _insert_cases(server, cases, chunk)
    database, base = Database(server.database_url), utcnow()
    with database.engine.begin() as conn:
        for start in range(0, count, chunk):
            batch = []
            for i in range(start, min(start + chunk, count)):
                moment = base + timedelta(microseconds=i)
                batch.append(
                    {
                        "id": new_id(),
                        "workspace_id": server.workspace_id,
                        "test_case_id": cases[i % len(cases)]["id"],
                        "test_case_version": 1,
                        "kind": "noop",
                        "status": ExecutionStatus.PASSED,
                        "batch_id": new_id(),
                        "created_by": "bench",
                        "max_attempts": 1,
                        "attempt": 1,
                        "queued_at": moment,
                        "started_at": moment,
                        "finished_at": moment,
                    }
                )
            conn.execute(insert(executions), batch)
        conn.execute(text("ANALYZE"))
    database.dispose()


def _in_process(server: Server, data_dir: Path) -> tuple[AppContext, Principal]:
    settings = Settings(data_dir=data_dir, database_url=server.database_url, secret_key="bench")
    ctx = AppContext(settings=settings, db=Database(server.database_url))
    return ctx, keys.authenticate_token(ctx, server.token)


def statements_and_plans(ctx: AppContext, use_case: Callable[[], Any]) -> list[dict[str, Any]]:
    """The statements one call of `use_case` runs, each with SQLite's plan for it."""
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", listen)
    try:
        use_case()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", listen)
    found = []
    with ctx.db.engine.connect() as conn:
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue  # BEGIN and friends
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            found.append({"sql": " ".join(statement.split()), "plan": [str(r[-1]) for r in rows]})
    return found


def _search(connect: BaseClient, instance: str) -> Callable[[], Any]:
    criteria = {"StringCondition": {"FieldName": "name", "Value": PREFIX, "ComparisonType": "STARTS_WITH"}}
    return lambda: connect.search_test_cases(InstanceId=instance, MaxResults=PAGE, SearchCriteria=criteria)


def measure_cases(data_dir: Path, count: int, config: SearchConfig) -> dict[str, Any]:
    with running_server(data_dir) as server:
        seed_cases(server, count, config.chunk)
        time.sleep(config.settle_s)
        search = _search(client(server), server.workspace_id)
        answer = search()
        shown = [c["Name"] for c in answer["TestCases"]]
        if (
            not shown
            or not all(n.startswith(PREFIX) for n in shown)
            or len(shown) != min(PAGE, -(-count // 100))
        ):
            raise RuntimeError(f"unexpected search answer: {shown}")
        ms = time_calls(search, config)
        ctx, principal = _in_process(server, data_dir)
        where = Call("startswith", (Field("name"), Constant(PREFIX, Kind.STRING)))
        plans = statements_and_plans(
            ctx, lambda: search_test_cases(ctx, principal, kind="connect", where=where, limit=PAGE)
        )
        ctx.db.dispose()
    return {
        "test_cases": count,
        "matching": answer["ApproximateTotalCount"],
        "median_ms": ms,
        "statements": plans,
    }


def measure_executions(data_dir: Path, count: int, config: SearchConfig) -> dict[str, Any]:
    tag = f"{TAG[0]}={TAG[1]}"
    with running_server(data_dir) as server:
        seed_executions(server, count, config.chunk)
        time.sleep(config.settle_s)
        api = server.api()
        path = f"/api/v1/executions?tag={quote(tag)}&limit={PAGE}"

        def first_page() -> Any:
            return api.call("GET", path)

        items = first_page()["items"]
        if len(items) != min(PAGE, -(-count // 100)):
            raise RuntimeError(f"unexpected executions page: {len(items)} items")
        ms = time_calls(first_page, config)
        api.close()
        ctx, principal = _in_process(server, data_dir)
        plans = statements_and_plans(ctx, lambda: list_executions(ctx, principal, tag=tag, limit=PAGE))
        ctx.db.dispose()
    return {"executions": count, "median_ms": ms, "statements": plans}


def measure_search(workdir: Path, config: SearchConfig) -> dict[str, Any]:
    """Each size gets a fresh server and database of its own."""
    figures: dict[str, Any] = {
        "measured_at": machine_info()["measured_at"],
        "page_size": PAGE,
        "calls": config.calls,
    }
    for name, measure, small, big in (
        ("search_test_cases", measure_cases, config.small_cases, config.big_cases),
        ("executions_by_tag", measure_executions, config.small_executions, config.big_executions),
    ):
        (workdir / f"{name}-small").mkdir()
        (workdir / f"{name}-big").mkdir()
        low = measure(workdir / f"{name}-small", small, config)
        high = measure(workdir / f"{name}-big", big, config)
        figures[name] = {
            "small": low,
            "big": high,
            "ratio_big_to_small": high["median_ms"] / low["median_ms"],
        }
    return figures
