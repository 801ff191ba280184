"""The repository base: one workspace's rows of one mapped class. Tenancy is enforced here.

Every service reads a workspace's rows through a `Repository` (or, for a Core query over
columns, through `owned_by`), so no use case can reach another workspace's row: a row of
workspace B read through workspace A's repository is `NotFound`, exactly as a row that does
not exist, so an id never tells whether it exists elsewhere.

Retired rows: a deleted test case or plan that ran stays, hidden, for its executions'
history (its `deleted_at` is set). A repository hides such rows unless a call asks for them
with `retired=True` (history found by id); tables without `deleted_at` have none.

Pitfall: `get` reads by primary key through the session, so a row already loaded costs no
query; `lock` holds the row (PostgreSQL; SQLite's IMMEDIATE writers are serialized anyway).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import BindParameter, ColumnElement, Select, Table, func, inspect, select
from sqlalchemy.orm import Session

from testament.domain.errors import NotFound
from testament.store.tables import live

__all__ = ["Repository", "Window", "offset_page", "owned_by"]

T = TypeVar("T")


def owned_by(table: Table, workspace_id: str | BindParameter[str]) -> ColumnElement[bool]:
    """The condition for `table`'s rows of one workspace, for a Core query over its columns (a
    bound parameter for a statement built once and given the workspace on each call)."""
    return table.c.workspace_id == workspace_id


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


class Repository(Generic[T]):
    """The rows of `cls` that one workspace owns, read in `session`. `kind` is what a miss
    calls the entity (`NotFound(kind, id)`: "execution 'x' was not found")."""

    def __init__(self, session: Session, cls: type[T], workspace_id: str, kind: str) -> None:
        self.session = session
        self.cls = cls
        self.workspace_id = workspace_id
        self.kind = kind
        self.table = cast(Table, inspect(cls).local_table)

    def owned(self, *, retired: bool = False) -> list[ColumnElement[bool]]:
        """The conditions every read of this repository carries."""
        return [owned_by(self.table, self.workspace_id), *([] if retired else live(self.table))]

    def _visible(self, obj: Any, retired: bool) -> bool:
        return obj.workspace_id == self.workspace_id and (retired or getattr(obj, "deleted_at", None) is None)

    def find(
        self,
        ident: str,
        *,
        retired: bool = False,
        lock: bool = False,
        such_that: Callable[[T], bool] | None = None,
    ) -> T | None:
        """The row of this id in the workspace, or None (a retired one only if `retired`).
        `such_that` is a further test the row must pass (that it is a step of this task...)."""
        obj = self.session.get(self.cls, ident, with_for_update=lock)
        if obj is None or not self._visible(obj, retired) or (such_that and not such_that(obj)):
            return None
        return obj

    def get(
        self,
        ident: str,
        *,
        retired: bool = False,
        lock: bool = False,
        such_that: Callable[[T], bool] | None = None,
    ) -> T:
        """The row of this id in the workspace (see `find`); NotFound otherwise."""
        obj = self.find(ident, retired=retired, lock=lock, such_that=such_that)
        if obj is None:
            raise NotFound(self.kind, ident)
        return obj

    def get_many(self, ids: Sequence[str], *, retired: bool = False, lock: bool = False) -> list[T]:
        """The rows of these ids, in their order, in one query; NotFound names the first missing."""
        query = self.select(self.table.c.id.in_(list(ids)), retired=retired).order_by(self.table.c.id)
        rows = self.session.scalars(query.with_for_update() if lock else query)
        found: dict[str, T] = {row.id: row for row in rows}  # type: ignore[attr-defined]  # every key is `id`
        missing = next((i for i in ids if i not in found), None)
        if missing is not None:
            raise NotFound(self.kind, missing)
        return [found[i] for i in ids]

    def select(self, *where: ColumnElement[bool], retired: bool = False) -> Select[T]:
        """A select of the workspace's rows (live ones unless `retired`), narrowed by `where`."""
        return select(self.cls).where(*self.owned(retired=retired), *where)

    def keyset(
        self,
        key: ColumnElement[Any],
        after: Any,
        limit: int,
        *where: ColumnElement[bool],
        descending: bool = False,
    ) -> list[T]:
        """Up to `limit` + 1 rows past the key `after` (None: from the start) in `key` order, or
        newest first if `descending`; the extra row only tells that a next page exists."""
        query = self.select(*where)
        if after is not None:
            query = query.where(key < after if descending else key > after)
        ordered = query.order_by(key.desc() if descending else key).limit(limit + 1)
        return list(self.session.scalars(ordered))

    def offset_page(
        self, window: Window, tiebreak: ColumnElement[Any], *where: ColumnElement[bool]
    ) -> tuple[list[T], int]:
        """One window of the workspace's rows (see `offset_page`) and how many match in all."""
        return offset_page(self.session, self.select(*where), window, tiebreak)
