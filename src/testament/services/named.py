"""What every named asset (suite, plan, environment) shares: its name and description rules,
member lists given by reference, reading one by id or name, a page of them, and saving under a
name unique in the workspace. It holds no aggregate: each asset's use cases are in its own module.
"""

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput
from testament.domain.model import Environment, Plan, Suite
from testament.services import references
from testament.services.context import AppContext, UnitOfWork
from testament.services.paging import Page, check_limit, decode_cursor, make_page
from testament.store.repository import Repository

__all__ = [
    "check_description",
    "check_members",
    "check_name",
    "list_named",
    "load",
    "mine",
    "read_named",
    "save",
]

Asset = TypeVar("Asset", Suite, Plan, Environment)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:  # surfaces pass what they were sent
        raise InvalidInput("name", "must be a text of 1 to 200 characters")
    return name.strip()


def check_description(description: str) -> str:
    if not isinstance(description, str) or len(description) > 4096:
        raise InvalidInput("description", "must be at most 4096 characters")
    return description


def load(
    session: Session,
    named: references.Named[Asset],
    principal: Principal,
    ident: str,
    *,
    retired: bool = False,
) -> Asset:
    """An asset by id or name (`retired`: a deleted plan too, by its id)."""
    found: Asset = references.load(session, principal, named, ident, retired=retired)
    return found


def mine(session: Session, principal: Principal, named: references.Named[Asset]) -> Repository[Asset]:
    """The workspace's live assets of one kind."""
    return Repository(session, named.cls, principal.workspace_id, named.kind)


def check_members(
    session: Session, principal: Principal, named: references.Named[Any], field: str, refs: list[str]
) -> list[str]:
    """The ids of the members a list names (by id or name), each once."""
    ids = references.resolve_all(session, principal, named, field, refs)
    if len(set(ids)) != len(ids):
        raise InvalidInput(field, "lists an id twice")
    return ids


def save(uow: UnitOfWork, obj: Any, kind: str) -> None:
    uow.save_named(obj, kind)
    uow.commit()


def read_named(
    app: AppContext,
    principal: Principal,
    named: references.Named[Asset],
    ident: str,
    *,
    retired: bool = False,
) -> Asset:
    """An asset by id or name (`retired=True`: a deleted plan that ran too, for its runs' sake)."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return load(session, named, principal, ident, retired=retired)


def list_named(
    app: AppContext, principal: Principal, named: references.Named[Asset], *, limit: int, cursor: str | None
) -> Page[Asset]:
    principal.require(Permission.READ)
    check_limit(limit)
    after = decode_cursor(app.cursors, named.kind, cursor)
    with app.db.reading() as session:
        rows = mine(session, principal, named).keyset(named.table.c.id, after, limit)
    return make_page(app.cursors, named.kind, rows, limit, key=lambda a: a.id)
