"""Keyset pagination: a page is `limit` items after the last key the cursor carries."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from testament.domain.errors import InvalidInput
from testament.kit.cursors import CursorCodec, InvalidCursor

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


@dataclass(frozen=True)
class Window:
    """A query a surface compiled from its own query language (OData, TQL): a condition and an
    ordering over one table's columns, and an offset window, as those languages page."""

    where: ColumnElement[bool] | None = None
    order_by: Sequence[ColumnElement[Any]] = ()
    limit: int = 25
    offset: int = 0


def offset_page(
    session: Session, statement: Select[Any], window: Window, tiebreak: ColumnElement[Any]
) -> tuple[list[Any], int]:
    """One window of `statement`'s rows (ordered, then by `tiebreak` so pages never overlap)
    and how many rows match in all."""
    if window.where is not None:
        statement = statement.where(window.where)
    total = session.execute(
        select(func.count()).select_from(statement.order_by(None).subquery())
    ).scalar_one()
    ordered = statement.order_by(*window.order_by, tiebreak).limit(window.limit).offset(window.offset)
    return list(session.scalars(ordered)), int(total)
