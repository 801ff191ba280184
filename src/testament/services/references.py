"""References to named entities: wherever the API takes the id of a test case, plan, suite,
environment or package, it takes its name too. This module is the one rule for reading them.

A reference is an id, or else a name. An id finds a live row (and, where history needs it,
a retired one: a deleted test case's executions are still found by its id); a name finds
only a live row. Names are unique among the live test cases, plans, suites and environments
of a workspace, so such a name is never ambiguous. Package names may repeat (one per folder):
a package name that several packages have is refused, asking for the id.

Pitfall: how a miss is told depends on where the reference came from. A path names the
resource itself (404, `NotFound`); a body field or query filter is input (422 naming the
field). A filter naming nothing is refused, never answered with an empty list.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.orm import Session

from testament.domain.access import Permission, Principal
from testament.domain.errors import InvalidInput, NotFound
from testament.domain.model import Environment, Package, Plan, Suite, TestCase
from testament.services.context import AppContext
from testament.store.repository import Repository
from testament.store.tables import environments, packages, plans, suites, test_cases

__all__ = [
    "ENVIRONMENT",
    "PACKAGE",
    "PLAN",
    "SUITE",
    "TEST_CASE",
    "Named",
    "load",
    "resolve",
    "resolve_all",
    "resolve_filter",
    "resolve_list",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Named(Generic[T]):
    """A kind of entity that a reference may name: its class, its table, and what it is called."""

    cls: type[T]
    table: Table
    kind: str

    @property
    def field(self) -> str:
        return self.kind.replace(" ", "_") + "_id"


TEST_CASE = Named(TestCase, test_cases, "test case")
PLAN = Named(Plan, plans, "plan")
SUITE = Named(Suite, suites, "suite")
ENVIRONMENT = Named(Environment, environments, "environment")
PACKAGE = Named(Package, packages, "package")


def _missing(named: Named[Any], reference: str) -> str:
    return f"no {named.kind} has the id or name {reference!r}"


def _repository(session: Session, principal: Principal, named: Named[T]) -> Repository[T]:
    return Repository(session, named.cls, principal.workspace_id, named.kind)


def _scope(
    session: Session, principal: Principal, named: Named[Any], *, retired: bool = False
) -> list[ColumnElement[bool]]:
    """The workspace's rows of this kind (live ones unless `retired`), for a query over columns."""
    return _repository(session, principal, named).owned(retired=retired)


def _ids_by_name(
    session: Session, principal: Principal, named: Named[Any], names: Sequence[str]
) -> dict[str, list[str]]:
    """The live rows of each name (one, or for packages possibly several)."""
    if not names:
        return {}
    table = named.table
    rows = session.execute(
        select(table.c.id, table.c.name).where(*_scope(session, principal, named), table.c.name.in_(names))
    ).all()
    found: dict[str, list[str]] = {name: [] for name in names}
    for row in rows:
        found[row.name].append(row.id)
    return found


def _one(named: Named[Any], field: str, reference: str, ids: list[str]) -> str | None:
    if len(ids) > 1:
        raise InvalidInput(field, f"{len(ids)} {named.kind}s are named {reference!r}; give the id of one")
    return ids[0] if ids else None


def load(
    session: Session,
    principal: Principal,
    named: Named[T],
    reference: str,
    *,
    retired: bool = False,
    lock: bool = False,
) -> T:
    """The entity a path names (by id, or else by name); NotFound otherwise. An id costs one
    primary-key read, as before names were accepted. `lock` holds the row (PostgreSQL)."""
    found = _repository(session, principal, named)
    obj = found.find(reference, retired=retired, lock=lock)
    if obj is None:
        same_name = _ids_by_name(session, principal, named, [reference])[reference]
        ident = _one(named, named.field, reference, same_name)
        obj = found.find(ident, retired=retired, lock=lock) if ident else None
    if obj is None:
        raise NotFound(named.kind, reference)
    return obj


def _resolve(
    session: Session,
    principal: Principal,
    named: Named[Any],
    fields: Sequence[str],
    references: Sequence[str],
    retired: bool,
) -> list[str]:
    """The ids `references` name, in one read by id and one by name; a miss is bad input
    naming the reference's field."""
    if not references:
        return []
    table = named.table
    query = select(table.c.id).where(
        *_scope(session, principal, named, retired=retired), table.c.id.in_(list(references))
    )
    by_id = set(session.scalars(query))
    by_name = _ids_by_name(session, principal, named, [r for r in references if r not in by_id])
    ids = []
    for field, reference in zip(fields, references, strict=True):
        ident = reference if reference in by_id else _one(named, field, reference, by_name[reference])
        if ident is None:
            raise InvalidInput(field, _missing(named, reference))
        ids.append(ident)
    return ids


def resolve_all(
    session: Session, principal: Principal, named: Named[Any], field: str, references: Sequence[str]
) -> list[str]:
    """The ids a list field names, in its order; a miss is bad input naming `field[i]`."""
    fields = [f"{field}[{i}]" for i in range(len(references))]
    return _resolve(session, principal, named, fields, references, retired=False)


def resolve(
    session: Session,
    principal: Principal,
    named: Named[Any],
    field: str,
    reference: str,
    *,
    retired: bool = False,
) -> str:
    """The id one field names; a miss is bad input naming `field`."""
    return _resolve(session, principal, named, [field], [reference], retired)[0]


def resolve_filter(
    app: AppContext,
    principal: Principal,
    named: Named[Any],
    reference: str | None,
    *,
    field: str | None = None,
) -> str | None:
    """The id a query filter names (`field`: the parameter, `test_case_id` for a test case).
    A retired entity is found by its id, so the history of a deleted test case or plan stays
    reachable; a filter naming nothing is bad input."""
    if not reference:  # `?test_case_id=` filters nothing, as an absent parameter
        return None
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return resolve(session, principal, named, field or named.field, reference, retired=True)


def resolve_list(
    app: AppContext, principal: Principal, named: Named[Any], field: str, references: Sequence[str]
) -> list[str]:
    """`resolve_all` for a use case that holds no session of its own."""
    principal.require(Permission.READ)
    with app.db.reading() as session:
        return resolve_all(session, principal, named, field, references)
