"""Per-key request rate limits, per surface, counted in the database so that every API process
of a deployment counts against the same limit (three processes allow the limit, not three times it).

Fixed windows that begin at a key's first request: a window lasts the limit's period ("50/second":
one second) from the request that opened it, and at most the limit's number of requests pass in it;
the first request after it opens the next window. A key's row holds its window's start and hits.
One statement counts a request and answers the count (an upsert with RETURNING, the same on SQLite
and PostgreSQL), so concurrent requests through any process never lose a hit. A burst that
straddles two windows may see up to twice the limit within one period's length, as with any fixed
window. A window never starts before the one it follows ends by the clock of the process that
opens it, so a process whose clock is behind counts into the current window instead of resetting it.
The limit is a `limits` expression such as "50/second" or "30/minute".
"""

import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItem, parse
from sqlalchemy import case, text
from sqlalchemy.dialects import postgresql, sqlite

from testament.domain.access import Principal
from testament.domain.errors import Throttled
from testament.store.db import Database
from testament.store.tables import rate_limit_windows

__all__ = ["RateLimiter"]

_rows = rate_limit_windows.c


class RateLimiter:
    def __init__(self, limit: str, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._item: RateLimitItem = parse(limit)
        self._period_ms = self._item.get_expiry() * 1000
        self._db = db
        self._clock = clock  # seconds since the epoch

    def hit(self, principal: Principal, surface: str) -> None:
        """Count one request of this key on this surface; raise Throttled over the limit."""
        if self._count(f"{surface}:{principal.key_id}", int(self._clock() * 1000)) > self._item.amount:
            raise Throttled(f"Rate exceeded: at most {self._item} requests for this key")

    def _count(self, bucket: str, now_ms: int) -> int:
        """Count one hit in `bucket`'s window, opening a new one if its window has ended; the
        window's hits so far."""
        dialect: Any = sqlite if self._db.is_sqlite else postgresql
        counting = dialect.insert(rate_limit_windows).values(bucket=bucket, window_start=now_ms, hits=1)
        ended = counting.excluded.window_start >= _rows.window_start + self._period_ms
        statement = counting.on_conflict_do_update(
            index_elements=[_rows.bucket],
            set_={
                "hits": case((ended, 1), else_=_rows.hits + 1),
                "window_start": case((ended, counting.excluded.window_start), else_=_rows.window_start),
            },
        ).returning(_rows.hits)
        with self._db.writer() as session, session.begin():
            if not self._db.is_sqlite:  # a count lost in a crash is harmless: skip the WAL flush
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            return int(session.execute(statement).scalar_one())
