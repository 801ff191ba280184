"""Figure 2: the first page of an execution's records vs a page 1,000,000 records deep.

A fresh SQLite database gets one execution with a million records, bulk-inserted with
SQLAlchemy Core; then `services.executions.list_records` is timed in-process (no HTTP)
for the first page and for a page whose cursor is a real one carrying seq 999,900.
Keyset pagination makes both one index range scan, so the ratio should be about 1.
"""

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text, update

from testament.config import Settings
from testament.domain.access import Principal, Role
from testament.domain.execution import ExecutionStatus
from testament.kit.clock import utcnow
from testament.kit.ids import new_id
from testament.services import keys, workspaces
from testament.services.context import AppContext
from testament.services.executions import list_records
from testament.services.test_cases import create_test_case
from testament.store.db import Database, migrate
from testament.store.tables import execution_records, executions

__all__ = ["PagingConfig", "measure_paging"]

STATUSES = ("PASSED", "INFO", "PASSED", "FAILED")


@dataclass(frozen=True)
class PagingConfig:
    records: int = 1_000_000
    chunk: int = 50_000
    page: int = 100
    calls: int = 50
    warmup: int = 5


def make_context(data_dir: Path) -> AppContext:
    url = f"sqlite:///{data_dir / 'records.db'}"
    migrate(url)
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench")
    return AppContext(settings=settings, db=Database(url))


def make_execution(ctx: AppContext, principal: Principal) -> str:
    """A published noop test case and one finished execution row of it; returns the execution id."""
    view = create_test_case(ctx, principal, kind="noop", name="paging", content={}, publish=True)
    execution_id, now = new_id(), utcnow()
    row = {
        "id": execution_id,
        "workspace_id": principal.workspace_id,
        "test_case_id": view.test_case.id,
        "test_case_version": 1,
        "kind": "noop",
        "status": ExecutionStatus.PASSED,
        "batch_id": execution_id,
        "created_by": principal.user_name,
        "max_attempts": 1,
        "attempt": 1,
        "queued_at": now,
        "started_at": now,
        "finished_at": now,
    }
    with ctx.db.engine.begin() as conn:
        conn.execute(executions.insert().values(**row))
    return execution_id


def record_rows(execution_id: str, start: int, stop: int) -> Iterator[dict[str, Any]]:
    base = utcnow()
    for seq in range(start, stop):
        yield {
            "execution_id": execution_id,
            "seq": seq,
            "attempt": 1,
            "observation_id": f"step-{seq % 10}",
            "status": STATUSES[seq % len(STATUSES)],
            "timestamp": base + timedelta(microseconds=seq),
            "record": {"i": seq},
        }


def bulk_insert(ctx: AppContext, execution_id: str, config: PagingConfig) -> float:
    """Insert seq 1..records in chunks, in one transaction; set the execution's counters to match."""
    began = time.perf_counter()
    with ctx.db.engine.begin() as conn:
        for start in range(1, config.records + 1, config.chunk):
            stop = min(start + config.chunk, config.records + 1)
            conn.execute(execution_records.insert(), list(record_rows(execution_id, start, stop)))
        counts = Counter(STATUSES[seq % len(STATUSES)] for seq in range(1, config.records + 1))
        conn.execute(
            update(executions)
            .where(executions.c.id == execution_id)
            .values(
                records_total=config.records, records_passed=counts["PASSED"], records_failed=counts["FAILED"]
            )
        )
    return time.perf_counter() - began


class Rounds(Protocol):
    """How a figure times a call: warm-up calls, then timed calls."""

    @property
    def warmup(self) -> int: ...

    @property
    def calls(self) -> int: ...


def time_calls(call: Callable[[], Any], config: Rounds) -> float:
    """Median milliseconds of `call()` after a warm-up."""
    for _ in range(config.warmup):
        call()
    samples = []
    for _ in range(config.calls):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def query_plan(ctx: AppContext, execution_id: str, after: int, limit: int) -> list[str]:
    """SQLite's plan for the records page query, to show which index serves it."""
    sql = text(
        "EXPLAIN QUERY PLAN SELECT * FROM execution_records WHERE execution_id = :e AND seq > :s"
        " ORDER BY seq LIMIT :n"
    )
    with ctx.db.engine.connect() as conn:
        return [str(row[-1]) for row in conn.execute(sql, {"e": execution_id, "s": after, "n": limit + 1})]


def check_page(page: Any, first_seq: int, size: int) -> None:
    seqs = [r.seq for r in page.items]
    if len(seqs) != size or seqs[0] != first_seq:
        raise RuntimeError(f"unexpected page: {len(seqs)} items from seq {seqs[:1]}")


def measure_paging(data_dir: Path, config: PagingConfig) -> dict[str, Any]:
    ctx = make_context(data_dir)
    workspace = workspaces.create_workspace(ctx, "paging")
    principal = keys.authenticate_token(ctx, keys.create_key(ctx, workspace.id, Role.ADMIN).token)
    execution_id = make_execution(ctx, principal)
    insert_s = bulk_insert(ctx, execution_id, config)
    after = config.records - config.page
    cursor = ctx.cursors.encode(f"records:{execution_id}", after)

    def first() -> Any:
        return list_records(ctx, principal, execution_id, limit=config.page)

    def deep() -> Any:
        return list_records(ctx, principal, execution_id, limit=config.page, cursor=cursor)

    check_page(first(), 1, config.page)
    check_page(deep(), after + 1, config.page)
    first_ms, deep_ms = time_calls(first, config), time_calls(deep, config)
    plan = query_plan(ctx, execution_id, after, config.page)
    ctx.db.dispose()
    return {
        "records": config.records,
        "insert_s": insert_s,
        "page_size": config.page,
        "calls": config.calls,
        "first_page_ms": first_ms,
        "deep_page_ms": deep_ms,
        "deep_after_seq": after,
        "ratio_deep_to_first": deep_ms / first_ms,
        "query_plan": plan,
    }
