"""Per-key request rate limits, per surface (token buckets of the `limits` library, in memory).

In-process storage fits the embedded default; a multi-process deployment would point the
same limiter at Redis. The limit is a `limits` expression such as "50/second".
"""

from limits import RateLimitItem, parse, storage, strategies

from testament.domain.access import Principal
from testament.domain.errors import Throttled

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, limit: str) -> None:
        self._item: RateLimitItem = parse(limit)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, principal: Principal, surface: str) -> None:
        """Count one request of this key on this surface; raise Throttled over the limit."""
        if not self._limiter.hit(self._item, surface, principal.key_id):
            raise Throttled(f"Rate exceeded: at most {self._item} requests for this key")
