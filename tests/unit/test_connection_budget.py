"""Each process's pool is sized from what it does itself (README, "Scaling out"): an API from the
requests it serves, a worker from its own --concurrency, never from another process's count."""

from testament.bootstrap import pool_limits
from testament.store.db import Database

URL = "postgresql+psycopg://u@db.invalid/x"  # a pool is made without connecting


def test_a_worker_holds_one_per_run_and_three_more_and_never_overflows() -> None:
    assert pool_limits(serves_api=False, concurrency=4) == (7, 0)
    assert pool_limits(serves_api=False, concurrency=1) == (4, 0)


def test_an_api_alone_is_the_same_whatever_the_workers_elsewhere() -> None:
    assert pool_limits(serves_api=True, concurrency=0) == (10, 10)


def test_a_server_running_executions_itself_adds_its_runs() -> None:
    assert pool_limits(serves_api=True, concurrency=4) == (17, 10)


def test_the_database_pool_takes_those_limits() -> None:
    db = Database(URL, pool_size=10, max_overflow=0)
    try:
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow) == (10, 0)  # type: ignore[attr-defined]
    finally:
        db.dispose()
