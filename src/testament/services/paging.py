"""Keyset pagination: a page is `limit` items after the last key the cursor carries.

Offset windows (`Window`, `offset_page`) run in the store (store/repository.py); they are
named here too, so a use case and a surface find every kind of page in one module."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from testament.domain.errors import InvalidInput
from testament.kit.cursors import CursorCodec, InvalidCursor
from testament.store.repository import Window, offset_page

__all__ = ["MAX_LIMIT", "Page", "Window", "all_items", "decode_cursor", "make_page", "offset_page"]

T = TypeVar("T")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def decode_cursor(codec: CursorCodec, scope: str, cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return codec.decode(scope, cursor)
    except InvalidCursor as exc:
        raise InvalidInput("cursor", str(exc)) from None


def make_page(
    codec: CursorCodec, scope: str, rows: Sequence[T], limit: int, key: Callable[[T], Any]
) -> Page[T]:
    """`rows` holds up to limit + 1 items; the extra one only tells that a next page exists."""
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items, codec.encode(scope, key(items[-1])) if more and items else None)


def all_items(fetch: Callable[..., Page[T]]) -> list[T]:
    """Every item of a paged listing; `fetch(limit=, cursor=)` returns one page (first cursor: None)."""
    found: list[T] = []
    cursor = None
    while True:
        page = fetch(limit=MAX_LIMIT, cursor=cursor)
        found += page.items
        if not (cursor := page.next_cursor):
            return found
