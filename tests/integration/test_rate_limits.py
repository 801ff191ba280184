"""Rate limits counted in the database: windows, a skewed clock, and limiters that share a database."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from testament.domain.access import Principal, Role
from testament.domain.errors import Throttled
from testament.services.rate_limits import RateLimiter
from testament.store.db import Database, migrate
from tests.integration.conftest import fresh_database_url

KEY = Principal(workspace_id="w", key_id="key-1", user_name="", role=Role.ADMIN)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = fresh_database_url(tmp_path)
    migrate(url)
    database = Database(url)
    yield database
    database.dispose()


def passed(limiter: RateLimiter, principal: Principal = KEY, surface: str = "aws_connect") -> bool:
    try:
        limiter.hit(principal, surface)
    except Throttled:
        return False
    return True


def test_a_window_opens_at_a_keys_first_request_and_lets_the_limit_through(db: Database) -> None:
    now = [1000.25]
    limiter = RateLimiter("3/second", db, clock=lambda: now[0])
    results = []
    for at in (1000.25, 1000.5, 1000.75, 1001.0, 1001.2, 1001.25, 1001.3):
        now[0] = at
        results.append(passed(limiter))
    # 1001.0 is still the first window (it opened at 1000.25); 1001.25 opens the second
    assert results == [True, True, True, False, False, True, True]


def test_keys_and_surfaces_are_counted_apart(db: Database) -> None:
    limiter = RateLimiter("1/hour", db)
    other = Principal(workspace_id="w", key_id="key-2", user_name="", role=Role.ADMIN)
    assert [passed(limiter), passed(limiter, other), passed(limiter, surface="x"), passed(limiter)] == [
        True,
        True,
        True,
        False,
    ]


def test_a_process_whose_clock_is_behind_counts_into_the_current_window(db: Database) -> None:
    ahead = RateLimiter("2/second", db, clock=lambda: 2000.0)
    behind = RateLimiter("2/second", db, clock=lambda: 1990.0)
    assert [passed(ahead), passed(behind), passed(behind), passed(ahead)] == [True, True, False, False]


def test_limiters_sharing_a_database_let_the_limit_through_together(db: Database) -> None:
    """Three limiters (as three processes would hold), eight threads each, 240 requests at once."""
    limiters = [RateLimiter("50/hour", db) for _ in range(3)]
    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(lambda n: passed(limiters[n % 3]), range(240)))
    assert results.count(True) == 50
